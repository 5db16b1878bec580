"""The goals' inputs read from the database: goal definitions with their target
history, and completed tasks (docs/goals.md)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import Goal, GoalTarget, Task
from app.domain.goals.schemas import CompletedTask, GoalDef


async def load_goals(db: AsyncSession, user_id: int) -> list[GoalDef]:
    """Every goal of the user with its target history, in one query."""
    rows = await db.execute(
        select(
            Goal.id,
            Goal.name,
            Goal.metric,
            Goal.period,
            Goal.direction,
            Goal.project_id,
            GoalTarget.effective_from,
            GoalTarget.target,
        )
        .outerjoin(GoalTarget, GoalTarget.goal_id == Goal.id)
        .where(Goal.user_id == user_id)
        .order_by(Goal.id, GoalTarget.effective_from)
    )
    goals: dict[int, tuple[tuple[str, str, str, str, int | None], list[tuple[date, float]]]] = {}
    for gid, name, metric, period, direction, project_id, effective_from, target in rows:
        head, targets = goals.setdefault(gid, ((name, metric, period, direction, project_id), []))
        if effective_from is not None:
            targets.append((effective_from, float(target)))
    return [
        GoalDef(
            id=gid,
            name=head[0],
            metric=head[1],
            period=head[2],
            direction=head[3],
            project_id=head[4],
            targets=tuple(targets),
        )
        for gid, (head, targets) in goals.items()
    ]


async def load_completed_tasks(db: AsyncSession, user_id: int, lo: datetime, hi: datetime) -> list[CompletedTask]:
    rows = await db.execute(
        select(Task.id, Task.project_id, Task.completed_at).where(
            Task.user_id == user_id,
            Task.completed_at.is_not(None),
            Task.completed_at >= lo,
            Task.completed_at < hi,
        )
    )
    return [CompletedTask(i, p, c) for i, p, c in rows if c is not None]
