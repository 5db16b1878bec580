"""`timer_running` rules: the running timer reaches a rule's elapsed_hours (docs/rules.md).

Checked whenever the user's timer is read (tracking calls its timer-read hooks, which
`create_app` points here) and by a sweep every minute in each instance. A cheap look
outside any transaction decides whether anything is due; only then a unit of work takes
the user's lock and looks again, so each rule acts once per timer however many
instances and readers notice it at the same moment (the run log's occurrence
`timer:<entry id>` is unique per rule).
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.db.models import Rule, TimeEntry, User
from app.db.uow import Work, default_zone, utcnow, write
from app.domain.rules import runlog
from app.domain.rules.conditions import all_hold
from app.domain.rules.facts import entry_day_hours, entry_facts, uses_day_hours
from app.domain.rules.runner import enabled_rules, project_names, run_entry_rules
from app.lib.errors import AppError, is_database_unavailable

log = logging.getLogger(__name__)

SWEEP_SECONDS = 60
# Tests that drive the sweep with an injected clock hold the background one off.
SWEEP_PAUSED = False


async def _running(db: AsyncSession, user_id: int) -> TimeEntry | None:
    return await db.scalar(select(TimeEntry).where(TimeEntry.user_id == user_id, TimeEntry.end_time.is_(None)))


async def _due(db: AsyncSession, user_id: int, now: datetime) -> bool:
    """Is some timer_running rule of the user due (all its conditions hold) and not yet run
    for the running timer? Exact, so a read that finds nothing to do writes nothing."""
    rules = await enabled_rules(db, user_id, ["timer_running"])
    if not rules:
        return False
    entry = await _running(db, user_id)
    if entry is None:
        return False
    zone_name = await db.scalar(select(User.timezone).where(User.id == user_id)) or default_zone()
    day_hours = None
    if any(uses_day_hours(r.conditions) for r in rules):
        day_hours = await entry_day_hours(db, entry, zone_name, now)
    facts = entry_facts(entry, zone_name, now, day_hours=day_hours)
    holding = [r.id for r in rules if all_hold(r.conditions, facts)]
    if not holding:
        return False
    return bool(set(holding) - await runlog.has_run(db, holding, f"timer:{entry.id}"))


async def apply_timer_rules(db: AsyncSession, user_id: int, now: datetime | None = None) -> None:
    """Run the user's due timer_running rules on the running timer, at most once each."""
    now = now or utcnow()
    if not await _due(db, user_id, now):
        return

    async def work_fn(work: Work) -> None:
        entry = await _running(work.db, user_id)
        if entry is None:
            return
        rules = await enabled_rules(work.db, user_id, ["timer_running"])
        names = await project_names(work.db, user_id, rules)
        await run_entry_rules(work, rules, entry, names, trigger="timer_running")

    await write(db, user_id, work_fn, source="rules", now=now)


async def on_timer_read(db: AsyncSession, user_id: int, now: datetime) -> None:
    """The tracking timer-read hook: a rule that fails here must not fail the read."""
    try:
        await apply_timer_rules(db, user_id, now)
    except AppError as exc:
        log.info("timer_running rules of user %s failed: %s", user_id, exc.text)
    except Exception as exc:
        if is_database_unavailable(exc):
            raise
        log.exception("timer_running rules of user %s failed", user_id)


async def sweep(sessionmaker: async_sessionmaker[AsyncSession], now: datetime | None = None) -> int:
    """One pass over every user with an enabled timer_running rule and a running timer;
    the number of users looked at."""
    now = now or utcnow()
    async with sessionmaker() as db:
        users = list(
            await db.scalars(
                select(Rule.user_id)
                .join(TimeEntry, TimeEntry.user_id == Rule.user_id)
                .where(Rule.enabled.is_(True), Rule.trigger == "timer_running", TimeEntry.end_time.is_(None))
                .distinct()
            )
        )
    for user_id in users:
        async with sessionmaker() as db:
            await on_timer_read(db, int(user_id), now)
    return len(users)


async def run_sweeper(sessionmaker: async_sessionmaker[AsyncSession]) -> None:
    """The lifespan task: a sweep every minute, in each instance."""
    while True:
        await asyncio.sleep(SWEEP_SECONDS)
        if SWEEP_PAUSED:
            continue
        try:
            await sweep(sessionmaker)
        except Exception:
            log.exception("timer_running sweep failed")
