"""The entry read model: time entries as plain `EntryRow`s for the figures
(productivity, goals), read without per-row ORM processing."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.fastread import SqliteReader
from app.db.rawsql import bind_utc, read_utc, sqlite_utc
from app.domain.tracking.schemas import EntryRow

MAX_ENTRY = timedelta(days=7)


async def load_entries(
    db: AsyncSession,
    user_id: int,
    lo: datetime,
    hi: datetime,
    *,
    with_outcome: bool = False,
    project_id: int | None = None,
) -> list[EntryRow]:
    """Entries overlapping [lo, hi), the running timer included; with `project_id`, that
    project's only (filtered by the database, from the same covering index).

    The hot query of a cold stats call: it reads plain columns and converts the two
    datetimes itself, several times cheaper than per-row type processing.
    """
    params: dict[str, object] = {"uid": user_id, "lo": bind_utc(db, lo - MAX_ENTRY), "hi": bind_utc(db, hi)}
    if project_id is not None:
        params["pid"] = project_id
        sql = _PROJECT_ENTRIES_SQL
    else:
        sql = _ENTRIES_OUTCOME_SQL if with_outcome else _ENTRIES_SQL
    return entry_rows(await db.execute(sql, params), lo)


def entry_rows(rows: Iterable[Sequence[Any]], lo: datetime) -> list[EntryRow]:
    """`EntryRow`s from the rows of the queries below (entries ending by `lo` dropped)."""
    out: list[EntryRow] = []
    for ident, project_id, raw_start, raw_end, billable, *outcome in rows:
        has_outcome = bool(outcome and outcome[0])
        start, end = read_utc(raw_start), read_utc(raw_end)
        if start is None or (end is not None and end <= lo):
            continue
        out.append(EntryRow(ident, project_id, start, end, bool(billable), bool(has_outcome)))
    return out


def entries_bounds(db: AsyncSession, lo: datetime, hi: datetime) -> dict[str, Any]:
    """The bind parameters `:elo` / `:ehi` of ENTRIES_JSON_SQLITE for entries overlapping [lo, hi)."""
    return {"elo": bind_utc(db, lo - MAX_ENTRY), "ehi": bind_utc(db, hi)}


# The same rows as one JSON array inside a larger SQLite statement (the stats inputs read
# everything in one round trip, app/domain/productivity/queries.py), with the parameters
# of `entries_bounds` and `:uid`; still answered from the covering index alone.
ENTRIES_JSON_SQLITE = (
    "(SELECT json_group_array(json_array(id, project_id, start_time, end_time, billable)) "
    "FROM time_entries WHERE user_id = :uid AND start_time >= :elo AND start_time < :ehi)"
)
_entries_json = msgspec.json.Decoder(list[tuple[int, int | None, str, str | None, int]])


def entries_from_json(raw: str | bytes, lo: datetime) -> list[EntryRow]:
    """The rows of ENTRIES_JSON_SQLITE as `load_entries` returns them for the same [lo, hi).

    Decoding one JSON text and parsing the stored UTC text directly costs about half of
    stepping through the rows one by one."""
    out: list[EntryRow] = []
    fromisoformat = datetime.fromisoformat
    for ident, project_id, raw_start, raw_end, billable in _entries_json.decode(raw):
        start = fromisoformat(raw_start + "+00:00")
        end = fromisoformat(raw_end + "+00:00") if raw_end is not None else None
        if end is not None and end <= lo:
            continue
        out.append(EntryRow(ident, project_id, start, end, bool(billable)))
    return out


# The same rows as one JSON array inside a larger PostgreSQL statement (the stats inputs
# read everything in one round trip, app/domain/productivity/queries.py), with the
# parameters of `entries_bounds` and `:uid`; still answered from the covering index alone.
# PostgreSQL writes timestamps in JSON as ISO 8601 whatever its DateStyle, and msgspec
# parses them in C. Five arrays (id, project, start, end, billable) cost less for
# PostgreSQL to build but far more to decode: asyncpg builds each datetime of an array
# from a timedelta. For the 10-year demo user's 669 entries, fetching and converting took
# 0.98 ms as arrays and 0.72 ms as JSON (docs/productivity.md, "Caching").
ENTRIES_JSON_PG = (
    "(SELECT json_agg(json_build_array(id, project_id, start_time, end_time, billable)) "
    "FROM time_entries WHERE user_id = :uid AND start_time >= :elo AND start_time < :ehi)"
)
_entries_pg = msgspec.json.Decoder(list[tuple[int, int | None, datetime, datetime | None, bool]])
_entries_pg_text = msgspec.json.Decoder(list[tuple[int, int | None, str, str | None, bool]])


def entries_from_pg_json(raw: str | bytes | list[Any] | None, lo: datetime) -> list[EntryRow]:
    """The rows of ENTRIES_JSON_PG as `load_entries` returns them for the same [lo, hi):
    `raw` as asyncpg hands it out (text), or already decoded (a connection with a JSON
    codec, as SQLAlchemy's); None when no row matched.

    The instants carry the session's UTC offset (+00:00 on a server in UTC); any other is
    converted. An offset RFC 3339 cannot hold (with seconds: a zone's local mean time of
    long ago) is read by the general parser instead."""
    if raw is None:
        return []
    rows: list[Any]
    if isinstance(raw, list):
        rows = raw
    else:
        data = raw.encode() if isinstance(raw, str) else raw
        try:
            rows = _entries_pg.decode(data)
        except msgspec.ValidationError:
            rows = _entries_pg_text.decode(data)
    out: list[EntryRow] = []
    append = out.append
    fromisoformat = datetime.fromisoformat
    first: Any
    last: Any
    for ident, project_id, first, last, billable in rows:
        start: datetime = fromisoformat(first) if type(first) is str else first
        end: datetime | None = fromisoformat(last) if type(last) is str else last
        if start.tzinfo is not UTC:
            start = start.astimezone(UTC)
        if end is not None and end.tzinfo is not UTC:
            end = end.astimezone(UTC)
        if end is None or end > lo:
            append(EntryRow(ident, project_id, start, end, billable))
    return out


# Answered from ix_time_entries_user_start_cover alone (no table row is read).
# Also run with asyncpg directly (productivity.queries.load_inputs_fast_pg), hence a plain string.
ENTRIES_SQL = (
    "SELECT id, project_id, start_time, end_time, billable "
    "FROM time_entries WHERE user_id = :uid AND start_time >= :lo AND start_time < :hi"
)
_ENTRIES_SQL = text(ENTRIES_SQL)
# One project's (the forecast): project_id is a column of the same index, so the database
# skips the other projects' rows inside the index instead of returning them. Also read
# with `sqlite3` directly (app/db/fastread.py), hence the plain string.
PROJECT_ENTRIES_SQL = (
    "SELECT id, project_id, start_time, end_time, billable FROM time_entries"
    " WHERE user_id = :uid AND start_time >= :lo AND start_time < :hi AND project_id = :pid"
)
_PROJECT_ENTRIES_SQL = text(PROJECT_ENTRIES_SQL)
# Session insights also need to know whether each session recorded an outcome.
# Also read with `sqlite3` directly (`load_entries_fast`), hence the plain string.
ENTRIES_OUTCOME_SQL = (
    "SELECT id, project_id, start_time, end_time, billable, "
    "CASE WHEN TRIM(outcome) <> '' THEN 1 ELSE 0 END "
    "FROM time_entries WHERE user_id = :uid AND start_time >= :lo AND start_time < :hi"
)
_ENTRIES_OUTCOME_SQL = text(ENTRIES_OUTCOME_SQL)


def load_entries_with_outcome_fast(
    reader: SqliteReader, user_id: int, lo: datetime, hi: datetime
) -> list[EntryRow] | None:
    """`load_entries(..., with_outcome=True)` with `sqlite3` on the calling thread
    (app/db/fastread.py); None when SQLite cannot answer at once (take `load_entries`)."""
    params = {"uid": user_id, "lo": sqlite_utc(lo - MAX_ENTRY), "hi": sqlite_utc(hi)}
    try:
        rows = reader.read([(ENTRIES_OUTCOME_SQL, params)])
    except sqlite3.Error:
        return None
    return entry_rows(rows[0], lo)
