"""What Home's cards show, apart from the figures (CONTRACT section 7): entries grouped by
local day with day totals, recent projects, the task picker's list.

`group_by_day` is pure (unit-tested). A day's total splits entries across the local days
they overlap exactly like every figure of the app (`app.lib.time.split_by_day`, the rule
of CONTRACT section 4, "Attribution"): an entry from 23:00 to 01:00 gives one hour to each
day, and is listed under the day it started.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Generic, TypeVar
from zoneinfo import ZoneInfo

import msgspec
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import Project, Task, TimeEntry
from app.lib.time import local_date, split_by_day

T = TypeVar("T")
ENTRY_DAYS = 7  # the entries card: today and the 7 days before it
RECENT_PROJECTS = 6
RECENT_PROJECT_DAYS = 90


class DayGroup(msgspec.Struct, Generic[T]):
    day: date
    total_seconds: int
    entries: list[T]


def group_by_day(
    entries: Sequence[tuple[datetime, datetime, T]], zone: ZoneInfo, first: date, last: date
) -> list[DayGroup[T]]:
    """Completed entries as (start, end, item), grouped by local start day, newest day first.

    Only days in [first, last] that have an entry starting on them or seconds attributed to
    them appear. Items keep the order they were given in (callers pass newest first).
    """
    totals: dict[date, float] = {}
    listed: dict[date, list[T]] = {}
    for start, end, item in entries:
        for day, seconds in split_by_day(start, end, zone):
            if first <= day <= last:
                totals[day] = totals.get(day, 0.0) + seconds
        day = local_date(start, zone)
        if first <= day <= last:
            listed.setdefault(day, []).append(item)
    days = sorted(set(totals) | set(listed), reverse=True)
    return [DayGroup(day, int(round(totals.get(day, 0.0))), listed.get(day, [])) for day in days]


class RecentProject(msgspec.Struct):
    id: int
    name: str
    color: str


async def recent_projects(db: AsyncSession, user_id: int, now: datetime) -> list[RecentProject]:
    """The projects of the user's latest entries (not archived), most recent first."""
    last = func.max(TimeEntry.start_time).label("last")
    rows = await db.execute(
        select(Project.id, Project.name, Project.color, last)
        .join(TimeEntry, TimeEntry.project_id == Project.id)
        .where(
            TimeEntry.user_id == user_id,
            Project.user_id == user_id,
            Project.archived.is_(False),
            TimeEntry.start_time >= now - timedelta(days=RECENT_PROJECT_DAYS),
        )
        .group_by(Project.id, Project.name, Project.color)
        .order_by(last.desc(), Project.id)
        .limit(RECENT_PROJECTS)
    )
    return [RecentProject(pid, name, color) for pid, name, color, _ in rows]


class TaskChoice(msgspec.Struct):
    id: int
    name: str
    project_id: int


async def open_tasks(db: AsyncSession, user_id: int) -> list[TaskChoice]:
    """Tasks still to do on projects that are not archived: the timer's task picker."""
    rows = await db.execute(
        select(Task.id, Task.name, Task.project_id)
        .join(Project, Project.id == Task.project_id)
        .where(Task.user_id == user_id, Task.status == "todo", Project.archived.is_(False))
        .order_by(Project.name, Task.name, Task.id)
    )
    return [TaskChoice(tid, name, pid) for tid, name, pid in rows]
