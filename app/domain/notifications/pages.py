"""Notification pages: the bell fragment, `/notifications`, the long-timer actions and the
settings section — every one a plain form or link that works without JavaScript."""

from __future__ import annotations

import contextlib
import math
from datetime import datetime, timedelta
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.connection import ASGIConnection
from litestar.di import NamedDependency
from litestar.handlers.base import BaseRouteHandler
from litestar.response import Template
from sqlalchemy.ext.asyncio import AsyncSession

from app.domain.accounts.auth import resolve_user, user_zone
from app.domain.accounts.schemas import CurrentUser
from app.domain.notifications import prefs as prefs_svc
from app.domain.notifications import services as svc
from app.domain.notifications.derive import BellState, bell_state
from app.domain.notifications.idle import stop_running
from app.domain.notifications.prefs import KIND_LABELS, KINDS, NotificationSettings
from app.domain.tracking import timer as timer_svc
from app.domain.tracking.pages import form_str, parse_local_datetime
from app.lib import clock
from app.lib.bounds import PathId
from app.lib.csrf import settings_of
from app.lib.errors import AppError
from app.lib.htmx import page, safe_target, see_other
from app.lib.time import get_zone_or_utc

CurrentUserDep = NamedDependency[CurrentUser]
DB = NamedDependency[AsyncSession]

POLL_RUNNING = 60  # seconds, like the fragments (CONTRACT section 5)
POLL_IDLE = 300
MIN_POLL = 5
PAGE_SIZE = 100
SETTINGS_STATE_KEY = "momentum_notification_settings"
_FORM_FIELDS = ("long_timer_hours", "reminder_time", "summary_time", "idle_minutes")


def _default_zone(request: Request[Any, Any, Any]) -> str:
    return settings_of(request).timezone


async def settings_section_guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    """Load the notification settings for the Settings page's section (templates/pages/
    settings.html.j2 includes it; the accounts area that renders the page cannot import
    this one). Runs only on `/settings`; one query."""
    if connection.url.path.rstrip("/") != "/settings":
        return
    request: Request[Any, Any, Any] = connection  # type: ignore[assignment]
    user = await resolve_user(request)
    if user is None:
        return
    async with request.app.state["sessionmaker"]() as db:
        values = await prefs_svc.load_settings(db, user.id)
    connection.scope.setdefault("state", {})[SETTINGS_STATE_KEY] = _settings_form(values)


def bell_poll_seconds(state: BellState, now: datetime) -> int:
    """Like the fragments: 60 s while a timer runs, else 5 minutes — but never later than the
    next moment a time-based notice can become due, so it shows within seconds of it."""
    base = POLL_RUNNING if state.timer_start is not None else POLL_IDLE
    if state.next_check_at is None:
        return base
    until = math.ceil((state.next_check_at - now).total_seconds()) + 1
    return max(MIN_POLL, min(base, until))


def _settings_form(values: NotificationSettings) -> dict[str, Any]:
    return {f: getattr(values, f) for f in NotificationSettings.__struct_fields__}


class NotificationPages(Controller):
    include_in_schema = False

    @get("/notifications/bell", name="notifications:bell")
    async def bell(self, request: Request[Any, Any, Any], current_user: CurrentUserDep, db_session: DB) -> Template:
        now = clock.now()
        state = await bell_state(db_session, current_user, _default_zone(request), now)
        response = page(
            request,
            "partials/notifications/bell.html.j2",
            bell=state,
            poll_seconds=bell_poll_seconds(state, now),
        )
        response.headers["Cache-Control"] = "no-store"
        return response

    @get("/notifications", name="notifications:page")
    async def notifications_page(
        self, request: Request[Any, Any, Any], current_user: CurrentUserDep, db_session: DB
    ) -> Template:
        return await self._render(request, current_user, db_session)

    async def _render(
        self,
        request: Request[Any, Any, Any],
        user: CurrentUser,
        db: AsyncSession,
        errors: dict[str, str] | None = None,
        status_code: int = 200,
    ) -> Template:
        now = clock.now()
        state = await bell_state(db, user, _default_zone(request), now)
        zone_name = user_zone(request, user)
        zone = get_zone_or_utc(zone_name)
        rows = await svc.list_notices(db, user.id, limit=PAGE_SIZE)
        running = await timer_svc.running_entry(db, user.id)
        stop_at = None
        if running is not None:
            line = running.start_time + timedelta(hours=state.settings.long_timer_hours)
            stop_at = min(line, now).astimezone(zone).strftime("%Y-%m-%dT%H:%M")
        return page(
            request,
            "pages/notifications.html.j2",
            status_code=status_code,
            notices=[(n, n.created_at.astimezone(zone)) for n in rows],
            unread=state.unread,
            running_id=running.id if running is not None else None,
            stop_at=stop_at,
            labels=KIND_LABELS,
            errors=errors or {},
            done=request.query_params.get("done", ""),
        )

    @post("/notifications/{notice_id:int}/read", name="notifications:read")
    async def read_one(
        self, request: Request[Any, Any, Any], notice_id: PathId, current_user: CurrentUserDep, db_session: DB
    ) -> Response[Any]:
        form = await request.form()
        await svc.mark_read(db_session, current_user.id, notice_id, clock.now())
        return see_other(safe_target(form_str(form, "next"), "/notifications"))

    @post("/notifications/read-all", name="notifications:read-all")
    async def read_all(
        self, request: Request[Any, Any, Any], current_user: CurrentUserDep, db_session: DB
    ) -> Response[Any]:
        form = await request.form()
        await svc.mark_all_read(db_session, current_user.id, clock.now())
        return see_other(safe_target(form_str(form, "next"), "/notifications?done=all-read"))

    @post("/notifications/timer/{entry_id:int}/stop", name="notifications:timer-stop")
    async def timer_stop(
        self, request: Request[Any, Any, Any], entry_id: PathId, current_user: CurrentUserDep, db_session: DB
    ) -> Response[Any]:
        """The long-timer notice's "stop now" (no `end_time`) and "stop at <time>" (a local time)."""
        form = await request.form()
        zone_name = user_zone(request, current_user)
        try:
            raw = form_str(form, "end_time")
            end = parse_local_datetime(raw, zone_name, "end_time") if raw else None
            await stop_running(db_session, current_user, zone_name, entry_id=entry_id, end=end)
        except AppError as exc:
            if exc.status_code == 409:
                return see_other("/notifications?done=not-running")
            return await self._render(
                request, current_user, db_session, errors={exc.field or "form": exc.message}, status_code=422
            )
        notice_id = form_str(form, "notice_id")
        if notice_id.isdigit() and 0 < int(notice_id) < 2**63:
            with contextlib.suppress(AppError):
                await svc.mark_read(db_session, current_user.id, int(notice_id), clock.now())
        return see_other("/notifications?done=stopped")

    @get("/settings/notifications", name="notifications:settings")
    async def settings_page(
        self, request: Request[Any, Any, Any], current_user: CurrentUserDep, db_session: DB
    ) -> Template:
        values = await prefs_svc.load_settings(db_session, current_user.id)
        return page(
            request,
            "pages/notification_settings.html.j2",
            ns_form=_settings_form(values),
            ns_errors={},
            kinds=KINDS,
            labels=KIND_LABELS,
            saved=bool(request.query_params.get("saved")),
        )

    @post("/settings/notifications", name="notifications:settings-submit")
    async def settings_submit(
        self, request: Request[Any, Any, Any], current_user: CurrentUserDep, db_session: DB
    ) -> Response[Any]:
        form = await request.form()
        changes: dict[str, Any] = {kind: form_str(form, kind) in {"on", "true", "1"} for kind in KINDS}
        changes["email"] = form_str(form, "email") in {"on", "true", "1"}
        raw = {field: form_str(form, field) for field in _FORM_FIELDS}
        try:
            for field in ("long_timer_hours", "idle_minutes"):
                try:
                    changes[field] = float(raw[field]) if field == "long_timer_hours" else int(raw[field])
                except ValueError as exc:
                    raise prefs_svc.UnprocessableError("must be a number", field=field) from exc
            changes["reminder_time"] = raw["reminder_time"]
            changes["summary_time"] = raw["summary_time"]
            await prefs_svc.update_settings(db_session, current_user.id, changes)
        except AppError as exc:
            return page(
                request,
                "pages/notification_settings.html.j2",
                status_code=422,
                ns_form={**changes, **raw},
                ns_errors={exc.field or "form": exc.message},
                kinds=KINDS,
                labels=KIND_LABELS,
                saved=False,
            )
        return see_other(safe_target(form_str(form, "next"), "/settings/notifications?saved=1"))
