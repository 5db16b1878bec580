"""Time entries: create, edit, delete, list (CONTRACT sections 2 and 3), each keeping
the day_totals rollup (app/db/rollups.py) in the same transaction."""

from __future__ import annotations

import base64
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import Project, Task, TimeEntry
from app.db.uow import emit, touched, unit_of_work
from app.domain.accounts.schemas import CurrentUser
from app.domain.tracking import overlaps
from app.domain.tracking.schemas import EntryOut, EntrySaved, EntryWarning
from app.domain.tracking.validation import (
    check_interval,
    clean_tags,
    clean_text,
    iso_local,
    require_aware,
    utcnow,
)
from app.lib.errors import NotFoundError, ValidationError


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


def saved_out(entry: TimeEntry, zone_name: str, names: EntryNames, warnings: Sequence[EntryWarning]) -> EntrySaved:
    out = entry_out(entry, zone_name, names)
    return EntrySaved(**{f: getattr(out, f) for f in out.__struct_fields__}, warnings=list(warnings))


async def resolve_refs(
    db: AsyncSession, user_id: int, project_id: int | None, task_id: int | None
) -> tuple[Project | None, Task | None]:
    """project_id/task_id must be the caller's own (CONTRACT section 2)."""
    project: Project | None = None
    task: Task | None = None
    if task_id is not None:
        task = await db.scalar(select(Task).where(Task.id == task_id, Task.user_id == user_id))
        if task is None:
            raise ValidationError("That task does not exist", field="task_id")
        if project_id is None:
            project_id = task.project_id
        elif project_id != task.project_id:
            raise ValidationError("The task belongs to another project", field="task_id")
    if project_id is not None:
        project = await db.scalar(select(Project).where(Project.id == project_id, Project.user_id == user_id))
        if project is None:
            raise ValidationError("That project does not exist", field="project_id")
    return project, task


@unit_of_work()
async def create_entry(
    db: AsyncSession, user: CurrentUser, zone_name: str, *, start: datetime, end: datetime,
    project_id: int | None = None, task_id: int | None = None, billable: bool | None = None,
    notes: str = "", outcome: str = "", tags: Sequence[str] = (), now: datetime | None = None,
    warnings: list[EntryWarning] | None = None,
) -> TimeEntry:
    """`warnings`, when given, receives the entry's overlap and long-entry warnings
    (tracking/overlaps.py); a user who refuses overlaps gets a 409 instead."""
    start = require_aware(start, "start_time")
    end = require_aware(end, "end_time")
    check_interval(start, end, now or utcnow())
    project, task = await resolve_refs(db, user.id, project_id, task_id)
    found = await overlaps.check(db, user.id, zone_name, start, end, now=now)
    if warnings is not None:
        warnings[:] = found  # a retried unit of work starts again from scratch
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
    touched(db, start, end)
    emit(db, "entry_saved", entry_id=entry.id, created=True)
    return entry


async def get_entry(db: AsyncSession, user_id: int, entry_id: int) -> TimeEntry:
    entry = await db.scalar(select(TimeEntry).where(TimeEntry.id == entry_id, TimeEntry.user_id == user_id))
    if entry is None:
        raise NotFoundError("entry")
    return entry


@unit_of_work()
async def update_entry(
    db: AsyncSession, user: CurrentUser, zone_name: str, entry_id: int, changes: dict[str, Any],
    now: datetime | None = None, warnings: list[EntryWarning] | None = None,
) -> TimeEntry:
    entry = await get_entry(db, user.id, entry_id)
    old = (entry.start_time, entry.end_time)
    start = require_aware(changes["start_time"], "start_time") if "start_time" in changes else entry.start_time
    if "end_time" in changes:
        end = require_aware(changes["end_time"], "end_time") if changes["end_time"] is not None else None
        if end is None and entry.end_time is not None:
            raise ValidationError("A completed entry cannot be made running again", field="end_time")
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
    project, task = await resolve_refs(db, user.id, project_id, task_id)
    found = await overlaps.check(db, user.id, zone_name, start, end, exclude_id=entry.id, now=now)
    if warnings is not None:
        warnings[:] = found
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
    touched(db, *old)
    touched(db, start, end)
    emit(db, "entry_saved", entry_id=entry.id, created=False)
    return entry


@unit_of_work()
async def delete_entry(db: AsyncSession, user: CurrentUser, zone_name: str, entry_id: int) -> None:
    entry = await get_entry(db, user.id, entry_id)
    interval = (entry.start_time, entry.end_time)
    await db.delete(entry)
    await db.flush()
    touched(db, *interval)
    emit(db, "entry_deleted", entry_id=entry_id)


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
    project_id: int | None = None, limit: int = 50, cursor: str | None = None, without_project: bool = False,
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
        raise ValidationError("To must be after From", field="end")
    if project_id is not None:
        query = query.where(TimeEntry.project_id == project_id)
    if without_project:
        query = query.where(TimeEntry.project_id.is_(None))
    if cursor:
        c_start, c_id = decode_cursor(cursor)
        query = query.where(
            or_(TimeEntry.start_time < c_start, and_(TimeEntry.start_time == c_start, TimeEntry.id < c_id))
        )
    rows = list(await db.scalars(query.order_by(TimeEntry.start_time.desc(), TimeEntry.id.desc()).limit(limit + 1)))
    next_cursor = encode_cursor(rows[limit - 1]) if len(rows) > limit else None
    return rows[:limit], next_cursor
