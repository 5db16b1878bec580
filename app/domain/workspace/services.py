"""Workspace services: the palette's answer, and the timer actions that palette items,
shortcuts and the quick-actions menu post (through the tracking services, so every
write is one unit of work: app/db/uow.py)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import TimeEntry
from app.db.uow import unit_of_work
from app.domain.accounts.schemas import CurrentUser
from app.domain.tracking import timer as timer_svc
from app.domain.tracking.entries import get_entry
from app.domain.workspace import sources
from app.domain.workspace.palette import DEFAULT_LIMIT, rank
from app.domain.workspace.schemas import PaletteItem, PaletteOut
from app.lib.errors import NotFoundError
from app.lib.time import get_zone


async def palette(
    db: AsyncSession, user: CurrentUser, zone_name: str, query: str, now: datetime, limit: int = DEFAULT_LIMIT
) -> PaletteOut:
    """The palette's items for `query`, best first (CONTRACT section 7)."""
    today = now.astimezone(get_zone(zone_name)).date()
    found = await sources.candidates(db, user.id, query, user.theme, today)
    return PaletteOut(
        q=query,
        items=[
            PaletteItem(
                kind=c.kind,  # type: ignore[arg-type]
                id=c.key,
                label=c.label,
                hint=c.hint,
                url=c.url,
                method=c.method,  # type: ignore[arg-type]
                fields=c.fields,
                score=round(score, 2),
            )
            for c, score in rank(query, found, limit)
        ],
    )


@unit_of_work(source="timer")
async def start_on(
    db: AsyncSession, user: CurrentUser, zone_name: str, *, project_id: int | None = None,
    task_id: int | None = None, notes: str = "", billable: bool | None = None,
) -> TimeEntry:
    """Start the timer on a project or task; a running timer is stopped first (one unit
    of work: the switch is all or nothing), as Toggl's and Clockify's "start" do."""
    if await timer_svc.running_entry(db, user.id) is not None:
        await timer_svc.stop_timer(db, user, zone_name)
    return await timer_svc.start_timer(
        db, user.id, project_id=project_id, task_id=task_id, notes=notes, billable=billable
    )


@unit_of_work(source="timer")
async def toggle(db: AsyncSession, user: CurrentUser, zone_name: str) -> TimeEntry:
    """Stop the running timer, or start one without a project (the `s` shortcut)."""
    if await timer_svc.running_entry(db, user.id) is not None:
        return await timer_svc.stop_timer(db, user, zone_name)
    return await timer_svc.start_timer(db, user.id)


async def last_entry(db: AsyncSession, user_id: int) -> TimeEntry:
    entry = await db.scalar(
        select(TimeEntry)
        .where(TimeEntry.user_id == user_id, TimeEntry.end_time.is_not(None))
        .order_by(TimeEntry.start_time.desc())
        .limit(1)
    )
    if entry is None:
        raise NotFoundError("entry to continue")
    return entry


@unit_of_work(source="timer")
async def continue_entry(
    db: AsyncSession, user: CurrentUser, zone_name: str, entry_id: int | None = None
) -> TimeEntry:
    """A new timer with the project, task, notes and billable flag of `entry_id` (or of
    the last completed entry)."""
    entry = await get_entry(db, user.id, entry_id) if entry_id is not None else await last_entry(db, user.id)
    return await start_on(
        db, user, zone_name, project_id=entry.project_id, task_id=entry.task_id, notes=entry.notes,
        billable=entry.billable,
    )
