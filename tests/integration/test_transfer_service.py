"""The import service and the export streams against a real (SQLite) database (issue 5)."""

from __future__ import annotations

import asyncio
import io
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

from app.db.models import DayTotal, Goal, GoalTarget, Project, Task, TimeEntry, User, WeeklyTimeGoal
from app.domain.transfer.backup import backup_json_stream
from app.domain.transfer.backup_format import decode_backup
from app.domain.transfer.exporting import daily_csv_stream, entries_csv_stream
from app.domain.transfer.importing import ImportService
from app.domain.transfer.parsing import ParsedRow, parse_file
from app.lib.errors import ValidationError


@pytest.fixture(autouse=True)
def _cache_ready(app: Any) -> None:
    """The app fixture configures the cache (memory, or Redis in the external run)."""

T = TypeVar("T")
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "imports"
NOW = datetime(2026, 12, 1, tzinfo=UTC)
NY = ZoneInfo("America/New_York")


def run(work: Callable[[async_sessionmaker[AsyncSession]], Awaitable[T]], tmp: Path) -> T:
    async def main() -> T:
        engine = create_async_engine(f"sqlite+aiosqlite:///{tmp / 'test.db'}")

        @event.listens_for(engine.sync_engine, "connect")
        def _fk(conn: Any, _r: Any) -> None:
            conn.execute("PRAGMA foreign_keys=ON")

        async with engine.begin() as conn:
            await conn.run_sync(User.metadata.create_all)
        try:
            return await work(async_sessionmaker(engine, expire_on_commit=False))
        finally:
            await engine.dispose()

    return asyncio.run(main())


async def make_user(sessions: async_sessionmaker[AsyncSession], email: str = "sam@example.com",
                    tz: str | None = "Europe/Berlin") -> User:
    async with sessions() as db:
        user = User(email=email, password_hash="x", timezone=tz)
        db.add(user)
        await db.commit()
        return user


async def imp(sessions: async_sessionmaker[AsyncSession], user: User, data: bytes, *, zone: ZoneInfo,
              fmt: str = "auto", dry_run: bool = False, skip: bool = False) -> Any:
    async with sessions() as db:
        return await ImportService().run_import(db, user, io.BytesIO(data), fmt, zone, dry_run, skip, now=NOW)


async def count(sessions: async_sessionmaker[AsyncSession], model: Any) -> int:
    async with sessions() as db:
        return int(await db.scalar(select(func.count()).select_from(model)) or 0)


@pytest.mark.parametrize("name", ["toggl_detailed_1.csv", "clockify_detailed_1.csv", "kimai_export_1.csv"])
def test_fixture_imports_exactly_once(name: str, tmp_path: Path) -> None:
    expected = json.loads((FIXTURES / f"{name}.expected.json").read_text())
    zone = ZoneInfo(expected["timezone"])
    data = (FIXTURES / name).read_bytes()

    async def work(sessions: async_sessionmaker[AsyncSession]) -> None:
        user = await make_user(sessions)
        dry = await imp(sessions, user, data, zone=zone, dry_run=True)
        assert (dry.created, dry.duplicates, dry.errors, dry.written) == (len(expected["entries"]), 0, [], False)
        assert await count(sessions, TimeEntry) == 0 and await count(sessions, Project) == 0
        first = await imp(sessions, user, data, zone=zone)
        assert (first.created, first.duplicates, first.errors, first.written) == (len(expected["entries"]), 0, [], True)
        assert first.projects_created == dry.projects_created == len({e["project"] for e in expected["entries"]})
        second = await imp(sessions, user, data, zone=zone)
        assert (second.created, second.duplicates, second.projects_created) == (0, len(expected["entries"]), 0)
        async with sessions() as db:
            rows = (await db.execute(
                select(TimeEntry.start_time, TimeEntry.end_time, Project.name, TimeEntry.billable, TimeEntry.notes)
                .join(Project, Project.id == TimeEntry.project_id).order_by(TimeEntry.start_time)
            )).all()
            got = [{"start": s.isoformat(), "end": e.isoformat(), "project": p, "billable": b, "description": n}
                   for s, e, p, b, n in rows]
            assert got == sorted(expected["entries"], key=lambda x: x["start"])
            clients = dict((await db.execute(select(Project.name, Project.client))).all())
            assert clients.get("Website relaunch", "Acme Corp") == "Acme Corp"
            assert await db.scalar(select(func.count()).select_from(DayTotal)) > 0

    run(work, tmp_path)


def test_row_error_writes_nothing_unless_skipped(tmp_path: Path) -> None:
    data = (b"Start date,Start time,End date,End time,Project,Description\n"
            b"2026-03-02,09:00,2026-03-02,10:00,Web,ok\n"
            b"2026-13-02,09:00,2026-03-02,10:00,Other,bad\n"
            b"2026-03-03,09:00,2026-03-03,10:00,Web,ok too\n")

    async def work(sessions: async_sessionmaker[AsyncSession]) -> None:
        user = await make_user(sessions)
        res = await imp(sessions, user, data, zone=NY)
        assert (res.created, res.written, res.projects_created) == (0, False, 0)
        assert [(e.row, e.error) for e in res.errors] == [(3, "row 3: Start date '2026-13-02' is not a date")]
        assert await count(sessions, TimeEntry) == 0 and await count(sessions, Project) == 0
        res = await imp(sessions, user, data, zone=NY, skip=True)
        assert (res.created, res.written, len(res.errors), res.projects_created) == (2, True, 1, 1)
        assert await count(sessions, TimeEntry) == 2

    run(work, tmp_path)


def test_future_entries_and_bad_tags_are_row_errors(tmp_path: Path) -> None:
    data = ("Start date,Start time,End date,End time,Project,Tags\n"
            "2027-03-02,09:00,2027-03-02,10:00,Future,\n"
            f"2026-03-02,09:00,2026-03-02,10:00,Web,{'x' * 41}\n").encode()

    async def work(sessions: async_sessionmaker[AsyncSession]) -> None:
        user = await make_user(sessions)
        res = await imp(sessions, user, data, zone=NY, skip=True)
        assert [e.error for e in res.errors] == [
            "row 2: start is in the future", "row 3: Tags: each tag must be at most 40 characters"]
        assert (res.created, res.projects_created) == (0, 0)

    run(work, tmp_path)


def test_file_error_raises_and_writes_nothing(tmp_path: Path) -> None:
    async def work(sessions: async_sessionmaker[AsyncSession]) -> None:
        user = await make_user(sessions)
        with pytest.raises(ValidationError, match="file: the file is empty"):
            await imp(sessions, user, b"", zone=NY)
        garbage = b"Start date,Start time,End date,End time\n" + b"nonsense,row\n" * 5000
        with pytest.raises(ValidationError, match="too many bad rows"):
            await imp(sessions, user, garbage, zone=NY, skip=True)
        assert await count(sessions, TimeEntry) == 0

    run(work, tmp_path)


def test_projects_match_by_name_ignoring_case(tmp_path: Path) -> None:
    async def work(sessions: async_sessionmaker[AsyncSession]) -> None:
        user = await make_user(sessions)
        async with sessions() as db:
            db.add(Project(user_id=user.id, name="website RELAUNCH", color="#000000"))
            await db.commit()
        res = await imp(sessions, user, (FIXTURES / "toggl_detailed_1.csv").read_bytes(),
                        zone=ZoneInfo("Europe/Berlin"))
        assert res.projects_created == 3  # Data pipeline, Support, Internal
        async with sessions() as db:
            names = set(await db.scalars(select(Project.name)))
        assert names == {"website RELAUNCH", "Data pipeline", "Support", "Internal"}

    run(work, tmp_path)


def _big_toggl(rows: int) -> bytes:
    out = io.StringIO()
    out.write("Start date,Start time,End date,End time,Project,Task,Description,Billable,Tags\n")
    start = datetime(2015, 1, 1, 8)
    for i in range(rows):
        s = start + timedelta(hours=i)
        e = s + timedelta(minutes=45)
        out.write(f"{s:%Y-%m-%d},{s:%H:%M},{e:%Y-%m-%d},{e:%H:%M},P{i % 7},T{i % 3},entry {i},"
                  f"{'Yes' if i % 2 else 'No'},\"a, b\"\n")
    return out.getvalue().encode()


def test_100k_rows_import(tmp_path: Path) -> None:
    data = _big_toggl(100_000)

    async def work(sessions: async_sessionmaker[AsyncSession]) -> None:
        user = await make_user(sessions, tz="UTC")
        seen: list[int] = []
        async with sessions() as db:
            res = await ImportService().run_import(db, user, io.BytesIO(data), "auto", ZoneInfo("UTC"), False,
                                                   False, now=NOW, on_progress=lambda p: seen.append(p.rows))
        assert (res.created, res.errors, res.projects_created, res.tasks_created) == (100_000, [], 7, 21)
        assert seen[-1] == 100_000 and len(seen) > 50
        assert await count(sessions, TimeEntry) == 100_000
        again = await imp(sessions, user, data, zone=ZoneInfo("UTC"))
        assert (again.created, again.duplicates) == (0, 100_000)

    run(work, tmp_path)


async def _collect(stream: AsyncIterator[Any]) -> list[Any]:
    return [piece async for piece in stream]


def test_entries_csv_export_reads_back_and_restores(tmp_path: Path) -> None:
    async def work(sessions: async_sessionmaker[AsyncSession]) -> None:
        user = await make_user(sessions)
        await imp(sessions, user, (FIXTURES / "clockify_detailed_1.csv").read_bytes(), zone=NY)
        async with sessions() as db:
            text = "".join(await _collect(entries_csv_stream(db, user.id, NY)))
            ranged = "".join(await _collect(entries_csv_stream(
                db, user.id, NY, first_day=date(2026, 3, 2), last_day=date(2026, 3, 3))))
        rows = [r for r in parse_file(io.BytesIO(text.encode()), fmt="momentum", zone=UTC) if isinstance(r, ParsedRow)]
        assert len(rows) == 33
        assert len(ranged.strip().splitlines()) == 1 + 6
        other = await make_user(sessions, email="other@example.com")
        res = await imp(sessions, other, text.encode(), zone=UTC)
        assert (res.created, res.errors) == (33, [])
        again = await imp(sessions, user, text.encode(), zone=UTC)
        assert (again.created, again.duplicates) == (0, 33)

    run(work, tmp_path)


def test_daily_csv_export(tmp_path: Path) -> None:
    async def work(sessions: async_sessionmaker[AsyncSession]) -> None:
        user = await make_user(sessions, tz="America/New_York")
        await imp(sessions, user, (FIXTURES / "clockify_detailed_1.csv").read_bytes(), zone=NY)
        async with sessions() as db:
            text = "".join(await _collect(daily_csv_stream(
                db, user.id, NY, first_day=date(2026, 3, 16), last_day=date(2026, 3, 17),
                standard_hours_per_day=8, working_days=[1, 2, 3, 4, 5])))
        assert text.splitlines() == [
            "date,hours,billable_hours,entries,goal_hours,projects",
            '2026-03-16,0.83,0.83,1,8.00,"{""Data pipeline"":0.83}"',
            '2026-03-17,0.75,0.75,0,8.00,"{""Data pipeline"":0.75}"',
        ]

    run(work, tmp_path)


def test_backup_restores_everything_into_an_empty_account(tmp_path: Path) -> None:
    async def work(sessions: async_sessionmaker[AsyncSession]) -> None:
        user = await make_user(sessions, tz="America/New_York")
        await imp(sessions, user, (FIXTURES / "clockify_detailed_1.csv").read_bytes(), zone=NY)
        async with sessions() as db:
            u = await db.get(User, user.id)
            assert u is not None
            u.standard_hours_per_day, u.working_days, u.streak_min_minutes = 6.5, [1, 2, 3], 20
            pid = await db.scalar(select(Project.id).where(Project.name == "Support"))
            task = Task(user_id=user.id, project_id=pid, name="Done thing", status="done",
                        completed_at=datetime(2026, 3, 5, tzinfo=UTC))
            db.add(task)
            await db.flush()
            entry = await db.scalar(select(TimeEntry).where(TimeEntry.project_id == pid).limit(1))
            assert entry is not None
            entry.task_id, entry.outcome, entry.tags = task.id, "shipped", ["x, y"]
            db.add(TimeEntry(user_id=user.id, project_id=pid, start_time=datetime(2026, 11, 30, 9, tzinfo=UTC)))
            db.add(WeeklyTimeGoal(user_id=user.id, week_start=date(2026, 3, 2), target_hours=30))
            goal = Goal(user_id=user.id, name="Focus", metric="hours", period="weekly", project_id=pid)
            db.add(goal)
            await db.flush()
            db.add(GoalTarget(goal_id=goal.id, effective_from=date(2026, 3, 2), target=10))
            db.add(GoalTarget(goal_id=goal.id, effective_from=date(2026, 3, 9), target=12))
            await db.commit()
        async with sessions() as db:
            data = b"".join(await _collect(backup_json_stream(db, user.id, now=NOW)))
        original = decode_backup(data)
        assert len(original.entries) == 34 and original.entries[-1].end_time is None

        other = await make_user(sessions, email="new@example.com", tz=None)
        dry = await imp(sessions, other, data, zone=UTC, dry_run=True)
        assert (dry.created, dry.settings_restored, dry.goals_created, dry.weekly_goals_created) == (34, True, 1, 1)
        assert await count(sessions, Goal) == 1
        res = await imp(sessions, other, data, zone=UTC)
        assert (res.created, res.errors, res.settings_restored, res.projects_created, res.tasks_created) == (
            34, [], True, 4, 1)
        async with sessions() as db:
            restored = decode_backup(b"".join(await _collect(backup_json_stream(db, other.id, now=NOW))))

        def strip(b: Any) -> Any:
            pmap = {p.id: p.name for p in b.projects}
            tmap = {t.id: t.name for t in b.tasks}
            return (
                b.user.timezone, b.user.standard_hours_per_day, b.user.working_days, b.user.streak_min_minutes,
                sorted((p.name, p.color, p.billable, p.archived, p.client) for p in b.projects),
                sorted((pmap[t.project_id], t.name, t.status, t.completed_at) for t in b.tasks),
                [(e.start_time, e.end_time, pmap.get(e.project_id), tmap.get(e.task_id), e.billable, e.notes,
                  e.outcome, e.tags) for e in b.entries],
                b.weekly_goals,
                [(g.name, g.metric, g.period, g.direction, pmap.get(g.project_id), g.targets) for g in b.goals],
            )

        assert strip(restored) == strip(original)
        again = await imp(sessions, other, data, zone=UTC)
        assert (again.created, again.duplicates, again.goals_created, again.settings_restored) == (0, 34, 0, False)

    run(work, tmp_path)
