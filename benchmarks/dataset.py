"""The benchmark's dataset: the cached SQLite database of demo users, the scratch copy a
run writes to, and the Toggl file the import is timed on.
"""

from __future__ import annotations

import asyncio
import csv
import heapq
import itertools
import json
import os
import shutil
import sqlite3
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, cast

from app.domain.tracking.demo import DemoData, DemoEntry, generate_demo

ROOT = Path(__file__).resolve().parent.parent
# Bump when anything about the generated dataset changes: a cached one is then rebuilt.
BENCH_DATA_VERSION = "v1"
MAX_DATA_AGE_DAYS = 7  # older data has an empty recent past (the history ends on generation day)
PASSWORD = "bench-password-1"
ZONE = "Europe/Berlin"
OTHER_ZONES = ("Europe/Berlin", "America/New_York", "Asia/Kolkata", "UTC", "Australia/Sydney",
               "America/Los_Angeles", "Europe/London", "Asia/Tokyo")
IMPORT_EMAIL = "bench-import@momentum.local"
NOT_AVAILABLE = frozenset({404, 405, 501})
CONCURRENCY = 8
PERIODS_CYCLE = 90  # stats periods 1..90 are 90 distinct cache keys
COLD_P95_LIMIT_MS = 15.0
WARM_SHARE_LIMIT = 0.40


def say(message: str) -> None:
    print(f"[bench] {message}", flush=True)


# ====================================================================== dataset


@dataclass(frozen=True)
class UserSpec:
    key: str  # "a", "b" or "o017"
    email: str
    years: float
    seed: int
    zone: str


def user_specs(others: int) -> list[UserSpec]:
    specs = [
        UserSpec("a", "bench-a@momentum.local", 1, 101, ZONE),
        UserSpec("b", "bench-b@momentum.local", 10, 202, ZONE),
    ]
    specs += [
        UserSpec(f"o{i:03d}", f"bench-other-{i:03d}@momentum.local", 1, 1000 + i,
                 OTHER_ZONES[i % len(OTHER_ZONES)])
        for i in range(others)
    ]
    return specs


def db_url(path: Path) -> str:
    return f"sqlite+aiosqlite:///{path.resolve()}"


def remove_db(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def ensure_dataset(data_dir: Path, others: int, regenerate: bool) -> tuple[Path, dict[str, Any], bool]:
    """The cached database, its meta JSON and whether it was built now (missing, stale or another version)."""
    key = f"{BENCH_DATA_VERSION}-o{others}"
    db_path = data_dir / f"momentum-bench-{key}.db"
    meta_path = data_dir / f"momentum-bench-{key}.json"
    if not regenerate and db_path.exists() and meta_path.exists():
        meta: dict[str, Any] = json.loads(meta_path.read_text())
        age = (datetime.now(UTC).date() - date.fromisoformat(meta["generated_for"])).days
        if meta.get("version") == key and age <= MAX_DATA_AGE_DAYS:
            say(f"reusing {db_path} (generated {meta['generated_for']}, {meta['generation_seconds']:.0f} s)")
            return db_path, meta, False
        say(f"cached dataset is {age} days old or of another version: rebuilding")
    data_dir.mkdir(parents=True, exist_ok=True)
    meta_path.unlink(missing_ok=True)  # the meta file is written last: it marks a complete DB
    remove_db(db_path)
    say(f"generating the dataset into {db_path} (A: 1 y, B: 10 y, {others} others: 1 y each) ...")
    started = time.perf_counter()
    os.environ.update(MOMENTUM_ENV="development", MOMENTUM_DATABASE_URL=db_url(db_path),
                      MOMENTUM_CACHE_URL="mem://", MOMENTUM_TIMEZONE="UTC")
    from app.cli_db import _alembic
    from app.settings import Settings

    settings = Settings.from_env()
    _alembic(settings).upgrade("head")
    now = datetime.now(UTC).replace(microsecond=0)
    meta = asyncio.run(populate(settings, user_specs(others), now))
    with sqlite3.connect(db_path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        tables = [r[0] for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")]
        meta["tables"] = {t: conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}
    conn.close()
    meta.update(version=key, generated_for=now.date().isoformat(), generated_at=now.isoformat(),
                generation_seconds=time.perf_counter() - started, db_bytes=db_path.stat().st_size)
    meta_path.write_text(json.dumps(meta, indent=1))
    say(f"dataset generated in {meta['generation_seconds']:.1f} s "
        f"({meta['tables']['time_entries']:,} entries, {meta['db_bytes'] / 1e6:.0f} MB)")
    return db_path, meta, True


@dataclass
class _Loaded:
    spec: UserSpec
    user_id: int
    data: DemoData
    project_ids: dict[int, int]
    task_ids: dict[int, int]


def _tagged(loaded: _Loaded) -> Iterator[tuple[DemoEntry, _Loaded]]:
    for entry in loaded.data.entries:
        yield entry, loaded


async def populate(settings: Any, specs: list[UserSpec], now: datetime) -> dict[str, Any]:
    """Users, projects, tasks, tokens, entries (time-ordered across users), rollups, B's goals."""
    from sqlalchemy import Table, insert
    from sqlalchemy.ext.asyncio import async_sessionmaker

    from app.db import rollups
    from app.db.config import create_engine, writing
    from app.db.models import Project, Task, TimeEntry, User
    from app.domain.accounts.hashing import hash_password
    from app.domain.accounts.tokens import create_token
    from app.lib.cache import setup_cache
    from app.lib.time import get_zone

    setup_cache(settings.cache_url)
    engine = create_engine(settings)
    # One argon2 hash for every bench user: 202 hashes would only cost generation time.
    password_hash = hash_password(PASSWORD)
    loaded: list[_Loaded] = []
    tokens: dict[str, str] = {}
    started = time.perf_counter()
    try:
        with writing():
            async with async_sessionmaker(engine, expire_on_commit=False)() as db:
                for spec in specs:
                    user = User(email=spec.email, password_hash=password_hash, timezone=spec.zone)
                    db.add(user)
                    await db.flush()
                    today = now.astimezone(get_zone(spec.zone)).date()
                    data = generate_demo(seed=spec.seed, years=spec.years, zone_name=spec.zone, today=today,
                                         now=now)
                    projects = [Project(user_id=user.id, name=p.name, color=p.color, billable=p.billable,
                                        archived=p.archived) for p in data.projects]
                    db.add_all(projects)
                    await db.flush()
                    project_ids = {p.key: row.id for p, row in zip(data.projects, projects, strict=True)}
                    tasks = [Task(user_id=user.id, project_id=project_ids[t.project_key], name=t.name,
                                  status=t.status, completed_at=t.completed_at) for t in data.tasks]
                    db.add_all(tasks)
                    await db.flush()
                    task_ids = {t.key: row.id for t, row in zip(data.tasks, tasks, strict=True)}
                    _, raw = await create_token(db, user.id, "bench")
                    tokens[spec.email] = raw
                    loaded.append(_Loaded(spec, user.id, data, project_ids, task_ids))
                total = sum(len(x.data.entries) for x in loaded)
                say(f"  {len(specs)} users, projects and tasks after {time.perf_counter() - started:.1f} s;"
                    f" inserting {total:,} entries ...")
                # Time order across users, as a live server writes them: a user's rows are
                # spread over the whole table, not stored next to each other.
                merged = heapq.merge(*(_tagged(x) for x in loaded), key=lambda pair: pair[0].start)
                while True:
                    chunk = list(itertools.islice(merged, 5000))
                    if not chunk:
                        break
                    # Core, not ORM, insert: one executemany per chunk instead of row-by-row.
                    await db.execute(insert(cast(Table, TimeEntry.__table__)), [
                        {
                            "user_id": owner.user_id,
                            "project_id": owner.project_ids[e.project_key] if e.project_key else None,
                            "task_id": owner.task_ids[e.task_key] if e.task_key else None,
                            "start_time": e.start, "end_time": e.end, "billable": e.billable,
                            "notes": e.notes, "outcome": e.outcome, "tags": list(e.tags),
                            "created_at": e.end, "updated_at": e.end,
                        }
                        for e, owner in chunk
                    ])
                say(f"  entries inserted after {time.perf_counter() - started:.1f} s; rebuilding rollups ...")
                for x in loaded:
                    await rollups.rebuild_all(db, x.user_id, x.spec.zone)
                goals = await add_goals(db, loaded[1], now)
                await db.commit()
    finally:
        await engine.dispose()

    def describe(x: _Loaded) -> dict[str, Any]:
        entries = x.data.entries
        return {"email": x.spec.email, "id": x.user_id, "zone": x.spec.zone, "years": x.spec.years,
                "entries": len(entries), "projects": len(x.data.projects), "tasks": len(x.data.tasks),
                "first": entries[0].start.isoformat() if entries else None}

    other_counts = [len(x.data.entries) for x in loaded[2:]]
    return {
        "password": PASSWORD,
        "users": {"a": describe(loaded[0]), "b": describe(loaded[1]) | {"goals": goals}},
        "others": {"users": len(other_counts), "entries": sum(other_counts),
                   "min": min(other_counts, default=0), "max": max(other_counts, default=0)},
        "tokens": tokens,
    }


async def add_goals(db: Any, owner: _Loaded, now: datetime) -> int:
    """10 goals for user B, through the ORM (the goals API may not exist yet).

    Each target applies from the start of the period holding the first day of B's
    history; one goal's target was raised two years ago (a target history).
    """
    from app.db.models import Goal, GoalTarget
    from app.domain.goals.compute import period_bounds
    from app.lib.time import get_zone

    zone = get_zone(owner.spec.zone)
    first_day = owner.data.entries[0].start.astimezone(zone).date()
    today = now.astimezone(zone).date()
    client = next(p for p in owner.data.projects if p.billable and not p.archived)
    plans: list[tuple[str, str, str, str, list[float], int | None]] = [
        ("Six hours a day", "hours", "daily", "at_least", [6], None),
        ("No more than nine hours a day", "hours", "daily", "at_most", [9], None),
        ("Two deep sessions a day", "deep_sessions", "daily", "at_least", [2], None),
        ("32 hours a week", "hours", "weekly", "at_least", [32], None),
        ("At most 45 hours a week", "hours", "weekly", "at_most", [45], None),
        ("Mostly billable", "billable_percent", "weekly", "at_least", [60], None),
        ("Ten deep sessions a week", "deep_sessions", "weekly", "at_least", [10], None),
        ("Close three tasks a month", "tasks_completed", "monthly", "at_least", [3], None),
        ("A full month", "hours", "monthly", "at_least", [120, 140], None),
        (f"{client.name}: 20 hours a month", "hours", "monthly", "at_least", [20],
         owner.project_ids[client.key]),
    ]
    for name, metric, period, direction, targets, project_id in plans:
        goal = Goal(user_id=owner.user_id, name=name, metric=metric, period=period, direction=direction,
                    project_id=project_id)
        db.add(goal)
        await db.flush()
        starts = [period_bounds(period, first_day)[0], period_bounds(period, today - timedelta(days=730))[0]]
        for effective_from, target in zip(starts, targets, strict=False):
            db.add(GoalTarget(goal_id=goal.id, effective_from=effective_from, target=target))
    await db.flush()
    return len(plans)


def prepare_run_copy(db_path: Path, run_dir: Path) -> Path:
    """A scratch copy for this run: the run logs in, edits settings and imports."""
    run_dir.mkdir(parents=True, exist_ok=True)
    target = run_dir / "momentum.db"
    remove_db(target)
    shutil.copyfile(db_path, target)
    # A cached dataset may predate the newest migration: bring the copy to head.
    from app.cli_db import _alembic
    from app.settings import Settings

    _alembic(
        Settings(database_url=db_url(target), cache_url="mem://", secret_key="bench-secret-key-0123456789",
                 timezone="UTC", allow_signup=True, env="development")
    ).upgrade("head")
    return target


def prepare_empty_db(run_dir: Path) -> Path:
    """A fresh SQLite database at Alembic head, for runs that bring their own users."""
    run_dir.mkdir(parents=True, exist_ok=True)
    target = run_dir / "momentum.db"
    remove_db(target)
    from app.cli_db import _alembic
    from app.settings import Settings

    _alembic(
        Settings(database_url=db_url(target), cache_url="mem://", secret_key="bench-secret-key-0123456789",
                 timezone="UTC", allow_signup=True, env="development")
    ).upgrade("head")
    return target


def toggl_file(data_dir: Path, rows: int) -> Path:
    """`rows` Toggl detailed-CSV rows of one person's demo history (local times in ZONE), cached."""
    path = data_dir / f"toggl-{rows}-{BENCH_DATA_VERSION}.csv"
    if path.exists():
        return path
    now = datetime.now(UTC).replace(microsecond=0)
    from app.lib.time import get_zone

    zone = get_zone(ZONE)
    data = generate_demo(seed=4242, years=rows / 2400 + 1, zone_name=ZONE, today=now.astimezone(zone).date(),
                         now=now)
    projects = {p.key: p for p in data.projects}
    tasks = {t.key: t.name for t in data.tasks}
    tmp = path.with_suffix(".partial")
    with tmp.open("w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh)
        out.writerow(["User", "Email", "Client", "Project", "Task", "Description", "Billable", "Start date",
                      "Start time", "End date", "End time", "Duration", "Tags", "Amount (EUR)"])
        for e in data.entries[-rows:]:
            start, end = e.start.astimezone(zone), e.end.astimezone(zone)
            seconds = int((e.end - e.start).total_seconds())
            project = projects.get(e.project_key) if e.project_key else None
            out.writerow([
                "Bench Person", "bench@example.com", "Acme Corp" if project and project.billable else "",
                project.name if project else "", tasks.get(e.task_key, "") if e.task_key else "", e.notes,
                "Yes" if e.billable else "No", start.date().isoformat(), start.strftime("%H:%M:%S"),
                end.date().isoformat(), end.strftime("%H:%M:%S"),
                f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}", ", ".join(e.tags),
                "25.00" if e.billable else "0.00",
            ])
    tmp.rename(path)
    return path


# ====================================================================== the server
