"""A database and a Redis db number of its own for every pytest process.

With MOMENTUM_TEST_DATABASE_URL pointing to PostgreSQL, each process that runs tests
(a plain run, or each xdist worker) creates `momentum_t_<random>` on that server, points
MOMENTUM_DATABASE_URL at it and drops it at the end. MOMENTUM_TEST_DATABASE_URL itself is
left alone: it names the server (tests that need scratch databases create them there).

With MOMENTUM_TEST_CACHE_URL pointing to Redis, the process claims a db number 1..15 that
no concurrent run holds — the key `momentum:testdb:<n>` in db 0, SET NX with a 15-minute
expiry renewed while tests run, so a crashed run frees its number on its own — flushes
it, points MOMENTUM_CACHE_URL at it and releases it at the end.

SQLite and the memory cache need none of this (conftest gives each worker its own file).
"""

from __future__ import annotations

import asyncio
import atexit
import os
import time
import uuid
from dataclasses import dataclass
from typing import Any

CLAIM_PREFIX = "momentum:testdb:"
CLAIM_SECONDS = 15 * 60
RENEW_EVERY = 60.0


@dataclass
class _State:
    database: str | None = None
    admin_dsn: str | None = None
    redis_base: str | None = None
    redis_db: int | None = None
    token: str = ""
    renewed: float = 0.0


_state = _State()


def _pg_admin_dsn(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).set(drivername="postgresql", database="postgres").render_as_string(hide_password=False)


async def _pg_execute(dsn: str, sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(dsn, timeout=10)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def _claim_database(base: str) -> None:
    from sqlalchemy.engine import make_url

    name = f"momentum_t_{uuid.uuid4().hex[:12]}"
    admin = _pg_admin_dsn(base)
    asyncio.run(_pg_execute(admin, f'CREATE DATABASE "{name}"'))
    _state.database, _state.admin_dsn = name, admin
    os.environ["MOMENTUM_DATABASE_URL"] = make_url(base).set(database=name).render_as_string(hide_password=False)


def _redis_url(base: str, db: int) -> str:
    """`base` with its db number replaced (Redis URLs parse like database URLs: the path is the db)."""
    from sqlalchemy.engine import make_url

    return make_url(base).set(database=str(db)).render_as_string(hide_password=False)


def _redis(base: str, db: int) -> Any:
    import redis

    # The URL's own db number would win over a db= argument: put the number in the URL.
    return redis.Redis.from_url(_redis_url(base, db), socket_timeout=5, socket_connect_timeout=5)


def _claim_redis_db(base: str) -> None:
    token = f"{os.getpid()}-{uuid.uuid4().hex}"
    control = _redis(base, 0)
    try:
        for n in range(1, 16):
            if control.set(f"{CLAIM_PREFIX}{n}", token, nx=True, ex=CLAIM_SECONDS):
                break
        else:
            raise RuntimeError(
                "every Redis db 1..15 is claimed by another test run "
                f"(keys {CLAIM_PREFIX}1..15 in db 0 of {base}); wait for them to finish or expire"
            )
    finally:
        control.close()
    mine = _redis(base, n)
    try:
        mine.flushdb()
    finally:
        mine.close()
    _state.redis_base, _state.redis_db, _state.token, _state.renewed = base, n, token, time.monotonic()
    os.environ["MOMENTUM_CACHE_URL"] = _redis_url(base, n)


def claim() -> None:
    """Called once per test-running process, before the app is imported."""
    db_url = os.environ.get("MOMENTUM_TEST_DATABASE_URL", "")
    cache_url = os.environ.get("MOMENTUM_TEST_CACHE_URL", "")
    atexit.register(release)
    if db_url.startswith("postgresql") and _state.database is None:
        _claim_database(db_url)
    if cache_url.startswith("redis") and _state.redis_db is None:
        _claim_redis_db(cache_url)


def keep_alive() -> None:
    """Renew the Redis claim (cheap: at most once a minute)."""
    if _state.redis_base is None or time.monotonic() - _state.renewed < RENEW_EVERY:
        return
    control = _redis(_state.redis_base, 0)
    try:
        control.set(f"{CLAIM_PREFIX}{_state.redis_db}", _state.token, ex=CLAIM_SECONDS)
    finally:
        control.close()
    _state.renewed = time.monotonic()


_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


def release() -> None:
    """Drop the run's database and free its Redis db number (idempotent)."""
    if _state.redis_base is not None:
        base, n = _state.redis_base, _state.redis_db
        _state.redis_base = None
        try:
            mine = _redis(base, n or 0)
            mine.flushdb()
            mine.close()
            control = _redis(base, 0)
            control.eval(_RELEASE, 1, f"{CLAIM_PREFIX}{n}", _state.token)
            control.close()
        except Exception as exc:  # pragma: no cover - the claim expires on its own
            print(f"momentum tests: could not release Redis db {n}: {exc}")
    if _state.database is not None and _state.admin_dsn is not None:
        name, admin = _state.database, _state.admin_dsn
        _state.database = None
        try:
            asyncio.run(_pg_execute(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        except Exception as exc:  # pragma: no cover
            print(f"momentum tests: could not drop database {name}: {exc}")
