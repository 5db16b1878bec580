"""`momentum demo`: a demo account with a generated history (`seed_demo`, which the tests
also use to make users with years of entries)."""

from __future__ import annotations

import argparse
import asyncio
from datetime import UTC, datetime

from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.cli_common import _settings, fail, with_session

DEMO_EMAIL = "demo@momentum.local"
DEMO_PASSWORD = "momentum-demo"


async def seed_demo(
    db: AsyncSession,
    *,
    email: str,
    password: str,
    years: float,
    seed: int,
    zone_name: str,
    now: datetime | None = None,
) -> tuple[int, int]:
    """Create a user with a generated history; returns (user id, entry count)."""
    from app.db import rollups
    from app.db.models import Project, Task, TimeEntry
    from app.domain.accounts.signup import create_user
    from app.domain.tracking.demo import generate_demo
    from app.lib.time import get_zone

    now = (now or datetime.now(UTC)).replace(microsecond=0)
    user = await create_user(db, email=email, password=password, timezone=zone_name)
    data = generate_demo(
        seed=seed, years=years, zone_name=zone_name, today=now.astimezone(get_zone(zone_name)).date(), now=now
    )
    project_ids: dict[int, int] = {}
    for p in data.projects:
        project = Project(user_id=user.id, name=p.name, color=p.color, billable=p.billable, archived=p.archived)
        db.add(project)
        await db.flush()
        project_ids[p.key] = project.id
    task_ids: dict[int, int] = {}
    for t in data.tasks:
        task = Task(
            user_id=user.id,
            project_id=project_ids[t.project_key],
            name=t.name,
            status=t.status,
            completed_at=t.completed_at,
        )
        db.add(task)
        await db.flush()
        task_ids[t.key] = task.id
    rows = [
        {
            "user_id": user.id,
            "project_id": project_ids.get(e.project_key) if e.project_key else None,
            "task_id": task_ids.get(e.task_key) if e.task_key else None,
            "start_time": e.start,
            "end_time": e.end,
            "billable": e.billable,
            "notes": e.notes,
            "outcome": e.outcome,
            "tags": list(e.tags),
            "created_at": now,
            "updated_at": now,
        }
        for e in data.entries
    ]
    for i in range(0, len(rows), 2000):
        await db.execute(insert(TimeEntry), rows[i : i + 2000])
    await rollups.rebuild_all(db, user.id, zone_name)
    return user.id, len(rows)


def cmd_demo(args: argparse.Namespace) -> int:
    from app.db.models import User
    from app.lib.errors import AppError
    from app.lib.time import is_valid_timezone

    if not 0 < args.years <= 30:
        fail("--years must be more than 0 and at most 30")
    if not is_valid_timezone(args.timezone):
        fail(f"--timezone: {args.timezone!r} is not an IANA time zone")
    settings = _settings()

    async def work(db: AsyncSession) -> tuple[int, int] | None | bool:
        if args.if_empty and await db.scalar(select(func.count()).select_from(User)):
            # Not empty: say whether the demo login still exists, seed nothing.
            return bool(await db.scalar(select(func.count()).select_from(User).where(User.email == args.email)))
        return await seed_demo(
            db, email=args.email, password=args.password, years=args.years, seed=args.seed, zone_name=args.timezone
        )

    try:
        result = asyncio.run(with_session(settings, work))
    except AppError as exc:
        fail(exc.text)
    if isinstance(result, tuple):
        print(f"demo account created with {result[1]} entries over {args.years:g} year(s)")
    elif not result:
        print("database already has users; no demo account added")
        return 0
    print(f"demo login: {args.email} / {args.password}")
    return 0
