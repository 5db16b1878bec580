"""Projects and their tasks (CONTRACT sections 2 and 3). Objects of other users are
indistinguishable from missing ones."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import Project, Task, TimeEntry
from app.db.uow import emit, unit_of_work
from app.domain.tracking.plan_fields import apply_project_plan, apply_task_plan, clean_project_plan
from app.domain.tracking.schemas import ProjectOut, TaskOut
from app.domain.tracking.validation import (
    clean_name,
    utcnow,
)
from app.lib.errors import NotFoundError, ValidationError

PALETTE = (
    "#4f46e5", "#0891b2", "#16a34a", "#ea580c", "#db2777",
    "#7c3aed", "#ca8a04", "#0d9488", "#dc2626", "#2563eb",
)
_COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")


def project_out(project: Project, entry_count: int | None = None) -> ProjectOut:
    return ProjectOut(
        id=project.id, name=project.name, color=project.color, billable=project.billable,
        archived=project.archived, client=project.client,
        budget_hours=project.budget_hours, budget_period=project.budget_period or "total",
        hourly_rate=project.hourly_rate, due_date=project.due_date.isoformat() if project.due_date else None,
        budget_alerts=list(project.budget_alerts or []), entry_count=entry_count,
    )


async def list_projects(db: AsyncSession, user_id: int, *, include_archived: bool = True) -> list[Project]:
    query = select(Project).where(Project.user_id == user_id)
    if not include_archived:
        query = query.where(Project.archived.is_(False))
    return list(await db.scalars(query.order_by(Project.archived, func.lower(Project.name))))


async def project_entry_counts(db: AsyncSession, user_id: int) -> dict[int, int]:
    rows = await db.execute(
        select(TimeEntry.project_id, func.count())
        .where(TimeEntry.user_id == user_id, TimeEntry.project_id.is_not(None))
        .group_by(TimeEntry.project_id)
    )
    return {pid: count for pid, count in rows if pid is not None}


async def get_project(db: AsyncSession, user_id: int, project_id: int) -> Project:
    project = await db.scalar(select(Project).where(Project.id == project_id, Project.user_id == user_id))
    if project is None:
        raise NotFoundError("project")
    return project


async def _name_taken(db: AsyncSession, user_id: int, name: str, exclude_id: int | None = None) -> bool:
    query = select(func.count()).select_from(Project).where(
        Project.user_id == user_id, func.lower(Project.name) == name.lower()
    )
    if exclude_id is not None:
        query = query.where(Project.id != exclude_id)
    return bool(await db.scalar(query))


def clean_color(color: str) -> str:
    if not _COLOR.match(color):
        raise ValidationError("must be a colour like #4f46e5", field="color")
    return color.lower()


async def next_color(db: AsyncSession, user_id: int) -> str:
    used = set(await db.scalars(select(Project.color).where(Project.user_id == user_id)))
    for color in PALETTE:
        if color not in used:
            return color
    count = len(used)
    return PALETTE[count % len(PALETTE)]


@unit_of_work()
async def create_project(
    db: AsyncSession, user_id: int, *, name: str, color: str | None = None, billable: bool = False,
    archived: bool = False, client: str | None = None,
    plan: Mapping[str, Any] | None = None,
) -> Project:
    """`plan`: the budget fields of CONTRACT section 9 (tracking.plan_fields), checked first."""
    name = clean_name(name)
    budget = clean_project_plan(plan or {})
    if await _name_taken(db, user_id, name):
        raise ValidationError(f"a project named {name!r} already exists", field="name")
    project = Project(
        user_id=user_id, name=name, color=clean_color(color) if color else await next_color(db, user_id),
        billable=bool(billable), archived=bool(archived), client=client,
    )
    apply_project_plan(project, budget)
    db.add(project)
    try:
        await db.flush()
    except IntegrityError as exc:
        raise ValidationError(f"a project named {name!r} already exists", field="name") from exc
    return project


@unit_of_work()
async def update_project(db: AsyncSession, user_id: int, project_id: int, changes: dict[str, Any]) -> Project:
    project = await get_project(db, user_id, project_id)
    budget = clean_project_plan(changes)  # every field is checked before any is changed
    if "name" in changes:
        name = clean_name(changes["name"])
        if await _name_taken(db, user_id, name, exclude_id=project.id):
            raise ValidationError(f"a project named {name!r} already exists", field="name")
        project.name = name
    if "color" in changes:
        project.color = clean_color(changes["color"])
    if "billable" in changes:
        project.billable = bool(changes["billable"])
    if "archived" in changes:
        project.archived = bool(changes["archived"])
    apply_project_plan(project, budget)
    await db.flush()
    return project


@unit_of_work()
async def delete_project(db: AsyncSession, user_id: int, project_id: int) -> Project | None:
    """Delete a project; one with entries is archived instead (returned)."""
    project = await get_project(db, user_id, project_id)
    used = await db.scalar(
        select(func.count()).select_from(TimeEntry).where(
            TimeEntry.user_id == user_id, TimeEntry.project_id == project.id
        )
    )
    if used:
        project.archived = True
        await db.flush()
        return project
    await db.delete(project)
    await db.flush()
    return None


# ------------------------------------------------------------------ tasks


def task_out(task: Task) -> TaskOut:
    return TaskOut(
        id=task.id, project_id=task.project_id, name=task.name, status=task.status,
        completed_at=task.completed_at.isoformat() if task.completed_at else None,
        estimate_minutes=task.estimate_minutes, due_date=task.due_date.isoformat() if task.due_date else None,
    )


async def list_tasks(
    db: AsyncSession, user_id: int, *, project_id: int | None = None, status: str | None = None
) -> list[Task]:
    query = select(Task).where(Task.user_id == user_id)
    if project_id is not None:
        query = query.where(Task.project_id == project_id)
    if status is not None:
        if status not in {"todo", "done"}:
            raise ValidationError("must be todo or done", field="status")
        query = query.where(Task.status == status)
    return list(await db.scalars(query.order_by(Task.status.desc(), Task.id)))


async def get_task(db: AsyncSession, user_id: int, task_id: int) -> Task:
    task = await db.scalar(select(Task).where(Task.id == task_id, Task.user_id == user_id))
    if task is None:
        raise NotFoundError("task")
    return task


@unit_of_work()
async def create_task(
    db: AsyncSession, user_id: int, *, project_id: int, name: str, plan: Mapping[str, Any] | None = None
) -> Task:
    """`plan`: `estimate_minutes` and `due_date` (CONTRACT section 9), checked before anything is written."""
    name = clean_name(name, max_len=200)
    try:
        await get_project(db, user_id, project_id)
    except NotFoundError as exc:
        raise ValidationError("That project does not exist", field="project_id") from exc
    task = Task(user_id=user_id, project_id=project_id, name=name, status="todo")
    apply_task_plan(task, plan or {})
    db.add(task)
    await db.flush()
    return task


@unit_of_work()
async def update_task(db: AsyncSession, user_id: int, task_id: int, changes: dict[str, Any]) -> Task:
    task = await get_task(db, user_id, task_id)
    if "name" in changes:
        task.name = clean_name(changes["name"], max_len=200)
    apply_task_plan(task, changes)
    if "status" in changes:
        status = changes["status"]
        if status not in {"todo", "done"}:
            raise ValidationError("must be todo or done", field="status")
        if status != task.status:
            task.status = status
            task.completed_at = utcnow() if status == "done" else None
            if status == "done":
                emit(db, "task_completed", task_id=task.id)
    await db.flush()
    return task


@unit_of_work()
async def delete_task(db: AsyncSession, user_id: int, task_id: int) -> None:
    task = await get_task(db, user_id, task_id)
    entries = await db.scalars(select(TimeEntry).where(TimeEntry.user_id == user_id, TimeEntry.task_id == task.id))
    for entry in entries:
        entry.task_id = None
    await db.flush()
    await db.delete(task)
    await db.flush()
