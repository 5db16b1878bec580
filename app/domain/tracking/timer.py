"""The live timer: one running entry per user (CONTRACT section 3)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import TimeEntry
from app.db.uow import emit, touched, unit_of_work
from app.domain.accounts.schemas import CurrentUser
from app.domain.tracking import overlaps
from app.domain.tracking.entries import names_for, resolve_refs
from app.domain.tracking.schemas import EntryWarning, TimerOut
from app.domain.tracking.validation import (
    MAX_ENTRY,
    check_interval,
    clean_text,
    iso_local,
    require_aware,
    utcnow,
)
from app.lib.errors import ConflictError, UnprocessableError, ValidationError

# Called before the running timer is read for a user (a page, GET /api/timer): automation
# rules register here at start-up (timer_running, docs/rules.md) — tracking never imports them.
TimerReadHook = Callable[[AsyncSession, int, datetime], Awaitable[None]]
_read_hooks: list[TimerReadHook] = []


def on_timer_read(hook: TimerReadHook) -> None:
    if hook not in _read_hooks:
        _read_hooks.append(hook)


async def read_running(db: AsyncSession, user_id: int, now: datetime | None = None) -> TimeEntry | None:
    """The running timer as a reader sees it, after the timer-read hooks had their say."""
    for hook in _read_hooks:
        await hook(db, user_id, now or utcnow())
    return await running_entry(db, user_id)


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


# A start time a little ahead of the server's clock is a client clock running fast: it
# counts as now. Further ahead is refused.
START_CLOCK_SLACK = timedelta(minutes=1)


def past_start(start: datetime, now: datetime) -> datetime:
    """"I started earlier" (CONTRACT section 3): a start in the past, at most 7 days ago;
    otherwise 422 naming `start_time` (a naive datetime is a 400 like everywhere)."""
    start = require_aware(start, "start_time")
    if start > now + START_CLOCK_SLACK:
        raise UnprocessableError("must not be in the future", field="start_time")
    if now - start > MAX_ENTRY:
        raise UnprocessableError("must be at most 7 days ago", field="start_time")
    return min(start, now)


@unit_of_work(source="timer")
async def start_timer(
    db: AsyncSession, user_id: int, *, project_id: int | None = None, task_id: int | None = None,
    notes: str = "", billable: bool | None = None, start_time: datetime | None = None,
) -> TimeEntry:
    """Start the timer, now or at `start_time` in the past. The partial unique index
    decides races: of many concurrent starts exactly one inserts; the others get
    ConflictError (409)."""
    now = utcnow()
    start = past_start(start_time, now) if start_time is not None else now
    project, task = await resolve_refs(db, user_id, project_id, task_id)
    if await running_entry(db, user_id) is not None:
        raise ConflictError("a timer is already running")
    entry = TimeEntry(
        user_id=user_id,
        project_id=project.id if project else None,
        task_id=task.id if task else None,
        start_time=start.replace(microsecond=0),
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
        raise ConflictError("a timer is already running") from exc
    return entry


@unit_of_work(source="timer")
async def stop_timer(
    db: AsyncSession, user: CurrentUser, zone_name: str, *, end: datetime | None = None,
    warnings: list[EntryWarning] | None = None,
) -> TimeEntry:
    """Complete the running entry at `end` (default now). `warnings`, when given, receives
    the completed entry's overlap and long-entry warnings (CONTRACT section 2): a stop is
    never refused for an overlap — the time was spent — but it is never silent either."""
    entry = await running_entry(db, user.id)
    if entry is None:
        raise ConflictError("no timer is running")
    now = utcnow()
    end = require_aware(end, "end_time") if end is not None else now
    if end <= entry.start_time:
        raise ValidationError("End must be after the timer's start", field="end_time")
    check_interval(entry.start_time, end, now)
    # One conditional UPDATE decides a race of stops: the entry is completed once and
    # every other stop finds no running timer (409) — docs/architecture.md.
    stopped = await db.execute(
        update(TimeEntry)
        .where(TimeEntry.id == entry.id, TimeEntry.user_id == user.id, TimeEntry.end_time.is_(None))
        .values(end_time=end)
        .returning(TimeEntry.id)
        .execution_options(synchronize_session=False)
    )
    if stopped.first() is None:
        raise ConflictError("no timer is running")
    entry.end_time = end
    if warnings is not None:
        others = await overlaps.overlapping(db, user.id, entry.start_time, end, exclude_id=entry.id, now=now)
        warnings[:] = overlaps.warnings_for(entry.start_time, end, others)
    touched(db, entry.start_time, end)
    emit(db, "entry_saved", entry_id=entry.id, created=False, timer_stop=True)
    return entry


@unit_of_work(source="timer")
async def switch_timer(
    db: AsyncSession, user: CurrentUser, zone_name: str, *, project_id: int | None = None,
    task_id: int | None = None, notes: str = "", billable: bool | None = None, start_time: datetime | None = None,
) -> TimeEntry:
    """Stop the running timer, if any, and start another, as one unit of work: Home's
    one-click starts ("continue", recent projects) never answer "already running"."""
    if await running_entry(db, user.id) is not None:
        await stop_timer(db, user, zone_name)
    return await start_timer(
        db, user.id, project_id=project_id, task_id=task_id, notes=notes, billable=billable, start_time=start_time
    )
