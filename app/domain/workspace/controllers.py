"""The workspace JSON API (CONTRACT section 7): the command palette, the theme and the
keyboard shortcuts of the signed-in user."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, get, put
from litestar.di import NamedDependency
from litestar.params import JSONBody, QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from app.domain.accounts.auth import user_zone
from app.domain.accounts.schemas import CurrentUser
from app.domain.tracking.validation import utcnow
from app.domain.workspace import prefs
from app.domain.workspace import services as workspace
from app.domain.workspace.palette import MAX_QUERY
from app.domain.workspace.schemas import PaletteOut, ShortcutOut, ShortcutsIn, ShortcutsOut, ThemeIn, ThemeOut

CurrentUserDep = NamedDependency[CurrentUser]
DB = NamedDependency[AsyncSession]
PaletteQuery = Annotated[
    str, QueryParameter(max_length=MAX_QUERY, description=f"what to look for (at most {MAX_QUERY} characters)")
]


def shortcuts_out(stored: dict[str, Any] | None) -> ShortcutsOut:
    chosen = prefs.shortcut_prefs(stored)
    return ShortcutsOut(
        enabled=chosen.enabled,
        keys=dict(chosen.keys),
        shortcuts=[
            ShortcutOut(
                id=s.id,
                keys=chosen.keys[s.id] if s.remappable else s.keys,
                default_keys=s.keys,
                label=s.label,
                remappable=s.remappable,
            )
            for s in prefs.SHORTCUTS
        ],
    )


class WorkspaceApi(Controller):
    path = "/api"
    tags = ["workspace"]

    @get("/palette", summary="Command palette: pages, actions, projects, tasks and recent entries ranked for q")
    async def palette(
        self, request: Request[Any, Any, Any], current_user: CurrentUserDep, db_session: DB, q: PaletteQuery = ""
    ) -> PaletteOut:
        return await workspace.palette(db_session, current_user, user_zone(request, current_user), q, utcnow())

    @get("/me/theme", summary="Your colour theme")
    async def get_theme(self, current_user: CurrentUserDep) -> ThemeOut:
        return ThemeOut(theme=current_user.theme)  # type: ignore[arg-type]

    @put("/me/theme", summary="Set your colour theme (auto follows the system)")
    async def put_theme(self, data: JSONBody[ThemeIn], current_user: CurrentUserDep, db_session: DB) -> ThemeOut:
        theme = await prefs.save_theme(db_session, current_user.id, data.theme)
        return ThemeOut(theme=theme)  # type: ignore[arg-type]

    @get("/me/shortcuts", summary="Your keyboard shortcuts")
    async def get_shortcuts(self, current_user: CurrentUserDep) -> ShortcutsOut:
        return shortcuts_out(current_user.shortcuts)

    @put("/me/shortcuts", summary="Switch off or remap your single-key shortcuts (missing keys take the default)")
    async def put_shortcuts(
        self, data: JSONBody[ShortcutsIn], current_user: CurrentUserDep, db_session: DB
    ) -> ShortcutsOut:
        saved = await prefs.save_shortcuts(db_session, current_user.id, enabled=data.enabled, keys=data.keys)
        return shortcuts_out({"enabled": saved.enabled, "keys": saved.keys})
