"""The thin query layer: loads exactly what the productivity computation needs.

A cold call reads everything in ONE statement, whatever the history length: projects,
this week's goal, goals and completed tasks, the user's history version (the key of the
cached streak summary), and the entries of the loaded window (at most ~90 days, found
through the (user_id, start_time) index — entries last at most 7 days, so a window start
minus 7 days bounds the scan). Only a changed old
history (the streak summary's cache miss) reads the day_totals rollup as well.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, date, datetime, timedelta
from typing import Any

import msgspec
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.fastread import PgReader, SqliteReader
from app.db.models import Project, Task, TimeEntry, WeeklyTimeGoal
from app.db.rawsql import bind_utc, read_utc, sqlite_utc
from app.domain.accounts.schemas import UserPrefs
from app.domain.goals.compute import needed_range
from app.domain.goals.queries import load_completed_tasks, load_goals
from app.domain.goals.schemas import CompletedTask, GoalDef
from app.domain.productivity.history import (
    Gap,
    HistoryStamp,
    history_summary_cached,
    history_summary_from_cache,
    summary_key,
)
from app.domain.productivity.schemas import ActiveTimer, ProjectInfo
from app.domain.productivity.streak import HistorySummary
from app.domain.productivity.tally import load_start_date
from app.domain.tracking.reads import (
    ENTRIES_JSON_PG,
    ENTRIES_JSON_SQLITE,
    MAX_ENTRY,
    entries_bounds,
    entries_from_json,
    entries_from_pg_json,
    load_entries,
)
from app.domain.tracking.schemas import EntryRow
from app.lib.time import get_zone, iso_monday, local_day_start

MAX_PERIOD = 90  # periods are clamped to 1..90 (services.parse_period)


class Inputs(msgspec.Struct):
    entries: list[EntryRow]
    history: HistorySummary
    projects: dict[int, ProjectInfo]
    week_goal_hours: float | None
    active_timer: ActiveTimer | None
    goals: list[GoalDef]
    completed_tasks: list[CompletedTask]


async def load_projects(db: AsyncSession, user_id: int) -> dict[int, ProjectInfo]:
    rows = await db.execute(select(Project.id, Project.name, Project.color).where(Project.user_id == user_id))
    return {pid: ProjectInfo(pid, name, color) for pid, name, color in rows}


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


class Meta(msgspec.Struct):
    projects: dict[int, ProjectInfo]
    week_goal_hours: float | None
    goals: list[GoalDef]
    completed_tasks: list[CompletedTask]  # done within [tasks_lo, tasks_hi) of load_meta
    history: HistoryStamp | None = None  # users.history_version and created_at
    gap: Gap | None = None  # the rollup's days in `gap_span`, when asked for
    entries: list[EntryRow] | None = None  # overlapping `entries_span`, when read with the rest


# The SQLite form is also run with `sqlite3` directly (app/db/fastread.py), hence a plain string.
_META_SQLITE = (
    "SELECT "
    "(SELECT json_group_array(json_array(id, name, color)) FROM projects WHERE user_id = :uid), "
    "(SELECT target_hours FROM weekly_time_goals WHERE user_id = :uid AND week_start = :week), "
    "(SELECT json_group_array(json_array(g.id, g.name, g.metric, g.period, g.direction, g.project_id, "
    "t.effective_from, t.target)) FROM goals g LEFT JOIN goal_targets t ON t.goal_id = g.id "
    "WHERE g.user_id = :uid), "
    "(SELECT json_group_array(json_array(id, project_id, completed_at)) FROM tasks "
    "WHERE user_id = :uid AND completed_at >= :tlo AND completed_at < :thi), "
    "(SELECT history_version FROM users WHERE id = :uid), "
    "(SELECT created_at FROM users WHERE id = :uid), "
    "(SELECT json_group_array(json_array(day, seconds)) FROM day_totals "
    "WHERE user_id = :uid AND day >= :ganchor AND day < :gbefore), " + ENTRIES_JSON_SQLITE
)
# Also run with asyncpg directly (app/db/fastread.py PgReader), hence a plain string.
_META_PG = (
    "SELECT "
    "(SELECT coalesce(json_agg(json_build_array(id, name, color)), '[]') FROM projects WHERE user_id = :uid), "
    "(SELECT target_hours FROM weekly_time_goals WHERE user_id = :uid AND week_start = :week), "
    "(SELECT coalesce(json_agg(json_build_array(g.id, g.name, g.metric, g.period, g.direction, g.project_id, "
    "t.effective_from, t.target)), '[]') FROM goals g LEFT JOIN goal_targets t ON t.goal_id = g.id "
    "WHERE g.user_id = :uid), "
    "(SELECT coalesce(json_agg(json_build_array(id, project_id, completed_at)), '[]') FROM tasks "
    "WHERE user_id = :uid AND completed_at >= :tlo AND completed_at < :thi), "
    "(SELECT history_version FROM users WHERE id = :uid), "
    "(SELECT created_at FROM users WHERE id = :uid), "
    "(SELECT coalesce(json_agg(json_build_array(day, seconds)), '[]') FROM day_totals "
    "WHERE user_id = :uid AND day >= :ganchor AND day < :gbefore), "
    # One statement is one snapshot, so the read needs no transaction of its own either.
    + ENTRIES_JSON_PG
)
_META_SQL = {
    "sqlite": text(_META_SQLITE),
    "postgresql": text(_META_PG),
}
_json_rows = msgspec.json.Decoder(list[list[Any]])


async def load_meta(
    db: AsyncSession,
    user_id: int,
    week_start: date,
    tasks_lo: datetime,
    tasks_hi: datetime,
    entries_span: tuple[datetime, datetime] | None = None,
    gap_span: tuple[date, date] | None = None,
) -> Meta:
    """Projects, this week's goal, the goals with their target histories, the tasks
    completed in [tasks_lo, tasks_hi), the history version and the entries overlapping
    `entries_span`, in ONE round trip (each database round trip costs more
    than these small results)."""
    dialect = db.bind.dialect.name if db.bind is not None else "sqlite"
    if dialect not in _META_SQL:  # any other database: the plain queries
        goals = await load_goals(db, user_id)
        week_goal = await db.scalar(
            select(WeeklyTimeGoal.target_hours).where(
                WeeklyTimeGoal.user_id == user_id, WeeklyTimeGoal.week_start == week_start
            )
        )
        tasks = await load_completed_tasks(db, user_id, tasks_lo, tasks_hi)
        return Meta(await load_projects(db, user_id), week_goal, goals, tasks)
    week: date | str = week_start.isoformat() if dialect == "sqlite" else week_start
    lo, hi = entries_span or (tasks_lo, tasks_lo)  # no span: an empty range
    params = {"uid": user_id, "week": week, "tlo": bind_utc(db, tasks_lo), "thi": bind_utc(db, tasks_hi)}
    params.update(entries_bounds(db, lo, hi))
    anchor, before = gap_span or (week_start, week_start)  # no span: an empty range
    params.update(ganchor=anchor.isoformat() if dialect == "sqlite" else anchor)
    params.update(gbefore=before.isoformat() if dialect == "sqlite" else before)
    row = (await db.execute(_META_SQL[dialect], params)).one()
    return _meta_of(
        tuple(row), lo if entries_span else None, anchor if gap_span else None, pg=dialect == "postgresql"
    )


def _meta_of(row: tuple[Any, ...], entries_lo: datetime | None, gap_anchor: date | None, pg: bool = False) -> Meta:
    """The Meta of one row of the meta statement (entries and gap only when their spans were
    asked for): the entries are its last column, JSON in SQLite's shape or PostgreSQL's (`pg`)."""
    projects_json, week_goal, goals_json, tasks_json, history_version, created_at, gap_json, *entry_columns = row
    projects = {int(p[0]): ProjectInfo(int(p[0]), p[1], p[2]) for p in _json_list(projects_json)}
    heads: dict[int, tuple[str, str, str, str, int | None]] = {}
    targets: dict[int, list[tuple[date, float]]] = {}
    for gid, name, metric, period, direction, project_id, effective_from, target in _json_list(goals_json):
        heads[gid] = (name, metric, period, direction, project_id)
        bucket = targets.setdefault(gid, [])
        if effective_from is not None:
            bucket.append((date.fromisoformat(str(effective_from)[:10]), float(target)))
    goals = [
        GoalDef(
            id=gid,
            name=h[0],
            metric=h[1],
            period=h[2],
            direction=h[3],
            project_id=h[4],
            targets=tuple(sorted(targets[gid])),
        )
        for gid, h in sorted(heads.items())
    ]
    tasks = [CompletedTask(int(tid), pid, _json_timestamp(done)) for tid, pid, done in _json_list(tasks_json)]
    stamp = None
    if history_version is not None and created_at is not None:
        stamp = HistoryStamp(int(history_version), read_utc(created_at) or created_at)
    entries = None
    if entries_lo is not None and pg:
        entries = entries_from_pg_json(entry_columns[0], entries_lo)
    elif entries_lo is not None and entry_columns[0] is not None:
        entries = entries_from_json(entry_columns[0], entries_lo)
    gap = None
    if gap_anchor is not None:
        days = {date.fromisoformat(str(day)[:10]): float(seconds) for day, seconds in _json_list(gap_json)}
        gap = Gap(gap_anchor, days)
    return Meta(projects, float(week_goal) if week_goal is not None else None, goals, tasks, stamp, gap, entries)


def _json_timestamp(value: str) -> datetime:
    """A timestamp inside a JSON result: SQLite's stored UTC text, or PostgreSQL's ISO form with an offset."""
    parsed = datetime.fromisoformat(value)
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def _json_list(value: Any) -> list[list[Any]]:
    """A JSON array column: text on SQLite, already decoded by asyncpg's codec on PostgreSQL."""
    if value is None:
        return []
    if isinstance(value, list):
        return value
    return _json_rows.decode(value.encode() if isinstance(value, str) else bytes(value))


class _Plan(msgspec.Struct, frozen=True):
    """The days and instants one stats computation reads (see `load_inputs`)."""

    today: date
    load_start: date
    anchor: date  # the cached streak summary's day: the earliest load start of any period
    monday: date
    tasks_lo: datetime
    tasks_hi: datetime
    first: date  # the first local day whose entries are read
    entries_lo: datetime
    entries_hi: datetime


def _plan(prefs: UserPrefs, now: datetime, period: int) -> _Plan:
    zone = get_zone(prefs.timezone)
    today = now.astimezone(zone).date()
    load_start = load_start_date(today, period)
    # Goals look at today's day, week or month: their tasks fall inside this span.
    monday = iso_monday(today)
    span_first = min(monday, today.replace(day=1))
    next_month = (today.replace(day=28) + timedelta(days=4)).replace(day=1)
    span_last = max(monday + timedelta(days=6), next_month - timedelta(days=1))
    # The goals' days lie inside that span too, so the entries to load are known before
    # the goals are: they come with the same statement.
    first = min(load_start, span_first)
    return _Plan(
        today=today,
        load_start=load_start,
        anchor=min(load_start, load_start_date(today, MAX_PERIOD)),
        monday=monday,
        tasks_lo=local_day_start(span_first, zone),
        tasks_hi=local_day_start(span_last + timedelta(days=1), zone),
        first=first,
        entries_lo=local_day_start(first, zone),
        entries_hi=now + timedelta(seconds=1),
    )


def history_key(owner: str, history_version: int | None, prefs: UserPrefs, now: datetime) -> str | None:
    """The key of the streak summary a cold stats call reads (whatever its period: they
    share the summary before the earliest load start of any period, `_plan`'s anchor)
    under `history_version` (None: unknown, no key)."""
    if history_version is None:
        return None
    today = now.astimezone(get_zone(prefs.timezone)).date()
    return summary_key(owner, history_version, prefs, load_start_date(today, MAX_PERIOD))


async def load_inputs(
    db: AsyncSession,
    user_id: int,
    prefs: UserPrefs,
    now: datetime,
    period: int,
) -> Inputs:
    """Everything compute_stats and the goals need, in as few round trips as possible."""
    zone_name = prefs.timezone
    plan = _plan(prefs, now, period)
    meta = await load_meta(
        db,
        user_id,
        plan.monday,
        plan.tasks_lo,
        plan.tasks_hi,
        (plan.entries_lo, plan.entries_hi),
        (plan.anchor, plan.load_start),
    )
    goal_range = needed_range(meta.goals, plan.today)
    entries = meta.entries
    if entries is None or goal_range[0] < plan.first:
        first = min(plan.first, goal_range[0])
        entries = await load_entries(db, user_id, local_day_start(first, get_zone(zone_name)), plan.entries_hi)
    history = await history_summary_cached(db, user_id, prefs, plan.load_start, meta.history, meta.gap)
    timer = await active_timer(db, entries, meta.projects, zone_name, now)
    return Inputs(entries, history, meta.projects, meta.week_goal_hours, timer, meta.goals, meta.completed_tasks)


async def load_inputs_fast(
    reader: SqliteReader,
    user_id: int,
    prefs: UserPrefs,
    now: datetime,
    period: int,
    prefetched: tuple[str, bytes | None] | None = None,
) -> Inputs | None:
    """`load_inputs` on a SQLite file, with `sqlite3` on the calling thread (app/db/fastread.py):
    the one meta statement, without aiosqlite's thread hops, a database session, BEGIN and
    ROLLBACK. None when that is not all it takes — SQLite cannot answer at once, a timer
    runs (its task and notes are another read) or the cached streak summary misses (the
    rollup is another read) — and the caller takes `load_inputs`, which reads everything
    again in one transaction of its own."""
    plan = _plan(prefs, now, period)
    params = {
        "uid": user_id,
        "week": plan.monday.isoformat(),
        "tlo": sqlite_utc(plan.tasks_lo),
        "thi": sqlite_utc(plan.tasks_hi),
        "elo": sqlite_utc(plan.entries_lo - MAX_ENTRY),
        "ehi": sqlite_utc(plan.entries_hi),
        "ganchor": plan.anchor.isoformat(),
        "gbefore": plan.load_start.isoformat(),
    }
    try:
        rows = reader.read([(_META_SQLITE, params)])
    except sqlite3.Error:
        return None  # busy: the asynchronous path waits like every other query
    meta = _meta_of(rows[0][0], plan.entries_lo, plan.anchor)
    return await _settled_inputs(meta, plan, user_id, prefs, prefetched)


async def _settled_inputs(
    meta: Meta, plan: _Plan, user_id: int, prefs: UserPrefs, prefetched: tuple[str, bytes | None] | None
) -> Inputs | None:
    """The inputs of a fast read, or None when the read is not all it takes: the goals
    reach before the entries read, a timer runs, or the cached streak summary misses
    (`prefetched`: the summary's key and the cache's answer, asked with the figures)."""
    entries = meta.entries
    if entries is None or needed_range(meta.goals, plan.today)[0] < plan.first:
        return None
    if any(e.end is None for e in entries) or meta.gap is None:
        return None
    history = await history_summary_from_cache(user_id, prefs, plan.load_start, meta.history, meta.gap, prefetched)
    if history is None:
        return None
    return Inputs(entries, history, meta.projects, meta.week_goal_hours, None, meta.goals, meta.completed_tasks)


async def load_inputs_fast_pg(
    reader: PgReader,
    user_id: int,
    prefs: UserPrefs,
    now: datetime,
    period: int,
    prefetched: tuple[str, bytes | None] | None = None,
) -> Inputs | None:
    """`load_inputs_fast` on PostgreSQL: the one meta statement with asyncpg directly
    (app/db/fastread.py), without the ORM session, its result processing, BEGIN and
    ROLLBACK. None in the same cases as on SQLite (a timer runs, the streak summary's
    cache misses, goals reach further back); the caller then takes `load_inputs`."""
    plan = _plan(prefs, now, period)
    params = {
        "uid": user_id, "week": plan.monday, "tlo": plan.tasks_lo, "thi": plan.tasks_hi,
        "elo": plan.entries_lo - MAX_ENTRY, "ehi": plan.entries_hi, "ganchor": plan.anchor, "gbefore": plan.load_start,
    }
    rows = await reader.read([(_META_PG, params)])
    meta = _meta_of(rows[0][0], plan.entries_lo, plan.anchor, pg=True)
    return await _settled_inputs(meta, plan, user_id, prefs, prefetched)
