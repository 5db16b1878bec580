"""entries.csv on PostgreSQL (app/domain/transfer/postgres_export.py) is byte for byte what
the general code writes (csv_formats.entries_csv_rows over the same entries): the same
entries as tests/integration/test_sqlite_export.py (DST, half-hour, 45-minute and 30-minute
shifts, an offset with seconds, microseconds, formula-like and quoted text) in the suite's
PostgreSQL database. Runs when the suite runs on PostgreSQL (MOMENTUM_TEST_DATABASE_URL)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

from app.db.models import User
from app.domain.transfer import postgres_export
from app.domain.transfer.csv_formats import entries_csv_rows
from app.domain.transfer.exporting import entries_csv_stream
from app.settings import Settings
from tests.integration.test_sqlite_export import ZONES, _fast, _general, _seed, hide_first_names

pytestmark = pytest.mark.skipif(
    not Settings.from_env().database_url.startswith("postgresql"), reason="runs when the suite runs on PostgreSQL"
)


def _run(settings: Settings, work: Callable[[async_sessionmaker[AsyncSession]], Awaitable[Any]]) -> Any:
    async def main() -> Any:
        engine = create_async_engine(settings.database_url)
        try:
            return await work(async_sessionmaker(engine, expire_on_commit=False))
        finally:
            await engine.dispose()

    return asyncio.run(main())


@pytest.mark.parametrize("zone_name", ZONES)
def test_postgres_entries_csv_equals_the_general_writer(zone_name: str, settings: Settings) -> None:
    zone = ZoneInfo(zone_name)

    async def work(sessions: async_sessionmaker[AsyncSession]) -> None:
        user_id = await _seed(sessions, zone_name, seed=len(zone_name))
        general = await _general(sessions, user_id, zone)
        assert general.count("\r\n") > 1000
        assert await _fast(sessions, user_id, zone, batch_size=97) == general
        first, last = date(2025, 3, 29), date(2025, 11, 2)
        assert await _fast(sessions, user_id, zone, first, last) == await _general(sessions, user_id, zone, first, last)

    _run(settings, work)


def test_names_unknown_when_the_export_began_are_looked_up(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The look-up runs while the cursor is open and the next batch was asked for."""
    zone = ZoneInfo("Europe/Berlin")
    calls = hide_first_names(postgres_export, monkeypatch)

    async def work(sessions: async_sessionmaker[AsyncSession]) -> None:
        user_id = await _seed(sessions, "Europe/Berlin", seed=5)
        assert await _fast(sessions, user_id, zone, batch_size=97) == await _general(sessions, user_id, zone)

    _run(settings, work)
    assert len(calls) == 2 and calls[0] == (None, None)
    assert len(calls[1][0]) == 1 and len(calls[1][1]) == 1


def test_two_exports_in_one_transaction(settings: Settings) -> None:
    zone = ZoneInfo("UTC")

    async def work(sessions: async_sessionmaker[AsyncSession]) -> None:
        user_id = await _seed(sessions, "UTC", seed=9)
        async with sessions() as db:
            runs = ["".join([chunk async for chunk in entries_csv_stream(db, user_id, zone, batch_size=500)])
                    for _ in range(2)]
        assert runs[0] == runs[1] == await _general(sessions, user_id, zone)

    _run(settings, work)


def test_no_entries_is_the_header_alone(settings: Settings) -> None:
    async def work(sessions: async_sessionmaker[AsyncSession]) -> None:
        async with sessions() as db:
            user = User(email="pg-export-empty@example.com", password_hash="x", timezone="UTC")
            db.add(user)
            await db.commit()
        assert await _fast(sessions, user.id, ZoneInfo("UTC")) == "".join(entries_csv_rows((), ZoneInfo("UTC")))

    _run(settings, work)
