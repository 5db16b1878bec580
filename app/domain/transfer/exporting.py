"""Export (docs/import-export.md): `export_entry_batches` reads entries with a server-side
cursor (`yield_per`) and the stream helpers turn the batches into entries.csv and
daily.csv pieces in constant memory. A streamed response outlives the request's
`db_session` (the plugin closes it when the response starts), so give them a session
of their own.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import AsyncIterator, Iterable
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Final
from zoneinfo import ZoneInfo

from sqlalchemy import Text, select, type_coerce
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from app.db.models import Project, Task, TimeEntry
from app.domain.transfer.csv_formats import (
    DailyAccumulator,
    ExportEntry,
    daily_csv_rows,
    entries_csv_rows,
    format_local,
)
from app.domain.transfer.formulas import neutralise
from app.domain.transfer.postgres_export import postgres_entries_csv
from app.domain.transfer.sqlite_export import sqlite_entries_csv
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


class _Offsets:
    """The zone's UTC offset per UTC day, computed once per day seen and used only where it
    holds for the whole day, so days with a DST change (about two a year) fall back to
    format_local (precomputed zone conversion; issue 12 part 7)."""

    def __init__(self, zone: ZoneInfo) -> None:
        self._zone = zone
        self._days: dict[date, tuple[timedelta, str] | None] = {}

    def local(self, naive_utc: datetime) -> str:
        """RFC 3339 in the zone's offset at that instant (exactly as format_local)."""
        day = naive_utc.date()
        known = self._days.get(day, _UNKNOWN)
        if known is _UNKNOWN:
            midnight = datetime(day.year, day.month, day.day, tzinfo=UTC)
            first = midnight.astimezone(self._zone).utcoffset()
            last = (midnight + timedelta(days=1) - timedelta(microseconds=1)).astimezone(self._zone).utcoffset()
            known = None
            if first is not None and first == last:
                known = (first, midnight.astimezone(timezone(first)).isoformat()[19:])
            self._days[day] = known
        if known is None:
            return format_local(naive_utc.replace(tzinfo=UTC), self._zone)
        offset, suffix = known
        return (naive_utc + offset).isoformat() + suffix


_UNKNOWN: Final = (timedelta(0), "")


def _naive_utc(value: object) -> datetime:
    """A stored instant as naive UTC: SQLite hands out its text, PostgreSQL a datetime."""
    if isinstance(value, str):
        return datetime.fromisoformat(value)
    assert isinstance(value, datetime)
    return value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value


def _seconds_text(delta: timedelta) -> str:
    if delta.microseconds == 0:
        return str(delta.days * 86_400 + delta.seconds)
    return f"{delta.total_seconds():.6f}".rstrip("0")


async def entries_csv_stream(
    session: AsyncSession,
    user_id: int,
    zone: ZoneInfo,
    *,
    first_day: date | None = None,
    last_day: date | None = None,
    batch_size: int | None = None,
) -> AsyncIterator[str]:
    """entries.csv for the entries starting on local days first_day..last_day (inclusive),
    `batch_size` rows per chunk (default: each path's own).

    The same bytes as `entries_csv_rows` (csv_formats.py), built without per-row objects.
    On SQLite and on PostgreSQL with asyncpg, rows come from the driver's cursor and become
    lines as entry_lines.py describes (sqlite_export.py, postgres_export.py); elsewhere
    the columns are read raw through a server-side cursor (`yield_per`), datetimes are
    formatted with a per-day offset cache, the stored tags JSON is re-encoded once per
    distinct value, and `csv.writer.writerows` writes each batch.
    """
    start, end = day_range_bounds(first_day, last_day, zone)
    dialect = session.get_bind().dialect
    fast = (
        sqlite_entries_csv if dialect.name == "sqlite"
        else postgres_entries_csv if dialect.name == "postgresql" and dialect.driver == "asyncpg"
        else None
    )
    if fast is not None:
        sizes = {} if batch_size is None else {"batch_size": batch_size}
        async for chunk in fast(session, user_id, zone, start=start, end=end, **sizes):
            yield chunk
        return
    batch_size = batch_size or 2000
    yield "".join(entries_csv_rows((), zone))
    task = aliased(Task)
    query = (
        select(
            TimeEntry.id,
            Project.name,
            task.name,
            type_coerce(TimeEntry.start_time, Text),
            type_coerce(TimeEntry.end_time, Text),
            TimeEntry.billable,
            TimeEntry.notes,
            TimeEntry.outcome,
            type_coerce(TimeEntry.tags, Text),
        )
        .outerjoin(Project, Project.id == TimeEntry.project_id)
        .outerjoin(task, task.id == TimeEntry.task_id)
        .where(TimeEntry.user_id == user_id, TimeEntry.end_time.is_not(None))
        .order_by(TimeEntry.start_time, TimeEntry.id)
        .execution_options(yield_per=batch_size)
    )
    if start is not None:
        query = query.where(TimeEntry.start_time >= start)
    if end is not None:
        query = query.where(TimeEntry.start_time < end)
    offsets = _Offsets(zone)
    tags_text: dict[object, str] = {}
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    result = await session.stream(query)
    async for partition in result.partitions(batch_size):
        rows = []
        for eid, project, task_name, s_raw, e_raw, billable, notes, outcome, tags in partition:
            s, e = _naive_utc(s_raw), _naive_utc(e_raw)
            key = tags if isinstance(tags, str) else json.dumps(tags)
            tags_out = tags_text.get(key)
            if tags_out is None:
                parsed = json.loads(key) if key else []
                tags_out = tags_text[key] = json.dumps(list(parsed or ()), ensure_ascii=False, separators=(",", ":"))
            rows.append((
                eid, neutralise(project or ""), neutralise(task_name or ""), offsets.local(s), offsets.local(e),
                s.isoformat() + "Z", e.isoformat() + "Z", _seconds_text(e - s),
                "true" if billable else "false", neutralise(notes or ""), neutralise(outcome or ""), tags_out,
            ))
        writer.writerows(rows)
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()


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
