"""HTML pages of tracking's projects and tasks: the Projects list with its forms.

Forms post here as plain HTML; success answers 303 back to the list, a validation error
re-renders it with the error next to its form and the values as typed (status 422).

The list shows each project's budget status badge (CONTRACT section 9). Tracking may not
import planning (docs/architecture.md, "Layers"), so the statuses come from a provider
that app/asgi.py registers in `app.state` under `PROJECT_STATUSES`; without one the
badges are left out.
"""

from __future__ import annotations

from collections.abc import Awaitable, Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.response import Template
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import Project
from app.domain.accounts.auth import user_zone
from app.domain.accounts.schemas import CurrentUser
from app.domain.tracking import projects as project_svc
from app.domain.tracking import undo as undo_svc
from app.domain.tracking.pages import form_bool, form_int, form_str
from app.domain.tracking.plan_fields import parse_form_alerts, parse_form_number
from app.domain.tracking.validation import form_message, utcnow
from app.lib.bounds import PathId
from app.lib.errors import AppError, ValidationError
from app.lib.flash import Flash, flash
from app.lib.htmx import page, see_other

CurrentUserDep = NamedDependency[CurrentUser]
DB = NamedDependency[AsyncSession]

PROJECT_STATUSES = "project_statuses"
PROJECT_TEXT_FIELDS = ("name", "color", "budget_hours", "budget_period", "hourly_rate", "due_date", "budget_alerts")
TASK_TEXT_FIELDS = ("name", "estimate_minutes", "due_date")


class ProjectStatuses(Protocol):
    """`{project id: status}` for the given projects (no_budget, on_track, at_risk, over)."""

    def __call__(
        self, db: AsyncSession, user: CurrentUser, zone_name: str, projects: Sequence[Project], now: datetime
    ) -> Awaitable[Mapping[int, str]]: ...


def project_plan_from_form(form: Any) -> dict[str, Any]:
    """The budget fields a project form sent (absent boxes leave their field unchanged)."""
    plan: dict[str, Any] = {}
    if "budget_hours" in form:
        plan["budget_hours"] = parse_form_number(form_str(form, "budget_hours"), "budget_hours")
    if "budget_period" in form:
        plan["budget_period"] = form_str(form, "budget_period")
    if "hourly_rate" in form:
        plan["hourly_rate"] = parse_form_number(form_str(form, "hourly_rate"), "hourly_rate")
    if "due_date" in form:
        plan["due_date"] = form_str(form, "due_date") or None
    if "budget_alerts" in form:
        plan["budget_alerts"] = parse_form_alerts(form_str(form, "budget_alerts"))
    return plan


def task_plan_from_form(form: Any) -> dict[str, Any]:
    plan: dict[str, Any] = {}
    if "estimate_minutes" in form:
        plan["estimate_minutes"] = parse_form_number(
            form_str(form, "estimate_minutes"), "estimate_minutes", whole=True
        )
    if "due_date" in form:
        plan["due_date"] = form_str(form, "due_date") or None
    return plan


def _typed(form: Any, keys: Sequence[str]) -> dict[str, Any]:
    values: dict[str, Any] = {k: form_str(form, k) for k in keys if k in form}
    return values


class ProjectPages(Controller):
    include_in_schema = False

    async def _projects(
        self,
        request: Request[Any, Any, Any],
        user: CurrentUser,
        db: AsyncSession,
        errors: dict[str, str] | None = None,
        form: dict[str, Any] | None = None,
        status_code: int = 200,
        *,
        edits: dict[str, dict[str, Any]] | None = None,
    ) -> Template:
        """The list. `form`: the new-project form's values; `edits`: an edit form's values as
        typed after a refused change, keyed "p<project id>", "t<task id>" or "new-task-<project id>"."""
        projects = await project_svc.list_projects(db, user.id)
        counts = await project_svc.project_entry_counts(db, user.id)
        tasks = await project_svc.list_tasks(db, user.id)
        by_project: dict[int, list[Any]] = {}
        for task in tasks:
            by_project.setdefault(task.project_id, []).append(task)
        provider: ProjectStatuses | None = request.app.state.get(PROJECT_STATUSES)
        statuses: Mapping[int, str] = {}
        if provider is not None:
            statuses = await provider(db, user, user_zone(request, user), projects, utcnow())
        return page(
            request,
            "pages/projects.html.j2",
            status_code=status_code,
            projects=projects,
            counts=counts,
            tasks=by_project,
            statuses=statuses,
            errors=errors or {},
            edits=edits or {},
            form=form or {"color": await project_svc.next_color(db, user.id), "budget_alerts": "80, 100"},
            tasks_open=request.query_params.get("tasks", ""),
        )

    @get("/projects", name="tracking:projects")
    async def projects_page(
        self, request: Request[Any, Any, Any], current_user: CurrentUserDep, db_session: DB
    ) -> Template:
        return await self._projects(request, current_user, db_session)

    @post("/projects", name="tracking:project-create")
    async def project_create(
        self, request: Request[Any, Any, Any], current_user: CurrentUserDep, db_session: DB
    ) -> Response[Any]:
        form = await request.form()
        name, color, billable = form_str(form, "name"), form_str(form, "color"), form_bool(form, "billable")
        values: dict[str, Any] = {**_typed(form, PROJECT_TEXT_FIELDS), "billable": billable}
        try:
            await project_svc.create_project(
                db_session, current_user.id, name=name, color=color or None, billable=billable,
                plan=project_plan_from_form(form),
            )
        except AppError as exc:
            return await self._projects(
                request, current_user, db_session, {exc.field or "form": exc.message}, values, 422
            )
        return see_other("/projects")

    @post("/projects/{project_id:int}", name="tracking:project-update")
    async def project_update(
        self,
        request: Request[Any, Any, Any],
        project_id: PathId,
        current_user: CurrentUserDep,
        db_session: DB,
    ) -> Response[Any]:
        form = await request.form()
        await project_svc.get_project(db_session, current_user.id, project_id)  # 404 before validation
        try:
            changes: dict[str, Any] = {
                "name": form_str(form, "name"),
                "color": form_str(form, "color"),
                "billable": form_bool(form, "billable"),
                "archived": form_bool(form, "archived"),
                **project_plan_from_form(form),
            }
            await project_svc.update_project(db_session, current_user.id, project_id, changes)
        except AppError as exc:
            typed = {
                **_typed(form, PROJECT_TEXT_FIELDS),
                "billable": form_bool(form, "billable"),
                "archived": form_bool(form, "archived"),
                "error_field": exc.field,
            }
            return await self._projects(
                request, current_user, db_session, {f"p{project_id}": form_message(exc)}, None, 422,
                edits={f"p{project_id}": typed},
            )
        return see_other("/projects")

    @post("/projects/{project_id:int}/delete", name="tracking:project-delete")
    async def project_delete(
        self, request: Request[Any, Any, Any], project_id: PathId, current_user: CurrentUserDep, db_session: DB
    ) -> Response[Any]:
        name = (await project_svc.get_project(db_session, current_user.id, project_id)).name
        snapshot, archived = await undo_svc.delete_project(db_session, current_user.id, project_id)
        text = f"Archived {name}" if archived else f"Deleted {name}"
        return flash(see_other("/projects"), request, Flash(text, undo=snapshot, undo_seconds=undo_svc.UNDO_SECONDS))

    @post("/projects/{project_id:int}/unarchive", name="tracking:project-unarchive")
    async def project_unarchive(
        self, request: Request[Any, Any, Any], project_id: PathId, current_user: CurrentUserDep, db_session: DB
    ) -> Response[Any]:
        project = await project_svc.update_project(db_session, current_user.id, project_id, {"archived": False})
        return flash(see_other(f"/projects#project-{project_id}"), request, Flash(f"Unarchived {project.name}"))

    # ------------------------------------------------------------ tasks

    @post("/tasks", name="tracking:task-create")
    async def task_create(
        self, request: Request[Any, Any, Any], current_user: CurrentUserDep, db_session: DB
    ) -> Response[Any]:
        form = await request.form()
        project_id: int | None = None
        try:
            project_id = form_int(form, "project_id")
            if project_id is None:
                raise ValidationError("is required", field="project_id")
            await project_svc.create_task(
                db_session, current_user.id, project_id=project_id, name=form_str(form, "name"),
                plan=task_plan_from_form(form),
            )
        except AppError as exc:
            edits = {f"new-task-{project_id}": {**_typed(form, TASK_TEXT_FIELDS), "error_field": exc.field}}
            return await self._projects(
                request, current_user, db_session, {"task": form_message(exc)}, None, 422, edits=edits
            )
        return see_other(tasks_open(project_id))

    @post("/tasks/{task_id:int}", name="tracking:task-update")
    async def task_update(
        self, request: Request[Any, Any, Any], task_id: PathId, current_user: CurrentUserDep, db_session: DB
    ) -> Response[Any]:
        """The status toggle (`status`) and the task's edit form (`name`, `estimate_minutes`,
        `due_date`): each changes the fields it sends."""
        form = await request.form()
        task = await project_svc.get_task(db_session, current_user.id, task_id)  # 404 before validation
        try:
            changes: dict[str, Any] = {k: form_str(form, k) for k in ("status", "name") if k in form}
            changes.update(task_plan_from_form(form))
            await project_svc.update_task(db_session, current_user.id, task_id, changes)
        except AppError as exc:
            edits = {f"t{task_id}": {**_typed(form, TASK_TEXT_FIELDS), "error_field": exc.field}}
            return await self._projects(
                request, current_user, db_session, {"task": form_message(exc)}, None, 422, edits=edits
            )
        return see_other(tasks_open(task.project_id))

    @post("/tasks/{task_id:int}/delete", name="tracking:task-delete")
    async def task_delete(self, task_id: PathId, current_user: CurrentUserDep, db_session: DB) -> Response[Any]:
        task = await project_svc.get_task(db_session, current_user.id, task_id)
        await project_svc.delete_task(db_session, current_user.id, task_id)
        return see_other(tasks_open(task.project_id))


def tasks_open(project_id: int) -> str:
    """Back to the list with this project's Tasks section still open (issue 9)."""
    return f"/projects?tasks={project_id}#project-{project_id}"
