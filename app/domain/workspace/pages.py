"""Workspace pages and forms (CONTRACT section 7), every one working without JavaScript:
the palette page, the actions that palette items, shortcuts and the quick-actions menu
post, the theme and keyboard settings, and /favicon.ico.

Actions answer 303 to `next` (the page they were posted from). static/js/shortcuts.js
puts keyboard focus back on the timer toggle after a timer action.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromQuery
from litestar.response import Template
from sqlalchemy.ext.asyncio import AsyncSession

from app.domain.accounts.auth import user_zone
from app.domain.accounts.schemas import CurrentUser
from app.domain.tracking import timer as timer_svc
from app.domain.tracking.validation import clean_text, utcnow
from app.domain.workspace import prefs
from app.domain.workspace import services as workspace
from app.domain.workspace.palette import MAX_QUERY
from app.lib.errors import AppError, ConflictError, ValidationError
from app.lib.htmx import page, safe_target, see_other

CurrentUserDep = NamedDependency[CurrentUser]
DB = NamedDependency[AsyncSession]
FAVICON = Path(__file__).resolve().parents[3] / "static" / "favicon.ico"


def _str(form: Any, key: str) -> str:
    value = form.get(key, "")
    return value.strip() if isinstance(value, str) else ""


def _id(form: Any, key: str) -> int | None:
    value = _str(form, key)
    if not value:
        return None
    if not value.isdigit() or len(value) > 18:
        raise ValidationError("is not a valid choice", field=key)
    return int(value)


class WorkspacePages(Controller):
    include_in_schema = False

    @get("/palette", name="workspace:palette")
    async def palette_page(
        self, request: Request[Any, Any, Any], current_user: CurrentUserDep, db_session: DB,
        q: FromQuery[str] = "",
    ) -> Template:
        error = None
        if len(q) > MAX_QUERY:
            error, q = f"Type at most {MAX_QUERY} characters.", q[:MAX_QUERY]
        result = await workspace.palette(db_session, current_user, user_zone(request, current_user), q, utcnow())
        return page(request, "pages/palette.html.j2", status_code=400 if error else 200, result=result,
                    q=q, error=error)

    async def _timer_action(self, request: Request[Any, Any, Any], work: Any) -> Response[Any]:
        form = await request.form()
        target = safe_target(_str(form, "next"))
        try:
            await work(form)
        except ConflictError:
            pass  # already stopped or started in another tab: the page shows what is true now
        except AppError as exc:
            return page(request, "pages/error.html.j2", status_code=exc.status_code, status=exc.status_code,
                        message=exc.text)
        return see_other(target)

    @post("/actions/timer/start", name="workspace:timer-start")
    async def timer_start(self, request: Request[Any, Any, Any], current_user: CurrentUserDep, db_session: DB
                          ) -> Response[Any]:
        zone = user_zone(request, current_user)

        async def work(form: Any) -> None:
            await workspace.start_on(db_session, current_user, zone, project_id=_id(form, "project_id"),
                                     task_id=_id(form, "task_id"), notes=clean_text(_str(form, "notes"), "notes"))

        return await self._timer_action(request, work)

    @post("/actions/timer/stop", name="workspace:timer-stop")
    async def timer_stop(self, request: Request[Any, Any, Any], current_user: CurrentUserDep, db_session: DB
                         ) -> Response[Any]:
        zone = user_zone(request, current_user)

        async def work(form: Any) -> None:
            await timer_svc.stop_timer(db_session, current_user, zone)

        return await self._timer_action(request, work)

    @post("/actions/timer/toggle", name="workspace:timer-toggle")
    async def timer_toggle(self, request: Request[Any, Any, Any], current_user: CurrentUserDep, db_session: DB
                           ) -> Response[Any]:
        zone = user_zone(request, current_user)

        async def work(form: Any) -> None:
            await workspace.toggle(db_session, current_user, zone)

        return await self._timer_action(request, work)

    @post("/actions/continue", name="workspace:continue")
    async def continue_entry(self, request: Request[Any, Any, Any], current_user: CurrentUserDep, db_session: DB
                             ) -> Response[Any]:
        zone = user_zone(request, current_user)

        async def work(form: Any) -> None:
            await workspace.continue_entry(db_session, current_user, zone, _id(form, "entry_id"))

        return await self._timer_action(request, work)

    @post("/actions/theme", name="workspace:theme")
    async def theme(self, request: Request[Any, Any, Any], current_user: CurrentUserDep, db_session: DB
                    ) -> Response[Any]:
        form = await request.form()
        try:
            await prefs.save_theme(db_session, current_user.id, _str(form, "theme"))
        except AppError as exc:
            return self._settings(request, {exc.field or "form": exc.message}, form, 422)
        return see_other(safe_target(_str(form, "next"), "/settings?saved=1#theme"))

    @get("/settings/workspace", name="workspace:settings")
    async def settings_page(self, request: Request[Any, Any, Any], current_user: CurrentUserDep) -> Template:
        del current_user  # signed in; the page reads the user from the request
        return self._settings(request, {}, None)

    @post("/settings/keyboard", name="workspace:keyboard")
    async def keyboard(self, request: Request[Any, Any, Any], current_user: CurrentUserDep, db_session: DB
                       ) -> Response[Any]:
        form = await request.form()
        if _str(form, "reset"):
            keys: dict[str, str] = {}
            enabled = True
        else:
            keys = {action: _str(form, f"key_{action}") for action in prefs.REMAPPABLE}
            enabled = _str(form, "enabled") in {"on", "true", "1"}
        try:
            await prefs.save_shortcuts(db_session, current_user.id, enabled=enabled, keys=keys)
        except AppError as exc:
            return self._settings(request, {exc.field or "form": exc.message}, form, 422)
        return see_other(safe_target(_str(form, "next"), "/settings?saved=1#keyboard"))

    def _settings(self, request: Request[Any, Any, Any], errors: dict[str, str], form: Any,
                  status_code: int = 200) -> Template:
        values = {k: _str(form, k) for k in form} if form is not None else None
        return page(request, "pages/workspace_settings.html.j2", status_code=status_code, errors=errors,
                    ws_form=values)


@get("/favicon.ico", name="workspace:favicon", include_in_schema=False)
async def favicon() -> Response[bytes]:
    return Response(
        content=FAVICON.read_bytes(),
        media_type="image/x-icon",
        headers={"Cache-Control": "public, max-age=86400"},
    )
