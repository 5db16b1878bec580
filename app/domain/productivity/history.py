"""The streak summary of a user's old history, cached (see docs/productivity.md).

The day_totals rollup it reads is maintained by `app/db/rollups.py`.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, NamedTuple

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import User
from app.db.rollups import HISTORY_TTL_SECONDS, history
from app.domain.accounts.schemas import UserPrefs
from app.domain.accounts.user_lookup import time_stamp
from app.domain.productivity.streak import HistorySummary, extend_summary, summarize_history
from app.lib import cache as cache_lib

_summary_encoder = msgspec.msgpack.Encoder()
_summary_decoder = msgspec.msgpack.Decoder(HistorySummary)


def summary_key(owner: str, history_version: int, prefs: UserPrefs, before: date) -> str:
    """The cache key of the streak summary of the days before `before`; `owner` is the
    account's cache id (its id and creation stamp, CurrentUser.cache_id)."""
    rules = f"{prefs.streak_min_minutes}:{int(prefs.streak_skip_non_working)}:{''.join(map(str, prefs.working_days))}"
    return f"hist:{owner}:{history_version}:{prefs.timezone}:{before.isoformat()}:{rules}"


def _key(user_id: int, prefs: UserPrefs, before: date, stamp: Any) -> str | None:
    if stamp is None:
        return None
    return summary_key(f"{user_id}.{time_stamp(stamp.created_at)}", stamp.history_version, prefs, before)


async def history_summary_from_cache(
    user_id: int,
    prefs: UserPrefs,
    before: date,
    stamp: HistoryStamp | None,
    gap: Gap,
    prefetched: tuple[str, bytes | None] | None = None,
) -> HistorySummary | None:
    """`history_summary_cached` when its cached summary is there (under `stamp`, read in the
    caller's snapshot with `gap`), or None: a miss. `prefetched` is a key and the cache's
    answer for it, asked before the snapshot (with the version read with the credential):
    used only when it is this snapshot's key, else the cache is asked again."""
    key = _key(user_id, prefs, gap.anchor, stamp)
    if key is not None and prefetched is not None and prefetched[0] == key:
        raw = prefetched[1]
    else:
        raw = await cache_lib.get_bytes(key) if key else None
    if raw is None:
        return None
    return extend_summary(_summary_decoder.decode(raw), gap.days, before, prefs)


class HistoryStamp(NamedTuple):
    """users.history_version and created_at: what names a user's old history in the cache."""

    history_version: int
    created_at: datetime


class Gap(NamedTuple):
    """The completed seconds of the days from `anchor` to the summary's day (rollup rows)."""

    anchor: date
    days: dict[date, float]


async def history_summary_cached(
    db: AsyncSession,
    user_id: int,
    prefs: UserPrefs,
    before: date,
    stamp: HistoryStamp | None = None,
    gap: Gap | None = None,
) -> HistorySummary:
    """The streak summary of the days before `before`, cached under the user's history
    version (`users.history_version`, moved only by writes that touch such old days),
    zone and streak rules.

    A cold stats call after an ordinary edit (which touches recent days only) reads
    this small summary instead of every tracked day of a long history. The version is
    read from the database before the rollup, so a summary is never stored under a
    version newer than its data, and no cache state can revive an older one. A caller
    that read the version already, in this transaction and before the rollup, passes it
    as `stamp` (the stats inputs read it with everything else: one round trip less).

    With `gap`, the summary cached is the one before `gap.anchor` (the same day for every
    period: the stats pass the earliest load start of any period), and the days from there
    to `before` are added from `gap.days` (`extend_summary`): periods whose windows start
    on different days share one cached summary instead of each reading the whole rollup.
    """
    row: Any = stamp
    if row is None:
        row = (await db.execute(select(User.history_version, User.created_at).where(User.id == user_id))).first()
    cut = gap.anchor if gap is not None else before
    key = _key(user_id, prefs, cut, row)
    summary: HistorySummary | None = None
    if key:
        raw = await cache_lib.get_bytes(key)
        if raw is not None:
            summary = _summary_decoder.decode(raw)
    if summary is None:
        summary = summarize_history(await history(db, user_id, before=cut), cut, prefs)
        if key:
            await cache_lib.set_bytes(key, _summary_encoder.encode(summary), HISTORY_TTL_SECONDS)
    return extend_summary(summary, gap.days, before, prefs) if gap is not None else summary
