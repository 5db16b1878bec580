"""ProductivityService: cached stats for one user, shared by the JSON API and the page.

The payload is cached per user, period and local date for 5 minutes under the user's
data version as the database holds it (`users.data_version`, read with the credential
on every request), so any write makes the next call fresh on every instance, and no
cache state (a restart from its append-only file, a hang, an eviction) can serve a
payload computed before a write. A payload computed while a timer runs is never stored: its live figures
change every second. A cached payload therefore always describes a state without a
running timer, and starting a timer is a write that changes the version.
"""

from __future__ import annotations

import gzip as gzip_lib
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.config import OpenSession
from app.db.fastread import PgReader, SqliteReader
from app.domain.accounts.schemas import CurrentUser
from app.domain.goals.compute import goals_progress
from app.domain.productivity import queries
from app.domain.productivity.figures import compute_stats_and_base
from app.domain.productivity.live import LiveBase, overlay_live
from app.domain.productivity.schemas import StatsPayload
from app.domain.productivity.sessions import SessionInsights, compute_session_insights
from app.domain.tracking.reads import load_entries, load_entries_with_outcome_fast
from app.lib import cache as cache_lib
from app.lib.errors import ValidationError
from app.lib.time import get_zone, local_day_start

DEFAULT_PERIOD = 30
PERIODS = (7, 14, 30, 90)

_stats_encoder = msgspec.json.Encoder()
_stats_decoder = msgspec.json.Decoder(StatsPayload)
_live_encoder = msgspec.msgpack.Encoder()
_live_decoder = msgspec.msgpack.Decoder(LiveBase)
_sessions_decoder = msgspec.json.Decoder(SessionInsights)


def parse_period(raw: str | None) -> int:
    """CONTRACT section 4: integer, default 30, clamped to 1..90; not an integer → 400."""
    if raw is None or raw.strip() == "":
        return DEFAULT_PERIOD
    try:
        value = int(raw.strip())
    except ValueError as exc:
        raise ValidationError("must be an integer number of days", field="period") from exc
    return max(1, min(90, value))


Store = Callable[[], Awaitable[None]]


class StatsResult(msgspec.Struct):
    payload: StatsPayload | None
    raw: bytes
    timer_running: bool
    gzipped: bool = False
    # With `stats(defer_store=True)`: the cache write of a payload computed now, for the
    # caller to run after its response is sent (None: nothing to store).
    store: Store | None = None

    def decoded(self) -> StatsPayload:
        if self.payload is not None:
            return self.payload
        return _stats_decoder.decode(gzip_lib.decompress(self.raw) if self.gzipped else self.raw)


def _key(user: CurrentUser, period: int, today: str, kind: str = "stats") -> str | None:
    """The cache key under the data version read with the credential (None: do not cache).

    The version comes from the database (`users.data_version`, moved by every write), so
    a cache that missed a write or came back from disk holds only unreachable keys.
    A handler that writes and then renders figures in one request must resolve the
    user again: the version read at authentication predates its own write.
    """
    if user.data_version is None:
        return None
    return cache_lib.stats_key(user.cache_id, user.data_version, period, today, kind)


# The payload keys this instance stored or found in the cache lately: a hint of which
# round trip a call needs (`stats`), never a truth — such a key may have expired since, and
# a key another instance stored is not in it until this one finds it.
_STORED_KEYS_LIMIT = 4096
_stored_keys: dict[str, None] = {}


def _remember(key: str) -> None:
    if key not in _stored_keys:
        if len(_stored_keys) >= _STORED_KEYS_LIMIT:
            del _stored_keys[next(iter(_stored_keys))]  # the oldest
        _stored_keys[key] = None


def _storing(values: dict[str, bytes], remember: str | None = None) -> Store:
    """The cache write of `values` (under the stats TTL), to run now or after the response;
    `remember`: the payload key it stores (`_stored_keys`)."""

    async def store() -> None:
        await cache_lib.set_many_bytes(values, cache_lib.STATS_TTL_SECONDS)
        if remember is not None:
            _remember(remember)

    return store


def _gzip(raw: bytes) -> bytes:
    return gzip_lib.compress(raw, compresslevel=6, mtime=0)


class ProductivityService:
    """Opens a database session only on a cache miss: a warm call touches no database."""

    def __init__(self, open_db: OpenSession, default_zone: str, reader: SqliteReader | PgReader | None = None) -> None:
        self.open_db = open_db
        self.default_zone = default_zone
        # A cold call reads its inputs at the driver's level when it can (app/db/fastread.py):
        # on a SQLite file on the event loop's thread (queries.load_inputs_fast), on PostgreSQL
        # with asyncpg directly (load_inputs_fast_pg); else through a database session.
        self.reader = reader

    async def stats(
        self,
        user: CurrentUser,
        period: int,
        now: datetime | None = None,
        *,
        gzip: bool = False,
        defer_store: bool = False,
    ) -> StatsResult:
        """The payload, from the cache when fresh. With `gzip`, `raw` is the gzip-compressed
        JSON (compressed once when stored, never per request). With `defer_store`, a payload
        computed now is not stored here: `store` of the result does it, and the caller runs
        it once the response is sent (the answer does not wait for the cache's round trip)."""
        now = now or datetime.now(UTC)
        prefs = user.prefs(self.default_zone)
        today = now.astimezone(get_zone(prefs.timezone)).date()
        key = _key(user, period, today.isoformat())
        prefetched = None
        if key:
            main = key + ":gz" if gzip else key
            if key in _stored_keys:  # most likely a hit: the payload alone
                cached = await cache_lib.get_bytes(main)
                if cached is not None:
                    return StatsResult(payload=None, raw=cached, timer_running=False, gzipped=gzip)
                _stored_keys.pop(key, None)
            # Most likely a miss (a write made a new version): the payload, its live part and
            # the streak summary (under the history version read with the credential; the
            # read below confirms it) in one round trip, as a miss needs the other two at once.
            hist_key = queries.history_key(user.cache_id, user.history_version, prefs, now) if self.reader else None
            wanted = [main, key + ":live"]
            cached, live, *summary = await cache_lib.get_many_bytes(wanted if hist_key is None else [*wanted, hist_key])
            if cached is not None:
                _remember(key)
                return StatsResult(payload=None, raw=cached, timer_running=False, gzipped=gzip)
            if hist_key is not None:
                prefetched = (hist_key, summary[0])
            if live is not None:
                # A timer runs: the completed part is cached, the live fields are re-derived
                # for this `now` (docs/productivity.md, "Caching").
                payload = overlay_live(_live_decoder.decode(live), now)
                return self._result(payload, gzip)
        fast = None
        if isinstance(self.reader, PgReader):
            fast = await queries.load_inputs_fast_pg(self.reader, user.id, prefs, now, period, prefetched)
        elif self.reader is not None:
            fast = await queries.load_inputs_fast(self.reader, user.id, prefs, now, period, prefetched)
        if fast is not None:
            payload, base = self._figures(fast, user, period, now)
        else:
            async with self.open_db() as db:
                payload, base = await self.compute_with_base(db, user, period, now)
        raw = _stats_encoder.encode(payload)
        running = payload.summary.active_timer is not None
        packed = _gzip(raw) if gzip or (key and not running) else b""
        store: Store | None = None
        if key and not running:
            store = _storing({key: raw, key + ":gz": packed}, remember=key)
        elif key and base is not None and not payload.goals:
            # Goals count the running timer live too; with goals defined the payload is
            # recomputed while a timer runs (docs/productivity.md, "Caching").
            store = _storing({key + ":live": _live_encoder.encode(base)})
        if store is not None and not defer_store:
            await store()
            store = None
        if gzip:
            return StatsResult(payload=payload, raw=packed, timer_running=running, gzipped=True, store=store)
        return StatsResult(payload=payload, raw=raw, timer_running=running, store=store)

    def _key_at(self, user: CurrentUser, period: int, now: datetime, kind: str) -> str | None:
        """`_key` of `kind` for the user's local date at `now`."""
        today = now.astimezone(get_zone(user.prefs(self.default_zone).timezone)).date()
        return _key(user, period, today.isoformat(), kind)

    def fragment_key(self, user: CurrentUser, period: int, name: str, now: datetime) -> str | None:
        """The key of a card rendered from `stats(user, period, now)`'s payload: the same data
        version, period and local date (None: not cached). Only a card rendered while no
        timer runs is stored, as only such a payload is (docs/productivity.md, "Caching")."""
        return self._key_at(user, period, now, f"card-{name}")

    @staticmethod
    def _result(payload: StatsPayload, gzip: bool) -> StatsResult:
        raw = _stats_encoder.encode(payload)
        running = payload.summary.active_timer is not None
        if gzip:
            return StatsResult(payload=payload, raw=_gzip(raw), timer_running=running, gzipped=True)
        return StatsResult(payload=payload, raw=raw, timer_running=running)

    async def compute(self, db: AsyncSession, user: CurrentUser, period: int, now: datetime) -> StatsPayload:
        return (await self.compute_with_base(db, user, period, now))[0]

    async def compute_with_base(
        self, db: AsyncSession, user: CurrentUser, period: int, now: datetime
    ) -> tuple[StatsPayload, LiveBase | None]:
        inputs = await queries.load_inputs(db, user.id, user.prefs(self.default_zone), now, period)
        return self._figures(inputs, user, period, now)

    def _figures(
        self, inputs: queries.Inputs, user: CurrentUser, period: int, now: datetime
    ) -> tuple[StatsPayload, LiveBase | None]:
        prefs = user.prefs(self.default_zone)
        today = now.astimezone(get_zone(prefs.timezone)).date()
        progress = goals_progress(
            inputs.goals,
            entries=inputs.entries,
            completed_tasks=inputs.completed_tasks,
            prefs=prefs,
            now=now,
            day=today,
        )
        return compute_stats_and_base(
            entries=inputs.entries,
            day_seconds_history={},
            history_summary=inputs.history,
            projects=inputs.projects,
            prefs=prefs,
            now=now,
            period=period,
            week_goal_hours=inputs.week_goal_hours,
            active_timer=inputs.active_timer,
            goals=progress,
        )

    async def sessions_json(self, user: CurrentUser, period: int, now: datetime | None = None) -> bytes:
        """The insights as JSON: the cached bytes as they are (a warm call decodes and encodes
        nothing), else computed now (and kept, as `sessions` keeps them)."""
        now = now or datetime.now(UTC)
        key = self._key_at(user, period, now, "sessions")
        cached = await cache_lib.get_bytes(key) if key else None
        if cached is not None:
            return cached
        return (await self._compute_sessions(user, period, now, key))[1]

    async def sessions(self, user: CurrentUser, period: int, now: datetime | None = None) -> SessionInsights:
        now = now or datetime.now(UTC)
        key = self._key_at(user, period, now, "sessions")
        cached = await cache_lib.get_bytes(key) if key else None
        if cached is not None:
            return _sessions_decoder.decode(cached)
        return (await self._compute_sessions(user, period, now, key))[0]

    async def _compute_sessions(
        self, user: CurrentUser, period: int, now: datetime, key: str | None
    ) -> tuple[SessionInsights, bytes]:
        """The insights from the entries and their JSON, kept under `key` unless a timer runs."""
        prefs = user.prefs(self.default_zone)
        zone = get_zone(prefs.timezone)
        lo = local_day_start(now.astimezone(zone).date() - timedelta(days=period - 1), zone)
        entries = None
        if isinstance(self.reader, SqliteReader):
            entries = load_entries_with_outcome_fast(self.reader, user.id, lo, now)
        if entries is None:
            async with self.open_db() as db:
                entries = await load_entries(db, user.id, lo, now, with_outcome=True)
        result = compute_session_insights(entries=entries, prefs=prefs, now=now, period=period)
        raw = _stats_encoder.encode(result)
        if key and not any(e.end is None for e in entries):
            await cache_lib.set_bytes(key, raw, cache_lib.STATS_TTL_SECONDS)
        return result, raw
