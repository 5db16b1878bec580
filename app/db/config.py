"""Database engine and the advanced-alchemy plugin configuration.

SQLite needs three things PostgreSQL does not: foreign keys switched on per
connection, WAL with a busy timeout so concurrent requests wait instead of failing,
and write transactions that take the write lock up front (BEGIN IMMEDIATE). Without
the last one, two requests that read and then write deadlock on the lock upgrade and
one fails at once with "database is locked". Which kind of transaction to begin is
decided by `write_intent`, set per request by method (see app.asgi) and by commands.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any

from advanced_alchemy.extensions.litestar import (
    AlembicAsyncConfig,
    AsyncSessionConfig,
    SQLAlchemyAsyncConfig,
)
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from app.settings import Settings

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent.parent / "migrations"

write_intent: ContextVar[bool] = ContextVar("momentum_write_intent", default=False)


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
    return engine


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
