"""What every request carries before anyone knows who sent it: the app settings, the
bearer token, and the CSRF double-submit check.

Cookie-authenticated unsafe requests must carry the CSRF token (see `csrf_guard`);
token-authenticated ones need not, since a browser never attaches a bearer token on
its own. Who the caller is lives in `app/domain/accounts/auth.py`.
"""

from __future__ import annotations

import hmac
import secrets
from typing import Any

from litestar import Request
from litestar.exceptions import PermissionDeniedException

from app.settings import Settings

SESSION_COOKIE = "momentum_session"
CSRF_COOKIE = "momentum_csrf"
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "_csrf_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})


def settings_of(request: Request[Any, Any, Any]) -> Settings:
    return request.app.state.settings  # type: ignore[no-any-return]


def bearer_token(request: Request[Any, Any, Any]) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return None


def csrf_token_for(request: Request[Any, Any, Any]) -> str:
    """The token for forms and htmx headers; the matching cookie is set by `ensure_csrf_cookie`."""
    state = request.scope.setdefault("state", {})
    token = state.get("csrf_new") or request.cookies.get(CSRF_COOKIE)
    if not token:
        token = secrets.token_urlsafe(32)
        state["csrf_new"] = token
    return str(token)


def needs_csrf(request: Request[Any, Any, Any]) -> bool:
    if request.method in SAFE_METHODS or bearer_token(request) is not None:
        return False
    # Unsafe requests that can act on a session: every HTML form, and any API call
    # that carries the session cookie. An API call with neither cookie nor bearer
    # token has no ambient authority to abuse (it gets 401, or creates a token
    # from credentials it supplies itself).
    return request.cookies.get(SESSION_COOKIE) is not None or not request.url.path.startswith("/api/")


async def csrf_guard(request: Request[Any, Any, Any]) -> None:
    """before_request hook: reject unsafe cookie-authenticated requests without the token."""
    if not needs_csrf(request):
        return
    expected = request.cookies.get(CSRF_COOKIE)
    sent = request.headers.get(CSRF_HEADER)
    if sent is None and request.content_type[0] in {"application/x-www-form-urlencoded", "multipart/form-data"}:
        form = await request.form()
        value = form.get(CSRF_FIELD)
        sent = value if isinstance(value, str) else None
    if not expected or not sent or not hmac.compare_digest(expected, sent):
        raise PermissionDeniedException("CSRF token missing or invalid; reload the page and try again")
