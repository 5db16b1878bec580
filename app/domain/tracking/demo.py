"""A deterministic, realistic demo history for `momentum demo` and the benchmark.

Pure: no database, no clock, no global randomness. The same seed and the same
arguments always give the same projects, tasks and entries, so a demo account and a
benchmark run can be reproduced exactly.

The history imitates one person who tracks their working time:

* Monday to Friday: 4-9 work sessions a day starting around 8-10 local time, a lunch
  gap, some long focus blocks. A session is recorded as one entry, or as two or three
  back-to-back entries when the person switches task or project inside it, which is
  how timers are used in practice (about 10 entries per working day, ~2,500 a year).
* About one weekend day in six has one to three short sessions.
* A couple of vacation weeks a year and the odd day off have no entries at all.
* A few late sessions a year run past local midnight.
* Every entry lasts 10 minutes to 4 hours; entries never overlap; nothing runs and
  nothing ends after `now`.

Wall-clock times are planned in the user's zone and converted to UTC with
`app.lib.time.resolve_local`; a planned entry with an end point in a DST gap is
skipped (the time never happened), an ambiguous one takes the first occurrence.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo

import msgspec

from app.lib.time import UTC, NonExistentLocalTimeError, get_zone, resolve_local

__all__ = ["DemoData", "DemoEntry", "DemoProject", "DemoTask", "generate_demo"]

MIN_ENTRY_SECONDS = 10 * 60
MAX_ENTRY_SECONDS = 4 * 3600


class DemoProject(msgspec.Struct, frozen=True, gc=False):
    key: int  # 1..n; tasks and entries refer to it
    name: str
    color: str  # '#rrggbb'
    billable: bool  # the default for the project's entries
    archived: bool


class DemoTask(msgspec.Struct, frozen=True, gc=False):
    key: int  # 1..m; entries refer to it
    project_key: int
    name: str
    status: Literal["todo", "done"]
    completed_at: datetime | None  # aware UTC when done, else None


class DemoEntry(msgspec.Struct, frozen=True, gc=False):
    project_key: int | None
    task_key: int | None
    start: datetime  # aware UTC
    end: datetime  # aware UTC, > start, <= now
    billable: bool
    notes: str
    outcome: str  # "" when the session produced nothing worth writing down
    tags: tuple[str, ...]


class DemoData(msgspec.Struct, frozen=True):
    projects: list[DemoProject]
    tasks: list[DemoTask]
    entries: list[DemoEntry]  # oldest first


# ---------------------------------------------------------------- vocabulary


@dataclass(frozen=True)
class _Template:
    name: str
    tasks: tuple[str, ...]
    notes: tuple[str, ...]


class _Vocabulary(msgspec.Struct, frozen=True):
    """demo_vocabulary.json, beside this file: every word the demo account uses."""

    palette: tuple[str, ...]  # pleasant, clearly distinct colours; projects take distinct ones
    client_projects: tuple[dict[str, Any], ...]
    internal_projects: tuple[dict[str, Any], ...]
    generic_notes: tuple[str, ...]
    no_project_notes: tuple[str, ...]
    outcomes: tuple[str, ...]
    topic_tags: tuple[str, ...]


def _template(raw: dict[str, Any]) -> _Template:
    return _Template(str(raw["name"]), tuple(raw["tasks"]), tuple(raw["notes"]))


_VOCABULARY = msgspec.json.decode(
    (Path(__file__).with_name("demo_vocabulary.json")).read_bytes(), type=_Vocabulary
)
_PALETTE = _VOCABULARY.palette
_CLIENT_TEMPLATES = tuple(_template(t) for t in _VOCABULARY.client_projects)
_INTERNAL_TEMPLATES = tuple(_template(t) for t in _VOCABULARY.internal_projects)
_GENERIC_NOTES = _VOCABULARY.generic_notes
_NO_PROJECT_NOTES = _VOCABULARY.no_project_notes
_OUTCOMES = _VOCABULARY.outcomes
_TOPIC_TAGS = _VOCABULARY.topic_tags


# ---------------------------------------------------------------- the plan


@dataclass
class _ProjectPlan:
    project: DemoProject
    template: _Template
    first_day: date
    last_day: date
    weight: float
    tasks: list[DemoTask] = field(default_factory=list)


def generate_demo(*, seed: int, years: float, zone_name: str, today: date, now: datetime) -> DemoData:
    """Build `years` years of history for one user, ending at `now`.

    `today` is the local date of `now` in `zone_name`; days from `today - years`
    through `today` get history, and no entry ends after `now`. Raises ValueError for
    an unknown zone, a naive `now` or a non-positive `years`.
    """
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be an aware datetime")
    if not years > 0:
        raise ValueError("years must be positive")
    zone = get_zone(zone_name)
    now = now.astimezone(UTC)
    rng = random.Random(seed)

    span_days = max(1, round(years * 365.25))
    first_day = today - timedelta(days=span_days - 1)

    plans = _plan_projects(rng, first_day, today)
    tasks = _plan_tasks(rng, plans, zone, now)
    days_off = _vacations(rng, first_day, today, years)

    entries: list[DemoEntry] = []
    last_end: datetime | None = None
    focus: _ProjectPlan | None = None
    day = first_day
    while day <= today:
        if focus is None or day.weekday() == 0 or not _active(focus, day):
            active = [p for p in plans if _active(p, day)]
            focus = rng.choices(active, weights=[p.weight for p in active])[0]
        sessions = _day_sessions(rng, day, days_off)
        midnight = datetime(day.year, day.month, day.day)
        for start_s, end_s, first_of_block in sessions:
            start = _wall_to_utc(midnight + timedelta(seconds=start_s), zone)
            end = _wall_to_utc(midnight + timedelta(seconds=end_s), zone)
            if start is None or end is None or end > now:
                continue
            if last_end is not None and start < last_end:
                continue
            seconds = (end - start).total_seconds()
            if not MIN_ENTRY_SECONDS <= seconds <= MAX_ENTRY_SECONDS:
                continue  # only across a DST change can wall and real length differ this much
            entries.append(_dress(rng, plans, focus, day, start, end, seconds, first_of_block, entries))
            last_end = end
        day += timedelta(days=1)

    return DemoData(projects=[p.project for p in plans], tasks=tasks, entries=entries)


def _wall_to_utc(naive: datetime, zone: ZoneInfo) -> datetime | None:
    """UTC for a planned wall time, or None when it falls in a DST gap (skip it)."""
    try:
        return resolve_local(naive, zone)
    except NonExistentLocalTimeError:
        return None


def _active(plan: _ProjectPlan, day: date) -> bool:
    return plan.first_day <= day <= plan.last_day


def _plan_projects(rng: random.Random, first_day: date, today: date) -> list[_ProjectPlan]:
    count = rng.randint(6, 10)
    billable_count = rng.randint(3, min(5, count - 3))
    chosen = [(t, True) for t in rng.sample(_CLIENT_TEMPLATES, billable_count)]
    chosen += [(t, False) for t in rng.sample(_INTERNAL_TEMPLATES, count - billable_count)]
    rng.shuffle(chosen)
    colors = rng.sample(_PALETTE, count)

    span = (today - first_day).days
    archived = set(rng.sample(range(count), rng.randint(1, 2)))
    # One or two live projects begin later in the history; the rest run throughout.
    live = [i for i in range(count) if i not in archived]
    late_starters = set(rng.sample(live, rng.randint(1, 2)))

    plans: list[_ProjectPlan] = []
    for index, ((template, billable), color) in enumerate(zip(chosen, colors, strict=True)):
        first, last = first_day, today
        if index in archived:  # older work, finished somewhere in the first half or so
            last = first_day + timedelta(days=int(span * rng.uniform(0.2, 0.6)))
        elif index in late_starters:
            first = first_day + timedelta(days=int(span * rng.uniform(0.1, 0.5)))
        project = DemoProject(
            key=index + 1, name=template.name, color=color, billable=billable, archived=index in archived
        )
        plans.append(_ProjectPlan(project, template, first, last, weight=rng.uniform(0.6, 3.0)))
    return plans


def _plan_tasks(
    rng: random.Random, plans: list[_ProjectPlan], zone: ZoneInfo, now: datetime
) -> list[DemoTask]:
    tasks: list[DemoTask] = []
    for plan in plans:
        names = rng.sample(plan.template.tasks, rng.randint(3, min(6, len(plan.template.tasks))))
        done_share = 0.9 if plan.project.archived else 0.45
        for name in names:
            completed_at = None
            if rng.random() < done_share:
                completed_at = _completion_time(rng, plan, zone, now)
            task = DemoTask(
                key=len(tasks) + 1,
                project_key=plan.project.key,
                name=name,
                status="done" if completed_at is not None else "todo",
                completed_at=completed_at,
            )
            tasks.append(task)
            plan.tasks.append(task)
    return tasks


def _completion_time(rng: random.Random, plan: _ProjectPlan, zone: ZoneInfo, now: datetime) -> datetime:
    day = plan.first_day + timedelta(days=rng.randint(0, (plan.last_day - plan.first_day).days))
    wall = datetime(day.year, day.month, day.day) + timedelta(minutes=rng.randint(10 * 60, 18 * 60))
    instant = _wall_to_utc(wall, zone) or _wall_to_utc(wall + timedelta(hours=2), zone)
    assert instant is not None  # no zone skips more than two hours
    return min(instant, now)


def _vacations(rng: random.Random, first_day: date, today: date, years: float) -> set[date]:
    """A couple of one- or two-week vacations a year, spread out, plus the odd day off."""
    days: set[date] = set()
    span = (today - first_day).days + 1
    count = int(years * 2.3 + rng.random())
    for slot in range(count):
        lo = first_day + timedelta(days=span * slot // count)
        hi = first_day + timedelta(days=span * (slot + 1) // count - 14)
        if hi <= lo:
            continue
        monday = lo + timedelta(days=rng.randint(0, (hi - lo).days))
        monday -= timedelta(days=monday.weekday())
        weeks = 1 if rng.random() < 0.6 else 2
        days.update(monday + timedelta(days=d) for d in range(-2, 7 * weeks))  # from the weekend before
    return days


# Wall-clock seconds after local midnight of the day; values past 86,400 are the next day.
_Session = tuple[int, int, bool]  # start, end, first entry of its work block

_H = 3600
_M = 60


def _day_sessions(rng: random.Random, day: date, days_off: set[date]) -> list[_Session]:
    if day in days_off:
        return []
    if day.weekday() >= 5:
        return _weekend_sessions(rng) if rng.random() < 1 / 6 else []
    if rng.random() < 0.03:  # sick day or public holiday
        return []
    return _weekday_sessions(rng)


def _weekday_sessions(rng: random.Random) -> list[_Session]:
    sessions: list[_Session] = []
    t = int(rng.triangular(7.5 * _H, 10.5 * _H, 8.75 * _H))
    blocks = rng.choices(range(4, 10), weights=(1, 2, 3, 4, 3, 2))[0]
    had_lunch = False
    for index in range(blocks):
        if index:
            if not had_lunch and t >= 11.75 * _H:
                t += rng.randint(30 * _M, 75 * _M)
                had_lunch = True
            else:
                t += rng.randint(2 * _M, 25 * _M)
        if t >= 19.5 * _H:
            break
        kind = rng.random()
        if kind < 0.33:
            length = rng.randint(15 * _M, 40 * _M)
        elif kind < 0.78:
            length = rng.randint(40 * _M, 95 * _M)
        else:  # a long focus block
            length = rng.randint(95 * _M, MAX_ENTRY_SECONDS)
        length = min(length, int(20.5 * _H) - t)
        if length < MIN_ENTRY_SECONDS:
            break
        t = _split_block(rng, t, length, sessions)

    roll = rng.random()
    if roll < 0.05:  # a late session that runs past midnight
        start = rng.randint(int(22.75 * _H), int(23.75 * _H))
        end = 24 * _H + rng.randint(10 * _M, 150 * _M)  # 00:10-02:30 the next day
        sessions.append((start, end, True))
    elif roll < 0.11:  # a quiet evening session
        start = rng.randint(20 * _H + 45 * _M, 22 * _H)
        sessions.append((start, start + rng.randint(20 * _M, 90 * _M), True))
    return sessions


def _split_block(rng: random.Random, start: int, length: int, out: list[_Session]) -> int:
    """Record one work block as 1-3 back-to-back entries; return where the block ends."""
    pieces = 1
    focus_block = length > 95 * _M
    if length >= 30 * _M and rng.random() < (0.4 if focus_block else 0.75):
        pieces = 2
        if length >= 60 * _M and rng.random() < 0.5:
            pieces = 3
    weights = [rng.random() + 0.3 for _ in range(pieces)]
    spare = length - pieces * MIN_ENTRY_SECONDS
    total = sum(weights)
    t = start
    for i, w in enumerate(weights):
        if i:
            t += rng.randint(0, 2 * _M)  # stopping one timer and starting the next
        piece = MIN_ENTRY_SECONDS + int(spare * w / total)
        out.append((t, t + piece, i == 0))
        t += piece
    return t


def _weekend_sessions(rng: random.Random) -> list[_Session]:
    sessions: list[_Session] = []
    t = rng.randint(9 * _H, 15 * _H)
    for _ in range(rng.choices((1, 2, 3), weights=(3, 2, 1))[0]):
        length = rng.randint(MIN_ENTRY_SECONDS, 90 * _M)
        sessions.append((t, t + length, True))
        t += length + rng.randint(15 * _M, 3 * _H)
    return sessions


# ---------------------------------------------------------------- what an entry says


def _dress(
    rng: random.Random,
    plans: Sequence[_ProjectPlan],
    focus: _ProjectPlan,
    day: date,
    start: datetime,
    end: datetime,
    seconds: float,
    first_of_block: bool,
    previous: list[DemoEntry],
) -> DemoEntry:
    """Project, task, notes, outcome and tags for one entry."""
    plan: _ProjectPlan | None
    prev_key = previous[-1].project_key if previous else None
    if not first_of_block and prev_key is not None and rng.random() < 0.65:
        plan = plans[prev_key - 1]  # same project, likely another task
    elif rng.random() < 0.06:
        plan = None
    elif rng.random() < 0.45:
        plan = focus
    else:
        active = [p for p in plans if _active(p, day)]
        plan = rng.choices(active, weights=[p.weight for p in active])[0]

    minutes = seconds / 60
    tags: set[str] = set()
    task_key: int | None = None
    if plan is None:
        billable = False
        notes = rng.choice(_NO_PROJECT_NOTES)
        tags.add("admin")
    else:
        billable = plan.project.billable != (rng.random() < 0.06)  # occasional exception
        open_tasks = [t for t in plan.tasks if t.completed_at is None or t.completed_at > end]
        task = rng.choice(open_tasks) if open_tasks and rng.random() < 0.6 else None
        task_key = task.key if task else None
        roll = rng.random()
        if roll < 0.55:
            notes = rng.choice(plan.template.notes)
        elif roll < 0.72 and task is not None:
            notes = task.name
        elif roll < 0.86:
            notes = rng.choice(_GENERIC_NOTES)
        else:
            notes = ""
        if minutes >= 90 and rng.random() < 0.7:
            tags.add("deep-work")
        elif minutes <= 40 and rng.random() < 0.3:
            tags.add(rng.choice(("meeting", "call")))
        if rng.random() < 0.35:
            tags.add(rng.choice(_TOPIC_TAGS))

    if 50 <= minutes <= 90:
        outcome_chance = 0.7
    elif minutes > 120:
        outcome_chance = 0.2
    elif minutes > 90:
        outcome_chance = 0.42
    else:
        outcome_chance = 0.39
    outcome = rng.choice(_OUTCOMES) if plan is not None and rng.random() < outcome_chance else ""

    return DemoEntry(
        project_key=plan.project.key if plan else None,
        task_key=task_key,
        start=start,
        end=end,
        billable=billable,
        notes=notes,
        outcome=outcome,
        tags=tuple(sorted(tags)),
    )
