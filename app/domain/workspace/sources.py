"""What the command palette can offer a user (CONTRACT section 7): pages, actions, and
the user's projects, open tasks and recent entries, read with two round trips of indexed,
LIMITed selects whatever the size of the history (tests/integration/test_workspace.py
counts them).

The database pre-filters projects and tasks with a subsequence LIKE pattern of the
query (`palette.like_pattern`), so a matching name is never cut off by the LIMIT;
`palette.rank` then orders everything in Python.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Final

from sqlalchemy import BigInteger, Integer, String, and_, cast, func, literal, null, or_, select, type_coerce, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import Project, Task, TimeEntry
from app.domain.workspace.palette import Candidate, entity_query, like_pattern
from app.domain.workspace.prefs import SHORTCUTS, THEMES

COMMAND_WORDS: Final = ("start", "timer", "on", "continue", "resume")
PROJECT_LIMIT: Final = 30
TASK_LIMIT: Final = 30
RECENT_SCAN: Final = 40  # recent entries read to find the distinct ones to continue
RECENT_LIMIT: Final = 8
THEME_LABELS: Final = {"auto": "Use the system theme (auto)", "light": "Switch to the light theme",
                       "dark": "Switch to the dark theme"}


def _filter(column: Any, pattern: str) -> Any:
    return func.lower(column).like(pattern, escape="\\")


async def load_targets(db: AsyncSession, user_id: int, needle: str) -> tuple[list[Any], list[Any]]:
    """(projects, open tasks) matching `needle`: one round trip (UNION ALL of two LIMITed
    selects; the unique (user_id, name) index and ix_tasks_user_id find the user's rows)."""
    pattern = like_pattern(needle) if needle and needle.isascii() else None
    projects = select(
        literal("p").label("kind"), Project.id.label("id"), Project.name.label("name"),
        cast(null(), BigInteger).label("project_id"), Project.client.label("extra"),
    ).where(Project.user_id == user_id, Project.archived.is_(False))
    tasks = (
        select(
            literal("t").label("kind"), Task.id.label("id"), Task.name.label("name"),
            Task.project_id.label("project_id"), Project.name.label("extra"),
        )
        .join(Project, and_(Project.id == Task.project_id, Project.user_id == Task.user_id))
        .where(Task.user_id == user_id, Task.status == "todo", Project.archived.is_(False))
    )
    if pattern is not None:
        projects = projects.where(_filter(Project.name, pattern))
        tasks = tasks.where(or_(_filter(Task.name, pattern), _filter(Project.name, pattern)))
    projects = projects.order_by(func.length(Project.name), Project.name, Project.id).limit(PROJECT_LIMIT)
    tasks = tasks.order_by(Task.id.desc()).limit(TASK_LIMIT)
    rows = (await db.execute(union_all(projects.subquery().select(), tasks.subquery().select()))).all()
    found_projects = [r for r in rows if r.kind == "p"]
    found_projects.sort(key=lambda r: (len(r.name), r.name, r.id))
    found_tasks = sorted((r for r in rows if r.kind == "t"), key=lambda r: -r.id)
    return found_projects, found_tasks


async def load_recent(db: AsyncSession, user_id: int) -> tuple[bool, list[Any]]:
    """(a timer runs, the newest completed entries with their project and task names):
    one round trip, a UNION ALL of the running timer (the partial unique index) and the
    newest completed entries (the covering index on (user_id, start_time, end_time) serves
    the filter and the ORDER BY … LIMIT). The start is read as stored, not converted to a
    datetime object: converting was most of this query's cost."""

    def entries(running: int) -> Any:
        return (
            select(
                TimeEntry.id.label("id"), TimeEntry.project_id.label("project_id"),
                TimeEntry.task_id.label("task_id"), TimeEntry.notes.label("notes"),
                Project.name.label("project_name"), Task.name.label("task_name"),
                type_coerce(TimeEntry.start_time, String()).label("started"),
                literal(running, Integer()).label("running"),
            )
            .select_from(TimeEntry)
            .outerjoin(Project, and_(Project.id == TimeEntry.project_id, Project.user_id == TimeEntry.user_id))
            .outerjoin(Task, and_(Task.id == TimeEntry.task_id, Task.user_id == TimeEntry.user_id))
            .where(TimeEntry.user_id == user_id)
        )

    running = entries(1).where(TimeEntry.end_time.is_(None)).limit(1)
    recent = entries(0).where(TimeEntry.end_time.is_not(None)).order_by(TimeEntry.start_time.desc()).limit(RECENT_SCAN)
    rows = (await db.execute(union_all(running.subquery().select(), recent.subquery().select()))).all()
    completed = sorted((r for r in rows if not r.running), key=lambda r: r.started, reverse=True)
    return any(r.running for r in rows), completed


def entry_label(row: Any) -> str:
    what = row.notes.strip() if row.notes else ""
    name = " · ".join(n for n in (row.project_name, row.task_name) if n) or "No project"
    return f"{what} ({name})" if what else name


def distinct_recent(rows: list[Any]) -> list[Any]:
    """The recent completed entries, one per (project, task, notes), newest first."""
    seen: set[tuple[Any, ...]] = set()
    kept: list[Any] = []
    for row in rows:
        key = (row.project_id, row.task_id, (row.notes or "").strip().casefold())
        if key in seen:
            continue
        seen.add(key)
        kept.append(row)
        if len(kept) >= RECENT_LIMIT:
            break
    return kept


def page_candidates() -> list[Candidate]:
    return [
        Candidate("page", f"page:{s.id}", s.label.removeprefix("Go to "), hint=f"Page · {s.keys}", url=s.url or "/",
                  also=(s.label,))
        for s in SHORTCUTS
        if s.url
    ]


def action_candidates(running: bool, theme: str, today: date) -> list[Candidate]:
    month_start = today.replace(day=1)
    timer = (
        Candidate("action", "action:timer", "Stop timer", hint="Action · s", url="/actions/timer/stop",
                  method="POST", weight=0.9, also=("stop", "start/stop timer"))
        if running
        else Candidate("action", "action:timer", "Start timer", hint="Action · s", url="/actions/timer/start",
                       method="POST", weight=0.9, also=("start/stop timer",))
    )
    actions = [
        timer,
        Candidate("action", "action:new-entry", "New entry", hint="Action · n", url="/?focus=quick-entry#quick-entry",
                  weight=0.8, also=("log time", "add entry")),
        Candidate("action", "action:new-project", "New project", hint="Action", url="/projects#new-project",
                  weight=0.7),
        Candidate("action", "action:new-task", "New task", hint="Action", url="/projects",
                  weight=0.7),
        Candidate("action", "action:new-goal", "New goal", hint="Action", url="/goals#goal-form", weight=0.7),
        Candidate("action", "action:report", "Today's report", hint="Action", url="/dashboard/productivity?period=1",
                  weight=0.6, also=("report today",)),
        Candidate("action", "action:export-month", "Export this month", hint="Action · CSV download",
                  url=f"/api/export/entries.csv?start={month_start.isoformat()}&end={today.isoformat()}",
                  weight=0.6),
    ]
    for other in THEMES:
        if other != theme:
            actions.append(
                Candidate("action", f"action:theme-{other}", THEME_LABELS[other], hint="Action · theme",
                          url="/actions/theme", method="POST", fields={"theme": other}, weight=0.5,
                          also=("switch theme", f"theme {other}", f"{other} mode"))
            )
    return actions


def project_candidates(rows: list[Any]) -> list[Candidate]:
    return [
        Candidate("project", f"project:{r.id}", f"Start timer on {r.name}", hint=r.extra or "Project",
                  url="/actions/timer/start", method="POST", fields={"project_id": str(r.id)},
                  weight=0.5, also=(r.name,))
        for r in rows
    ]


def task_candidates(rows: list[Any]) -> list[Candidate]:
    return [
        Candidate("task", f"task:{r.id}", f"Start timer on {r.name}", hint=f"Task · {r.extra}",
                  url="/actions/timer/start", method="POST",
                  fields={"project_id": str(r.project_id), "task_id": str(r.id)},
                  weight=0.3, also=(r.name, f"{r.extra} {r.name}"))
        for r in rows
    ]


def entry_candidates(rows: list[Any]) -> list[Candidate]:
    count = max(1, len(rows))
    return [
        Candidate("entry", f"entry:{r.id}", f"Continue {entry_label(r)}", hint="Recent entry",
                  url="/actions/continue", method="POST", fields={"entry_id": str(r.id)},
                  weight=0.45 * (1 - i / count), also=(entry_label(r),))
        for i, r in enumerate(rows)
    ]


def recent_project_ids(rows: list[Any]) -> list[int]:
    ids: list[int] = []
    for r in rows:
        if r.project_id is not None and r.project_id not in ids:
            ids.append(r.project_id)
    return ids


async def candidates(db: AsyncSession, user_id: int, query: str, theme: str, today: date) -> list[Candidate]:
    """Every candidate for `query`, the most useful first (the order an empty query shows)."""
    needle = entity_query(query, COMMAND_WORDS)
    running, recent_rows = await load_recent(db, user_id)
    projects, tasks = await load_targets(db, user_id, needle)
    recent = distinct_recent(recent_rows)
    actions = action_candidates(running, theme, today)
    # Recently used projects first among the projects.
    order = {pid: i for i, pid in enumerate(recent_project_ids(recent_rows))}
    projects.sort(key=lambda r: order.get(r.id, len(order)))
    if query.strip():
        return [*actions, *entry_candidates(recent), *project_candidates(projects), *task_candidates(tasks),
                *page_candidates()]
    # Nothing typed: the timer, what to continue, recent projects, then pages and actions.
    return [actions[0], *entry_candidates(recent[:3]), *project_candidates(projects[:5]), *page_candidates(),
            *actions[1:]]
