"""entries.csv on SQLite (app/domain/transfer/sqlite_export.py) is byte for byte what the
general code writes (csv_formats.entries_csv_rows over the same entries), in zones with
DST, half-hour and 45-minute offsets, a 30-minute DST shift, an offset with seconds
(Amsterdam 1937), microseconds, formula-like and quoted text, and rows stored in another
text shape."""

from __future__ import annotations

import asyncio
import random
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

from app.db.models import Project, Task, TimeEntry, User
from app.domain.transfer import sqlite_export
from app.domain.transfer.csv_formats import entries_csv_rows
from app.domain.transfer.entry_lines import offset_spans
from app.domain.transfer.exporting import day_range_bounds, entries_csv_stream, export_entry_batches

ZONES = ["Europe/Berlin", "America/New_York", "Asia/Kolkata", "Pacific/Chatham", "Australia/Lord_Howe",
         "Europe/Amsterdam", "UTC"]
NOTES = ["", "plain", "=HYPERLINK(\"http://x\")", "'=already quoted", "+1", "-minus", "@at", "\tTab", "a,b",
         'say "hi"', "line\nbreak", "cr\rhere", "ünïcödé ✓", "''@two quotes"]
TAGS = [[], ["a"], ["x,y", 'q"uote'], ["ünï"]]


async def _seed(sessions: async_sessionmaker[AsyncSession], zone: str, seed: int) -> int:
    rng = random.Random(seed)
    async with sessions() as db:
        # A unique address: test_postgres_export.py seeds many users into one database.
        user = User(email=f"{seed}-{uuid.uuid4().hex[:12]}@example.com", password_hash="x", timezone=zone)
        db.add(user)
        await db.flush()
        names = ("Plain", "=SUM(A1)", "Comma, Inc", "-dash")
        projects = [Project(user_id=user.id, name=name, color="#336699") for name in names]
        db.add_all(projects)
        await db.flush()
        task = Task(user_id=user.id, project_id=projects[0].id, name='@task "one"')
        db.add(task)
        await db.flush()
        # Around every DST change of 2024-2026, plus the 1937 Amsterdam offset with seconds.
        starts = [datetime(1937, 3, 1, 11, 0, 0, tzinfo=UTC), datetime(1937, 6, 30, 23, 30, 15, tzinfo=UTC)]
        instant = datetime(2024, 1, 1, tzinfo=UTC)
        while instant < datetime(2026, 12, 31, tzinfo=UTC):
            starts.append(instant)
            instant += timedelta(minutes=rng.choice([17, 45, 90, 600, 1441, 4000]))
        # Entries that start before and end after each change of the zone's offset in 2025.
        local = ZoneInfo(zone)
        hour = datetime(2025, 1, 1, tzinfo=UTC)
        while hour < datetime(2026, 1, 1, tzinfo=UTC):
            if hour.astimezone(local).utcoffset() != (hour + timedelta(hours=1)).astimezone(local).utcoffset():
                starts.append(hour - timedelta(minutes=20))
            hour += timedelta(hours=1)
        for n, start in enumerate(starts):
            length = timedelta(seconds=rng.choice([1, 59, 3600, 5400, 30_000]),
                               microseconds=rng.choice([0, 0, 1, 500_000, 999_999]))
            start = start + timedelta(microseconds=rng.choice([0, 0, 123_456, 999_999]))
            project = rng.choice([None, *projects])
            db.add(TimeEntry(
                user_id=user.id, project_id=project.id if project else None,
                task_id=task.id if project is projects[0] and n % 3 == 0 else None,
                start_time=start, end_time=start + length, billable=n % 2 == 0,
                notes=rng.choice(NOTES), outcome=rng.choice(NOTES), tags=rng.choice(TAGS)))
        # A running timer is never exported.
        db.add(TimeEntry(user_id=user.id, start_time=datetime(2026, 12, 30, tzinfo=UTC), end_time=None))
        await db.commit()
        return user.id


async def _general(sessions: async_sessionmaker[AsyncSession], user_id: int, zone: ZoneInfo,
                   first: Any = None, last: Any = None) -> str:
    start, end = day_range_bounds(first, last, zone)
    async with sessions() as db:
        chunks = [chunk async for batch in export_entry_batches(db, user_id, start=start, end=end)
                  for chunk in entries_csv_rows(batch, zone, header=False)]
    return "".join(entries_csv_rows((), zone)) + "".join(chunks)


async def _fast(sessions: async_sessionmaker[AsyncSession], user_id: int, zone: ZoneInfo,
                first: Any = None, last: Any = None, batch_size: int = 2000) -> str:
    async with sessions() as db:
        return "".join([chunk async for chunk in entries_csv_stream(
            db, user_id, zone, first_day=first, last_day=last, batch_size=batch_size)])


def _run(tmp: Path, work: Any) -> Any:
    async def main() -> Any:
        engine = create_async_engine(f"sqlite+aiosqlite:///{tmp / 'export.db'}")
        async with engine.begin() as conn:
            await conn.run_sync(User.metadata.create_all)
        try:
            return await work(async_sessionmaker(engine, expire_on_commit=False))
        finally:
            await engine.dispose()

    return asyncio.run(main())


@pytest.mark.parametrize("zone_name", ZONES)
def test_sqlite_entries_csv_equals_the_general_writer(zone_name: str, tmp_path: Path) -> None:
    zone = ZoneInfo(zone_name)

    async def work(sessions: async_sessionmaker[AsyncSession]) -> None:
        user_id = await _seed(sessions, zone_name, seed=len(zone_name))
        general = await _general(sessions, user_id, zone)
        assert general.count("\r\n") > 1000
        assert await _fast(sessions, user_id, zone, batch_size=97) == general
        first, last = datetime(2025, 3, 29).date(), datetime(2025, 11, 2).date()
        assert await _fast(sessions, user_id, zone, first, last) == await _general(sessions, user_id, zone, first, last)

    _run(tmp_path, work)


def test_rows_stored_in_another_text_shape_take_the_general_path(tmp_path: Path) -> None:
    zone = ZoneInfo("America/New_York")

    async def work(sessions: async_sessionmaker[AsyncSession]) -> None:
        user_id = await _seed(sessions, "America/New_York", seed=3)
        async with sessions() as db:
            # As an older writer (or a hand edit) might have left them: no fraction, a 'T'.
            await db.execute(text("UPDATE time_entries SET start_time = substr(start_time, 1, 19) WHERE id % 7 = 0"))
            await db.execute(text("UPDATE time_entries SET end_time = replace(end_time, ' ', 'T') WHERE id % 11 = 0"))
            # The stored length with an offset in it (milliseconds, then '+00'): not the
            # stored shape either, though 26 characters long with a space at 10.
            await db.execute(text(
                "UPDATE time_entries SET start_time = substr(start_time, 1, 23) || '+00' WHERE id % 13 = 0"))
            await db.commit()
        assert await _fast(sessions, user_id, zone) == await _general(sessions, user_id, zone)

    _run(tmp_path, work)


def hide_first_names(module: Any, monkeypatch: pytest.MonkeyPatch) -> list[tuple[Any, Any]]:
    """Make `module`'s export read the user's names without their first project and task,
    as if both were created after it began; the calls' arguments are recorded."""
    calls: list[tuple[Any, Any]] = []
    real = module.names_loader

    def loader(connection: Any, user_id: int) -> Any:
        names = real(connection, user_id)

        async def hiding(projects: Any, tasks: Any) -> Any:
            calls.append((projects, tasks))
            found_projects, found_tasks = await names(projects, tasks)
            if projects is None:
                found_projects.pop(min(found_projects))
                found_tasks.pop(min(found_tasks))
            return found_projects, found_tasks

        return hiding

    monkeypatch.setattr(module, "names_loader", loader)
    return calls


def test_names_unknown_when_the_export_began_are_looked_up(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    zone = ZoneInfo("Europe/Berlin")
    calls = hide_first_names(sqlite_export, monkeypatch)

    async def work(sessions: async_sessionmaker[AsyncSession]) -> None:
        user_id = await _seed(sessions, "Europe/Berlin", seed=5)
        assert await _fast(sessions, user_id, zone, batch_size=97) == await _general(sessions, user_id, zone)

    _run(tmp_path, work)
    assert len(calls) == 2 and calls[0] == (None, None)
    assert len(calls[1][0]) == 1 and len(calls[1][1]) == 1


def test_a_project_id_without_a_project_is_an_empty_cell(tmp_path: Path) -> None:
    """As the general writer's outer join has it (a database whose foreign keys were off)."""
    zone = ZoneInfo("UTC")

    async def work(sessions: async_sessionmaker[AsyncSession]) -> None:
        user_id = await _seed(sessions, "UTC", seed=8)
        async with sessions() as db:
            await db.execute(text("UPDATE time_entries SET project_id = 999999 WHERE id % 5 = 0"))
            await db.commit()
        fast = await _fast(sessions, user_id, zone)
        assert fast == await _general(sessions, user_id, zone)
        assert fast.count(",,") > 100

    _run(tmp_path, work)


def test_no_entries_is_the_header_alone(tmp_path: Path) -> None:
    async def work(sessions: async_sessionmaker[AsyncSession]) -> None:
        async with sessions() as db:
            db.add(User(email="empty@example.com", password_hash="x", timezone="UTC"))
            await db.commit()
        assert await _fast(sessions, 1, ZoneInfo("UTC")) == "".join(entries_csv_rows((), ZoneInfo("UTC")))

    _run(tmp_path, work)


@pytest.mark.parametrize("zone_name", ZONES)
def test_offset_spans_give_the_zone_offset_of_every_instant(zone_name: str) -> None:
    zone = ZoneInfo(zone_name)
    first, last = datetime(1930, 1, 1, tzinfo=UTC), datetime(2030, 1, 1, tzinfo=UTC)
    spans = offset_spans(zone, first, last)
    rng = random.Random(7)
    probes = [first + timedelta(seconds=rng.randrange(int((last - first).total_seconds()))) for _ in range(3000)]
    # ...and the seconds either side of every change.
    probes += [begins + timedelta(seconds=d) for begins, _ in spans[1:] for d in (-1, 0, 1)]
    starts = [begins for begins, _ in spans]
    for probe in probes:
        index = max(i for i, begins in enumerate(starts) if begins <= probe)
        assert spans[index][1] == probe.astimezone(zone).utcoffset(), (zone_name, probe)
