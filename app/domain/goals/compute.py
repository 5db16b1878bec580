"""Goal progress: pure computation over plain rows (docs/goals.md states every rule).

`now` and the zone (inside `UserPrefs`) are parameters; nothing here reads a clock or
a database. The query layer asks `needed_range` which local dates to load, then
passes every entry overlapping them (plus the running timer) and every task
completed in them.

Sums and comparisons are exact: seconds are integer microseconds, targets are taken
as the decimal number the user typed, and the pace is a `Fraction`. Rounding happens
once, on output (hours and percentages: 2 decimals; counts: whole numbers; percent
of target: an integer), half up.
"""

from __future__ import annotations

import calendar
import math
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime, timedelta
from fractions import Fraction
from typing import Final
from zoneinfo import ZoneInfo

from app.domain.accounts.schemas import UserPrefs
from app.domain.goals.schemas import CompletedTask, GoalDef, GoalProgress
from app.domain.tracking.schemas import EntryRow
from app.lib.numbers import exact, round_half_up
from app.lib.time import UTC, get_zone_or_utc, iso_monday, local_date, local_day_bounds, local_day_start

__all__ = [
    "DEEP_SESSION_MINUTES",
    "goal_progress",
    "goals_progress",
    "needed_range",
    "period_bounds",
]

DEEP_SESSION_MINUTES: Final = 50
_DEEP_SESSION: Final = timedelta(minutes=DEEP_SESSION_MINUTES)
_MICRO: Final = timedelta(microseconds=1)
_US_PER_HOUR: Final = 3600 * 1_000_000
_ONE_DAY: Final = timedelta(days=1)


def period_bounds(period: str, day: date) -> tuple[date, date]:
    """First and last local date (inclusive) of the `daily`/`weekly`/`monthly` period holding `day`.

    Weeks run Monday..Sunday; months from the 1st to their last day (28–31 days).
    """
    if period == "daily":
        return day, day
    if period == "weekly":
        monday = iso_monday(day)
        return monday, monday + timedelta(days=6)
    if period == "monthly":
        last_day = calendar.monthrange(day.year, day.month)[1]
        return day.replace(day=1), day.replace(day=last_day)
    raise ValueError(f"unknown period: {period!r}")


def needed_range(goals: Iterable[GoalDef], day: date) -> tuple[date, date]:
    """The local dates (inclusive) whose entries and completed tasks the goals of `day` need.

    `(day, day)` when there are no goals. Load every entry overlapping
    [local_day_start(first), local_day_start(last + 1)) and the running timer.
    """
    bounds = [period_bounds(goal.period, day) for goal in goals]
    if not bounds:
        return day, day
    return min(first for first, _ in bounds), max(last for _, last in bounds)


def goals_progress(
    goals: Sequence[GoalDef],
    *,
    entries: Sequence[EntryRow],
    completed_tasks: Sequence[CompletedTask],
    prefs: UserPrefs,
    now: datetime,
    day: date,
) -> list[GoalProgress]:
    """Progress of every goal for the period holding local date `day`, in the goals' order."""
    zone = _zone(prefs)
    # Goals of one period share its entries: select the overlapping ones once per period.
    by_period: dict[str, list[EntryRow]] = {}
    for period in {goal.period for goal in goals}:
        first, last = period_bounds(period, day)
        start, end = local_day_start(first, zone), local_day_start(last + _ONE_DAY, zone)
        by_period[period] = [e for e in entries if e.start < end and (e.end is None or e.end > start)]
    return [
        goal_progress(
            goal, entries=by_period[goal.period], completed_tasks=completed_tasks, prefs=prefs, now=now, day=day
        )
        for goal in goals
    ]


def goal_progress(
    goal: GoalDef,
    *,
    entries: Sequence[EntryRow],
    completed_tasks: Sequence[CompletedTask],
    prefs: UserPrefs,
    now: datetime,
    day: date,
) -> GoalProgress:
    """Progress of `goal` over the period that holds local date `day` (docs/goals.md).

    The period is [local_day_start(first), local_day_start(last + 1)) in the user's zone;
    entries are clipped to it exactly. The running timer (`end` None) counts live up to
    `now` for every metric.
    """
    zone = _zone(prefs)
    now = now.replace(tzinfo=UTC) if now.tzinfo is None else now.astimezone(UTC)
    first, last = period_bounds(goal.period, day)
    start = local_day_start(first, zone)
    end = local_day_start(last + _ONE_DAY, zone)
    target_value = goal.target_for(first)
    target = _exact(target_value)

    # Only entries that overlap the period can count (cheap comparisons first).
    rows = [
        e
        for e in entries
        if (goal.project_id is None or e.project_id == goal.project_id)
        and e.start < end
        and (e.end is None or e.end > start)
    ]
    tracked_us = 0
    achieved: Fraction
    if goal.metric == "hours":
        tracked_us = sum(_overlap_us(e, start, end, now) for e in rows)
        achieved = Fraction(tracked_us, _US_PER_HOUR)
    elif goal.metric == "billable_percent":
        tracked_us = sum(_overlap_us(e, start, end, now) for e in rows)
        billable_us = sum(_overlap_us(e, start, end, now) for e in rows if e.billable)
        achieved = Fraction(100 * billable_us, tracked_us) if tracked_us else Fraction(0)
    elif goal.metric == "deep_sessions":
        achieved = Fraction(sum(1 for e in rows if _is_deep_session(e, start, end, now)))
    elif goal.metric == "tasks_completed":
        achieved = Fraction(
            sum(
                1
                for t in completed_tasks
                if (goal.project_id is None or t.project_id == goal.project_id)
                and start <= t.completed_at.astimezone(UTC) < end
            )
        )
    else:
        raise ValueError(f"unknown metric: {goal.metric!r}")

    status = _status(
        goal,
        achieved=achieved,
        target=target,
        ended=now >= end,
        has_tracked_time=tracked_us > 0,
        pace=lambda: _pace(first, last, now, zone, prefs.working_days),
    )
    counts = goal.metric in ("tasks_completed", "deep_sessions")
    return GoalProgress(
        id=goal.id,
        name=goal.name,
        metric=goal.metric,
        period=goal.period,
        direction=goal.direction,
        project_id=goal.project_id,
        period_start=first,
        period_end=last,
        target=target_value,
        achieved=float(int(achieved)) if counts else round_half_up(achieved, 2),
        percent=int(round_half_up(100 * achieved / target, 0)) if target > 0 else 0,
        status=status,
    )


# ---------------------------------------------------------------- rules


def _status(
    goal: GoalDef,
    *,
    achieved: Fraction,
    target: Fraction,
    ended: bool,
    has_tracked_time: bool,
    pace: Callable[[], Fraction],
) -> str:
    if goal.direction == "at_most":
        return "within" if achieved <= target else "exceeded"
    if goal.metric == "billable_percent":
        # A share can still fall until the period ends, so it is `achieved` only then;
        # while the period runs it is judged as it stands, with no linear pace.
        if ended:
            return "achieved" if achieved >= target else "behind"
        return "on_track" if achieved >= target or not has_tracked_time else "behind"
    if achieved >= target:
        return "achieved"
    if ended:
        return "behind"
    return "on_track" if achieved >= target * pace() else "behind"


def _pace(first: date, last: date, now: datetime, zone: ZoneInfo, working_days: Iterable[int]) -> Fraction:
    """Share of the period's working days elapsed at `now` (0..1), today counted by its elapsed part.

    With no working day in the period every day counts instead.
    """
    working = set(working_days)
    days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    counted = [d for d in days if d.isoweekday() in working] or days
    today = local_date(now, zone)
    elapsed = Fraction(0)
    for d in counted:
        if d < today:
            elapsed += 1
        elif d == today:
            day_start, day_end = local_day_bounds(d, zone)
            elapsed += Fraction((now - day_start) // _MICRO, (day_end - day_start) // _MICRO)
    return elapsed / len(counted)


def _effective_end(entry: EntryRow, now: datetime) -> datetime:
    """The entry's end; the running timer ends at `now` (never before its start)."""
    if entry.end is not None:
        return entry.end.astimezone(UTC)
    start = entry.start.astimezone(UTC)
    return now if now > start else start


def _overlap_us(entry: EntryRow, start: datetime, end: datetime, now: datetime) -> int:
    lo = max(entry.start.astimezone(UTC), start)
    hi = min(_effective_end(entry, now), end)
    return (hi - lo) // _MICRO if hi > lo else 0


def _is_deep_session(entry: EntryRow, start: datetime, end: datetime, now: datetime) -> bool:
    """Whole entry (or the live timer so far) of >= 50 minutes that starts inside [start, end)."""
    entry_start = entry.start.astimezone(UTC)
    return start <= entry_start < end and _effective_end(entry, now) - entry_start >= _DEEP_SESSION


# ---------------------------------------------------------------- numbers


def _exact(value: float) -> Fraction:
    """The decimal number behind a float (0.1 -> 1/10), so 360 s meet a 0.1 h target."""
    if not math.isfinite(value) or value <= 0:
        return Fraction(0)
    return exact(value)


def _zone(prefs: UserPrefs) -> ZoneInfo:
    return get_zone_or_utc(prefs.timezone)
