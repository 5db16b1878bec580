"""What every request carries before anyone knows who sent it: the app settings, the
bearer token, and the CSRF check.

Cookie-authenticated unsafe requests must carry the CSRF token (see `csrf_guard`);
token-authenticated ones need not, since a browser never attaches a bearer token on
its own. Who the caller is lives in `app/domain/accounts/auth.py`.

The token (CONTRACT section 6, docs/setup.md "Security"): with a signed session cookie
it is an HMAC of the session id (`session_csrf_token`), so it is bound to the session
and changes at every login; before login (the login and register forms) it is a random
double-submit token kept in the `momentum_csrf` cookie. The cookie always holds the
token the pages carry, so a script can read it after signing in.
"""

from __future__ import annotations

import hmac
import secrets
from typing import Any

from litestar import Request
from litestar.exceptions import PermissionDeniedException

from app.lib.signing import session_csrf_token, unsign
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


def session_id_of(request: Request[Any, Any, Any]) -> str | None:
    """The session id from a correctly signed session cookie (valid or not in the database)."""
    raw = request.cookies.get(SESSION_COOKIE)
    if not raw:
        return None
    return unsign(settings_of(request).secret_key, raw)


def expected_csrf_token(request: Request[Any, Any, Any]) -> str | None:
    """The token this request must carry: bound to its session, else its anonymous cookie."""
    session_id = session_id_of(request)
    if session_id is not None:
        return session_csrf_token(settings_of(request).secret_key, session_id)
    return request.cookies.get(CSRF_COOKIE) or None


def csrf_token_for(request: Request[Any, Any, Any]) -> str:
    """The token for forms and htmx headers; the matching cookie is set by `set_csrf_cookie`."""
    state = request.scope.setdefault("state", {})
    token = state.get("csrf_new") or expected_csrf_token(request)
    if not token:
        token = secrets.token_urlsafe(32)
    if token != request.cookies.get(CSRF_COOKIE):
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
    expected = expected_csrf_token(request)
    sent = request.headers.get(CSRF_HEADER)
    if sent is None and request.content_type[0] in {"application/x-www-form-urlencoded", "multipart/form-data"}:
        form = await request.form()
        value = form.get(CSRF_FIELD)
        sent = value if isinstance(value, str) else None
    if not expected or not sent or not hmac.compare_digest(expected, sent):
        raise PermissionDeniedException("CSRF token missing or invalid; reload the page and try again")
