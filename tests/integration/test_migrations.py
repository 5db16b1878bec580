"""Alembic migrations: an empty database goes to head, back to base and to head again, on SQLite and PostgreSQL.

The migrated schema itself enforces what the issue asks of the database: at most one
running timer per user, entries that belong to their user, and end after start.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from advanced_alchemy.extensions.litestar import AlembicAsyncConfig
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import create_async_engine

from app.cli import main
from app.db.config import MIGRATIONS_DIR

CORE_TABLES = {"users", "user_sessions", "api_tokens", "projects", "tasks", "time_entries", "weekly_time_goals",
               "day_totals"}
VERSION_TABLE = AlembicAsyncConfig.version_table_name  # advanced-alchemy's name: "alembic_versions"
T0 = "2026-01-01 00:00:00+00:00"


def run(coro: Any) -> Any:
    loop = asyncio.new_event_loop()
    try:
        return loop.run_until_complete(coro)
    finally:
        loop.close()


async def _tables_and_version(url: str) -> tuple[set[str], list[str]]:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            tables = set(await conn.run_sync(lambda c: inspect(c).get_table_names()))
            versions: list[str] = []
            if VERSION_TABLE in tables:
                versions = list((await conn.execute(text(f"SELECT version_num FROM {VERSION_TABLE}"))).scalars())
            return tables, versions
    finally:
        await engine.dispose()


def head_revision() -> str:
    head = ScriptDirectory(str(MIGRATIONS_DIR)).get_current_head()
    assert head is not None
    return head


def migrate(monkeypatch: pytest.MonkeyPatch, url: str, *argv: str) -> None:
    monkeypatch.setenv("MOMENTUM_DATABASE_URL", url)
    assert main(["db", *argv]) == 0


def check_round_trip(monkeypatch: pytest.MonkeyPatch, url: str) -> None:
    migrate(monkeypatch, url, "upgrade")
    tables, versions = run(_tables_and_version(url))
    assert tables >= CORE_TABLES
    assert versions == [head_revision()]

    migrate(monkeypatch, url, "downgrade", "base")
    tables, versions = run(_tables_and_version(url))
    assert tables - {VERSION_TABLE} == set()
    assert versions == []

    migrate(monkeypatch, url, "upgrade", "head")
    tables, versions = run(_tables_and_version(url))
    assert tables >= CORE_TABLES
    assert versions == [head_revision()]


async def _constraint_violations(url: str) -> dict[str, bool]:
    """Try each forbidden row on a migrated database; True where the database refused it."""
    engine = create_async_engine(url)
    if url.startswith("sqlite"):
        from sqlalchemy import event

        @event.listens_for(engine.sync_engine, "connect")
        def _fk_on(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

    entry_cols = ("(id, user_id, project_id, start_time, end_time, billable, notes, outcome, tags, created_at,"
                  " updated_at)")
    try:
        async with engine.begin() as conn:
            for uid in (1, 2):
                await conn.execute(text(
                    "INSERT INTO users (id, email, password_hash, standard_hours_per_day, working_days, created_at,"
                    f" updated_at) VALUES ({uid}, 'u{uid}@example.com', 'x', 8, '[1,2,3,4,5]', '{T0}', '{T0}')"))
            await conn.execute(text(
                "INSERT INTO projects (id, user_id, name, color, billable, archived, created_at, updated_at)"
                f" VALUES (1, 1, 'Mine', '#000000', false, false, '{T0}', '{T0}')"))
            await conn.execute(text(
                f"INSERT INTO time_entries {entry_cols} VALUES"
                f" (1, 1, 1, '2026-01-02 09:00:00+00:00', NULL, false, '', '', '[]', '{T0}', '{T0}')"))

        forbidden = {
            "second_running_timer": f"INSERT INTO time_entries {entry_cols} VALUES"
            f" (2, 1, NULL, '2026-01-02 10:00:00+00:00', NULL, false, '', '', '[]', '{T0}', '{T0}')",
            "entry_on_another_users_project": f"INSERT INTO time_entries {entry_cols} VALUES"
            f" (3, 2, 1, '2026-01-02 09:00:00+00:00', '2026-01-02 10:00:00+00:00', false, '', '', '[]', '{T0}',"
            f" '{T0}')",
            "end_before_start": f"INSERT INTO time_entries {entry_cols} VALUES"
            f" (4, 1, NULL, '2026-01-02 09:00:00+00:00', '2026-01-02 08:00:00+00:00', false, '', '', '[]', '{T0}',"
            f" '{T0}')",
        }
        refused: dict[str, bool] = {}
        for name, statement in forbidden.items():
            try:
                async with engine.begin() as conn:
                    await conn.execute(text(statement))
                refused[name] = False
            except IntegrityError:
                refused[name] = True
        # A running timer of another user is fine.
        async with engine.begin() as conn:
            await conn.execute(text(
                f"INSERT INTO time_entries {entry_cols} VALUES"
                f" (5, 2, NULL, '2026-01-02 09:00:00+00:00', NULL, false, '', '', '[]', '{T0}', '{T0}')"))
        return refused
    finally:
        await engine.dispose()


EXPECTED_REFUSALS = {"second_running_timer": True, "entry_on_another_users_project": True, "end_before_start": True}


def test_sqlite_upgrade_downgrade_upgrade_round_trip(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'fresh.db'}"
    check_round_trip(monkeypatch, url)


def test_sqlite_migrated_schema_enforces_the_data_rules(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'rules.db'}"
    migrate(monkeypatch, url, "upgrade")
    assert run(_constraint_violations(url)) == EXPECTED_REFUSALS


def test_db_upgrade_creates_the_directory_of_a_new_sqlite_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    path = tmp_path / "nested" / "dir" / "momentum.db"
    migrate(monkeypatch, f"sqlite+aiosqlite:///{path}", "upgrade")
    assert path.is_file()


# ---------------------------------------------------------------- PostgreSQL


@pytest.fixture()
def scratch_postgres() -> Iterator[str]:
    """A database of its own on the test server (never the shared test database), dropped afterwards."""
    base = os.environ.get("MOMENTUM_TEST_DATABASE_URL", "")
    if not base.startswith("postgresql"):
        pytest.skip("PostgreSQL migrations run only when MOMENTUM_TEST_DATABASE_URL points to PostgreSQL")
    import asyncpg
    from sqlalchemy.engine import make_url

    server = make_url(base)
    name = f"momentum_migrations_test_{uuid.uuid4().hex[:8]}"
    admin_dsn = server.set(drivername="postgresql", database="postgres").render_as_string(hide_password=False)

    async def admin(sql: str) -> None:
        conn = await asyncpg.connect(admin_dsn)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    run(admin(f'CREATE DATABASE "{name}"'))
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def test_postgres_upgrade_downgrade_upgrade_round_trip(
    monkeypatch: pytest.MonkeyPatch, scratch_postgres: str
) -> None:
    check_round_trip(monkeypatch, scratch_postgres)
    assert run(_constraint_violations(scratch_postgres)) == EXPECTED_REFUSALS
