"""The input guard: the encodings and shapes of a request checked before any other work
(CONTRACT section 6, "No client input gives a 5xx").

Runs as the route's middleware, so the route handler (and from it the media type its
`data` expects and its body-size limit) is known, and before the CSRF hook, the user
lookup and the handler:

- the path and the query string: no NUL character, valid UTF-8 → else 400 naming it;
- a body the handler decodes: the content type it declares → else 415; at most the
  route's `request_max_body_size` (1 MB for JSON; imports set their own) → else 413;
- JSON: valid UTF-8 and JSON, nested at most 32 deep, no NUL in any key or string
  → else 400 naming the field (PostgreSQL refuses NUL in text);
- URL-encoded forms: no NUL in any field → else 400 naming the field.

Multipart bodies (imports) are not buffered here: they stream to their own limit.
All checks are linear in the size of the request.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Final
from urllib.parse import parse_qsl

import msgspec
from litestar.enums import RequestEncodingType
from litestar.types import ASGIApp, Receive, ReceiveMessage, Scope, Send

from app.lib.errors import PayloadTooLargeError, UnsupportedMediaTypeError, ValidationError

MAX_JSON_DEPTH: Final = 32
JSON_BODY_LIMIT: Final = 1024 * 1024  # app-wide request_max_body_size (see app/asgi.py)
_BODY_METHODS: Final = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_JSON: Final = RequestEncodingType.JSON.value
_FORM: Final = RequestEncodingType.URL_ENCODED.value
_MULTIPART: Final = RequestEncodingType.MULTI_PART.value
_NUL = "\x00"


def _header(scope: Scope, name: bytes) -> str:
    for key, value in scope.get("headers", ()):
        if key == name:
            return str(value.decode("latin-1"))
    return ""


def _media_type(scope: Scope) -> str:
    return _header(scope, b"content-type").split(";", 1)[0].strip().lower()


def is_json_media(media: str) -> bool:
    return media == _JSON or (media.startswith("application/") and media.endswith("+json"))


def expected_media(handler: Any) -> str | None:
    """The media type a route handler's `data` parameter decodes, None without one."""
    if handler is None:
        return None
    field = handler.parsed_fn_signature.parameters.get("data")
    if field is None:
        return None
    media = getattr(field.kwarg_definition, "media_type", None) or RequestEncodingType.JSON
    return str(getattr(media, "value", media))


def check_query(raw: bytes) -> None:
    """400 for a query string with invalid UTF-8 or a NUL character, naming the parameter."""
    if not raw:
        return
    try:
        pairs = parse_qsl(raw.decode("latin-1"), keep_blank_values=True, encoding="utf-8", errors="strict")
    except UnicodeDecodeError as exc:
        raise ValidationError("is not valid UTF-8", field="query string") from exc
    _check_pairs(pairs)


def _check_pairs(pairs: list[tuple[str, str]]) -> None:
    for key, value in pairs:
        if _NUL in key or _NUL in value:
            raise ValidationError("must not contain a NUL character", field=key.replace(_NUL, "") or "parameter")


def check_form(body: bytes) -> None:
    """400 for a URL-encoded body with a NUL character in any field, naming the field."""
    if b"%00" not in body and b"\x00" not in body:
        return
    pairs = parse_qsl(body.decode("latin-1"), keep_blank_values=True, encoding="utf-8", errors="replace")
    _check_pairs(pairs)


def _path(parts: tuple[Any, ...]) -> str:
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "body"


def _walk(value: Any) -> Iterator[tuple[Any, int, tuple[Any, ...]]]:
    """Every value with its depth (the body itself is 1) and its path, iteratively."""
    stack: list[tuple[Any, int, tuple[Any, ...]]] = [(value, 1, ())]
    while stack:
        item, depth, path = stack.pop()
        yield item, depth, path
        if isinstance(item, dict):
            for key, child in item.items():
                if _NUL in key:
                    field = _path((*path, key.replace(_NUL, "")))
                    raise ValidationError("must not contain a NUL character", field=field)
                stack.append((child, depth + 1, (*path, key)))
        elif isinstance(item, list):
            stack.extend((child, depth + 1, (*path, i)) for i, child in enumerate(item))


def check_json(body: bytes) -> None:
    """400 for a JSON body that is not UTF-8 JSON, nests deeper than 32, or has a NUL in a
    key or string (the error names the field, e.g. `tags[3]`)."""
    if not body.strip():
        return
    try:
        body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValidationError("is not valid UTF-8", field="body") from exc
    try:
        decoded = msgspec.json.decode(body)
    except RecursionError as exc:
        raise ValidationError(f"JSON nested deeper than {MAX_JSON_DEPTH} levels", field="body") from exc
    except msgspec.DecodeError as exc:
        raise ValidationError(f"is not valid JSON ({exc})", field="body") from exc
    # Skip the walk when the body cannot hold a NUL escape or 33 nested containers.
    if b"\\u0000" not in body and body.count(b"[") + body.count(b"{") <= MAX_JSON_DEPTH:
        return
    for item, depth, path in _walk(decoded):
        if depth > MAX_JSON_DEPTH:
            raise ValidationError(f"JSON nested deeper than {MAX_JSON_DEPTH} levels", field="body")
        if isinstance(item, str) and _NUL in item:
            raise ValidationError("must not contain a NUL character", field=_path(path))


async def _read_body(receive: Receive, limit: int | None) -> tuple[bytes, list[ReceiveMessage]]:
    chunks: list[bytes] = []
    size = 0
    extra: list[ReceiveMessage] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            extra.append(message)  # a disconnect: hand it on to the app
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if limit is not None and size > limit:
            raise PayloadTooLargeError(f"the body may be at most {limit} bytes", field="body")
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks), extra


def _replay(body: bytes, extra: list[ReceiveMessage], receive: Receive) -> Receive:
    first: ReceiveMessage = {"type": "http.request", "body": body, "more_body": False}
    pending: list[ReceiveMessage] = [first, *extra]

    async def replay() -> ReceiveMessage:
        if pending:
            return pending.pop(0)
        return await receive()

    return replay


def _declared_length(scope: Scope) -> int | None:
    raw = _header(scope, b"content-length")
    return int(raw) if raw.isdigit() else None


def input_guard(app: ASGIApp) -> ASGIApp:
    """Litestar middleware: see the module docstring."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if str(scope["type"]) != "http":
            await app(scope, receive, send)
            return
        if _NUL in scope.get("path", ""):
            raise ValidationError("must not contain a NUL character", field="path")
        check_query(scope.get("query_string", b""))
        method = str(scope.get("method", "GET"))
        handler: Any = scope.get("route_handler")
        if method not in _BODY_METHODS or handler is None:
            await app(scope, receive, send)
            return
        expected = expected_media(handler)
        media = _media_type(scope)
        length = _declared_length(scope)
        has_body = bool(length) or "chunked" in _header(scope, b"transfer-encoding").lower()
        if expected is not None and has_body and not _media_matches(expected, media):
            raise UnsupportedMediaTypeError(f"send the body as {expected}", field="Content-Type")
        buffered = is_json_media(media) or media == _FORM
        if not buffered or expected == _MULTIPART:
            await app(scope, receive, send)
            return
        limit = handler.resolve_request_max_body_size()
        if limit is not None and length is not None and length > limit:
            raise PayloadTooLargeError(f"the body may be at most {limit} bytes", field="body")
        body, extra = await _read_body(receive, limit)
        if media == _FORM:
            check_form(body)
        else:
            check_json(body)
        await app(scope, _replay(body, extra, receive), send)

    return middleware


def _media_matches(expected: str, media: str) -> bool:
    if expected == _JSON:
        return is_json_media(media)
    return media == expected
