"""Who is calling: the session cookie (browser) or `Authorization: Bearer` (scripts).

`provide_user` is the dependency every protected handler asks for by name
(`current_user`). The CSRF check, which needs no user, is `app/lib/csrf.py`.
"""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.exceptions import NotAuthorizedException

from app.domain.accounts.hashing import sha256
from app.domain.accounts.schemas import CurrentUser
from app.domain.accounts.token_usage import note_token_use
from app.domain.accounts.user_lookup import user_for_credential
from app.lib.csrf import SESSION_COOKIE, bearer_token, settings_of
from app.lib.signing import unsign

_STATE_KEY = "momentum_user"


def user_zone(request: Request[Any, Any, Any], user: CurrentUser) -> str:
    """The zone every figure of this user is counted in: User.timezone, else MOMENTUM_TIMEZONE."""
    return user.zone_name(settings_of(request).timezone)


def session_token(request: Request[Any, Any, Any]) -> str | None:
    raw = request.cookies.get(SESSION_COOKIE)
    if not raw:
        return None
    return unsign(settings_of(request).secret_key, raw)


async def resolve_user(request: Request[Any, Any, Any]) -> CurrentUser | None:
    """The caller, or None. Memoised on the request; no database session on a cache hit."""
    state = request.scope.setdefault("state", {})
    if _STATE_KEY in state:
        return state[_STATE_KEY]  # type: ignore[no-any-return]
    user: CurrentUser | None = None
    maker = request.app.state["sessionmaker"]
    fast = request.app.state.get("credential_reader")
    token = bearer_token(request)
    if token is not None:
        user = await user_for_credential("t", token, maker, fast)
        if user is not None:
            note_token_use(sha256(token), maker)
    else:
        raw = session_token(request)
        if raw is not None:
            user = await user_for_credential("s", raw, maker, fast)
            if user is not None:
                note_token_use(sha256(raw), maker, "s")  # last seen, once a minute
    state[_STATE_KEY] = user
    return user


async def provide_user(request: Request[Any, Any, Any]) -> CurrentUser:
    user = await resolve_user(request)
    if user is None:
        raise NotAuthorizedException("authentication required")
    return user
