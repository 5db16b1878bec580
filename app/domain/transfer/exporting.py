"""Export (docs/import-export.md): `export_entry_batches` reads entries with a server-side
cursor (`yield_per`) and the stream helpers turn the batches into entries.csv and
daily.csv pieces in constant memory. A streamed response outlives the request's
`db_session` (the plugin closes it when the response starts), so give them a session
of their own.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from app.db.models import Project, Task, TimeEntry
from app.domain.transfer.csv_formats import DailyAccumulator, ExportEntry, daily_csv_rows, entries_csv_rows
from app.domain.transfer.writer import BATCH_SIZE
from app.lib.time import local_day_start

# ---------------------------------------------------------------- export


def day_range_bounds(
    first_day: date | None, last_day: date | None, zone: ZoneInfo
) -> tuple[datetime | None, datetime | None]:
    """[start of first_day, end of last_day) in UTC; None leaves that side open."""
    start = local_day_start(first_day, zone) if first_day is not None else None
    end = local_day_start(last_day + timedelta(days=1), zone) if last_day is not None else None
    return start, end


async def export_entry_batches(
    session: AsyncSession,
    user_id: int,
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    overlapping: bool = False,
    batch_size: int = BATCH_SIZE,
) -> AsyncIterator[list[ExportEntry]]:
    """The user's completed entries in start order, `batch_size` at a time, via a
    server-side cursor (constant memory).

    By default entries that START in [start, end) (so consecutive ranges never repeat
    an entry); `overlapping=True` takes every entry that overlaps the range (daily.csv).
    """
    task = aliased(Task)
    query = (
        select(
            TimeEntry.id,
            Project.name,
            task.name,
            TimeEntry.start_time,
            TimeEntry.end_time,
            TimeEntry.billable,
            TimeEntry.notes,
            TimeEntry.outcome,
            TimeEntry.tags,
        )
        .outerjoin(Project, Project.id == TimeEntry.project_id)
        .outerjoin(task, task.id == TimeEntry.task_id)
        .where(TimeEntry.user_id == user_id, TimeEntry.end_time.is_not(None))
        .order_by(TimeEntry.start_time, TimeEntry.id)
        .execution_options(yield_per=batch_size)
    )
    if overlapping:
        if start is not None:
            query = query.where(TimeEntry.end_time > start)
        if end is not None:
            query = query.where(TimeEntry.start_time < end)
    else:
        if start is not None:
            query = query.where(TimeEntry.start_time >= start)
        if end is not None:
            query = query.where(TimeEntry.start_time < end)
    result = await session.stream(query)
    async for partition in result.partitions(batch_size):
        yield [
            ExportEntry(
                id=eid,
                project=project,
                task=task_name,
                start=s,
                end=e,
                billable=bool(billable),
                notes=notes or "",
                outcome=outcome or "",
                tags=tuple(tags or ()),
            )
            for eid, project, task_name, s, e, billable, notes, outcome, tags in partition
            if e is not None  # the query excludes the running timer; this tells the type checker
        ]


async def entries_csv_stream(
    session: AsyncSession,
    user_id: int,
    zone: ZoneInfo,
    *,
    first_day: date | None = None,
    last_day: date | None = None,
) -> AsyncIterator[str]:
    """entries.csv for the entries starting on local days first_day..last_day (inclusive)."""
    start, end = day_range_bounds(first_day, last_day, zone)
    yield "".join(entries_csv_rows((), zone))
    async for batch in export_entry_batches(session, user_id, start=start, end=end):
        yield "".join(entries_csv_rows(batch, zone, header=False))


async def daily_csv_stream(
    session: AsyncSession,
    user_id: int,
    zone: ZoneInfo,
    *,
    first_day: date,
    last_day: date,
    standard_hours_per_day: float,
    working_days: Iterable[int],
) -> AsyncIterator[str]:
    """daily.csv: one row per local day first_day..last_day, empty days included."""
    days = DailyAccumulator(
        zone=zone,
        first_day=first_day,
        last_day=last_day,
        standard_hours_per_day=standard_hours_per_day,
        working_days=working_days,
    )
    yield "".join(daily_csv_rows(()))
    async for batch in export_entry_batches(
        session, user_id, start=days.range_start, end=days.range_end, overlapping=True
    ):
        finished = [row for entry in batch for row in days.add(entry)]
        if finished:
            yield "".join(daily_csv_rows(finished, header=False))
    yield "".join(daily_csv_rows(days.finish(), header=False))
