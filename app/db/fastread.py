"""Short reads on a SQLite file with the standard library, on the calling thread.

Through aiosqlite every statement is several hand-offs between the event loop and the
driver's thread (cursor, execute, fetch, close; BEGIN, COMMIT and the connection's reset
on return besides): about a millisecond of CPU for one small indexed read, several times
what the read itself costs. For the hot reads of a request that only need a few hundred
index rows (a forecast computed after a write: the project and its entries of the
tallied span), `SqliteReader` runs the statements with `sqlite3` on the calling thread
instead: tens to hundreds of microseconds, short enough for the event loop.

The connection only reads (`query_only`) and never waits for a lock (`timeout=0`): in WAL
mode a reader needs none, and when SQLite still answers "busy" (a WAL being recovered)
`read` raises `sqlite3.Error` and the caller takes the ordinary asynchronous path. The
statements of one `read` share one read transaction (one snapshot), always ended before
`read` returns, so the next read sees every transaction committed before it, from any
process. The same idea reads the credential (app/domain/accounts/credentials.py).

On PostgreSQL `PgReader` runs the same statements with asyncpg directly on a connection of
the application's pool, in one read-only REPEATABLE READ transaction (one snapshot; a
single statement is one by itself and needs none): the ORM's session, its result
processing and its own BEGIN/ROLLBACK cost several times the reads. Each round trip costs
more CPU than these small reads themselves (docs/performance.md), so the connection is
checked out without the pool's pre-ping; a read that meets a dead connection (the server
restarted) runs once more on one checked out with it. Its errors are the driver's own, so a
database that cannot be reached still answers 503 (app/lib/errors.py).
"""

from __future__ import annotations

import contextlib
import re
import sqlite3
import threading
from collections.abc import Awaitable, Callable, Mapping, Sequence
from functools import lru_cache
from typing import Any, TypeVar

import asyncpg
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from app.db.config import skip_ping

Statement = tuple[str, Mapping[str, Any]]
T = TypeVar("T")
# What a connection that died under a read raises (the server restarted or went away;
# a termination that arrives as the statement is sent leaves the protocol mid-operation).
_DISCONNECTED = (
    OSError,
    asyncpg.PostgresConnectionError,
    asyncpg.InterfaceError,
    asyncpg.InternalClientError,
    asyncpg.AdminShutdownError,
    asyncpg.CrashShutdownError,
    asyncpg.CannotConnectNowError,
)


class SqliteReader:
    """Runs read-only statements with `sqlite3` on the caller's thread (one connection per thread)."""

    def __init__(self, path: str) -> None:
        self._path = path
        self._local = threading.local()
        self._lock = threading.Lock()
        self._connections: list[sqlite3.Connection] = []
        # Called with (None, None, sql) before each statement, as SQLAlchemy's
        # before_cursor_execute listeners are: the tests' query counter sees these reads too.
        self.observers: list[Callable[..., None]] = []

    @classmethod
    def for_url(cls, url: str) -> SqliteReader | None:
        """A reader for a SQLite file URL; None for in-memory databases and other backends."""
        parsed = make_url(url)
        if parsed.get_backend_name() != "sqlite":
            return None
        database = parsed.database or ""
        if database in {"", ":memory:"} or database.startswith("file:") or "mode=memory" in str(parsed.query):
            return None
        return cls(database)

    def _connection(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self._path, timeout=0, isolation_level=None, check_same_thread=False)
            conn.execute("PRAGMA query_only=ON")
            self._local.conn = conn
            with self._lock:
                self._connections.append(conn)
        return conn

    def read(self, statements: Sequence[Statement]) -> list[list[tuple[Any, ...]]]:
        """Every statement's rows, all from one snapshot. Raises `sqlite3.Error` when SQLite
        cannot answer at once; the caller then asks the asynchronous path."""
        for sql, _ in statements:
            for observe in self.observers:
                observe(None, None, sql)
        conn = self._connection()
        try:
            conn.execute("BEGIN")
            return [conn.execute(sql, dict(params)).fetchall() for sql, params in statements]
        finally:
            # Never leave a read transaction open: it would pin this snapshot for the next read.
            if conn.in_transaction:
                conn.execute("ROLLBACK")

    def one(self, sql: str, params: Mapping[str, Any]) -> tuple[Any, ...] | None:
        """The first row of one statement (its own snapshot: autocommit), or None. Raises
        `sqlite3.Error` when SQLite cannot answer at once, as `read` does."""
        for observe in self.observers:
            observe(None, None, sql)
        row: tuple[Any, ...] | None = self._connection().execute(sql, dict(params)).fetchone()
        return row

    def close(self) -> None:
        with self._lock:
            connections, self._connections = self._connections, []
        for conn in connections:
            with contextlib.suppress(sqlite3.Error):  # closing is best effort
                conn.close()


_NAMED = re.compile(r"(?<![:\w]):([A-Za-z_]\w*)")


@lru_cache(maxsize=256)
def numbered(sql: str) -> tuple[str, tuple[str, ...]]:
    """`:name` parameters as asyncpg's `$1, $2 …`, with the names in their order
    (a `::type` cast is left alone)."""
    names: list[str] = []

    def number(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in names:
            names.append(name)
        return f"${names.index(name) + 1}"

    return _NAMED.sub(number, sql), tuple(names)


class PgReader:
    """Runs read-only statements with asyncpg on a connection of the app's pool."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self.observers: list[Callable[..., None]] = []  # as SqliteReader.observers

    @classmethod
    def for_engine(cls, engine: AsyncEngine) -> PgReader | None:
        """A reader when the engine talks to PostgreSQL through asyncpg; else None."""
        if engine.dialect.name == "postgresql" and engine.dialect.driver == "asyncpg":
            return cls(engine)
        return None

    async def _on_connection(self, work: Callable[[Any], Awaitable[T]]) -> T:
        """`work(asyncpg connection)` on a connection of the pool, checked out without the
        pool's pre-ping (a round trip before every read): these reads only read, so when the
        connection turns out dead (the server restarted) it is invalidated and the read runs
        once more on a connection checked out with the pre-ping, which renews the pool as
        every other checkout does (docs/operations.md)."""
        for pinged in (False, True):
            token = skip_ping.set(not pinged)
            try:
                conn = await self._engine.connect().start()
            finally:
                skip_ping.reset(token)
            try:
                raw: Any = (await conn.get_raw_connection()).driver_connection
                try:
                    return await work(raw)
                except _DISCONNECTED as exc:
                    if pinged:
                        raise
                    await conn.invalidate(exc)
            finally:
                await conn.close()
        raise AssertionError("unreachable")  # pragma: no cover

    async def read(self, statements: Sequence[Statement]) -> list[list[tuple[Any, ...]]]:
        """Every statement's rows, all from one snapshot (SqliteReader.read's contract;
        datetimes are bound as aware datetimes). One statement is one snapshot by itself:
        it runs without BEGIN and COMMIT, two round trips fewer."""
        for sql, _ in statements:
            for observe in self.observers:
                observe(None, None, sql)
        bound = []
        for sql, params in statements:
            text, names = numbered(sql)
            bound.append((text, [params[n] for n in names]))

        async def run(raw: Any) -> list[list[tuple[Any, ...]]]:
            if len(bound) == 1:
                return [[tuple(r) for r in await raw.fetch(bound[0][0], *bound[0][1])]]
            async with raw.transaction(isolation="repeatable_read", readonly=True):
                return [[tuple(r) for r in await raw.fetch(text, *args)] for text, args in bound]

        return await self._on_connection(run)

    async def one(self, sql: str, params: Mapping[str, Any]) -> tuple[Any, ...] | None:
        """The first row of one statement (its own snapshot), or None."""
        for observe in self.observers:
            observe(None, None, sql)
        text, names = numbered(sql)
        args = [params[n] for n in names]

        async def run(raw: Any) -> tuple[Any, ...] | None:
            record = await raw.fetchrow(text, *args)
            return None if record is None else tuple(record)

        return await self._on_connection(run)
