"""entries.csv on PostgreSQL (asyncpg), without the ORM (issue 12 part 7; docs/performance.md).

The same lines as on SQLite (entry_lines.py): the query writes each instant as the UTC
text SQLite stores (`to_char(... AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US')`) and
the tags as their stored JSON text; project and task names are read once, not joined to
every row. The rows come through a cursor (DECLARE ... CURSOR, which PostgreSQL plans
for a fast start: rows in index order while the rest is still read, rather than a sort
of every entry before the first one) a batch at a time, the next batch travelling while
this one is turned into lines.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from typing import Any, Final
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import TimeEntry
from app.domain.transfer.csv_formats import entries_csv_rows
from app.domain.transfer.entry_lines import EntryLines, names_loader, stream_lines

_CURSOR: Final = "momentum_entries_export"
_UTC_TEXT: Final = "to_char({} AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US')"
_DECLARE: Final = (
    f"DECLARE {_CURSOR} NO SCROLL CURSOR FOR SELECT id, project_id, task_id, "
    + _UTC_TEXT.format("start_time") + ", " + _UTC_TEXT.format("end_time")
    + ", billable, notes, outcome, tags::text FROM time_entries WHERE {where} ORDER BY start_time, id"
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
    batches of `batch_size` rows through a server-side cursor."""
    yield "".join(entries_csv_rows((), zone))
    conditions = [TimeEntry.user_id == user_id, TimeEntry.end_time.is_not(None)]
    where = ["user_id = $1", "end_time IS NOT NULL"]
    params: list[object] = [user_id]
    if start is not None:
        conditions.append(TimeEntry.start_time >= start)
        params.append(start)
        where.append(f"start_time >= ${len(params)}")
    if end is not None:
        conditions.append(TimeEntry.start_time < end)
        params.append(end)
        where.append(f"start_time < ${len(params)}")
    # The range query begins the session's transaction, in which the cursor lives.
    connection = await session.connection()
    bounds = select(func.min(TimeEntry.start_time), func.max(TimeEntry.end_time)).where(*conditions)
    first, last = (await connection.execute(bounds)).one()
    if first is None or last is None:
        return
    raw_connection = await connection.get_raw_connection()
    driver: Any = raw_connection.driver_connection
    await driver.execute(_DECLARE.format(where=" AND ".join(where)), *params)
    fetch_rows = f"FETCH FORWARD {int(batch_size)} FROM {_CURSOR}"

    async def fetch() -> Sequence[Sequence[Any]]:
        return await driver.fetch(fetch_rows)  # type: ignore[no-any-return]

    async for chunk in stream_lines(EntryLines(zone, first, last), fetch, names_loader(connection, user_id)):
        yield chunk
    # Every row was read: the name is free again for another export in this transaction
    # (one that stops early ends with its session's transaction, which closes the cursor).
    await driver.execute(f"CLOSE {_CURSOR}")
