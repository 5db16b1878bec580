"""The notifications JSON API (CONTRACT sections 3 and 8).

`GET /api/notifications` derives what is due first (the same cheap check as the bell),
then lists. Mark read and mark all read are units of work. `GET/PATCH
/api/me/notifications` are the user's switches and tunables; `POST /api/timer/idle`
answers the page's idle prompt.
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, patch, post
from litestar.di import NamedDependency
from litestar.params import FromQuery, JSONBody
from sqlalchemy.ext.asyncio import AsyncSession

from app.domain.accounts.auth import user_zone
from app.domain.accounts.schemas import CurrentUser
from app.domain.notifications import prefs as prefs_svc
from app.domain.notifications import services as svc
from app.domain.notifications.derive import bell_state
from app.domain.notifications.idle import IdleIn, IdleResult, resolve_idle
from app.domain.notifications.prefs import NotificationSettings, NotificationSettingsPatch
from app.lib import clock
from app.lib.bounds import PathId
from app.lib.csrf import settings_of

CurrentUserDep = NamedDependency[CurrentUser]
DB = NamedDependency[AsyncSession]


def default_zone(request: Request[Any, Any, Any]) -> str:
    return settings_of(request).timezone


class NotificationsApi(Controller):
    path = "/api/notifications"
    tags = ["notifications"]

    @get("/", summary="Your notices, newest first, and the unread count")
    async def list_notices(
        self,
        request: Request[Any, Any, Any],
        current_user: CurrentUserDep,
        db_session: DB,
        limit: FromQuery[int] = svc.DEFAULT_LIMIT,
        after_id: FromQuery[int | None] = None,
    ) -> svc.NoticeList:
        state = await bell_state(db_session, current_user, default_zone(request), clock.now())
        zone = user_zone(request, current_user)
        bounded_after = after_id if after_id is not None and 0 <= after_id < 2**63 else None
        rows = await svc.list_notices(db_session, current_user.id, limit=limit, after_id=bounded_after)
        return svc.NoticeList(items=[svc.notice_out(n, zone) for n in rows], unread=state.unread)

    @post("/{notice_id:int}/read", status_code=200, summary="Mark one notice read")
    async def read_one(
        self, request: Request[Any, Any, Any], notice_id: PathId, current_user: CurrentUserDep, db_session: DB
    ) -> svc.NoticeOut:
        notice = await svc.mark_read(db_session, current_user.id, notice_id, clock.now())
        return svc.notice_out(notice, user_zone(request, current_user))

    @post("/read-all", status_code=200, summary="Mark every notice read")
    async def read_all(self, current_user: CurrentUserDep, db_session: DB) -> svc.ReadAllOut:
        marked = await svc.mark_all_read(db_session, current_user.id, clock.now())
        return svc.ReadAllOut(marked=marked, unread=0)


class NotificationSettingsApi(Controller):
    path = "/api/me/notifications"
    tags = ["notifications"]

    @get("/", summary="Your notification settings")
    async def read_settings(self, current_user: CurrentUserDep, db_session: DB) -> NotificationSettings:
        return await prefs_svc.load_settings(db_session, current_user.id)

    @patch("/", summary="Change your notification settings (422 names the field)")
    async def change_settings(
        self, data: JSONBody[NotificationSettingsPatch], current_user: CurrentUserDep, db_session: DB
    ) -> NotificationSettings:
        return await prefs_svc.update_settings(db_session, current_user.id, data.changes())


class IdleApi(Controller):
    path = "/api/timer/idle"
    tags = ["timer"]

    @post("/", status_code=200, summary="Answer the idle prompt: keep, discard_continue or discard_stop")
    async def idle(
        self, request: Request[Any, Any, Any], data: JSONBody[IdleIn], current_user: CurrentUserDep, db_session: DB
    ) -> IdleResult:
        return await resolve_idle(
            db_session,
            current_user,
            user_zone(request, current_user),
            idle_since=data.idle_since,
            action=data.action,
            now=clock.now(),
        )
