"""entries.csv on PostgreSQL (asyncpg), without the ORM (issue 12 part 7; docs/performance.md).

The same lines as on SQLite (entry_lines.py): the query writes each instant as the UTC
text SQLite stores (`to_char(... AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US')`) and
the tags as their stored JSON text, and the rows come from a server-side cursor of the
driver a batch at a time, the next batch travelling while this one is turned into lines.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any, Final
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import TimeEntry
from app.domain.transfer.csv_formats import entries_csv_rows
from app.domain.transfer.entry_lines import EntryLines

_UTC_TEXT: Final = "to_char({} AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US')"
_SELECT: Final = (
    "SELECT te.id, p.name, t.name, " + _UTC_TEXT.format("te.start_time") + ", " + _UTC_TEXT.format("te.end_time")
    + ", te.billable, te.notes, te.outcome, te.tags::text "
    "FROM time_entries AS te LEFT OUTER JOIN projects AS p ON p.id = te.project_id "
    "LEFT OUTER JOIN tasks AS t ON t.id = te.task_id WHERE {where} ORDER BY te.start_time, te.id"
)


async def postgres_entries_csv(
    session: AsyncSession,
    user_id: int,
    zone: ZoneInfo,
    *,
    start: datetime | None,
    end: datetime | None,
    batch_size: int = 2000,
) -> AsyncIterator[str]:
    """entries.csv (header included) for the entries starting in [start, end), streamed in
    batches of `batch_size` rows through the driver's cursor."""
    yield "".join(entries_csv_rows((), zone))
    conditions = [TimeEntry.user_id == user_id, TimeEntry.end_time.is_not(None)]
    where = ["te.user_id = $1", "te.end_time IS NOT NULL"]
    params: list[object] = [user_id]
    if start is not None:
        conditions.append(TimeEntry.start_time >= start)
        params.append(start)
        where.append(f"te.start_time >= ${len(params)}")
    if end is not None:
        conditions.append(TimeEntry.start_time < end)
        params.append(end)
        where.append(f"te.start_time < ${len(params)}")
    # The range query begins the session's transaction, which the cursor needs.
    connection = await session.connection()
    bounds = select(func.min(TimeEntry.start_time), func.max(TimeEntry.end_time)).where(*conditions)
    first, last = (await connection.execute(bounds)).one()
    if first is None or last is None:
        return
    lines = EntryLines(zone, first, last)
    raw_connection = await connection.get_raw_connection()
    driver: Any = raw_connection.driver_connection
    cursor = await driver.cursor(_SELECT.format(where=" AND ".join(where)), *params)
    ahead = asyncio.ensure_future(cursor.fetch(batch_size))
    try:
        while batch := await ahead:
            ahead = asyncio.ensure_future(cursor.fetch(batch_size))
            yield lines.text(batch)
    finally:
        ahead.cancel()  # the client went away: the read-ahead's rows are not wanted
