"""backup.json in and out (docs/import-export.md): restoring a Momentum backup whole
(settings, projects, tasks, entries, weekly goals, goals with their target history)
inside an import, and streaming a user's backup.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import cast

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import Goal, GoalTarget, Project, Task, TimeEntry, User, WeeklyTimeGoal
from app.domain.accounts.user_settings import update_settings
from app.domain.tracking import validation as checks
from app.domain.transfer.backup_format import (
    Backup,
    BackupEntry,
    BackupGoal,
    BackupGoalTarget,
    BackupProject,
    BackupTask,
    BackupUser,
    BackupWeeklyGoal,
    BackupWriter,
    GoalDirection,
    GoalMetric,
    GoalPeriod,
    TaskStatus,
)
from app.domain.transfer.parsing import (
    ImportFileError,
)
from app.domain.transfer.writer import BATCH_SIZE, Candidate, Catalog, EntryWriter, ImportResult, UserLike
from app.lib.errors import ValidationError

# ---------------------------------------------------------------- backup restore


async def restore_backup(
    session: AsyncSession,
    user: UserLike,
    backup: Backup,
    catalog: Catalog,
    writer: EntryWriter,
    result: ImportResult,
    now: datetime,
) -> None:
    """A backup, restored whole. Settings only go into an account without projects and entries."""
    fresh = not catalog.projects and not await session.scalar(
        select(func.count()).select_from(TimeEntry).where(TimeEntry.user_id == user.id)
    )
    if fresh:
        result.settings_restored = True
        if not writer.doomed and not result.dry_run:
            b = backup.user
            try:
                await update_settings(
                    session,
                    user.id,
                    timezone=b.timezone,
                    standard_hours_per_day=b.standard_hours_per_day,
                    working_days=b.working_days,
                    streak_min_minutes=b.streak_min_minutes,
                    streak_skip_non_working=b.streak_skip_non_working,
                )
            except ValidationError as exc:
                raise ImportFileError(f"the backup's settings are invalid: {exc}") from None

    project_ids: dict[int, int] = {}
    for p in backup.projects:
        project_ids[p.id] = await catalog.project(
            p.name, client=p.client, color=p.color, billable=p.billable, archived=p.archived
        )
    task_ids: dict[int, int] = {}
    for t in backup.tasks:
        task_ids[t.id] = await catalog.task(
            project_ids[t.project_id], t.name, status=t.status, completed_at=t.completed_at
        )
    for n, e in enumerate(backup.entries, start=1):
        problem = _backup_entry_problem(e)
        if problem is not None:
            writer.error(n, f"entry {n}: {problem}")
            continue
        tags = writer.admit(n, "entry", e.start_time, e.end_time, e.tags)
        if tags is None:
            continue
        await writer.add(
            Candidate(
                row=n,
                start=e.start_time.astimezone(UTC),
                end=e.end_time.astimezone(UTC) if e.end_time else None,
                project_id=project_ids[e.project_id] if e.project_id is not None else None,
                task_id=task_ids[e.task_id] if e.task_id is not None else None,
                billable=e.billable,
                notes=e.notes,
                outcome=e.outcome,
                tags=tags,
            )
        )
    result.weekly_goals_created = await _restore_weekly_goals(
        session, user.id, backup.weekly_goals, write=not (result.dry_run or writer.doomed)
    )
    result.goals_created = await _restore_goals(
        session, user.id, backup.goals, project_ids, write=not (result.dry_run or writer.doomed)
    )

async def _restore_weekly_goals(
    session: AsyncSession, user_id: int, goals: list[BackupWeeklyGoal], *, write: bool
) -> int:
    existing = set(
        await session.scalars(select(WeeklyTimeGoal.week_start).where(WeeklyTimeGoal.user_id == user_id))
    )
    created = 0
    for g in goals:
        if g.week_start in existing or g.week_start.weekday() != 0 or not 0 <= g.target_hours <= 168:
            continue
        existing.add(g.week_start)
        created += 1
        if write:
            session.add(
                WeeklyTimeGoal(user_id=user_id, week_start=g.week_start, target_hours=g.target_hours)
            )
    if write and created:
        await session.flush()
    return created

async def _restore_goals(
    session: AsyncSession,
    user_id: int,
    goals: list[BackupGoal],
    project_ids: dict[int, int],
    *,
    write: bool,
) -> int:
    """Goals not already present (same name, metric, period and project) are created."""
    rows = await session.execute(
        select(Goal.name, Goal.metric, Goal.period, Goal.project_id).where(Goal.user_id == user_id)
    )
    existing = {(name.strip().casefold(), m, p, pid) for name, m, p, pid in rows}
    created = 0
    for g in goals:
        project_id = project_ids[g.project_id] if g.project_id is not None else None
        key = (g.name.strip().casefold(), g.metric, g.period, project_id)
        if key in existing:
            continue
        existing.add(key)
        created += 1
        if not write:
            continue
        goal = Goal(
            user_id=user_id,
            name=g.name.strip(),
            metric=g.metric,
            period=g.period,
            direction=g.direction,
            project_id=project_id,
        )
        session.add(goal)
        await session.flush()
        for t in g.targets:
            session.add(GoalTarget(goal_id=goal.id, effective_from=t.effective_from, target=t.target))
    if write and created:
        await session.flush()
    return created


def _backup_entry_problem(e: BackupEntry) -> str | None:
    if e.end_time is not None:
        if e.end_time <= e.start_time:
            return "end is before start" if e.end_time < e.start_time else "end equals start"
        if e.end_time - e.start_time > checks.MAX_ENTRY:
            return "the entry lasts more than 7 days"
    for what, value in (("notes", e.notes), ("outcome", e.outcome)):
        if len(value) > checks.MAX_TEXT:
            return f"{what} is longer than {checks.MAX_TEXT} characters ({len(value)})"
    return None


async def backup_json_stream(
    session: AsyncSession, user_id: int, *, now: datetime | None = None
) -> AsyncIterator[bytes]:
    """backup.json: everything the user owns (see formats.Backup), entries streamed."""
    user = await session.get(User, user_id)
    if user is None:
        raise ValidationError("no such user", field="user")
    writer = BackupWriter()
    yield writer.start(
        exported_at=now or checks.utcnow(),
        user=BackupUser(
            email=user.email,
            timezone=user.timezone,
            standard_hours_per_day=user.standard_hours_per_day,
            working_days=list(user.working_days or []),
            streak_min_minutes=user.streak_min_minutes or 0,
            streak_skip_non_working=bool(user.streak_skip_non_working),
        ),
    )
    projects = await session.scalars(select(Project).where(Project.user_id == user_id).order_by(Project.id))
    yield writer.section("projects")
    for piece in writer.items(
        BackupProject(
            id=p.id, name=p.name, color=p.color, billable=p.billable, archived=p.archived, client=p.client
        )
        for p in projects
    ):
        yield piece
    tasks = await session.scalars(select(Task).where(Task.user_id == user_id).order_by(Task.id))
    yield writer.section("tasks")
    for piece in writer.items(
        BackupTask(
            id=t.id,
            project_id=t.project_id,
            name=t.name,
            status=cast(TaskStatus, t.status),  # the tasks table's check constraint guarantees it
            completed_at=t.completed_at,
        )
        for t in tasks
    ):
        yield piece

    yield writer.section("entries")
    entries = await session.stream(
        select(
            TimeEntry.id,
            TimeEntry.project_id,
            TimeEntry.task_id,
            TimeEntry.start_time,
            TimeEntry.end_time,
            TimeEntry.billable,
            TimeEntry.notes,
            TimeEntry.outcome,
            TimeEntry.tags,
        )
        .where(TimeEntry.user_id == user_id)
        .order_by(TimeEntry.start_time, TimeEntry.id)
        .execution_options(yield_per=BATCH_SIZE)
    )
    async for partition in entries.partitions(BATCH_SIZE):
        for piece in writer.items(
            BackupEntry(
                id=eid,
                project_id=pid,
                task_id=tid,
                start_time=s,
                end_time=e,
                billable=bool(billable),
                notes=notes or "",
                outcome=outcome or "",
                tags=list(tags or []),
            )
            for eid, pid, tid, s, e, billable, notes, outcome, tags in partition
        ):
            yield piece

    weekly = await session.scalars(
        select(WeeklyTimeGoal).where(WeeklyTimeGoal.user_id == user_id).order_by(WeeklyTimeGoal.week_start)
    )
    yield writer.section("weekly_goals")
    for piece in writer.items(
        BackupWeeklyGoal(week_start=w.week_start, target_hours=w.target_hours) for w in weekly
    ):
        yield piece

    goals = list(await session.scalars(select(Goal).where(Goal.user_id == user_id).order_by(Goal.id)))
    targets: dict[int, list[BackupGoalTarget]] = {g.id: [] for g in goals}
    if goals:
        rows = await session.execute(
            select(GoalTarget.goal_id, GoalTarget.effective_from, GoalTarget.target)
            .where(GoalTarget.goal_id.in_(list(targets)))
            .order_by(GoalTarget.goal_id, GoalTarget.effective_from)
        )
        for gid, effective_from, target in rows:
            targets[gid].append(BackupGoalTarget(effective_from=effective_from, target=target))
    yield writer.section("goals")
    for piece in writer.items(
        BackupGoal(
            id=g.id,
            name=g.name,
            metric=cast(GoalMetric, g.metric),  # guaranteed by the goals table's check constraints
            period=cast(GoalPeriod, g.period),
            direction=cast(GoalDirection, g.direction),
            project_id=g.project_id,
            targets=targets[g.id],
        )
        for g in goals
    ):
        yield piece
    yield writer.finish()
