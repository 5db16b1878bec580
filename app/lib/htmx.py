"""Page-or-fragment rendering and htmx-aware errors.

One rule for every HTML form: success answers 303 to the page (htmx follows it and
`hx-select`s the part it swaps), a validation error re-renders the page with the
errors inline and status 422 (htmx is configured to swap 422). Errors on /api are
always `{"ok": false, "error": ...}`.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import quote, urlsplit

from litestar import MediaType, Request, Response
from litestar.exceptions import (
    HTTPException,
    NotAuthorizedException,
    NotFoundException,
    PermissionDeniedException,
    ValidationException,
)
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_303_SEE_OTHER

from app.lib.csrf import CSRF_COOKIE, csrf_token_for, settings_of
from app.lib.errors import RETRY_AFTER_SECONDS, AppError, is_database_unavailable
from app.lib.flash import clear_flash, read_flash

log = logging.getLogger("momentum")


def is_htmx(request: Request[Any, Any, Any]) -> bool:
    return request.headers.get("hx-request") == "true"


def is_api(request: Request[Any, Any, Any]) -> bool:
    return request.url.path.startswith("/api/") or request.url.path == "/api"


def _page_context(request: Request[Any, Any, Any], template: str, context: dict[str, Any]) -> Any:
    """Adds what every page's context holds; returns the flash message shown (None: none)."""
    state = request.scope.get("state", {})
    context.setdefault("user", state.get("momentum_user"))
    context.setdefault("csrf_token", csrf_token_for(request))
    context.setdefault("current_path", request.url.path)
    context.setdefault("allow_signup", settings_of(request).allow_signup)
    message = read_flash(request) if template.startswith("pages/") else None
    context.setdefault("flash", message)
    return message


def page(request: Request[Any, Any, Any], template: str, *, status_code: int = 200, **context: Any) -> Template:
    """Render a full page (or a fragment template) with the context every page needs."""
    message = _page_context(request, template, context)
    response = Template(template_name=template, context=context, status_code=status_code)
    if message is not None:
        clear_flash(response)  # shown once (lib/flash.py)
    set_csrf_cookie(request, response)
    return response


def render_fragment(request: Request[Any, Any, Any], template: str, **context: Any) -> bytes:
    """The body `page()` sends for a fragment template (one without a flash message), for a
    caller that keeps the bytes (the productivity cards, docs/productivity.md "Caching")."""
    _page_context(request, template, context)
    context.setdefault("request", request)
    engine = request.app.template_engine
    assert engine is not None  # configured in app/asgi.py
    html: str = engine.get_template(template).render(**context)
    return html.encode()


def fragment_response(request: Request[Any, Any, Any], body: bytes, headers: dict[str, str]) -> Response[bytes]:
    """A fragment's bytes (from render_fragment, now or earlier) as `page()` would answer them."""
    csrf_token_for(request)  # the page's CSRF cookie stays in step, as page() keeps it
    response: Response[bytes] = Response(content=body, media_type=MediaType.HTML, headers=headers)
    set_csrf_cookie(request, response)
    return response


def safe_target(target: str | None, default: str = "/") -> str:
    """A redirect target from user input: only same-site paths, never `//evil.example`,
    `/\\evil.example` or absolute URLs."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    parts = urlsplit(target)
    return default if parts.scheme or parts.netloc else target


def see_other(path: str) -> Redirect:
    return Redirect(path=path, status_code=HTTP_303_SEE_OTHER)


def set_csrf_cookie(
    request: Request[Any, Any, Any], response: Response[Any], token: str | None = None
) -> Response[Any]:
    """Persist the CSRF token the page carries (or `token`, e.g. the new session's at login)."""
    value = token or request.scope.get("state", {}).get("csrf_new")
    if value:
        response.set_cookie(
            CSRF_COOKIE,
            value,
            httponly=True,
            samesite="lax",
            secure=not settings_of(request).dev,
            path="/",
            max_age=60 * 60 * 24 * 30,
        )
    return response


def _validation_message(exc: ValidationException) -> str:
    extra = exc.extra
    if isinstance(extra, list) and extra:
        parts = []
        for item in extra:
            if isinstance(item, dict):
                key = item.get("key")
                msg = str(item.get("message", "is invalid"))
                parts.append(f"{key}: {msg}" if key else msg)
        if parts:
            return "; ".join(parts)
    return str(exc.detail or "invalid request")


def _bad_path_parameter(exc: ValidationException) -> bool:
    """A path parameter out of its range (an id beyond the database's integers, 0, a
    negative id): the object cannot exist, so the answer is 404 (CONTRACT section 6)."""
    extra = exc.extra
    return isinstance(extra, list) and any(isinstance(i, dict) and i.get("source") == "path" for i in extra)
def unavailable_response(request: Request[Any, Any, Any]) -> Response[Any]:
    """The database is unreachable (CONTRACT section 6): 503 with `Retry-After` — JSON for
    /api, an empty body for an htmx fragment (static/js/resilience.js keeps the last
    content and shows a retry note), a short page otherwise."""
    headers = {"Retry-After": str(RETRY_AFTER_SECONDS), "Cache-Control": "no-store"}
    if is_api(request):
        return Response(
            content={"ok": False, "error": "database unavailable"},
            status_code=503,
            media_type=MediaType.JSON,
            headers=headers,
        )
    if is_htmx(request):
        return Response(content="", status_code=503, media_type=MediaType.TEXT, headers=headers)
    try:
        response = page(request, "pages/unavailable.html.j2", status_code=503)
    except Exception:  # pragma: no cover - never fail while failing
        return Response(content="Temporarily unavailable", status_code=503, media_type=MediaType.TEXT, headers=headers)
    response.headers.update(headers)
    return response


def error_response(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """The one exception handler: JSON for /api, a redirect or an error page for HTML."""
    if not isinstance(exc, HTTPException | AppError) and is_database_unavailable(exc):
        log.warning("database unavailable on %s %s: %r", request.method, request.url.path, exc)
        return unavailable_response(request)
    if isinstance(exc, AppError):
        status, message = exc.status_code, exc.text
    elif isinstance(exc, ValidationException) and _bad_path_parameter(exc):
        status, message = 404, "not found"
    elif isinstance(exc, ValidationException):
        status, message = 400, _validation_message(exc)
    elif isinstance(exc, NotAuthorizedException):
        status, message = 401, "authentication required"
    elif isinstance(exc, PermissionDeniedException):
        status, message = 403, str(exc.detail or "forbidden")
    elif isinstance(exc, NotFoundException):
        status, message = 404, "not found"
    elif isinstance(exc, HTTPException):
        status, message = exc.status_code, str(exc.detail or "request failed")
    else:
        log.exception("unexpected error on %s %s", request.method, request.url.path, exc_info=exc)
        status, message = 500, "internal server error"

    if is_api(request):
        headers = getattr(exc, "headers", None) or None
        return Response(
            content={"ok": False, "error": message},
            status_code=status,
            media_type=MediaType.JSON,
            headers=headers,
        )
    if status == 401:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        if is_htmx(request):
            # A fragment poll: come back to the page the user was on, not to the bare fragment.
            current = urlsplit(request.headers.get("hx-current-url", ""))
            if current.path.startswith("/") and not current.path.startswith("//"):
                target = current.path + (f"?{current.query}" if current.query else "")
        location = f"/login?next={quote(target, safe='')}"
        if is_htmx(request):
            return Response(content="", status_code=200, headers={"HX-Redirect": location})
        return Redirect(path=location, status_code=HTTP_303_SEE_OTHER)
    try:
        return page(request, "pages/error.html.j2", status_code=status, status=status, message=message)
    except Exception:  # pragma: no cover - never fail while failing
        return Response(content=message, status_code=status, media_type=MediaType.TEXT)
