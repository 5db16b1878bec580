"""entries.csv on SQLite, without the ORM (issue 12 part 7: 25,000 entries in at most
200 ms over HTTP; docs/performance.md).

The rows come straight from the driver's cursor (aiosqlite), a batch at a time; the next
batch is read in the driver's thread while this one is turned into lines (entry_lines.py,
which also says how the lines stay byte for byte what the general writer writes). The
instants are read as SQLite stores them, the UTC text that entry_lines expects.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any, Final
from zoneinfo import ZoneInfo

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from app.domain.transfer.csv_formats import entries_csv_rows
from app.domain.transfer.entry_lines import EntryLines, parse_stored, stored_text

_SELECT: Final = (
    "SELECT te.id, p.name, t.name, te.start_time, te.end_time, te.billable, te.notes, te.outcome, te.tags "
    "FROM time_entries AS te LEFT OUTER JOIN projects AS p ON p.id = te.project_id "
    "LEFT OUTER JOIN tasks AS t ON t.id = te.task_id WHERE {where} ORDER BY te.start_time, te.id"
)


def _where(bounded_start: bool, bounded_end: bool, prefix: str = "") -> str:
    where = [f"{prefix}user_id = :user_id", f"{prefix}end_time IS NOT NULL"]
    if bounded_start:
        where.append(f"{prefix}start_time >= :start")
    if bounded_end:
        where.append(f"{prefix}start_time < :end")
    return " AND ".join(where)


async def sqlite_entries_csv(
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
    params: dict[str, Any] = {"user_id": user_id}
    if start is not None:
        params["start"] = stored_text(start)
    if end is not None:
        params["end"] = stored_text(end)
    bounded = (start is not None, end is not None)
    # The range query begins the session's transaction (BEGIN, app/db/config.py): the
    # cursor below reads the same snapshot.
    connection = await session.connection()
    first_text, last_text = (await connection.execute(
        text(f"SELECT min(start_time), max(end_time) FROM time_entries WHERE {_where(*bounded)}"), params)).one()
    first, last = parse_stored(first_text), parse_stored(last_text)
    if first is None or last is None:
        return
    lines = EntryLines(zone, first, last)
    raw_connection = await connection.get_raw_connection()
    driver: Any = raw_connection.driver_connection
    async with driver.execute(_SELECT.format(where=_where(*bounded, prefix="te.")), params) as cursor:
        # The driver reads the next batch in its thread while this one is formatted here.
        ahead = asyncio.ensure_future(cursor.fetchmany(batch_size))
        try:
            while batch := await ahead:
                ahead = asyncio.ensure_future(cursor.fetchmany(batch_size))
                yield lines.text(batch)
        finally:
            ahead.cancel()  # the client went away: the read-ahead's rows are not wanted
