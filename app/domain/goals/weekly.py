"""Weekly time goals: a target of hours for one ISO week (CONTRACT section 3)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import WeeklyTimeGoal
from app.db.uow import unit_of_work
from app.domain.goals.schemas import WeeklyGoalOut
from app.lib.bounds import check_year
from app.lib.errors import NotFoundError, ValidationError


def parse_week_start(value: str) -> date:
    try:
        day = date.fromisoformat(value)
    except ValueError as exc:
        raise ValidationError("must be a date YYYY-MM-DD", field="week_start") from exc
    check_year(day, "week_start")
    if day.weekday() != 0:
        raise ValidationError("must be a Monday", field="week_start")
    return day


def weekly_goal_out(goal: WeeklyTimeGoal) -> WeeklyGoalOut:
    return WeeklyGoalOut(week_start=goal.week_start.isoformat(), target_hours=goal.target_hours)


async def list_weekly_goals(db: AsyncSession, user_id: int) -> list[WeeklyTimeGoal]:
    return list(
        await db.scalars(
            select(WeeklyTimeGoal).where(WeeklyTimeGoal.user_id == user_id).order_by(WeeklyTimeGoal.week_start.desc())
        )
    )


@unit_of_work()
async def put_weekly_goal(db: AsyncSession, user_id: int, week_start: date, target_hours: float) -> WeeklyTimeGoal:
    if not 0 <= target_hours <= 168:
        raise ValidationError("must be between 0 and 168", field="target_hours")
    goal = await db.scalar(
        select(WeeklyTimeGoal).where(WeeklyTimeGoal.user_id == user_id, WeeklyTimeGoal.week_start == week_start)
    )
    if goal is None:
        goal = WeeklyTimeGoal(user_id=user_id, week_start=week_start, target_hours=target_hours)
        db.add(goal)
    else:
        goal.target_hours = target_hours
    await db.flush()
    return goal


@unit_of_work()
async def delete_weekly_goal(db: AsyncSession, user_id: int, week_start: date) -> None:
    goal = await db.scalar(
        select(WeeklyTimeGoal).where(WeeklyTimeGoal.user_id == user_id, WeeklyTimeGoal.week_start == week_start)
    )
    if goal is None:
        raise NotFoundError("weekly goal")
    await db.delete(goal)
    await db.flush()
