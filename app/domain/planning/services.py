"""Planning services: the forecast and the estimate of one of the caller's projects or tasks,
and everything the project page shows (docs/planning.md)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from fractions import Fraction

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.config import OpenSession
from app.db.fastread import PgReader, SqliteReader
from app.db.models import Project, Task, TimeEntry
from app.domain.accounts.schemas import CurrentUser
from app.domain.planning.chart import ChartSeries, chart_series
from app.domain.planning.estimate import Estimate, TaskTime, compute_estimate
from app.domain.planning.forecast import BudgetSettings, Forecast, ProjectTime, compute_forecast
from app.domain.planning.inputs import span_first_day
from app.domain.planning.queries import load_forecast_input, load_project_time_settled, load_task_times
from app.lib import cache as cache_lib
from app.lib.errors import NotFoundError
from app.lib.numbers import round_half_up
from app.lib.time import get_zone_or_utc, local_date

__all__ = [
    "DoneTaskRow",
    "OpenTaskRow",
    "ProjectPage",
    "budget_of",
    "cached_forecast",
    "own_project",
    "own_task",
    "project_forecast",
    "project_page",
    "project_statuses",
    "task_estimate",
]

RECENT_ENTRIES = 10
_MAX_ID = 2**63 - 1  # ids beyond the database's integer range are a 404 (CONTRACT section 6)


async def own_project(db: AsyncSession, user_id: int, project_id: int) -> Project:
    """The caller's project; another user's is a 404 exactly like a missing one (CONTRACT 3)."""
    if not 0 < project_id <= _MAX_ID:
        raise NotFoundError("project")
    project = await db.scalar(select(Project).where(Project.id == project_id, Project.user_id == user_id))
    if project is None:
        raise NotFoundError("project")
    return project


async def own_task(db: AsyncSession, user_id: int, task_id: int) -> Task:
    if not 0 < task_id <= _MAX_ID:
        raise NotFoundError("task")
    task = await db.scalar(select(Task).where(Task.id == task_id, Task.user_id == user_id))
    if task is None:
        raise NotFoundError("task")
    return task


def budget_of(project: Project) -> BudgetSettings:
    return BudgetSettings(
        budget_hours=project.budget_hours,
        budget_period=project.budget_period or "total",
        hourly_rate=project.hourly_rate,
        due_date=project.due_date,
    )


async def _forecast(
    db: AsyncSession,
    user: CurrentUser,
    zone_name: str,
    project: Project,
    now: datetime,
    history_version: int | None = None,
) -> tuple[Forecast, ProjectTime, bool]:
    """The forecast, its input, and whether it holds for the rest of the local day while
    the data stay unchanged (`queries.load_project_time_settled`)."""
    budget = budget_of(project)
    # A monthly budget never looks before the tallied span: no need for the old-time sum.
    time, settled = await load_project_time_settled(
        db,
        user.id,
        project.id,
        zone_name,
        now,
        whole_history=budget.budget_period == "total",
        history_version=history_version,
    )
    forecast = compute_forecast(
        project_id=project.id, budget=budget, time=time, working_days=user.working_days, now=now, zone_name=zone_name
    )
    return forecast, time, settled


async def project_forecast(
    db: AsyncSession, user: CurrentUser, zone_name: str, project_id: int, now: datetime
) -> Forecast:
    """CONTRACT 9: `GET /api/projects/{id}/forecast`, computed (no cache)."""
    project = await own_project(db, user.id, project_id)
    forecast, _, _ = await _forecast(db, user, zone_name, project, now)
    return forecast


FORECAST_TTL_SECONDS = 3600
_forecast_encoder = msgspec.msgpack.Encoder()
_forecast_decoder = msgspec.msgpack.Decoder(Forecast)


def forecast_key(user: CurrentUser, zone_name: str, project_id: int, today: str) -> str | None:
    """The cache key of a forecast: the account, its data version as read with the credential
    on this request (None: do not cache), the project, the zone, the local date and the
    working days (docs/planning.md, "Speed")."""
    if user.data_version is None:
        return None
    days = "".join(map(str, user.working_days))
    return f"forecast:{user.cache_id}:{user.data_version}:{project_id}:{zone_name}:{today}:{days}"


async def cached_forecast(
    open_db: OpenSession,
    reader: SqliteReader | PgReader | None,
    user: CurrentUser,
    zone_name: str,
    project_id: int,
    now: datetime,
) -> Forecast:
    """CONTRACT 9: `GET /api/projects/{id}/forecast`, from the cache when fresh.

    A forecast depends on the data (rows, budget fields, settings: every change moves the
    user's data version, so any write makes the next call compute afresh, on every
    instance) and on the local date; the rest of `now` only matters while one of the
    project's entries starts later today, and such a forecast is not stored. A warm call
    reads no database: the key exists only if the project was the caller's at that
    version (deleting it is a write). A miss costs two indexed reads
    (`queries.load_forecast_input`), plus the sum of older time when its own cache misses
    (docs/planning.md, "Speed").
    """
    if not 0 < project_id <= _MAX_ID:
        raise NotFoundError("project")
    key = forecast_key(user, zone_name, project_id, local_date(now, get_zone_or_utc(zone_name)).isoformat())
    if key:
        raw = await cache_lib.get_bytes(key)
        if raw is not None:
            return _forecast_decoder.decode(raw)
    loaded = await load_forecast_input(open_db, reader, user.id, project_id, zone_name, now)
    if loaded is None:
        raise NotFoundError("project")
    forecast = compute_forecast(
        project_id=project_id,
        budget=loaded.budget,
        time=loaded.time,
        working_days=user.working_days,
        now=now,
        zone_name=zone_name,
    )
    if key and loaded.settled:
        await cache_lib.set_bytes(key, _forecast_encoder.encode(forecast), FORECAST_TTL_SECONDS)
    return forecast


async def task_estimate(db: AsyncSession, user_id: int, task_id: int) -> Estimate:
    """CONTRACT 9: `GET /api/tasks/{id}/estimate`."""
    await own_task(db, user_id, task_id)
    tasks = await load_task_times(db, user_id)
    me = next(t for t in tasks if t.id == task_id)
    return compute_estimate(me, tasks)


# ---------------------------------------------------------------- the project page


@dataclass(frozen=True, slots=True)
class OpenTaskRow:
    id: int
    name: str
    due_date: str | None
    estimate: Estimate


@dataclass(frozen=True, slots=True)
class DoneTaskRow:
    id: int
    name: str
    estimate_minutes: int
    actual_minutes: float
    ratio: float  # actual ÷ estimate, 2 decimals


@dataclass(frozen=True, slots=True)
class EntryRowOut:
    start: datetime  # local
    end: datetime  # local
    hours: float
    notes: str
    billable: bool


@dataclass(frozen=True, slots=True)
class ProjectPage:
    project: Project
    forecast: Forecast
    chart: ChartSeries
    open_tasks: list[OpenTaskRow]
    done_tasks: list[DoneTaskRow]
    typical_overrun: float | None  # the calibration ratio of CONTRACT 9 (median actual ÷ estimate)
    estimated_done_count: int
    entries: list[EntryRowOut]


async def project_page(
    db: AsyncSession, user: CurrentUser, zone_name: str, project_id: int, now: datetime
) -> ProjectPage:
    project = await own_project(db, user.id, project_id)
    forecast, time, _ = await _forecast(db, user, zone_name, project, now)
    zone = get_zone_or_utc(zone_name)
    chart = chart_series(
        forecast,
        time,
        first_tallied_day=span_first_day(local_date(now, zone)),
        working_days=user.working_days,
        now=now,
        zone_name=zone_name,
    )
    task_rows = (
        await db.execute(
            select(Task.id, Task.name, Task.due_date).where(Task.user_id == user.id, Task.project_id == project.id)
        )
    ).all()
    times = await load_task_times(db, user.id)
    by_id: dict[int, TaskTime] = {t.id: t for t in times}
    open_tasks: list[OpenTaskRow] = []
    done_tasks: list[DoneTaskRow] = []
    for tid, name, due in sorted(task_rows, key=lambda r: (r.due_date is None, r.due_date, r.name.casefold())):
        me = by_id.get(tid)
        if me is None:
            continue
        if me.status == "done":
            if me.estimate_minutes and me.tracked_us > 0:
                ratio = Fraction(me.tracked_us, me.estimate_minutes * 60_000_000)
                done_tasks.append(
                    DoneTaskRow(
                        tid,
                        name,
                        me.estimate_minutes,
                        round_half_up(Fraction(me.tracked_us, 60_000_000), 1),
                        round_half_up(ratio, 2),
                    )
                )
        else:
            open_tasks.append(OpenTaskRow(tid, name, due.isoformat() if due else None, compute_estimate(me, times)))
    # The typical overrun is the calibration ratio of any estimate (it does not depend on the task).
    probe = compute_estimate(TaskTime(0, project.id, "todo", 0, None), times)
    estimated_done = sum(1 for t in times if t.status == "done" and t.estimate_minutes and t.tracked_us > 0)

    rows = (
        await db.execute(
            select(TimeEntry.start_time, TimeEntry.end_time, TimeEntry.notes, TimeEntry.billable)
            .where(TimeEntry.user_id == user.id, TimeEntry.project_id == project.id, TimeEntry.end_time.is_not(None))
            .order_by(TimeEntry.start_time.desc())
            .limit(RECENT_ENTRIES)
        )
    ).all()
    entries = [
        EntryRowOut(
            start.astimezone(zone),
            end.astimezone(zone),
            round_half_up(Fraction((end - start).total_seconds()) / 3600, 2),
            notes or "",
            bool(billable),
        )
        for start, end, notes, billable in rows
        if end is not None
    ]
    return ProjectPage(
        project=project,
        forecast=forecast,
        chart=chart,
        open_tasks=open_tasks,
        done_tasks=done_tasks,
        typical_overrun=probe.calibration_ratio,
        estimated_done_count=estimated_done,
        entries=entries,
    )


async def project_statuses(
    db: AsyncSession, user: CurrentUser, zone_name: str, projects: Sequence[Project], now: datetime
) -> dict[int, str]:
    """The forecast status of each project (the Projects list's badges): `no_budget` without a
    budget, else the status of its forecast (CONTRACT 9). Registered for tracking's Projects
    page by app/asgi.py, since tracking may not import planning (docs/architecture.md, "Layers")."""
    out: dict[int, str] = {}
    for project in projects:
        if project.budget_hours is None:
            out[project.id] = "no_budget"
        else:
            forecast, _, _ = await _forecast(db, user, zone_name, project, now)
            out[project.id] = forecast.status
    return out
