"""cashews setup, cache keys and invalidation.

Freshness rule (CONTRACT section 4): every write of a user's entries, projects, goals
or settings makes the next stats call fresh, on any instance. Each user has a data
version in the cache (`v:<user id>`); cached payloads are keyed by it, and a write
replaces it with a new random value, so every older payload is unreachable at once.
With Redis the version is shared by all instances. A random value (not a counter)
means a version lost to eviction or a restart can never resurrect an old payload.
"""

from __future__ import annotations

import logging
import secrets
from typing import Any

from cashews import Cache

log = logging.getLogger(__name__)

cache = Cache()

STATS_TTL_SECONDS = 300
AUTH_TTL_SECONDS = 60


def setup_cache(url: str) -> None:
    if url.startswith("redis"):
        # suppress=True: a Redis outage turns into cache misses, not errors.
        cache.setup(url, suppress=True, socket_connect_timeout=0.5, socket_timeout=0.5)
    else:
        cache.setup(url)


def _version_key(user_id: int) -> str:
    return f"v:{user_id}"


async def user_version(user_id: int) -> str | None:
    """The user's current data version, created on first use. None if the cache is down."""
    key = _version_key(user_id)
    value = await cache.get(key)
    if value is None:
        await cache.set(key, secrets.token_hex(8), exist=False)
        value = await cache.get(key)
    return str(value) if value is not None else None


async def bump_user_version(user_id: int) -> None:
    """Called after every committed write that changes a user's figures."""
    try:
        await cache.set(_version_key(user_id), secrets.token_hex(8))
    except Exception:  # pragma: no cover - suppress=True already covers Redis
        log.exception("could not bump the data version of user %s", user_id)


async def history_version(user_id: int) -> str | None:
    """Version of the user's day_totals history older than every stats window.

    Bumped only by writes that touch such old days (rare), so the history part of a
    cold stats call stays cached across ordinary edits.
    """
    key = f"hv:{user_id}"
    value = await cache.get(key)
    if value is None:
        await cache.set(key, secrets.token_hex(8), exist=False)
        value = await cache.get(key)
    return str(value) if value is not None else None


async def bump_history_version(user_id: int) -> None:
    await cache.set(f"hv:{user_id}", secrets.token_hex(8))


def stats_key(user_id: int, version: str, period: int, today: str, kind: str = "stats") -> str:
    return f"{kind}:{user_id}:{version}:{period}:{today}"


async def get_bytes(key: str) -> bytes | None:
    value: Any = await cache.get(key)
    return value if isinstance(value, bytes) else None


async def set_bytes(key: str, value: bytes, ttl: int) -> None:
    await cache.set(key, value, expire=ttl)


async def hit_counter(key: str, window_seconds: int) -> int:
    """Increment a counter that expires `window_seconds` after its first hit."""
    count = await cache.incr(key)
    if count == 1:
        await cache.expire(key, window_seconds)
    return int(count or 0)


async def get_counter(key: str) -> int:
    value = await cache.get(key)
    try:
        return int(value or 0)
    except (TypeError, ValueError):
        return 0
