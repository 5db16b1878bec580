"""entries.csv on SQLite, without the ORM (issue 12 part 7: 25,000 entries in at most
200 ms over HTTP; docs/performance.md).

The rows come straight from the driver's cursor (aiosqlite), a batch at a time; the next
batch is read in the driver's thread while this one is turned into lines (entry_lines.py,
which also says how the lines stay byte for byte what the general writer writes). The
instants are read as SQLite stores them, the UTC text that entry_lines expects; project
and task names are read once (not joined to every row), in the same transaction.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from typing import Any, Final
from zoneinfo import ZoneInfo

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from app.domain.transfer.csv_formats import entries_csv_rows
from app.domain.transfer.entry_lines import EntryLines, names_loader, parse_stored, stored_text, stream_lines

_SELECT: Final = (
    "SELECT id, project_id, task_id, start_time, end_time, billable, notes, outcome, tags "
    "FROM time_entries WHERE {where} ORDER BY start_time, id"
)


def _where(bounded_start: bool, bounded_end: bool) -> str:
    where = ["user_id = :user_id", "end_time IS NOT NULL"]
    if bounded_start:
        where.append("start_time >= :start")
    if bounded_end:
        where.append("start_time < :end")
    return " AND ".join(where)


async def sqlite_entries_csv(
    session: AsyncSession,
    user_id: int,
    zone: ZoneInfo,
    *,
    start: datetime | None,
    end: datetime | None,
    batch_size: int = 5000,
) -> AsyncIterator[str]:
    """entries.csv (header included) for the entries starting in [start, end), streamed in
    batches of `batch_size` rows through the driver's cursor (5,000 rows, about 800 KB: each
    batch is a round trip to the driver's thread, which waits for the GIL while a batch is
    formatted, so fewer and larger ones finish sooner)."""
    yield "".join(entries_csv_rows((), zone))
    params: dict[str, Any] = {"user_id": user_id}
    if start is not None:
        params["start"] = stored_text(start)
    if end is not None:
        params["end"] = stored_text(end)
    where = _where(start is not None, end is not None)
    # The range query begins the session's transaction (BEGIN, app/db/config.py): the
    # names and the cursor below read the same snapshot.
    connection = await session.connection()
    first_text, last_text = (
        await connection.execute(text(f"SELECT min(start_time), max(end_time) FROM time_entries WHERE {where}"), params)
    ).one()
    first, last = parse_stored(first_text), parse_stored(last_text)
    if first is None or last is None:
        return
    raw_connection = await connection.get_raw_connection()
    driver: Any = raw_connection.driver_connection
    async with driver.execute(_SELECT.format(where=where), params) as cursor:

        async def fetch() -> Sequence[Sequence[Any]]:
            return await cursor.fetchmany(batch_size)  # type: ignore[no-any-return]

        async for chunk in stream_lines(EntryLines(zone, first, last), fetch, names_loader(connection, user_id)):
            yield chunk
