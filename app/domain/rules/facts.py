"""The facts a rule's conditions are checked against, read from an entry or a task.

One place for both the real run and the preview, so they cannot disagree.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import Task, TimeEntry
from app.lib.time import get_zone_or_utc, local_date, local_day_bounds


def uses_day_hours(conditions: Sequence[Any]) -> bool:
    """A rule with a day_hours condition runs at most once per local day (docs/rules.md)."""
    return any(c["field"] == "day_hours" for c in conditions)


async def day_hours(db: AsyncSession, user_id: int, day_start: datetime, day_end: datetime, now: datetime) -> float:
    """Hours the user tracked on one local day (a running timer counts up to now)."""
    rows = (
        await db.execute(
            select(TimeEntry.start_time, TimeEntry.end_time).where(
                TimeEntry.user_id == user_id,
                TimeEntry.start_time < day_end,
                or_(TimeEntry.end_time.is_(None), TimeEntry.end_time > day_start),
            )
        )
    ).all()
    return clipped_hours([(start, end or now) for start, end in rows], day_start, day_end)


def entry_facts(entry: TimeEntry, zone_name: str, now: datetime, *, day_hours: float | None = None) -> dict[str, Any]:
    """The facts of an entry (a running one counts up to `now`); `day_hours` when a rule needs it."""
    zone = get_zone_or_utc(zone_name)
    end = entry.end_time or now
    seconds = max(0.0, (end - entry.start_time).total_seconds())
    local_start = entry.start_time.astimezone(zone)
    facts: dict[str, Any] = {
        "notes": entry.notes or "",
        "project_id": entry.project_id,
        "tags": list(entry.tags or []),
        "billable": bool(entry.billable),
        "duration_minutes": seconds / 60,
        "elapsed_hours": seconds / 3600,
        "weekday": local_start.isoweekday(),
        "start_hour": local_start.hour,
    }
    if day_hours is not None:
        facts["day_hours"] = day_hours
    return facts


def entry_day(entry: TimeEntry, zone_name: str) -> tuple[date, datetime, datetime]:
    """The local day an entry belongs to (the day it starts) and its bounds in UTC."""
    zone = get_zone_or_utc(zone_name)
    day = local_date(entry.start_time, zone)
    first, last = local_day_bounds(day, zone)
    return day, first, last


async def entry_day_hours(db: AsyncSession, entry: TimeEntry, zone_name: str, now: datetime) -> float:
    _, first, last = entry_day(entry, zone_name)
    return await day_hours(db, entry.user_id, first, last, now)


def clipped_hours(intervals: Sequence[tuple[datetime, datetime]], day_start: datetime, day_end: datetime) -> float:
    """Hours of the intervals inside one local day (the one sum the run and the preview share)."""
    seconds = 0.0
    for start, end in intervals:
        seconds += max(0.0, (min(end, day_end) - max(start, day_start)).total_seconds())
    return seconds / 3600


async def task_facts(db: AsyncSession, task: Task, zone_name: str, now: datetime) -> dict[str, Any]:
    zone = get_zone_or_utc(zone_name)
    done_at = (task.completed_at or now).astimezone(zone)
    seconds = await _task_seconds(db, task.id)
    return {
        "notes": task.name,
        "project_id": task.project_id,
        "duration_minutes": float(seconds or 0) / 60,
        "weekday": done_at.isoweekday(),
        "start_hour": done_at.hour,
    }


async def _task_seconds(db: AsyncSession, task_id: int) -> float:
    rows = (
        await db.execute(
            select(TimeEntry.start_time, TimeEntry.end_time).where(
                TimeEntry.task_id == task_id, TimeEntry.end_time.is_not(None)
            )
        )
    ).all()
    return float(sum((end - start).total_seconds() for start, end in rows if end is not None))
