"""The thin query layer: loads exactly what the productivity computation needs.

A cold call costs a handful of indexed queries whatever the history length:
entries of the loaded window (at most ~90 days, found through the
(user_id, start_time) index — entries last at most 7 days, so a window start minus 7
days bounds the scan), the day_totals rollup before the window (one small row per
tracked day, for the streak), projects, this week's goal, goals and completed tasks.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import Goal, GoalTarget, Project, Task, TimeEntry, WeeklyTimeGoal
from app.domain.goals.schemas import CompletedTask, GoalDef
from app.domain.productivity.schemas import ActiveTimer, EntryRow, ProjectInfo
from app.domain.tracking import rollups
from app.lib.time import get_zone, iso_monday, local_day_start

MAX_ENTRY = timedelta(days=7)


class Inputs(msgspec.Struct):
    entries: list[EntryRow]
    history: dict[date, float]
    projects: dict[int, ProjectInfo]
    week_goal_hours: float | None
    active_timer: ActiveTimer | None
    goals: list[GoalDef]
    completed_tasks: list[CompletedTask]


async def load_entries(db: AsyncSession, user_id: int, lo: datetime, hi: datetime) -> list[EntryRow]:
    """Entries overlapping [lo, hi), the running timer included."""
    rows = await db.execute(
        select(
            TimeEntry.id,
            TimeEntry.project_id,
            TimeEntry.start_time,
            TimeEntry.end_time,
            TimeEntry.billable,
            TimeEntry.outcome,
        ).where(
            TimeEntry.user_id == user_id,
            TimeEntry.start_time >= lo - MAX_ENTRY,
            TimeEntry.start_time < hi,
        )
    )
    out: list[EntryRow] = []
    for ident, project_id, start, end, billable, outcome in rows:
        if end is not None and end <= lo:
            continue
        out.append(EntryRow(ident, project_id, start, end, bool(billable), bool(outcome and outcome.strip())))
    return out


async def load_projects(db: AsyncSession, user_id: int) -> dict[int, ProjectInfo]:
    rows = await db.execute(select(Project.id, Project.name, Project.color).where(Project.user_id == user_id))
    return {pid: ProjectInfo(pid, name, color) for pid, name, color in rows}


async def load_goals(db: AsyncSession, user_id: int) -> list[GoalDef]:
    goals = list(await db.scalars(select(Goal).where(Goal.user_id == user_id).order_by(Goal.id)))
    if not goals:
        return []
    targets: dict[int, list[tuple[date, float]]] = {}
    rows = await db.execute(
        select(GoalTarget.goal_id, GoalTarget.effective_from, GoalTarget.target)
        .where(GoalTarget.goal_id.in_([g.id for g in goals]))
        .order_by(GoalTarget.goal_id, GoalTarget.effective_from)
    )
    for goal_id, effective_from, target in rows:
        targets.setdefault(goal_id, []).append((effective_from, target))
    return [
        GoalDef(
            id=g.id,
            name=g.name,
            metric=g.metric,
            period=g.period,
            direction=g.direction,
            project_id=g.project_id,
            targets=tuple(targets.get(g.id, ())),
        )
        for g in goals
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


async def active_timer(
    db: AsyncSession, entries: list[EntryRow], projects: dict[int, ProjectInfo], zone_name: str, now: datetime
) -> ActiveTimer | None:
    running = next((e for e in entries if e.end is None), None)
    if running is None:
        return None
    row = (
        await db.execute(
            select(TimeEntry.task_id, TimeEntry.notes, Task.name)
            .outerjoin(Task, Task.id == TimeEntry.task_id)
            .where(TimeEntry.id == running.id)
        )
    ).first()
    task_id, notes, task_name = (row.task_id, row.notes, row.name) if row else (None, "", None)
    project = projects.get(running.project_id) if running.project_id else None
    return ActiveTimer(
        id=running.id,
        project_id=running.project_id,
        project_name=project.name if project else None,
        task_id=task_id,
        task_name=task_name,
        start_time=running.start.astimezone(get_zone(zone_name)).isoformat(),
        elapsed_seconds=max(0, int((now - running.start).total_seconds())),
        notes=notes or "",
        billable=running.billable,
    )


async def load_inputs(
    db: AsyncSession,
    user_id: int,
    zone_name: str,
    now: datetime,
    load_start: date,
    goal_range: tuple[date, date],
    *,
    goals: list[GoalDef] | None = None,
) -> Inputs:
    zone = get_zone(zone_name)
    today = now.astimezone(zone).date()
    first = min(load_start, goal_range[0])
    lo = local_day_start(first, zone)
    entries = await load_entries(db, user_id, lo, now + timedelta(seconds=1))
    projects = await load_projects(db, user_id)
    history = await rollups.history(db, user_id, before=load_start)
    week_goal = await db.scalar(
        select(WeeklyTimeGoal.target_hours).where(
            WeeklyTimeGoal.user_id == user_id, WeeklyTimeGoal.week_start == iso_monday(today)
        )
    )
    if goals is None:
        goals = await load_goals(db, user_id)
    tasks: list[CompletedTask] = []
    if any(g.metric == "tasks_completed" for g in goals):
        tasks = await load_completed_tasks(
            db, user_id, local_day_start(goal_range[0], zone), local_day_start(goal_range[1] + timedelta(days=1), zone)
        )
    timer = await active_timer(db, entries, projects, zone_name, now)
    return Inputs(entries, history, projects, week_goal, timer, goals, tasks)
