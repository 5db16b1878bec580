"""The cache (cashews): an accelerator, never a single point of failure (CONTRACT section 6).

Every call goes through `_guarded`: a short timeout (`CALL_TIMEOUT`) and a circuit
breaker. After a failure (Redis down, hung or refusing) the cache is skipped for
`OPEN_SECONDS`; then one request probes it again. While it is skipped every read is a
miss and every write is dropped, so requests answer from the database within a few
hundred milliseconds of their normal time (docs/operations.md, "Redis").

Freshness (CONTRACT section 4) does not depend on the cache: cached payloads are keyed
by the user's data version *from the database* (`users.data_version`, moved by every
write, docs/productivity.md "Freshness"), so a cache that lost a write, came back from
its append-only file or evicted a key can only miss, never serve an old figure.

Rate-limit counters (`hit_counter`, `get_counter`, `set_counter`, `delete_counter`) are
also kept in a bounded in-process table: while the cache is unreachable the local
count still blocks (per instance), and a count never drops when the cache comes back.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, TypeVar

from cashews import Cache

log = logging.getLogger(__name__)

T = TypeVar("T")

cache = Cache()
"""The cashews object. Call it only through the functions below (they add the timeout and
the circuit breaker); used directly, a Redis hang stalls the request."""

STATS_TTL_SECONDS = 300
CALL_TIMEOUT = 0.2
"""Seconds one cache call may take before it counts as a failure (connect and reply)."""
SOCKET_TIMEOUT = 0.15
OPEN_SECONDS = 3.0
"""After a failure, the cache is skipped this long; then one request probes it."""


class CircuitBreaker:
    """Closed (use the cache) → open after a failure (skip it for `open_seconds`) →
    half-open (one caller probes; success closes, failure opens again)."""

    def __init__(self, open_seconds: float = OPEN_SECONDS, clock: Callable[[], float] = time.monotonic) -> None:
        self.open_seconds = open_seconds
        self.clock = clock
        self._open_until: float | None = None

    @property
    def is_open(self) -> bool:
        """True while calls are being skipped (the cache is considered down)."""
        return self._open_until is not None

    def skipping(self) -> bool:
        """True while calls are skipped and no probe is due yet (no side effect)."""
        return self._open_until is not None and self.clock() < self._open_until

    def allow(self) -> bool:
        if self._open_until is None:
            return True
        now = self.clock()
        if now < self._open_until:
            return False
        # Half-open: this caller probes; everyone else keeps skipping until it reports.
        self._open_until = now + self.open_seconds
        return True

    def success(self) -> None:
        if self._open_until is not None:
            log.warning("cache reachable again: circuit closed")
        self._open_until = None

    def failure(self, exc: BaseException | None = None) -> None:
        if self._open_until is None:
            log.warning("cache unreachable (%r): skipping it for %.0f s", exc, self.open_seconds)
        self._open_until = self.clock() + self.open_seconds


class LocalCounters:
    """Expiring integer counters in this process (the rate limits' fallback), bounded."""

    def __init__(self, max_keys: int = 50_000, clock: Callable[[], float] = time.monotonic) -> None:
        self.max_keys = max_keys
        self.clock = clock
        self._items: dict[str, tuple[int, float]] = {}

    def _live(self, key: str) -> tuple[int, float] | None:
        item = self._items.get(key)
        if item is not None and item[1] <= self.clock():
            del self._items[key]
            return None
        return item

    def incr(self, key: str, window_seconds: float) -> int:
        item = self._live(key)
        if item is None:
            self._make_room()
            item = (0, self.clock() + window_seconds)
        count = item[0] + 1
        self._items[key] = (count, item[1])
        return count

    def get(self, key: str) -> int:
        item = self._live(key)
        return item[0] if item else 0

    def set(self, key: str, value: int, ttl_seconds: float) -> None:
        self._items.pop(key, None)
        self._make_room()
        self._items[key] = (value, self.clock() + ttl_seconds)

    def delete(self, key: str) -> None:
        self._items.pop(key, None)

    def __len__(self) -> int:
        return len(self._items)

    def _make_room(self) -> None:
        if len(self._items) < self.max_keys:
            return
        now = self.clock()
        for key in [k for k, (_, until) in self._items.items() if until <= now]:
            del self._items[key]
        while len(self._items) >= self.max_keys:  # still full: drop the oldest entries
            del self._items[next(iter(self._items))]


breaker = CircuitBreaker()
local_counters = LocalCounters()


def setup_cache(url: str) -> None:
    """Configure the cache. Errors are not suppressed by cashews: `_guarded` sees them and
    opens the circuit; no retries and no waiting for a pooled connection."""
    breaker.success()
    if url.startswith("redis"):
        from redis.asyncio.retry import Retry
        from redis.backoff import NoBackoff

        cache.setup(
            url,
            suppress=False,
            socket_connect_timeout=SOCKET_TIMEOUT,
            socket_timeout=SOCKET_TIMEOUT,
            retry=Retry(NoBackoff(), 0),
            max_connections=64,
            wait_for_connection_timeout=CALL_TIMEOUT,
            health_check_interval=0,
            check_repr=False,
        )
    else:
        cache.setup(url, check_repr=False)


async def _guarded(call: Callable[[], Awaitable[T]], default: T) -> T:
    """`call()` bounded by CALL_TIMEOUT, or `default` when the cache is down or slow."""
    if not breaker.allow():
        return default
    try:
        async with asyncio.timeout(CALL_TIMEOUT):  # no task per call, unlike wait_for
            result = await call()
    except Exception as exc:  # any cache failure is a miss, never an error of the request
        breaker.failure(exc)
        return default
    breaker.success()
    return result


async def status() -> str:
    """"ok" when the cache answers a PING now, else "down" (for /readyz)."""
    if breaker.skipping():
        return "down"

    async def ping() -> bool:
        await cache.ping()
        return True

    return "ok" if await _guarded(ping, False) else "down"


def stats_key(owner: str, version: int, period: int, today: str, kind: str = "stats") -> str:
    """The key of a cached figure: `owner` names the account (id and creation stamp),
    `version` is its data version as read from the database on this request."""
    return f"{kind}:{owner}:{version}:{period}:{today}"


async def get_bytes(key: str) -> bytes | None:
    value: Any = await _guarded(lambda: cache.get(key), None)
    return value if isinstance(value, bytes) else None


async def set_bytes(key: str, value: bytes, ttl: int) -> None:
    await _guarded(lambda: cache.set(key, value, expire=ttl), None)


async def get_many_bytes(keys: Sequence[str]) -> list[bytes | None]:
    """The values of `keys` in one round trip (a miss or a down cache: None)."""
    if not keys:
        return []
    values: Any = await _guarded(lambda: cache.get_many(*keys), ())
    found = list(values) if len(values) == len(keys) else [None] * len(keys)
    return [value if isinstance(value, bytes) else None for value in found]


async def set_many_bytes(values: Mapping[str, bytes], ttl: int) -> None:
    await _guarded(lambda: cache.set_many(dict(values), expire=ttl), None)


async def delete(key: str) -> None:
    await _guarded(lambda: cache.delete(key), None)


# ------------------------------------------------------------------ rate-limit counters


async def hit_counter(key: str, window_seconds: int) -> int:
    """Count a hit; the counter expires `window_seconds` after its first hit.

    The larger of the shared count and this instance's own count: with the cache down
    the local count still limits, and a count never falls back when the cache returns.
    """
    local = local_counters.incr(key, window_seconds)
    shared = await _guarded(lambda: cache.incr(key, expire=window_seconds), None)
    return max(local, int(shared or 0))


async def get_counter(key: str) -> int:
    value = await _guarded(lambda: cache.get(key), None)
    try:
        shared = int(value or 0)
    except (TypeError, ValueError):
        shared = 0
    return max(shared, local_counters.get(key))


async def set_counter(key: str, value: int, ttl_seconds: int) -> None:
    local_counters.set(key, value, ttl_seconds)
    await _guarded(lambda: cache.set(key, value, expire=ttl_seconds), None)


async def delete_counter(key: str) -> None:
    local_counters.delete(key)
    await delete(key)
