"""The thin query layer of planning: loads what the forecast and the estimate need.

A forecast reads two indexed row sets whatever the history length (`load_forecast_input`,
`load_project_time`): the project's budget fields with the user's history version, and
the project's own entries of the tallied span (about 90 days; filtered by project in SQL
from the covering index `ix_time_entries_user_start_cover`, never every project's),
split per local day by the shared tally; and, for a total budget, one SQL sum of the
project's completed entries that end before that span (docs/planning.md, "Time, days and
rounding"). On a SQLite file the first two run with `sqlite3` on the calling thread
(app/db/fastread.py): through aiosqlite their thread hand-offs cost more than the reads.

The sum reads every old entry of the project (a ten-year project: ~6,000 rows, ~13 ms on
SQLite), so it is cached under the user's history version: the span starts 83 days back,
and every write touching days older than 81 days bumps that version
(`app.db.rollups.refresh_days`), as a change of zone or an import does.
"""

from __future__ import annotations

import sqlite3
from datetime import date, datetime, timedelta
from typing import Any

import msgspec
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.config import OpenSession
from app.db.fastread import PgReader, SqliteReader
from app.db.rawsql import bind_utc as _bind
from app.db.rawsql import read_utc as _utc
from app.db.rawsql import sqlite_utc
from app.domain.planning.estimate import TaskTime
from app.domain.planning.forecast import BudgetSettings, ProjectTime
from app.domain.planning.inputs import project_time, span_start
from app.domain.tracking.reads import MAX_ENTRY, PROJECT_ENTRIES_SQL, entry_rows, load_entries
from app.lib import cache as cache_lib
from app.lib.time import get_zone_or_utc, local_date, local_day_start

__all__ = ["ForecastInput", "load_forecast_input", "load_project_time", "load_project_time_settled", "load_task_times"]

_SECOND = timedelta(seconds=1)
_ONE_DAY = timedelta(days=1)


def _dialect(db: AsyncSession) -> str:
    return db.bind.dialect.name if db.bind is not None else "sqlite"


def _duration_us(dialect: str, alias: str = "") -> str:
    """SQL for an entry's exact length in integer microseconds.

    SQLite stores DateTimeUTC as 'YYYY-MM-DD HH:MM:SS.ffffff' text: whole seconds from
    strftime plus the six fraction digits (julianday's floating point would drift).
    """
    start, end = f"{alias}start_time", f"{alias}end_time"
    if dialect == "sqlite":
        return (
            f"((CAST(strftime('%s', {end}) AS INTEGER) - CAST(strftime('%s', {start}) AS INTEGER)) * 1000000"
            f" + CAST(substr({end}, 21, 6) AS INTEGER) - CAST(substr({start}, 21, 6) AS INTEGER))"
        )
    return f"CAST(EXTRACT(EPOCH FROM ({end} - {start})) * 1000000 AS BIGINT)"


def _earlier_sql(dialect: str) -> Any:
    length = _duration_us(dialect)
    true = "1" if dialect == "sqlite" else "true"
    return text(
        f"SELECT COALESCE(SUM({length}), 0), COALESCE(SUM(CASE WHEN billable = {true} THEN {length} ELSE 0 END), 0),"
        " MIN(start_time) FROM time_entries"
        " WHERE user_id = :uid AND project_id = :pid AND end_time IS NOT NULL AND end_time <= :cut"
    )


async def load_project_time(
    db: AsyncSession,
    user_id: int,
    project_id: int,
    zone_name: str,
    now: datetime,
    *,
    whole_history: bool = True,
    history_version: int | None = None,
) -> ProjectTime:
    """The project's completed time per local day of the tallied span, plus (with
    `whole_history`, needed by total budgets) the sum of its time before the span.

    `history_version`: the user's `users.history_version` when the caller already read it
    (with the project row); otherwise it is read here."""
    time, _ = await load_project_time_settled(
        db, user_id, project_id, zone_name, now, whole_history=whole_history, history_version=history_version
    )
    return time


async def load_project_time_settled(
    db: AsyncSession,
    user_id: int,
    project_id: int,
    zone_name: str,
    now: datetime,
    *,
    whole_history: bool = True,
    history_version: int | None = None,
) -> tuple[ProjectTime, bool]:
    """`load_project_time`, and whether the result stays true for the rest of the local day
    while the data stay unchanged: False when one of the project's entries starts later
    today (entries may start a few minutes ahead, CONTRACT 2), since it counts from its
    start on. Only a settled result may be cached under the data version and the date."""
    cut = span_start(now, zone_name)
    zone = get_zone_or_utc(zone_name)
    day_end = local_day_start(local_date(now, zone) + _ONE_DAY, zone)
    hi = now + _SECOND
    loaded = await load_entries(db, user_id, cut, max(hi, day_end), project_id=project_id)
    entries = [e for e in loaded if e.start < hi]
    if whole_history:
        earlier = await _earlier_cached(db, user_id, project_id, zone_name, cut, history_version)
    else:
        earlier = _Earlier()
    time = project_time(
        entries,
        zone_name,
        now,
        earlier_us=earlier.us,
        earlier_billable_us=earlier.billable_us,
        earlier_first=earlier.first,
    )
    return time, len(entries) == len(loaded)


# The budget fields of one of the user's projects, with the user's history version (which
# keys the cached old-time sum): one indexed read, plain columns.
_PROJECT_SQL = (
    "SELECT p.budget_hours, p.budget_period, p.hourly_rate, p.due_date, u.history_version"
    " FROM projects p JOIN users u ON u.id = p.user_id WHERE p.id = :pid AND p.user_id = :uid"
)


class ForecastInput(msgspec.Struct, frozen=True):
    budget: BudgetSettings
    time: ProjectTime
    settled: bool  # see load_project_time_settled


def _budget(row: Any) -> BudgetSettings:
    hours, period, rate, due, _ = row
    if isinstance(due, str):  # SQLite stores a Date as 'YYYY-MM-DD'
        due = date.fromisoformat(due)
    return BudgetSettings(
        budget_hours=float(hours) if hours is not None else None,
        budget_period=period or "total",
        hourly_rate=float(rate) if rate is not None else None,
        due_date=due,
    )


async def load_forecast_input(
    open_db: OpenSession,
    reader: SqliteReader | PgReader | None,
    user_id: int,
    project_id: int,
    zone_name: str,
    now: datetime,
) -> ForecastInput | None:
    """Everything the forecast of one of the user's projects needs; None when the user has
    no such project.

    Two indexed reads in one snapshot: the project's budget fields with the history
    version, and the project's entries of the tallied span (as `load_project_time_settled`).
    `reader` answers them at the driver's level (app/db/fastread.py): on a SQLite file on
    the calling thread, on PostgreSQL with asyncpg directly; a database session is opened
    only without it, when SQLite cannot answer at once, or when the cached sum of a total
    budget's old time misses.
    """
    cut = span_start(now, zone_name)
    zone = get_zone_or_utc(zone_name)
    hi = now + _SECOND
    load_hi = max(hi, local_day_start(local_date(now, zone) + _ONE_DAY, zone))
    rows: list[list[tuple[Any, ...]]] | None = None
    params = {"uid": user_id, "pid": project_id}
    if isinstance(reader, PgReader):
        span_pg = {**params, "lo": cut - MAX_ENTRY, "hi": load_hi}
        rows = await reader.read([(_PROJECT_SQL, params), (PROJECT_ENTRIES_SQL, span_pg)])
    elif reader is not None:
        span = {**params, "lo": sqlite_utc(cut - MAX_ENTRY), "hi": sqlite_utc(load_hi)}
        try:
            rows = reader.read([(_PROJECT_SQL, params), (PROJECT_ENTRIES_SQL, span)])
        except sqlite3.Error:
            rows = None  # busy: the asynchronous path below waits like every other query
    if rows is None:  # one session: the same two reads, as load_project_time_settled makes them
        async with open_db() as db:
            found = (await db.execute(text(_PROJECT_SQL), {"uid": user_id, "pid": project_id})).first()
            if found is None:
                return None
            budget = _budget(found)
            time, settled = await load_project_time_settled(
                db, user_id, project_id, zone_name, now,
                whole_history=budget.budget_period == "total", history_version=found[4],
            )
        return ForecastInput(budget, time, settled)
    if not rows[0]:
        return None
    project, loaded = rows[0][0], entry_rows(rows[1], cut)
    budget = _budget(project)
    earlier = _Earlier()
    if budget.budget_period == "total":
        cached = await _earlier_from_cache(user_id, project_id, zone_name, cut, project[4])
        if cached is None:
            async with open_db() as db:
                cached = await _earlier_cached(db, user_id, project_id, zone_name, cut, project[4])
        earlier = cached
    entries = [e for e in loaded if e.start < hi]
    time = project_time(
        entries,
        zone_name,
        now,
        earlier_us=earlier.us,
        earlier_billable_us=earlier.billable_us,
        earlier_first=earlier.first,
    )
    return ForecastInput(budget, time, len(entries) == len(loaded))


class _Earlier(msgspec.Struct, array_like=True):
    us: int = 0
    billable_us: int = 0
    first: datetime | None = None


_earlier_encoder = msgspec.msgpack.Encoder()
_earlier_decoder = msgspec.msgpack.Decoder(_Earlier)
_EARLIER_TTL_SECONDS = 24 * 3600


def _earlier_key(user_id: int, project_id: int, zone_name: str, cut: datetime, version: int | None) -> str | None:
    if version is None:
        return None
    # 0 is a version too: a user whose old days never changed
    return f"plan-earlier:{user_id}:{project_id}:{version}:{zone_name}:{cut.isoformat()}"


async def _earlier_from_cache(
    user_id: int, project_id: int, zone_name: str, cut: datetime, version: int | None
) -> _Earlier | None:
    key = _earlier_key(user_id, project_id, zone_name, cut, version)
    raw = await cache_lib.get_bytes(key) if key else None
    return _earlier_decoder.decode(raw) if raw is not None else None


async def _earlier_cached(
    db: AsyncSession, user_id: int, project_id: int, zone_name: str, cut: datetime, version: int | None
) -> _Earlier:
    """The project's completed time ending before `cut`: total, billable and first start."""
    # The history version lives in the users row (moved by the unit of work when old days
    # change), so a cache that lost a write can never serve an old sum.
    if version is None:
        version = await db.scalar(text("SELECT history_version FROM users WHERE id = :uid"), {"uid": user_id})
    key = _earlier_key(user_id, project_id, zone_name, cut, version)
    cached = await _earlier_from_cache(user_id, project_id, zone_name, cut, version)
    if cached is not None:
        return cached
    params = {"uid": user_id, "pid": project_id, "cut": _bind(db, cut)}
    row = (await db.execute(_earlier_sql(_dialect(db)), params)).one()
    earlier = _Earlier(int(row[0]), int(row[1]), _utc(row[2]))
    if key:
        await cache_lib.set_bytes(key, _earlier_encoder.encode(earlier), _EARLIER_TTL_SECONDS)
    return earlier


def _tasks_sql(dialect: str) -> Any:
    length = _duration_us(dialect, "e.")
    return text(
        f"SELECT t.id, t.project_id, t.status, t.estimate_minutes, COALESCE(SUM({length}), 0)"
        " FROM tasks t LEFT JOIN time_entries e ON e.task_id = t.id AND e.end_time IS NOT NULL"
        " WHERE t.user_id = :uid GROUP BY t.id, t.project_id, t.status, t.estimate_minutes"
    )


async def load_task_times(db: AsyncSession, user_id: int) -> list[TaskTime]:
    """Every task of the user with its tracked time (the sum of its completed entries)."""
    rows = await db.execute(_tasks_sql(_dialect(db)), {"uid": user_id})
    return [
        TaskTime(int(tid), int(pid), str(status), int(tracked), int(estimate) if estimate is not None else None)
        for tid, pid, status, estimate, tracked in rows
    ]

