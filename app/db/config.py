"""Database engine and the advanced-alchemy plugin configuration.

SQLite needs three things PostgreSQL does not: foreign keys switched on per
connection, WAL with a busy timeout so concurrent requests wait instead of failing,
and write transactions that take the write lock up front (BEGIN IMMEDIATE). Without
the last one, two requests that read and then write deadlock on the lock upgrade and
one fails at once with "database is locked". Which kind of transaction to begin is
decided by `write_intent`, set per request by method (see app.asgi) and by commands.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractAsyncContextManager, contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any

from advanced_alchemy.extensions.litestar import (
    AlembicAsyncConfig,
    AsyncSessionConfig,
    SQLAlchemyAsyncConfig,
)
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, create_async_engine
from sqlalchemy.util import await_

from app.settings import Settings

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent.parent / "migrations"

write_intent: ContextVar[bool] = ContextVar("momentum_write_intent", default=False)
skip_ping: ContextVar[bool] = ContextVar("momentum_skip_ping", default=False)
# What opens a database session of its own (the app's sessionmaker, or a test's): the
# services and background tasks that outlive a request's session take one.
OpenSession = Callable[[], AbstractAsyncContextManager[AsyncSession]]
"""Set around a checkout whose caller retries a read that meets a dead connection
(app/db/fastread.py PgReader): the pool's pre-ping is skipped for it."""


@contextmanager
def writing() -> Iterator[None]:
    """Mark the enclosed database work as a write (BEGIN IMMEDIATE on SQLite)."""
    token = write_intent.set(True)
    try:
        yield
    finally:
        write_intent.reset(token)


def create_engine(settings: Settings) -> AsyncEngine:
    url = settings.database_url
    kwargs: dict[str, Any] = {"pool_pre_ping": not settings.is_sqlite}
    if settings.is_sqlite:
        kwargs["connect_args"] = {"timeout": 30}
    else:
        kwargs.update(pool_size=10, max_overflow=20)
    engine = create_async_engine(url, **kwargs)
    if settings.is_sqlite:
        _configure_sqlite(engine)
    elif engine.dialect.driver == "asyncpg":
        _ping_in_one_round_trip(engine)
    return engine


def _ping_in_one_round_trip(engine: AsyncEngine) -> None:
    """The pool's pre-ping as one simple-protocol `SELECT 1` instead of SQLAlchemy's
    BEGIN, `;`, ROLLBACK: three round trips on every checkout, and a cold stats call
    checks out twice (docs/performance.md). A simple query is a transaction of its own and
    prepares nothing, which is what SQLAlchemy's wrapping transaction is for (PgBouncer in
    transaction mode). A dead connection fails it as before, and the failure is translated
    as SQLAlchemy's own ping translates it, so the pool still invalidates the connection and
    the first request after the database returns works (docs/operations.md)."""
    dialect = engine.dialect

    def do_ping(dbapi_connection: Any) -> bool:
        if skip_ping.get():
            return True
        try:
            await_(dialect.get_driver_connection(dbapi_connection).execute("SELECT 1"))
        except Exception as error:  # the adapter raises its DB-API error (disconnects included)
            dbapi_connection._handle_exception(error)
        return True

    dialect.do_ping = do_ping  # type: ignore[method-assign]


def _configure_sqlite(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, emit BEGIN (the documented SQLite recipe).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        if ":memory:" not in str(engine.url):
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write_intent.get() else "BEGIN")


def create_db_config(settings: Settings, engine: AsyncEngine | None = None) -> SQLAlchemyAsyncConfig:
    return SQLAlchemyAsyncConfig(
        engine_instance=engine or create_engine(settings),
        session_dependency_key="db_session",
        session_config=AsyncSessionConfig(expire_on_commit=False),
        before_send_handler="autocommit_include_redirects",
        alembic_config=AlembicAsyncConfig(script_location=str(MIGRATIONS_DIR), render_as_batch=True),
        create_all=False,
    )
