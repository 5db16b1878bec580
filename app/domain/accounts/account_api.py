"""The account API: password and sessions (docs/api.md, "Your account").

API tokens keep their routes under /api/auth/tokens (CONTRACT section 3); `DELETE /api/me`
sits with `GET/PATCH /api/me` in controllers.py (one route, one controller)."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, delete, get, post
from litestar.di import NamedDependency
from litestar.params import JSONBody
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import UserSession
from app.domain.accounts import account
from app.domain.accounts.auth import session_token
from app.domain.accounts.hashing import sha256
from app.domain.accounts.schemas import (
    CurrentUser,
    PasswordChange,
    PasswordChanged,
    SessionOut,
    SessionsEnded,
)
from app.lib.bounds import PathId
from app.lib.csrf import bearer_token
from app.lib.errors import NotFoundError

CurrentUserDep = NamedDependency[CurrentUser]
DB = NamedDependency[AsyncSession]


def client_ip(request: Request[Any, Any, Any]) -> str:
    return request.client.host if request.client else "unknown"


def own_session(request: Request[Any, Any, Any]) -> str | None:
    """The session id this request is signed in with (None for a bearer token)."""
    return None if bearer_token(request) is not None else session_token(request)


def session_out(row: UserSession, current_raw: str | None) -> SessionOut:
    return SessionOut(
        id=row.id,
        created_at=row.created_at.isoformat(),
        last_seen_at=row.last_seen_at.isoformat() if row.last_seen_at else None,
        user_agent=row.user_agent,
        device=account.describe_agent(row.user_agent),
        current=current_raw is not None and row.token_hash == sha256(current_raw),
    )


class AccountApi(Controller):
    path = "/api/me"
    tags = ["accounts"]

    @post(
        "/password",
        status_code=200,
        summary="Change your password (every other session is signed out)",
        opt={"errors": (429,)},  # a wrong current password counts like a failed login
    )
    async def change_password(
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[PasswordChange],
        current_user: CurrentUserDep,
        db_session: DB,
    ) -> PasswordChanged:
        ended = await account.change_password(
            db_session,
            current_user.id,
            current_user.email,
            current=data.current_password,
            new=data.new_password,
            client_ip=client_ip(request),
            keep=own_session(request),
        )
        return PasswordChanged(sessions_ended=ended)

    @get("/sessions", summary="Your signed-in browser sessions")
    async def list_sessions(
        self, request: Request[Any, Any, Any], current_user: CurrentUserDep, db_session: DB
    ) -> list[SessionOut]:
        current = own_session(request)
        return [session_out(s, current) for s in await account.list_sessions(db_session, current_user.id)]

    @delete("/sessions/{session_id:int}", status_code=204, summary="Sign out one of your sessions")
    async def end_session(self, session_id: PathId, current_user: CurrentUserDep, db_session: DB) -> None:
        if not await account.end_session_by_id(db_session, current_user.id, session_id):
            raise NotFoundError("session")

    @post("/sessions/sign-out-others", status_code=200, summary="Sign out every session but this one")
    async def end_other_sessions(
        self, request: Request[Any, Any, Any], current_user: CurrentUserDep, db_session: DB
    ) -> SessionsEnded:
        ended = await account.end_other_sessions(db_session, current_user.id, own_session(request))
        return SessionsEnded(sessions_ended=ended)
