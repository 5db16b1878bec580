"""The day_totals rollup: completed seconds per local day, for the streak over a
user's whole history (so a cold stats call never scans ten years of entries).

Maintained inside the writing transaction: after any entry write the days the old
and the new interval touch are recomputed from the entries themselves, so the rollup
can never drift by accumulation errors. A change of time zone rebuilds it whole.

The db layer: it imports only `app.lib` and `app.db.models`. The cached streak summary
built on `history` is `app/domain/productivity/history.py`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import delete, insert, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import DayTotal, TimeEntry
from app.lib.time import get_zone, local_date, local_day_bounds, split_by_day

Interval = tuple[datetime, datetime | None]

# Session flag: this transaction changed days old enough to be part of the cached
# history (see productivity's history_summary_cached); the write path then moves
# `users.history_version` in the same transaction (`move_history_version`).
# Stats windows start at least 83 days back; 81 leaves slack for zones.
HISTORY_CHANGED = "momentum_history_changed"
HISTORY_HORIZON_DAYS = 81
HISTORY_TTL_SECONDS = 24 * 3600


async def refresh_days(
    db: AsyncSession, user_id: int, zone_name: str, intervals: Iterable[Interval], *, today: datetime | None = None
) -> None:
    """Recompute the rollup for every local day touched by `intervals` (running ones ignored).

    `today`: the instant that decides which days count as old history (default: now).
    """
    zone = get_zone(zone_name)
    days: set[date] = set()
    for start, end in intervals:
        if end is None or end <= start:
            continue
        day = local_date(start, zone)
        last = local_date(end - timedelta(microseconds=1), zone)
        while day <= last:
            days.add(day)
            day += timedelta(days=1)
    if not days:
        return
    first, last = min(days), max(days)
    if first <= (today or datetime.now(UTC)).astimezone(zone).date() - timedelta(days=HISTORY_HORIZON_DAYS):
        db.info[HISTORY_CHANGED] = True
    lo, _ = local_day_bounds(first, zone)
    _, hi = local_day_bounds(last, zone)
    rows = await db.execute(
        select(TimeEntry.start_time, TimeEntry.end_time).where(
            TimeEntry.user_id == user_id,
            TimeEntry.end_time.is_not(None),
            TimeEntry.start_time < hi,
            TimeEntry.end_time > lo,
        )
    )
    totals: dict[date, float] = defaultdict(float)
    for start, end in rows:
        if end is None:
            continue
        for day, seconds in split_by_day(max(start, lo), min(end, hi), zone):
            if day in days:
                totals[day] += seconds
    await db.execute(delete(DayTotal).where(DayTotal.user_id == user_id, DayTotal.day.in_(days)))
    values = [{"user_id": user_id, "day": d, "seconds": s} for d, s in sorted(totals.items()) if s > 0]
    if values:
        await db.execute(insert(DayTotal), values)


async def add_seconds(
    db: AsyncSession, user_id: int, deltas: dict[date, float], *, today: datetime | None = None
) -> None:
    """Add seconds to local days' totals (an import that only added entries whose days it
    summed itself, in the user's current zone; docs/import-export.md). An upsert: one
    statement per 5,000 days, no read of the entries."""
    if not deltas:
        return
    zone_today = (today or datetime.now(UTC)).date()
    if min(deltas) <= zone_today - timedelta(days=HISTORY_HORIZON_DAYS + 1):
        db.info[HISTORY_CHANGED] = True
    dialect = db.bind.dialect.name if db.bind is not None else "sqlite"
    upsert: Any
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as upsert
    else:
        from sqlalchemy.dialects.sqlite import insert as upsert
    values = [{"user_id": user_id, "day": d, "seconds": s} for d, s in sorted(deltas.items()) if s > 0]
    for i in range(0, len(values), 5000):
        stmt = upsert(DayTotal)
        stmt = stmt.on_conflict_do_update(
            index_elements=["user_id", "day"], set_={"seconds": DayTotal.seconds + stmt.excluded.seconds}
        )
        await db.execute(stmt, values[i : i + 5000])


async def rebuild_all(db: AsyncSession, user_id: int, zone_name: str) -> None:
    """Rebuild the whole rollup of a user (after a time-zone change or a bulk import)."""
    zone = get_zone(zone_name)
    db.info[HISTORY_CHANGED] = True
    await db.execute(delete(DayTotal).where(DayTotal.user_id == user_id))
    totals: dict[date, float] = defaultdict(float)
    result = await db.stream(
        select(TimeEntry.start_time, TimeEntry.end_time)
        .where(TimeEntry.user_id == user_id, TimeEntry.end_time.is_not(None))
        .execution_options(yield_per=5000)
    )
    async for start, end in result:
        if end is None:
            continue
        for day, seconds in split_by_day(start, end, zone):
            totals[day] += seconds
    values = [{"user_id": user_id, "day": d, "seconds": s} for d, s in sorted(totals.items()) if s > 0]
    for i in range(0, len(values), 5000):
        await db.execute(insert(DayTotal), values[i : i + 5000])


async def history(db: AsyncSession, user_id: int, before: date | None = None) -> dict[date, float]:
    """Completed seconds per local day over the whole history (optionally before a date).

    Read as plain columns (one small row per tracked day; a ten-year user has ~2,500):
    per-row ORM processing would cost more than the query itself.
    """
    sql = "SELECT day, seconds FROM day_totals WHERE user_id = :uid"
    params: dict[str, object] = {"uid": user_id}
    if before is not None:
        sql += " AND day < :before"
        params["before"] = before.isoformat() if _is_sqlite(db) else before
    rows = await db.execute(text(sql), params)
    return {(day if isinstance(day, date) else date.fromisoformat(day)): float(seconds) for day, seconds in rows}


def _is_sqlite(db: AsyncSession) -> bool:
    return db.bind is not None and db.bind.dialect.name == "sqlite"


async def move_history_version(db: AsyncSession, user_id: int) -> None:
    """Move `users.history_version` when this transaction set HISTORY_CHANGED: it keys the
    cached history summary, so the database (not the cache) decides when it is stale."""
    if db.info.get(HISTORY_CHANGED):
        await db.execute(
            text("UPDATE users SET history_version = history_version + 1 WHERE id = :uid"), {"uid": user_id}
        )
