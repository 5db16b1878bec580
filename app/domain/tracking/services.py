"""Tracking: projects, tasks, time entries, the live timer and weekly goals.

Every rule of CONTRACT section 2 is checked here, once, for the JSON API and the
HTML forms alike; a violation raises ValidationError naming the field and nothing is
written. Objects of other users are indistinguishable from missing ones.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import msgspec
from sqlalchemy import and_, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import Project, Task, TimeEntry, WeeklyTimeGoal
from app.domain.accounts.schemas import CurrentUser
from app.domain.tracking import rollups
from app.domain.tracking.schemas import EntryOut, ProjectOut, TaskOut, TimerOut, WeeklyGoalOut
from app.lib import cache as cache_lib
from app.lib.errors import ConflictError, NotFoundError, ValidationError
from app.lib.time import get_zone

MAX_ENTRY = timedelta(days=7)
FUTURE_SLACK = timedelta(minutes=5)
MAX_TEXT = 2000
MAX_TAGS = 20
MAX_TAG_LEN = 40
PALETTE = (
    "#4f46e5", "#0891b2", "#16a34a", "#ea580c", "#db2777",
    "#7c3aed", "#ca8a04", "#0d9488", "#dc2626", "#2563eb",
)
_COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")


def utcnow() -> datetime:
    return datetime.now(UTC)


async def commit_and_refresh(db: AsyncSession, user_id: int) -> None:
    """Commit, then make the user's cached figures stale (after commit, so a reader
    can never cache pre-commit data under the new version)."""
    history_changed = db.info.pop(rollups.HISTORY_CHANGED, False)
    await db.commit()
    await cache_lib.bump_user_version(user_id)
    if history_changed:
        await cache_lib.bump_history_version(user_id)


# ------------------------------------------------------------------ validation helpers


def require_aware(value: datetime, field: str) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValidationError("must carry a UTC offset (RFC 3339, e.g. 2026-03-11T09:00:00+01:00)", field=field)
    return value.astimezone(UTC)


def clean_text(value: str, field: str) -> str:
    if len(value) > MAX_TEXT:
        raise ValidationError(f"must be at most {MAX_TEXT} characters", field=field)
    return value


def clean_tags(tags: Sequence[str]) -> list[str]:
    cleaned: list[str] = []
    for tag in tags:
        if not isinstance(tag, str):
            raise ValidationError("must be a list of strings", field="tags")
        tag = tag.strip()
        if not tag:
            continue
        if len(tag) > MAX_TAG_LEN:
            raise ValidationError(f"each tag must be at most {MAX_TAG_LEN} characters", field="tags")
        if tag not in cleaned:
            cleaned.append(tag)
    if len(cleaned) > MAX_TAGS:
        raise ValidationError(f"at most {MAX_TAGS} tags", field="tags")
    return cleaned


def check_interval(start: datetime, end: datetime | None, now: datetime) -> None:
    """CONTRACT section 2: end > start, at most 7 days, end ≤ now + 5 min."""
    if start > now + FUTURE_SLACK:
        raise ValidationError("must not be in the future", field="start_time")
    if end is None:
        return
    if end <= start:
        raise ValidationError("must be after start_time", field="end_time")
    if end - start > MAX_ENTRY:
        raise ValidationError("an entry lasts at most 7 days", field="end_time")
    if end > now + FUTURE_SLACK:
        raise ValidationError("must not be more than 5 minutes in the future", field="end_time")


def clean_name(name: str, field: str = "name", max_len: int = 120) -> str:
    value = name.strip()
    if not value or len(value) > max_len:
        raise ValidationError(f"must be 1 to {max_len} characters", field=field)
    return value


def iso_local(value: datetime, zone_name: str) -> str:
    return value.astimezone(get_zone(zone_name)).isoformat()


# ------------------------------------------------------------------ projects


def project_out(project: Project, entry_count: int | None = None) -> ProjectOut:
    return ProjectOut(
        id=project.id, name=project.name, color=project.color, billable=project.billable,
        archived=project.archived, client=project.client, entry_count=entry_count,
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


async def create_project(
    db: AsyncSession, user_id: int, *, name: str, color: str | None = None, billable: bool = False,
    archived: bool = False, client: str | None = None,
) -> Project:
    name = clean_name(name)
    if await _name_taken(db, user_id, name):
        raise ValidationError(f"a project named {name!r} already exists", field="name")
    project = Project(
        user_id=user_id, name=name, color=clean_color(color) if color else await next_color(db, user_id),
        billable=bool(billable), archived=bool(archived), client=client,
    )
    db.add(project)
    try:
        await db.flush()
    except IntegrityError as exc:
        raise ValidationError(f"a project named {name!r} already exists", field="name") from exc
    return project


async def update_project(db: AsyncSession, user_id: int, project_id: int, changes: dict[str, Any]) -> Project:
    project = await get_project(db, user_id, project_id)
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
    await db.flush()
    return project


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


async def create_task(db: AsyncSession, user_id: int, *, project_id: int, name: str) -> Task:
    name = clean_name(name, max_len=200)
    try:
        await get_project(db, user_id, project_id)
    except NotFoundError as exc:
        raise ValidationError("no such project", field="project_id") from exc
    task = Task(user_id=user_id, project_id=project_id, name=name, status="todo")
    db.add(task)
    await db.flush()
    return task


async def update_task(db: AsyncSession, user_id: int, task_id: int, changes: dict[str, Any]) -> Task:
    task = await get_task(db, user_id, task_id)
    if "name" in changes:
        task.name = clean_name(changes["name"], max_len=200)
    if "status" in changes:
        status = changes["status"]
        if status not in {"todo", "done"}:
            raise ValidationError("must be todo or done", field="status")
        if status != task.status:
            task.status = status
            task.completed_at = utcnow() if status == "done" else None
    await db.flush()
    return task


async def delete_task(db: AsyncSession, user_id: int, task_id: int) -> None:
    task = await get_task(db, user_id, task_id)
    entries = await db.scalars(select(TimeEntry).where(TimeEntry.user_id == user_id, TimeEntry.task_id == task.id))
    for entry in entries:
        entry.task_id = None
    await db.flush()
    await db.delete(task)
    await db.flush()


# ------------------------------------------------------------------ entries


@dataclass(slots=True)
class EntryNames:
    projects: dict[int, str]
    tasks: dict[int, str]


async def names_for(db: AsyncSession, entries: Sequence[TimeEntry]) -> EntryNames:
    pids = {e.project_id for e in entries if e.project_id is not None}
    tids = {e.task_id for e in entries if e.task_id is not None}
    projects: dict[int, str] = {}
    tasks: dict[int, str] = {}
    if pids:
        projects = dict((await db.execute(select(Project.id, Project.name).where(Project.id.in_(pids)))).all())
    if tids:
        tasks = dict((await db.execute(select(Task.id, Task.name).where(Task.id.in_(tids)))).all())
    return EntryNames(projects, tasks)


def entry_out(entry: TimeEntry, zone_name: str, names: EntryNames) -> EntryOut:
    duration = int((entry.end_time - entry.start_time).total_seconds()) if entry.end_time else None
    return EntryOut(
        id=entry.id,
        project_id=entry.project_id,
        project_name=names.projects.get(entry.project_id) if entry.project_id else None,
        task_id=entry.task_id,
        start_time=iso_local(entry.start_time, zone_name),
        end_time=iso_local(entry.end_time, zone_name) if entry.end_time else None,
        duration_seconds=duration,
        billable=entry.billable,
        notes=entry.notes,
        outcome=entry.outcome,
        tags=list(entry.tags or []),
    )


async def _resolve_refs(
    db: AsyncSession, user_id: int, project_id: int | None, task_id: int | None
) -> tuple[Project | None, Task | None]:
    """project_id/task_id must be the caller's own (CONTRACT section 2)."""
    project: Project | None = None
    task: Task | None = None
    if task_id is not None:
        task = await db.scalar(select(Task).where(Task.id == task_id, Task.user_id == user_id))
        if task is None:
            raise ValidationError("no such task", field="task_id")
        if project_id is None:
            project_id = task.project_id
        elif project_id != task.project_id:
            raise ValidationError("the task belongs to another project", field="task_id")
    if project_id is not None:
        project = await db.scalar(select(Project).where(Project.id == project_id, Project.user_id == user_id))
        if project is None:
            raise ValidationError("no such project", field="project_id")
    return project, task


async def create_entry(
    db: AsyncSession, user: CurrentUser, zone_name: str, *, start: datetime, end: datetime,
    project_id: int | None = None, task_id: int | None = None, billable: bool | None = None,
    notes: str = "", outcome: str = "", tags: Sequence[str] = (), now: datetime | None = None,
) -> TimeEntry:
    start = require_aware(start, "start_time")
    end = require_aware(end, "end_time")
    check_interval(start, end, now or utcnow())
    project, task = await _resolve_refs(db, user.id, project_id, task_id)
    entry = TimeEntry(
        user_id=user.id,
        project_id=project.id if project else None,
        task_id=task.id if task else None,
        start_time=start,
        end_time=end,
        billable=billable if billable is not None else bool(project and project.billable),
        notes=clean_text(notes, "notes"),
        outcome=clean_text(outcome, "outcome"),
        tags=clean_tags(tags),
    )
    db.add(entry)
    await db.flush()
    await rollups.refresh_days(db, user.id, zone_name, [(start, end)])
    return entry


async def get_entry(db: AsyncSession, user_id: int, entry_id: int) -> TimeEntry:
    entry = await db.scalar(select(TimeEntry).where(TimeEntry.id == entry_id, TimeEntry.user_id == user_id))
    if entry is None:
        raise NotFoundError("entry")
    return entry


async def update_entry(
    db: AsyncSession, user: CurrentUser, zone_name: str, entry_id: int, changes: dict[str, Any],
    now: datetime | None = None,
) -> TimeEntry:
    entry = await get_entry(db, user.id, entry_id)
    old = (entry.start_time, entry.end_time)
    start = require_aware(changes["start_time"], "start_time") if "start_time" in changes else entry.start_time
    if "end_time" in changes:
        end = require_aware(changes["end_time"], "end_time") if changes["end_time"] is not None else None
        if end is None and entry.end_time is not None:
            raise ValidationError("a completed entry cannot be made running again", field="end_time")
    else:
        end = entry.end_time
    check_interval(start, end, now or utcnow())
    project_id = changes.get("project_id", entry.project_id)
    task_id = changes.get("task_id", entry.task_id)
    if "project_id" in changes and "task_id" not in changes and task_id is not None:
        # Moving an entry to another project drops a task of the old project.
        task = await db.get(Task, task_id)
        if task is None or task.project_id != project_id:
            task_id = None
    project, task = await _resolve_refs(db, user.id, project_id, task_id)
    entry.start_time, entry.end_time = start, end
    entry.project_id = project.id if project else None
    entry.task_id = task.id if task else None
    if "billable" in changes:
        entry.billable = bool(changes["billable"])
    if "notes" in changes:
        entry.notes = clean_text(changes["notes"], "notes")
    if "outcome" in changes:
        entry.outcome = clean_text(changes["outcome"], "outcome")
    if "tags" in changes:
        entry.tags = clean_tags(changes["tags"])
    await db.flush()
    await rollups.refresh_days(db, user.id, zone_name, [old, (start, end)])
    return entry


async def delete_entry(db: AsyncSession, user: CurrentUser, zone_name: str, entry_id: int) -> None:
    entry = await get_entry(db, user.id, entry_id)
    interval = (entry.start_time, entry.end_time)
    await db.delete(entry)
    await db.flush()
    await rollups.refresh_days(db, user.id, zone_name, [interval])


def encode_cursor(entry: TimeEntry) -> str:
    raw = f"{entry.start_time.astimezone(UTC).isoformat()}|{entry.id}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        stamp, _, ident = raw.partition("|")
        value = datetime.fromisoformat(stamp)
        if value.tzinfo is None:
            raise ValueError("naive")
        return value, int(ident)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValidationError("is not a valid cursor", field="cursor") from exc


async def list_entries(
    db: AsyncSession, user_id: int, *, start: datetime | None = None, end: datetime | None = None,
    project_id: int | None = None, limit: int = 50, cursor: str | None = None,
) -> tuple[list[TimeEntry], str | None]:
    """Entries overlapping [start, end), newest first, keyset-paginated by (start_time, id)."""
    if not 1 <= limit <= 500:
        raise ValidationError("must be between 1 and 500", field="limit")
    query = select(TimeEntry).where(TimeEntry.user_id == user_id)
    if start is not None:
        start = require_aware(start, "start")
        query = query.where(or_(TimeEntry.end_time.is_(None), TimeEntry.end_time > start))
    if end is not None:
        end = require_aware(end, "end")
        query = query.where(TimeEntry.start_time < end)
    if start is not None and end is not None and end <= start:
        raise ValidationError("must be after start", field="end")
    if project_id is not None:
        query = query.where(TimeEntry.project_id == project_id)
    if cursor:
        c_start, c_id = decode_cursor(cursor)
        query = query.where(
            or_(TimeEntry.start_time < c_start, and_(TimeEntry.start_time == c_start, TimeEntry.id < c_id))
        )
    rows = list(await db.scalars(query.order_by(TimeEntry.start_time.desc(), TimeEntry.id.desc()).limit(limit + 1)))
    next_cursor = encode_cursor(rows[limit - 1]) if len(rows) > limit else None
    return rows[:limit], next_cursor


# ------------------------------------------------------------------ timer


async def running_entry(db: AsyncSession, user_id: int) -> TimeEntry | None:
    return await db.scalar(select(TimeEntry).where(TimeEntry.user_id == user_id, TimeEntry.end_time.is_(None)))


async def timer_out(db: AsyncSession, entry: TimeEntry, zone_name: str, now: datetime | None = None) -> TimerOut:
    names = await names_for(db, [entry])
    now = now or utcnow()
    return TimerOut(
        id=entry.id,
        project_id=entry.project_id,
        project_name=names.projects.get(entry.project_id) if entry.project_id else None,
        task_id=entry.task_id,
        task_name=names.tasks.get(entry.task_id) if entry.task_id else None,
        start_time=iso_local(entry.start_time, zone_name),
        elapsed_seconds=max(0, int((now - entry.start_time).total_seconds())),
        notes=entry.notes,
        billable=entry.billable,
    )


async def start_timer(
    db: AsyncSession, user_id: int, *, project_id: int | None = None, task_id: int | None = None,
    notes: str = "", billable: bool | None = None,
) -> TimeEntry:
    """Start the timer. The partial unique index decides races: of many concurrent
    starts exactly one inserts; the others get ConflictError (409)."""
    project, task = await _resolve_refs(db, user_id, project_id, task_id)
    if await running_entry(db, user_id) is not None:
        raise ConflictError("a timer is already running")
    entry = TimeEntry(
        user_id=user_id,
        project_id=project.id if project else None,
        task_id=task.id if task else None,
        start_time=utcnow().replace(microsecond=0),
        end_time=None,
        billable=billable if billable is not None else bool(project and project.billable),
        notes=clean_text(notes, "notes"),
        outcome="",
        tags=[],
    )
    db.add(entry)
    try:
        await db.flush()
    except IntegrityError as exc:
        await db.rollback()
        raise ConflictError("a timer is already running") from exc
    return entry


async def stop_timer(
    db: AsyncSession, user: CurrentUser, zone_name: str, *, end: datetime | None = None
) -> TimeEntry:
    entry = await running_entry(db, user.id)
    if entry is None:
        raise ConflictError("no timer is running")
    now = utcnow()
    end = require_aware(end, "end_time") if end is not None else now
    if end <= entry.start_time:
        raise ValidationError("must be after the timer's start", field="end_time")
    check_interval(entry.start_time, end, now)
    entry.end_time = end
    await db.flush()
    await rollups.refresh_days(db, user.id, zone_name, [(entry.start_time, end)])
    return entry


# ------------------------------------------------------------------ weekly goals


def parse_week_start(value: str) -> date:
    try:
        day = date.fromisoformat(value)
    except ValueError as exc:
        raise ValidationError("must be a date YYYY-MM-DD", field="week_start") from exc
    if day.weekday() != 0:
        raise ValidationError("must be a Monday", field="week_start")
    return day


def weekly_goal_out(goal: WeeklyTimeGoal) -> WeeklyGoalOut:
    return WeeklyGoalOut(week_start=goal.week_start.isoformat(), target_hours=goal.target_hours)


async def list_weekly_goals(db: AsyncSession, user_id: int) -> list[WeeklyTimeGoal]:
    return list(
        await db.scalars(
            select(WeeklyTimeGoal).where(WeeklyTimeGoal.user_id == user_id).order_by(WeeklyTimeGoal.week_start.desc())
        )
    )


async def put_weekly_goal(db: AsyncSession, user_id: int, week_start: date, target_hours: float) -> WeeklyTimeGoal:
    if not 0 <= target_hours <= 168:
        raise ValidationError("must be between 0 and 168", field="target_hours")
    goal = await db.scalar(
        select(WeeklyTimeGoal).where(WeeklyTimeGoal.user_id == user_id, WeeklyTimeGoal.week_start == week_start)
    )
    if goal is None:
        goal = WeeklyTimeGoal(user_id=user_id, week_start=week_start, target_hours=target_hours)
        db.add(goal)
    else:
        goal.target_hours = target_hours
    await db.flush()
    return goal


async def delete_weekly_goal(db: AsyncSession, user_id: int, week_start: date) -> None:
    goal = await db.scalar(
        select(WeeklyTimeGoal).where(WeeklyTimeGoal.user_id == user_id, WeeklyTimeGoal.week_start == week_start)
    )
    if goal is None:
        raise NotFoundError("weekly goal")
    await db.delete(goal)
    await db.flush()


def unset_to_dict(struct: msgspec.Struct) -> dict[str, Any]:
    """The fields a PATCH body actually sent."""
    return {f: getattr(struct, f) for f in struct.__struct_fields__ if getattr(struct, f) is not msgspec.UNSET}
