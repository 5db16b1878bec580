"""Goals: storage with target history, and progress for any local date.

Editing a target applies from the current period on: it is stored with
`effective_from` = the first day of today's period, so earlier periods keep the target
that was in force and their verdicts (docs/goals.md). Changing a goal's period or
metric starts a new history, because old targets mean something else under it.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import Goal, GoalTarget, Project
from app.db.uow import unit_of_work
from app.domain.accounts.schemas import CurrentUser
from app.domain.goals.compute import goals_progress, needed_range, period_bounds
from app.domain.goals.queries import load_completed_tasks, load_goals
from app.domain.goals.schemas import DIRECTIONS, METRICS, PERIODS, GoalDef, GoalOut, GoalProgress, target_error
from app.domain.tracking.reads import load_entries
from app.lib.errors import NotFoundError, ValidationError
from app.lib.time import get_zone, local_day_start


def _check_choice(value: str, allowed: tuple[str, ...], field: str) -> str:
    if value not in allowed:
        raise ValidationError(f"must be one of {', '.join(allowed)}", field=field)
    return value


async def _check_project(db: AsyncSession, user_id: int, project_id: int | None) -> int | None:
    if project_id is None:
        return None
    found = await db.scalar(select(Project.id).where(Project.id == project_id, Project.user_id == user_id))
    if found is None:
        raise ValidationError("no such project", field="project_id")
    return project_id


def _check_target(metric: str, target: float) -> float:
    if error := target_error(metric, target):
        field, _, message = error.partition(": ")
        raise ValidationError(message or error, field=field if message else "target")
    return float(target)


def _check_name(name: str) -> str:
    cleaned = name.strip()
    if not cleaned or len(cleaned) > 120:
        raise ValidationError("must be 1 to 120 characters", field="name")
    return cleaned


async def get_goal(db: AsyncSession, user_id: int, goal_id: int) -> Goal:
    goal = await db.scalar(select(Goal).where(Goal.id == goal_id, Goal.user_id == user_id))
    if goal is None:
        raise NotFoundError("goal")
    return goal


async def goal_defs(db: AsyncSession, user_id: int) -> list[GoalDef]:
    return await load_goals(db, user_id)


def goal_out(defn: GoalDef, created_at: datetime, zone_name: str, today: date) -> GoalOut:
    return GoalOut(
        id=defn.id,
        name=defn.name,
        metric=defn.metric,
        target=defn.target_for(period_bounds(defn.period, today)[0]),
        period=defn.period,
        direction=defn.direction,
        project_id=defn.project_id,
        created_at=created_at.astimezone(get_zone(zone_name)).isoformat(),
    )


async def list_goals(db: AsyncSession, user_id: int, zone_name: str, today: date) -> list[GoalOut]:
    defs = await goal_defs(db, user_id)
    created = dict((await db.execute(select(Goal.id, Goal.created_at).where(Goal.user_id == user_id))).all())
    return [goal_out(d, created[d.id], zone_name, today) for d in defs]


async def one_goal(db: AsyncSession, user_id: int, goal_id: int, zone_name: str, today: date) -> GoalOut:
    goal = await get_goal(db, user_id, goal_id)
    defn = next(d for d in await goal_defs(db, user_id) if d.id == goal.id)
    return goal_out(defn, goal.created_at, zone_name, today)


@unit_of_work()
async def create_goal(
    db: AsyncSession,
    user_id: int,
    today: date,
    *,
    name: str,
    metric: str,
    target: float,
    period: str,
    direction: str = "at_least",
    project_id: int | None = None,
) -> Goal:
    name = _check_name(name)
    metric = _check_choice(metric, METRICS, "metric")
    period = _check_choice(period, PERIODS, "period")
    direction = _check_choice(direction, DIRECTIONS, "direction")
    target = _check_target(metric, target)
    project_id = await _check_project(db, user_id, project_id)
    goal = Goal(user_id=user_id, name=name, metric=metric, period=period, direction=direction, project_id=project_id)
    db.add(goal)
    await db.flush()
    db.add(GoalTarget(goal_id=goal.id, effective_from=period_bounds(period, today)[0], target=target))
    await db.flush()
    return goal


@unit_of_work()
async def update_goal(db: AsyncSession, user_id: int, goal_id: int, today: date, changes: dict[str, Any]) -> Goal:
    goal = await get_goal(db, user_id, goal_id)
    defn = next(d for d in await goal_defs(db, user_id) if d.id == goal.id)
    metric = _check_choice(changes.get("metric", goal.metric), METRICS, "metric")
    period = _check_choice(changes.get("period", goal.period), PERIODS, "period")
    restart = metric != goal.metric or period != goal.period
    current_target = defn.target_for(period_bounds(goal.period, today)[0])
    target = _check_target(metric, changes.get("target", current_target))
    if "name" in changes:
        goal.name = _check_name(changes["name"])
    if "direction" in changes:
        goal.direction = _check_choice(changes["direction"], DIRECTIONS, "direction")
    if "project_id" in changes:
        goal.project_id = await _check_project(db, user_id, changes["project_id"])
    goal.metric, goal.period = metric, period
    start = period_bounds(period, today)[0]
    if restart:
        await db.execute(delete(GoalTarget).where(GoalTarget.goal_id == goal.id))
        db.add(GoalTarget(goal_id=goal.id, effective_from=start, target=target))
    elif target != current_target:
        existing = await db.scalar(
            select(GoalTarget).where(GoalTarget.goal_id == goal.id, GoalTarget.effective_from == start)
        )
        if existing is not None:
            existing.target = target
        else:
            db.add(GoalTarget(goal_id=goal.id, effective_from=start, target=target))
    await db.flush()
    return goal


@unit_of_work()
async def delete_goal(db: AsyncSession, user_id: int, goal_id: int) -> None:
    goal = await get_goal(db, user_id, goal_id)
    await db.delete(goal)
    await db.flush()


async def progress(
    db: AsyncSession, user: CurrentUser, default_zone: str, day: date | None = None, now: datetime | None = None
) -> list[GoalProgress]:
    """Progress of every goal for the period holding local date `day` (default: today)."""
    now = now or datetime.now(UTC)
    prefs = user.prefs(default_zone)
    zone = get_zone(prefs.timezone)
    day = day or now.astimezone(zone).date()
    defs = await goal_defs(db, user.id)
    if not defs:
        return []
    first, last = needed_range(defs, day)
    lo = local_day_start(first, zone)
    hi = min(local_day_start(last + timedelta(days=1), zone), now + timedelta(seconds=1))
    entries = await load_entries(db, user.id, lo, hi) if hi > lo else []
    tasks = []
    if any(d.metric == "tasks_completed" for d in defs):
        tasks = await load_completed_tasks(db, user.id, lo, local_day_start(last + timedelta(days=1), zone))
    return goals_progress(defs, entries=entries, completed_tasks=tasks, prefs=prefs, now=now, day=day)
