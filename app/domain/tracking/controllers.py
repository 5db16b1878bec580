"""The tracking JSON API (CONTRACT section 3): projects, tasks, entries, timer."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from litestar import Controller, Request, Response, delete, get, patch, post
from litestar.di import NamedDependency
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromQuery, JSONBody
from sqlalchemy.ext.asyncio import AsyncSession

from app.domain.accounts.auth import user_zone
from app.domain.accounts.schemas import CurrentUser
from app.domain.tracking import entries as entry_svc
from app.domain.tracking import projects as project_svc
from app.domain.tracking import timer as timer_svc
from app.domain.tracking import undo as undo_svc
from app.domain.tracking import validation as checks
from app.domain.tracking.plan_fields import PROJECT_PLAN_FIELDS
from app.domain.tracking.schemas import (
    EntryCreate,
    EntryOut,
    EntryPage,
    EntrySaved,
    EntryUpdate,
    EntryWarning,
    ProjectCreate,
    ProjectOut,
    ProjectUpdate,
    TaskCreate,
    TaskOut,
    TaskUpdate,
    TimerOut,
    TimerStart,
    TimerState,
    TimerStop,
)
from app.domain.tracking.undo import undo_link
from app.lib.bounds import OptionalQueryId, PathId
from app.lib.errors import ValidationError

CurrentUserDep = NamedDependency[CurrentUser]
DB = NamedDependency[AsyncSession]


def parse_query_datetime(value: str | None, field: str) -> datetime | None:
    if value is None or value == "":
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00").replace(" ", "+"))
    except ValueError as exc:
        raise ValidationError("must be an RFC 3339 datetime with an offset", field=field) from exc
    return checks.require_aware(parsed, field)


class ProjectsApi(Controller):
    path = "/api/projects"
    tags = ["projects"]

    @get("/", summary="List projects")
    async def list_projects(self, current_user: CurrentUserDep, db_session: DB) -> list[ProjectOut]:
        counts = await project_svc.project_entry_counts(db_session, current_user.id)
        projects = await project_svc.list_projects(db_session, current_user.id)
        return [project_svc.project_out(p, counts.get(p.id, 0)) for p in projects]

    @post("/", status_code=201, summary="Create a project")
    async def create_project(
        self, data: JSONBody[ProjectCreate], current_user: CurrentUserDep, db_session: DB
    ) -> ProjectOut:
        project = await project_svc.create_project(
            db_session,
            current_user.id,
            name=data.name,
            color=data.color,
            billable=data.billable,
            archived=data.archived,
            plan={f: getattr(data, f) for f in PROJECT_PLAN_FIELDS},
        )
        return project_svc.project_out(project, 0)

    @get("/{project_id:int}", summary="Get a project")
    async def get_project(self, project_id: PathId, current_user: CurrentUserDep, db_session: DB) -> ProjectOut:
        return project_svc.project_out(await project_svc.get_project(db_session, current_user.id, project_id))

    @patch("/{project_id:int}", summary="Change a project")
    async def update_project(
        self, project_id: PathId, data: JSONBody[ProjectUpdate], current_user: CurrentUserDep, db_session: DB
    ) -> ProjectOut:
        project = await project_svc.update_project(db_session, current_user.id, project_id, checks.unset_to_dict(data))
        return project_svc.project_out(project)

    @delete(
        "/{project_id:int}",
        status_code=200,
        summary="Delete a project (204), or archive it (200) if it has entries",
        responses={204: ResponseSpec(None, description="Deleted (it had no entries)")},
    )
    async def delete_project(
        self, project_id: PathId, current_user: CurrentUserDep, db_session: DB
    ) -> Response[ProjectOut | None]:
        snapshot, archived = await undo_svc.delete_project(db_session, current_user.id, project_id)
        if archived:
            project = await project_svc.get_project(db_session, current_user.id, project_id)
            return Response(project_svc.project_out(project), status_code=200, headers=undo_link(snapshot))
        return Response(None, status_code=204, headers=undo_link(snapshot))


class TasksApi(Controller):
    path = "/api/tasks"
    tags = ["tasks"]

    @get("/", summary="List tasks")
    async def list_tasks(
        self,
        current_user: CurrentUserDep,
        db_session: DB,
        project_id: OptionalQueryId = None,
        status: FromQuery[str | None] = None,
    ) -> list[TaskOut]:
        return [
            project_svc.task_out(t)
            for t in await project_svc.list_tasks(db_session, current_user.id, project_id=project_id, status=status)
        ]

    @post("/", status_code=201, summary="Create a task")
    async def create_task(self, data: JSONBody[TaskCreate], current_user: CurrentUserDep, db_session: DB) -> TaskOut:
        task = await project_svc.create_task(
            db_session,
            current_user.id,
            project_id=data.project_id,
            name=data.name,
            plan={"estimate_minutes": data.estimate_minutes, "due_date": data.due_date},
        )
        return project_svc.task_out(task)

    @patch("/{task_id:int}", summary="Change a task (status todo/done)")
    async def update_task(
        self, task_id: PathId, data: JSONBody[TaskUpdate], current_user: CurrentUserDep, db_session: DB
    ) -> TaskOut:
        task = await project_svc.update_task(db_session, current_user.id, task_id, checks.unset_to_dict(data))
        return project_svc.task_out(task)

    @delete("/{task_id:int}", status_code=204, summary="Delete a task")
    async def delete_task(self, task_id: PathId, current_user: CurrentUserDep, db_session: DB) -> None:
        await project_svc.delete_task(db_session, current_user.id, task_id)


class EntriesApi(Controller):
    path = "/api/entries"
    tags = ["entries"]

    @get("/", summary="List entries, newest first, with cursor pagination")
    async def list_entries(
        self,
        request: Request[Any, Any, Any],
        current_user: CurrentUserDep,
        db_session: DB,
        start: FromQuery[str | None] = None,
        end: FromQuery[str | None] = None,
        project_id: OptionalQueryId = None,
        limit: FromQuery[int] = 50,
        cursor: FromQuery[str | None] = None,
    ) -> EntryPage:
        rows, next_cursor = await entry_svc.list_entries(
            db_session,
            current_user.id,
            start=parse_query_datetime(start, "start"),
            end=parse_query_datetime(end, "end"),
            project_id=project_id,
            limit=limit,
            cursor=cursor,
        )
        names = await entry_svc.names_for(db_session, rows)
        zone = user_zone(request, current_user)
        return EntryPage(items=[entry_svc.entry_out(e, zone, names) for e in rows], next_cursor=next_cursor)

    @post(
        "/",
        status_code=201,
        summary="Create a completed entry",
        description="Overlaps and entries over 12 hours are saved with `warnings`; 409 when the user refuses overlaps.",
        opt={"errors": (409,)},
    )
    async def create_entry(
        self, request: Request[Any, Any, Any], data: JSONBody[EntryCreate], current_user: CurrentUserDep, db_session: DB
    ) -> EntrySaved:
        zone = user_zone(request, current_user)
        warnings: list[EntryWarning] = []
        entry = await entry_svc.create_entry(
            db_session,
            current_user,
            zone,
            start=data.start_time,
            end=data.end_time,
            project_id=data.project_id,
            task_id=data.task_id,
            billable=data.billable,
            notes=data.notes,
            outcome=data.outcome,
            tags=data.tags,
            warnings=warnings,
        )
        return entry_svc.saved_out(entry, zone, await entry_svc.names_for(db_session, [entry]), warnings)

    @get("/{entry_id:int}", summary="Get an entry")
    async def get_entry(
        self, request: Request[Any, Any, Any], entry_id: PathId, current_user: CurrentUserDep, db_session: DB
    ) -> EntryOut:
        entry = await entry_svc.get_entry(db_session, current_user.id, entry_id)
        names = await entry_svc.names_for(db_session, [entry])
        return entry_svc.entry_out(entry, user_zone(request, current_user), names)

    @patch(
        "/{entry_id:int}",
        summary="Change an entry",
        description="Overlaps and entries over 12 hours are saved with `warnings`; 409 when the user refuses overlaps.",
        opt={"errors": (409,)},
    )
    async def update_entry(
        self,
        request: Request[Any, Any, Any],
        entry_id: PathId,
        data: JSONBody[EntryUpdate],
        current_user: CurrentUserDep,
        db_session: DB,
    ) -> EntrySaved:
        zone = user_zone(request, current_user)
        warnings: list[EntryWarning] = []
        entry = await entry_svc.update_entry(
            db_session, current_user, zone, entry_id, checks.unset_to_dict(data), warnings=warnings
        )
        return entry_svc.saved_out(entry, zone, await entry_svc.names_for(db_session, [entry]), warnings)

    @delete(
        "/{entry_id:int}",
        status_code=204,
        summary="Delete an entry",
        description='The `Link: </api/undo/ID>; rel="undo"` header names the Undo (POST, within 10 minutes).',
    )
    async def delete_entry(
        self, request: Request[Any, Any, Any], entry_id: PathId, current_user: CurrentUserDep, db_session: DB
    ) -> Response[None]:
        snapshot = await undo_svc.delete_entry(db_session, current_user, user_zone(request, current_user), entry_id)
        return Response(None, status_code=204, headers=undo_link(snapshot))


class TimerApi(Controller):
    path = "/api/timer"
    tags = ["timer"]

    @get("/", summary="The running timer, if any")
    async def status(self, request: Request[Any, Any, Any], current_user: CurrentUserDep, db_session: DB) -> TimerState:
        entry = await timer_svc.read_running(db_session, current_user.id)
        if entry is None:
            return TimerState(active_timer=None)
        return TimerState(active_timer=await timer_svc.timer_out(db_session, entry, user_zone(request, current_user)))

    @post("/start", status_code=201, summary="Start the timer (409 if one is running)")
    async def start(
        self,
        request: Request[Any, Any, Any],
        current_user: CurrentUserDep,
        db_session: DB,
        data: JSONBody[TimerStart | None] = None,
    ) -> TimerOut:
        body = data or TimerStart()
        entry = await timer_svc.start_timer(
            db_session,
            current_user.id,
            project_id=body.project_id,
            task_id=body.task_id,
            notes=body.notes,
            billable=body.billable,
            start_time=body.start_time,
        )
        out = await timer_svc.timer_out(db_session, entry, user_zone(request, current_user))
        return out

    @post(
        "/stop",
        status_code=200,
        summary="Stop the timer (409 if none runs)",
        description="The completed entry, with `warnings` when it overlaps another entry or lasts over 12 hours.",
    )
    async def stop(
        self,
        request: Request[Any, Any, Any],
        current_user: CurrentUserDep,
        db_session: DB,
        data: JSONBody[TimerStop | None] = None,
    ) -> EntrySaved:
        zone = user_zone(request, current_user)
        warnings: list[EntryWarning] = []
        entry = await timer_svc.stop_timer(
            db_session, current_user, zone, end=(data or TimerStop()).end_time, warnings=warnings
        )
        return entry_svc.saved_out(entry, zone, await entry_svc.names_for(db_session, [entry]), warnings)
