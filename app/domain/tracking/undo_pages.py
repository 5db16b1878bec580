"""Delete with Undo over HTTP (docs/ui.md, "Undo"; the service is tracking/undo.py).

- `POST /entries/{id}/delete` (a form): deletes, answers 303 with the flash
  "Deleted … · Undo" (projects: project_pages.py);
- `POST /undo/{id}` (the flash's Undo form): puts the rows back, 303 to where the user was;
- `POST /api/undo/{id}`: the same for scripts; `DELETE /api/entries/{id}` and
  `DELETE /api/projects/{id}` name it in a `Link: </api/undo/ID>; rel="undo"` header.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import msgspec
from litestar import Controller, Request, Response, post
from litestar.di import NamedDependency
from sqlalchemy.ext.asyncio import AsyncSession

from app.domain.accounts.auth import user_zone
from app.domain.accounts.schemas import CurrentUser
from app.domain.tracking import entries as entry_svc
from app.domain.tracking import undo as undo_svc
from app.domain.tracking.pages import form_str
from app.lib.bounds import PathId
from app.lib.flash import Flash, flash
from app.lib.htmx import safe_target, see_other
from app.lib.templating import fmt_hm, fmt_local
from app.lib.time import get_zone

CurrentUserDep = NamedDependency[CurrentUser]
DB = NamedDependency[AsyncSession]


class UndoOut(msgspec.Struct):
    ok: bool
    kind: str  # entry | project
    id: int  # the restored entry or project (its id is the one it had)


class UndoPages(Controller):
    include_in_schema = False

    @post("/entries/{entry_id:int}/delete", name="tracking:entry-delete")
    async def entry_delete(
        self, request: Request[Any, Any, Any], entry_id: PathId, current_user: CurrentUserDep, db_session: DB
    ) -> Response[Any]:
        form = await request.form()
        zone_name = user_zone(request, current_user)
        entry = await entry_svc.get_entry(db_session, current_user.id, entry_id)
        seconds = (entry.end_time - entry.start_time).total_seconds() if entry.end_time else None
        local = entry.start_time.astimezone(get_zone(zone_name))
        what = f"Deleted {fmt_hm(seconds)} of {fmt_local(local, '%a %-d %b %H:%M')}" if seconds else "Deleted the timer"
        snapshot = await undo_svc.delete_entry(db_session, current_user, zone_name, entry_id)
        target = safe_target(form_str(form, "next"), "/entries")
        if target.startswith(f"/entries/{entry_id}"):
            target = "/entries"
        return flash(see_other(target), request, Flash(what, undo=snapshot, undo_seconds=undo_svc.UNDO_SECONDS))

    @post("/undo/{snapshot_id:int}", name="tracking:undo")
    async def undo(
        self, request: Request[Any, Any, Any], snapshot_id: PathId, current_user: CurrentUserDep, db_session: DB
    ) -> Response[Any]:
        kind, ident = await undo_svc.undo(db_session, current_user.id, snapshot_id)
        back = urlsplit(request.headers.get("referer", ""))
        same_site = back.netloc == request.url.netloc and back.path.startswith("/")
        here = back.path + (f"?{back.query}" if back.query else "") if same_site else ""
        target = safe_target(here, "/projects" if kind == "project" else "/entries")
        text = "Entry restored" if kind == "entry" else "Project restored"
        return flash(see_other(target), request, Flash(text))


class UndoApi(Controller):
    path = "/api/undo"
    tags = ["entries"]

    @post(
        "/{snapshot_id:int}",
        status_code=200,
        summary="Undo a delete (entry or project) named by the delete's Link header",
        description="Within 10 minutes of the delete; the restored rows keep their ids. 404 when expired or used.",
    )
    async def undo(self, snapshot_id: PathId, current_user: CurrentUserDep, db_session: DB) -> UndoOut:
        kind, ident = await undo_svc.undo(db_session, current_user.id, snapshot_id)
        return UndoOut(ok=True, kind=kind, id=ident)
