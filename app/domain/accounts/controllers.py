"""Account pages (login, register, logout, settings) and the token and /me API."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, delete, get, patch, post
from litestar.di import NamedDependency
from litestar.params import FromQuery, JSONBody
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import ApiToken, User
from app.domain.accounts import account, login, sessions, signup, tokens, user_settings
from app.domain.accounts.account_pages import sentence
from app.domain.accounts.auth import session_token
from app.domain.accounts.layout import load_layout, settings_context
from app.domain.accounts.schemas import (
    AccountDelete,
    CurrentUser,
    MeOut,
    MeUpdate,
    TokenCreate,
    TokenCreated,
    TokenOut,
)
from app.domain.accounts.validation import normalize_email
from app.lib.bounds import PathId
from app.lib.csrf import CSRF_COOKIE, SESSION_COOKIE, settings_of
from app.lib.errors import AppError, NotFoundError
from app.lib.htmx import page, safe_target, see_other, set_csrf_cookie
from app.lib.signing import session_csrf_token, sign, unsign
from app.lib.time import all_timezones

SIGNUP_COOKIE = "momentum_signup"
"""The email just signed up with, signed, for the login form to prefill (10 minutes)."""
SIGNUP_LABELS = {
    "email": "Email",
    "password": "Password",
    "password_confirm": "Repeated password",
    "timezone": "Time zone",
    "standard_hours_per_day": "Standard hours per day",
}
CurrentUserDep = NamedDependency[CurrentUser]
DB = NamedDependency[AsyncSession]


def client_ip(request: Request[Any, Any, Any]) -> str:
    return request.client.host if request.client else "unknown"


def _form_str(form: Any, key: str, default: str = "") -> str:
    value = form.get(key, default)
    return value if isinstance(value, str) else default


def _login_cookie(request: Request[Any, Any, Any], response: Response[Any], raw: str) -> None:
    settings = settings_of(request)
    response.set_cookie(
        SESSION_COOKIE,
        sign(settings.secret_key, raw),
        httponly=True,
        samesite="lax",
        secure=not settings.dev,
        path="/",
        max_age=int(sessions.SESSION_TTL.total_seconds()),
    )
    # A new session, a new CSRF token (CONTRACT section 6): the old one is worthless now.
    set_csrf_cookie(request, response, session_csrf_token(settings.secret_key, raw))


def me_out(user: User | CurrentUser, default_zone: str) -> MeOut:
    return MeOut(
        id=user.id,
        email=user.email,
        timezone=user.timezone,
        effective_timezone=user.timezone or default_zone,
        standard_hours_per_day=user.standard_hours_per_day,
        working_days=list(user.working_days),
        streak_min_minutes=user.streak_min_minutes or 0,
        streak_skip_non_working=bool(user.streak_skip_non_working),
        refuse_overlaps=bool(user.refuse_overlaps),
    )


def token_out(token: ApiToken) -> TokenOut:
    return TokenOut(
        id=token.id,
        name=token.name,
        created_at=token.created_at.isoformat(),
        last_used_at=token.last_used_at.isoformat() if token.last_used_at else None,
    )


async def after_settings_change(db: AsyncSession, user: User, zone_changed: bool, default_zone: str) -> None:
    """Nothing left to do after the committed unit of work: it moved the data version, and
    credentials and settings are read from the database on every request."""
    del db, user, zone_changed, default_zone


class AuthPagesController(Controller):
    include_in_schema = False

    @get("/login", name="accounts:login")
    async def login_page(
        self,
        request: Request[Any, Any, Any],
        next: FromQuery[str | None] = None,  # noqa: A002
        registered: FromQuery[str | None] = None,
    ) -> Template:
        signed = request.cookies.get(SIGNUP_COOKIE)
        email = unsign(settings_of(request).secret_key, signed) if signed else None
        response = page(
            request,
            "pages/login.html.j2",
            next=safe_target(next),
            errors={},
            form={"email": email or ""},
            registered=registered == "1",
        )
        if signed:
            response.delete_cookie(SIGNUP_COOKIE, path="/login")
        return response

    @post("/login", name="accounts:login-submit")
    async def login_submit(self, request: Request[Any, Any, Any], db_session: DB) -> Response[Any]:
        form = await request.form()
        email = _form_str(form, "email")
        target = safe_target(_form_str(form, "next"))
        try:
            user = await login.authenticate(db_session, email, _form_str(form, "password"), client_ip(request))
        except AppError as exc:
            return page(
                request,
                "pages/login.html.j2",
                status_code=exc.status_code if exc.status_code == 429 else 422,
                next=target,
                errors={"form": exc.message},
                form={"email": email},
            )
        # A fresh session id on every login (no fixation).
        old = session_token(request)
        if old:
            await sessions.end_session(db_session, old)
        raw = await sessions.create_session(db_session, user.id, request.headers.get("user-agent"))
        response = see_other(target)
        _login_cookie(request, response, raw)
        return response

    @get("/register", name="accounts:register")
    async def register_page(self, request: Request[Any, Any, Any]) -> Template:
        return page(
            request,
            "pages/register.html.j2",
            errors={},
            form={"timezone": settings_of(request).timezone, "standard_hours_per_day": "8"},
            timezones=all_timezones(),
        )

    @post("/register", name="accounts:register-submit")
    async def register_submit(self, request: Request[Any, Any, Any], db_session: DB) -> Response[Any]:
        settings = settings_of(request)
        form = await request.form()
        values = {k: _form_str(form, k) for k in ("email", "timezone", "standard_hours_per_day")}
        if not settings.allow_signup:
            return page(
                request,
                "pages/register.html.j2",
                status_code=403,
                errors={"form": "Sign-up is switched off."},
                form=values,
                timezones=all_timezones(),
            )
        try:
            await signup.check_signup_rate(client_ip(request))
        except AppError as exc:
            return page(
                request,
                "pages/register.html.j2",
                status_code=exc.status_code,
                errors={"form": exc.message},
                form=values,
                timezones=all_timezones(),
            )
        # Every problem at once, each next to its field and in the summary (not one per try).
        errors = signup.signup_errors(
            values["email"],
            _form_str(form, "password"),
            _form_str(form, "password_confirm"),
            values["timezone"] or None,
            values["standard_hours_per_day"],
        )
        if not errors:
            try:
                await signup.sign_up(
                    db_session,
                    email=values["email"],
                    password=_form_str(form, "password"),
                    timezone=values["timezone"] or None,
                    standard_hours_per_day=float(values["standard_hours_per_day"] or "8"),
                )
            except AppError as exc:
                errors = {exc.field or "form": exc.message}
        if errors:
            return page(
                request,
                "pages/register.html.j2",
                status_code=422,
                errors=errors,
                summary=[
                    (name, sentence(name, message, SIGNUP_LABELS)) for name, message in errors.items() if name != "form"
                ],
                form=values,
                timezones=all_timezones(),
            )
        # The same answer whether the email was new or already had an account (no
        # enumeration; docs/setup.md, "Sign-up"): on to the login form, email filled in.
        response = see_other("/login?registered=1")
        response.set_cookie(
            SIGNUP_COOKIE,
            sign(settings.secret_key, normalize_email(values["email"])),
            httponly=True,
            samesite="lax",
            secure=not settings.dev,
            path="/login",
            max_age=600,
        )
        return response

    @post("/logout", name="accounts:logout")
    async def logout(self, request: Request[Any, Any, Any], db_session: DB) -> Redirect:
        raw = session_token(request)
        if raw:
            await sessions.end_session(db_session, raw)
        response = see_other("/login")
        response.delete_cookie(SESSION_COOKIE, path="/")
        response.delete_cookie(CSRF_COOKIE, path="/")  # the next visitor of this browser starts afresh
        return response


class SettingsPageController(Controller):
    include_in_schema = False
    path = "/settings"

    @get("/", name="accounts:settings")
    async def settings_page(
        self, request: Request[Any, Any, Any], current_user: CurrentUserDep, db_session: DB
    ) -> Template:
        response = self._render(request, current_user, {}, None)
        # The "Dashboard layout" section (app/domain/accounts/layout_api.py).
        response.context.update(settings_context(await load_layout(db_session, current_user.id)))
        return response

    def _render(
        self,
        request: Request[Any, Any, Any],
        user: CurrentUser,
        errors: dict[str, str],
        form: dict[str, Any] | None,
        status_code: int = 200,
        saved: bool = False,
    ) -> Template:
        values = form or {
            "timezone": user.timezone or "",
            "standard_hours_per_day": f"{user.standard_hours_per_day:g}",
            "working_days": list(user.working_days),
            "streak_min_minutes": str(user.streak_min_minutes),
            "streak_skip_non_working": user.streak_skip_non_working,
            "refuse_overlaps": user.refuse_overlaps,
        }
        return page(
            request,
            "pages/settings.html.j2",
            status_code=status_code,
            errors=errors,
            form=values,
            timezones=all_timezones(),
            app_timezone=settings_of(request).timezone,
            saved=saved,
            weekdays=[
                (1, "Monday"),
                (2, "Tuesday"),
                (3, "Wednesday"),
                (4, "Thursday"),
                (5, "Friday"),
                (6, "Saturday"),
                (7, "Sunday"),
            ],
        )

    @post("/", name="accounts:settings-submit")
    async def settings_submit(
        self, request: Request[Any, Any, Any], current_user: CurrentUserDep, db_session: DB
    ) -> Response[Any]:
        form = await request.form()
        values: dict[str, Any] = {
            "timezone": _form_str(form, "timezone"),
            "standard_hours_per_day": _form_str(form, "standard_hours_per_day"),
            "working_days": [int(d) for d in form.getall("working_days", []) if str(d).isdigit()],
            "streak_min_minutes": _form_str(form, "streak_min_minutes", "0"),
            "streak_skip_non_working": _form_str(form, "streak_skip_non_working") in {"on", "true", "1"},
            "refuse_overlaps": _form_str(form, "refuse_overlaps") in {"on", "true", "1"},
        }
        try:
            try:
                hours = float(values["standard_hours_per_day"])
            except ValueError as exc:
                raise AppError("must be a number", field="standard_hours_per_day") from exc
            try:
                streak_min = int(values["streak_min_minutes"] or "0")
            except ValueError as exc:
                raise AppError("must be a whole number of minutes", field="streak_min_minutes") from exc
            user, zone_changed = await user_settings.update_settings(
                db_session,
                current_user.id,
                timezone=values["timezone"] or None,
                standard_hours_per_day=hours,
                working_days=values["working_days"],
                streak_min_minutes=streak_min,
                streak_skip_non_working=values["streak_skip_non_working"],
                refuse_overlaps=values["refuse_overlaps"],
            )
        except AppError as exc:
            response = self._render(request, current_user, {exc.field or "form": exc.message}, values, 422)
            response.context.update(settings_context(await load_layout(db_session, current_user.id)))
            return response
        await after_settings_change(db_session, user, zone_changed, settings_of(request).timezone)
        return see_other("/settings?saved=1")


class AccountsApiController(Controller):
    path = "/api"
    tags = ["accounts"]

    @post(
        "/auth/tokens",
        status_code=201,
        summary="Create an API token from email and password",
        opt={"errors": (401, 429)},  # wrong password; rate limits (CONTRACT section 3)
    )
    async def create_token(
        self, request: Request[Any, Any, Any], data: JSONBody[TokenCreate], db_session: DB
    ) -> TokenCreated:
        user = await login.authenticate(db_session, data.email, data.password, client_ip(request))
        token, raw = await tokens.create_token(db_session, user.id, data.name)
        return TokenCreated(id=token.id, name=token.name, token=raw, created_at=token.created_at.isoformat())

    @get("/auth/tokens", summary="List your API tokens (without secrets)")
    async def list_tokens(self, current_user: CurrentUserDep, db_session: DB) -> list[TokenOut]:
        return [token_out(t) for t in await tokens.list_tokens(db_session, current_user.id)]

    @delete("/auth/tokens/{token_id:int}", status_code=204, summary="Revoke an API token")
    async def delete_token(self, token_id: PathId, current_user: CurrentUserDep, db_session: DB) -> None:
        if not await tokens.delete_token(db_session, current_user.id, token_id):
            raise NotFoundError("token")

    @get("/me", summary="Your settings")
    async def get_me(self, request: Request[Any, Any, Any], current_user: CurrentUserDep) -> MeOut:
        return me_out(current_user, settings_of(request).timezone)

    @patch("/me", summary="Change your settings")
    async def patch_me(
        self, request: Request[Any, Any, Any], data: JSONBody[MeUpdate], current_user: CurrentUserDep, db_session: DB
    ) -> MeOut:
        user, zone_changed = await user_settings.update_settings(
            db_session,
            current_user.id,
            timezone=data.timezone,
            standard_hours_per_day=data.standard_hours_per_day,
            working_days=data.working_days,
            streak_min_minutes=data.streak_min_minutes,
            streak_skip_non_working=data.streak_skip_non_working,
            refuse_overlaps=data.refuse_overlaps,
        )
        await after_settings_change(db_session, user, zone_changed, settings_of(request).timezone)
        return me_out(user, settings_of(request).timezone)

    @delete(
        "/me",
        status_code=204,
        summary="Delete your account and every row it owns (download /api/export/backup.json first)",
        opt={"errors": (429,)},  # a wrong password counts like a failed login
    )
    async def delete_me(
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[AccountDelete],
        current_user: CurrentUserDep,
        db_session: DB,
    ) -> None:
        await account.delete_account(
            db_session, current_user.id, current_user.email, password=data.password, client_ip=client_ip(request)
        )
