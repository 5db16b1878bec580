"""The /account page: password, API tokens, sessions, export and delete (docs/setup.md,
"Your account"). Plain HTML forms (CSRF like every form); success answers 303 back to
the page with a short note, an error re-renders it with the message next to its field
(422). A new API token is shown once, on the page that answers its form."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromQuery
from litestar.response import Template
from sqlalchemy.ext.asyncio import AsyncSession

from app.domain.accounts import account
from app.domain.accounts import tokens as token_svc
from app.domain.accounts.account_api import client_ip, own_session
from app.domain.accounts.auth import user_zone
from app.domain.accounts.hashing import sha256
from app.domain.accounts.schemas import CurrentUser
from app.lib.bounds import PathId
from app.lib.csrf import CSRF_COOKIE, SESSION_COOKIE
from app.lib.errors import AppError, NotFoundError, ValidationError
from app.lib.htmx import page, see_other

CurrentUserDep = NamedDependency[CurrentUser]
DB = NamedDependency[AsyncSession]

LABELS = {
    "current_password": "Current password",
    "new_password": "New password",
    "new_password_confirm": "Repeated new password",
    "token_name": "Token name",
    "delete_password": "Password",
}
NOTES = {
    "password": "Password changed.",
    "token-revoked": "Token revoked: scripts using it are refused from now on.",
    "session-ended": "That session is signed out.",
    "others-ended": "Every other session is signed out.",
}


def _form_str(form: Any, key: str) -> str:
    value = form.get(key, "")
    return value if isinstance(value, str) else ""


def sentence(field: str | None, message: str, labels: dict[str, str] = LABELS) -> str:
    """An error in user wording, naming its field: "New password must be at least 8
    characters.", "Repeated password: the two passwords differ."."""
    label = labels.get(field or "")
    if not label:
        text = message[:1].upper() + message[1:]
    elif message.startswith(("must ", "is ", "differs ", "does ")):
        text = f"{label} {message}"
    else:
        text = f"{label}: {message}"
    return text if text.endswith((".", "?", "!")) else text + "."


class AccountPages(Controller):
    include_in_schema = False
    path = "/account"

    async def _render(
        self,
        request: Request[Any, Any, Any],
        user: CurrentUser,
        db: AsyncSession,
        *,
        errors: dict[str, str] | None = None,
        status_code: int = 200,
        new_token: tuple[str, str] | None = None,
        note: str | None = None,
        token_name: str = "",
    ) -> Template:
        zone = ZoneInfo(user_zone(request, user))
        current = own_session(request)
        current_digest = sha256(current) if current else None

        def local(value: datetime | None) -> str:
            return value.astimezone(zone).strftime("%Y-%m-%d %H:%M") if value else "never"

        tokens = [
            {"id": t.id, "name": t.name, "created": local(t.created_at), "last_used": local(t.last_used_at)}
            for t in await token_svc.list_tokens(db, user.id)
        ]
        sessions = [
            {
                "id": s.id,
                "device": account.describe_agent(s.user_agent),
                "agent": s.user_agent or "",
                "created": local(s.created_at),
                "last_seen": local(s.last_seen_at),
                "current": s.token_hash == current_digest,
            }
            for s in await account.list_sessions(db, user.id)
        ]
        return page(
            request,
            "pages/account.html.j2",
            status_code=status_code,
            errors=errors or {},
            tokens=tokens,
            sessions=sessions,
            new_token=new_token,
            note=note,
            token_name=token_name,
            zone_name=zone.key,
        )

    @get("/", name="accounts:account")
    async def account_page(
        self,
        request: Request[Any, Any, Any],
        current_user: CurrentUserDep,
        db_session: DB,
        done: FromQuery[str | None] = None,
        ended: FromQuery[int | None] = None,
    ) -> Template:
        note = NOTES.get(done or "")
        if note and done in {"password", "others-ended"} and ended is not None and 0 <= ended < 100_000:
            note = (
                f"{'Password changed. ' if done == 'password' else ''}{ended} other session"
                + ("s" if ended != 1 else "")
                + " signed out."
            )
        return await self._render(request, current_user, db_session, note=note)

    async def _error(
        self, request: Request[Any, Any, Any], user: CurrentUser, db: AsyncSession, exc: AppError, **kwargs: Any
    ) -> Template:
        if exc.status_code in {409, 429}:  # not the form's fault: said above the forms
            return await self._render(
                request, user, db, errors={"form": sentence(None, exc.message)}, status_code=exc.status_code, **kwargs
            )
        key = exc.field or "form"
        return await self._render(
            request, user, db, errors={key: sentence(exc.field, exc.message)}, status_code=422, **kwargs
        )

    @post("/password", name="accounts:account-password")
    async def change_password(
        self, request: Request[Any, Any, Any], current_user: CurrentUserDep, db_session: DB
    ) -> Response[Any]:
        form = await request.form()
        new = _form_str(form, "new_password")
        try:
            if new != _form_str(form, "new_password_confirm"):
                raise ValidationError("differs from the new password", field="new_password_confirm")
            ended = await account.change_password(
                db_session,
                current_user.id,
                current_user.email,
                current=_form_str(form, "current_password"),
                new=new,
                client_ip=client_ip(request),
                keep=own_session(request),
            )
        except AppError as exc:
            return await self._error(request, current_user, db_session, exc)
        return see_other(f"/account?done=password&ended={ended}")

    @post("/tokens", name="accounts:account-token-create")
    async def create_token(
        self, request: Request[Any, Any, Any], current_user: CurrentUserDep, db_session: DB
    ) -> Response[Any]:
        form = await request.form()
        name = _form_str(form, "token_name")
        try:
            try:
                token, raw = await token_svc.create_token(db_session, current_user.id, name)
            except ValidationError as exc:
                raise ValidationError(exc.message, field="token_name") from exc
        except AppError as exc:
            return await self._error(request, current_user, db_session, exc, token_name=name)
        return await self._render(request, current_user, db_session, status_code=201, new_token=(token.name, raw))

    @post("/tokens/{token_id:int}/delete", name="accounts:account-token-delete")
    async def revoke_token(self, token_id: PathId, current_user: CurrentUserDep, db_session: DB) -> Response[Any]:
        if not await token_svc.delete_token(db_session, current_user.id, token_id):
            raise NotFoundError("token")
        return see_other("/account?done=token-revoked")

    @post("/sessions/{session_id:int}/delete", name="accounts:account-session-delete")
    async def end_session(self, session_id: PathId, current_user: CurrentUserDep, db_session: DB) -> Response[Any]:
        if not await account.end_session_by_id(db_session, current_user.id, session_id):
            raise NotFoundError("session")
        # Ending the session in use signs this browser out: /account then asks to sign in.
        return see_other("/account?done=session-ended")

    @post("/sessions/others", name="accounts:account-sessions-others")
    async def end_other_sessions(
        self, request: Request[Any, Any, Any], current_user: CurrentUserDep, db_session: DB
    ) -> Response[Any]:
        ended = await account.end_other_sessions(db_session, current_user.id, own_session(request))
        return see_other(f"/account?done=others-ended&ended={ended}")

    @post("/delete", name="accounts:account-delete")
    async def delete_account(
        self, request: Request[Any, Any, Any], current_user: CurrentUserDep, db_session: DB
    ) -> Response[Any]:
        form = await request.form()
        try:
            await account.delete_account(
                db_session,
                current_user.id,
                current_user.email,
                password=_form_str(form, "delete_password"),
                client_ip=client_ip(request),
            )
        except ValidationError as exc:
            if exc.field == "password":
                exc = ValidationError(exc.message, field="delete_password")
            return await self._error(request, current_user, db_session, exc)
        except AppError as exc:
            return await self._error(request, current_user, db_session, exc)
        response = see_other("/login?deleted=1")
        response.delete_cookie(SESSION_COOKIE, path="/")
        response.delete_cookie(CSRF_COOKIE, path="/")
        return response
