"""Time the project forecast (query + compute) on a 10-year project history.

    python tools/bench_forecast.py [--db PATH] [--calls 200]

Builds a SQLite file (schema from the ORM metadata) with one user in Europe/Berlin
holding ten years of entries (about 10 a working day, 9 projects, ~25,000 entries; the
measured project gets a third of them) plus 50 other users of one year each, then
times `load_project_time` + `compute_forecast` for a total and a monthly budget (the
sum of old time cached, as in the server, and cold):
p50/p95/p99 over `--calls` calls, each on a fresh session. The number goes to
docs/performance.md (CONTRACT section 9: within 5 ms p95 server time).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from advanced_alchemy.base import orm_registry  # noqa: E402
from sqlalchemy import event, insert  # noqa: E402
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine  # noqa: E402

from app.db.models import Project, TimeEntry, User  # noqa: E402
from app.domain.planning.forecast import BudgetSettings, compute_forecast  # noqa: E402
from app.domain.planning.queries import load_project_time  # noqa: E402
from app.lib import cache as cache_lib  # noqa: E402

ZONE = "Europe/Berlin"
NOW = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)


def entries_for(user_id: int, project_ids: list[int], years: int, rng: random.Random) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    day = (NOW - timedelta(days=365 * years)).date()
    while day < NOW.date():
        if day.isoweekday() <= 5:
            cursor = datetime(day.year, day.month, day.day, 7, 0, tzinfo=UTC)
            for _ in range(rng.randint(8, 12)):
                length = timedelta(minutes=rng.randint(15, 70))
                project = project_ids[0] if rng.random() < 0.33 else rng.choice(project_ids)
                rows.append(
                    {
                        "user_id": user_id,
                        "project_id": project,
                        "start_time": cursor,
                        "end_time": cursor + length,
                        "billable": rng.random() < 0.6,
                        "notes": "",
                        "outcome": "",
                        "tags": [],
                        "created_at": cursor,
                        "updated_at": cursor,
                    }
                )
                cursor += length + timedelta(minutes=rng.randint(0, 10))
        day += timedelta(days=1)
    return rows


async def build(url: str) -> tuple[int, int, int]:
    engine = create_async_engine(url)
    rng = random.Random(11)
    async with engine.begin() as conn:
        await conn.run_sync(orm_registry.metadata.create_all)
    async with AsyncSession(engine, expire_on_commit=False) as db:
        users = [User(email=f"u{i}@bench", password_hash="x", timezone=ZONE) for i in range(51)]
        db.add_all(users)
        await db.flush()
        target_entries = 0
        for index, user in enumerate(users):
            projects = [Project(user_id=user.id, name=f"P{j}", color="#000000") for j in range(9)]
            db.add_all(projects)
            await db.flush()
            rows = entries_for(user.id, [p.id for p in projects], 10 if index == 0 else 1, rng)
            if index == 0:
                target_entries = sum(1 for r in rows if r["project_id"] == projects[0].id)
                total = len(rows)
            for i in range(0, len(rows), 5000):
                await db.execute(insert(TimeEntry), rows[i : i + 5000])
        await db.commit()
        first_project = await db.get(Project, 1)
        assert first_project is not None
    await engine.dispose()
    return 1, target_entries, total


async def measure(url: str, calls: int, budget: BudgetSettings, *, cold: bool = False) -> list[float]:
    """Timings in ms; `cold` bumps the history version before each call (the old-time sum is recomputed)."""
    engine = create_async_engine(url)

    @event.listens_for(engine.sync_engine, "connect")
    def _wal(dbapi_connection: object, _record: object) -> None:
        cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()

    timings: list[float] = []
    cpu: list[float] = []
    for i in range(calls + 20):
        now = NOW + timedelta(minutes=i)
        if cold:
            await cache_lib.bump_history_version(1)
        async with AsyncSession(engine) as db:
            started, cpu_started = time.perf_counter(), time.process_time()
            project_time = await load_project_time(
                db, 1, 1, ZONE, now, whole_history=budget.budget_period == "total"
            )
            compute_forecast(
                project_id=1, budget=budget, time=project_time, working_days=(1, 2, 3, 4, 5), now=now, zone_name=ZONE
            )
            elapsed = (time.perf_counter() - started) * 1000
            cpu_elapsed = (time.process_time() - cpu_started) * 1000
        if i >= 20:  # warm-up: connection pool, statement cache
            timings.append(elapsed)
            cpu.append(cpu_elapsed)
    await engine.dispose()
    print(f"  (CPU time of this process, including aiosqlite's thread: p50 {statistics.median(cpu):.2f} ms, "
          f"p95 {statistics.quantiles(cpu, n=100)[94]:.2f} ms; load average {Path('/proc/loadavg').read_text()[:14]})")
    return timings


def report(name: str, timings: list[float]) -> None:
    ordered = sorted(timings)
    q = statistics.quantiles(ordered, n=100)
    print(f"{name}: n={len(ordered)} p50 {q[49]:.2f} ms, p95 {q[94]:.2f} ms, p99 {q[98]:.2f} ms")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", default="/tmp/momentum-bench-forecast.db")
    parser.add_argument("--calls", type=int, default=200)
    args = parser.parse_args()
    path = Path(args.db)
    url = f"sqlite+aiosqlite:///{path}"
    if not path.exists():
        started = time.perf_counter()
        _, target, total = asyncio.run(build(url))
        print(f"built {path}: user 1 has {total} entries over 10 years, project 1 {target} "
              f"({time.perf_counter() - started:.0f} s)")
    total_budget = BudgetSettings(budget_hours=5000, budget_period="total", hourly_rate=80, due_date=date(2027, 6, 30))
    monthly = BudgetSettings(budget_hours=60, budget_period="monthly", hourly_rate=80)
    cache_lib.setup_cache("mem://")
    report("forecast, total budget (10-year history)", asyncio.run(measure(url, args.calls, total_budget)))
    report(
        "forecast, total budget, history cache cold (after an edit of old time)",
        asyncio.run(measure(url, args.calls, total_budget, cold=True)),
    )
    report("forecast, monthly budget", asyncio.run(measure(url, args.calls, monthly)))


if __name__ == "__main__":
    main()
