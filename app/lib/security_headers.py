"""Security headers on every HTML response (CONTRACT section 6; docs/setup.md, "Security").

A Litestar `before_send` hook, so it sees every response the app sends: pages,
fragments, error pages and the router's own 404/405, not only matched handlers.

- HTML gets the Content-Security-Policy below (no inline script or style: every script
  and style is a file under /static), `X-Frame-Options: DENY`, `Referrer-Policy:
  same-origin`, and `Cache-Control: no-store` (a page carries the user's data and the
  CSRF token; none of it belongs in a shared or back-button cache).
- Every response gets `X-Content-Type-Options: nosniff`, and a response to a request
  that carries credentials (session cookie or bearer token) gets `Cache-Control:
  no-store`. Static files keep their own caching.
"""

from __future__ import annotations

from typing import Any

from litestar.types import Message, Scope

from app.lib.csrf import SESSION_COOKIE

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'; object-src 'none'"
)
HTML_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
)
NOSNIFF = (b"x-content-type-options", b"nosniff")
NO_STORE = (b"cache-control", b"no-store")
_OWN = frozenset({b"content-security-policy", b"x-frame-options", b"referrer-policy", b"x-content-type-options"})


def _has_credentials(scope: Any) -> bool:
    for key, value in scope.get("headers", ()):
        if key == b"authorization":
            return True
        if key == b"cookie" and SESSION_COOKIE.encode() + b"=" in value:
            return True
    return False


async def security_headers(message: Message, scope: Scope) -> None:
    """before_send hook: add the headers to the start of every HTTP response."""
    if message["type"] != "http.response.start":
        return
    raw: Any = scope
    headers: list[tuple[bytes, bytes]] = [
        (k.lower(), v) for k, v in message.get("headers", ()) if k.lower() not in _OWN
    ]
    content_type = next((v for k, v in headers if k == b"content-type"), b"")
    is_html = content_type.lower().startswith(b"text/html")
    is_static = str(raw.get("path", "")).startswith("/static/")
    headers.append(NOSNIFF)
    if is_html:
        headers.extend(HTML_HEADERS)
    if (is_html or _has_credentials(raw)) and not is_static:
        headers = [(k, v) for k, v in headers if k != b"cache-control"]
        headers.append(NO_STORE)
    message["headers"] = headers
