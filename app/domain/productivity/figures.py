"""The productivity stats payload (CONTRACT.md section 4) as a pure function of plain data.

`compute_stats` takes the user's entries, the per-day rollup history, projects,
preferences and `now`, and returns the `StatsPayload` that the JSON API encodes and
the HTML fragments render. It reads no clock, no settings and no database.

It works in two stages:

1. `tally.tally` splits every entry exactly, in integer microseconds, across the local
   days and local clock hours it overlaps (CONTRACT 4, "Attribution"), using the
   precomputed boundaries of `app.lib.time.LocalDays` / `LocalHours`;
2. one small function per section of the payload turns those exact sums into
   figures, rounding each value once, on output (CONTRACT 4, "Rounding"): here,
   the streak in `streak.py`, the insights in `insights.py`, the rounding helpers in
   `app/lib/numbers.py`.

While a timer runs, `compute_stats_and_base` also returns the `LiveBase` (`live.py`)
that brings a cached payload's live fields up to a later `now`.

docs/productivity.md explains every figure, the rounding and the streak options.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta
from fractions import Fraction

from app.domain.accounts.schemas import UserPrefs
from app.domain.goals.schemas import GoalProgress
from app.domain.productivity.insights import insights
from app.domain.productivity.live import LiveBase
from app.domain.productivity.schemas import (
    ActiveTimer,
    DailyItem,
    Focus,
    HeatmapCell,
    ProjectInfo,
    ProjectItem,
    StatsPayload,
    Summary,
    TopProject,
)
from app.domain.productivity.streak import HistorySummary, compute_streak
from app.domain.productivity.tally import DAILY_DAYS, HEATMAP_DAYS, Tally, tally
from app.domain.tracking.schemas import EntryRow
from app.lib.numbers import (
    exact,
    hours_largest_remainder,
    percent_of,
    round_ratio,
    to_hours,
)
from app.lib.time import US_PER_HOUR, US_PER_SECOND, get_zone, to_micros

__all__ = ["NEUTRAL_COLOR", "compute_stats"]

NEUTRAL_COLOR = "#9ca3af"  # the grey of the "No project" and "Other" items
NO_PROJECT_NAME = "No project"
OTHER_NAME = "Other"
MAX_PROJECT_ITEMS = 8
SHORT_SESSION_US = 5 * 60 * US_PER_SECOND  # sessions under 5 minutes leave the average
WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")

_US_PER_MINUTE = 60 * US_PER_SECOND
_exact = exact


# ---------------------------------------------------------------- stage 2: figures


def _goalto_hours(day: date, prefs: UserPrefs) -> Fraction:
    """CONTRACT 4, "Working days": standard hours on a working day, 0 otherwise."""
    if day.isoweekday() in prefs.working_days:
        return _exact(prefs.standard_hours_per_day)
    return Fraction(0)


def _summary(
    t: Tally,
    today: date,
    prefs: UserPrefs,
    projects: Mapping[int, ProjectInfo],
    week_goal_hours: float | None,
    active_timer: ActiveTimer | None,
) -> Summary:
    """CONTRACT 4: today_*, week_*, billable_percent_week, top_project_week, *_live_hours."""
    today_us = t.day_us[-1]
    week_us = sum(t.day_us[t.week_index :])
    week_billable_us = sum(t.day_billable_us[t.week_index :])
    if week_goal_hours is not None:
        week_goal = _exact(week_goal_hours)
    else:
        working = {d for d in prefs.working_days if 1 <= d <= 7}
        week_goal = _exact(prefs.standard_hours_per_day) * len(working)

    top: TopProject | None = None
    if t.week_project_us:
        project_id = min(
            t.week_project_us,
            key=lambda pid: (-t.week_project_us[pid], *_name_key(_project_name(pid, projects)), pid),
        )
        top = TopProject(
            project_id=project_id,
            name=_project_name(project_id, projects),
            hours=to_hours(t.week_project_us[project_id]),
        )

    return Summary(
        today_hours=to_hours(today_us),
        today_goal_hours=to_hours(_goalto_hours(today, prefs) * US_PER_HOUR),
        week_hours=to_hours(week_us),
        week_goal_hours=to_hours(week_goal * US_PER_HOUR),
        week_goal_percent=percent_of(week_us, week_goal * US_PER_HOUR),
        billable_percent_week=percent_of(week_billable_us, week_us),
        top_project_week=top,
        active_timer=active_timer,
        today_live_hours=to_hours(today_us + t.live_today_us),
        week_live_hours=to_hours(week_us + t.live_week_us),
    )


def _daily(t: Tally, today: date, prefs: UserPrefs) -> list[DailyItem]:
    """CONTRACT 4, daily_breakdown: today−13 .. today, oldest first."""
    items = []
    for offset in range(DAILY_DAYS - 1, -1, -1):
        day = today - timedelta(days=offset)
        i = t.days.index(day)
        items.append(
            DailyItem(
                date=day,
                hours=to_hours(t.day_us[i]),
                billable_hours=to_hours(t.day_billable_us[i]),
                entry_count=t.day_entries[i],
                goal_hours=to_hours(_goalto_hours(day, prefs) * US_PER_HOUR),
            )
        )
    return items


def _focus(t: Tally) -> Focus:
    """CONTRACT 4, the window's focus figures (sessions belong to their start day)."""
    sessions = t.session_us
    kept = [us for us in sessions if us >= SHORT_SESSION_US]
    window_day_us = t.day_us[t.window_index :]
    active_days = sum(1 for us in window_day_us if us > 0)

    weekday_us = [0] * 7
    first = t.days.first + timedelta(days=t.window_index)
    for offset, us in enumerate(window_day_us):
        weekday_us[(first + timedelta(days=offset)).weekday()] += us

    hour_us = t.hour_us
    best_hour = max(range(24), key=lambda h: (hour_us[h], -h)) if any(hour_us) else None
    best_day = max(range(7), key=lambda d: (weekday_us[d], -d)) if any(weekday_us) else None
    return Focus(
        avg_session_length_minutes=(round_ratio(sum(kept), len(kept) * _US_PER_MINUTE, 1) if kept else 0.0),
        longest_session_hours=to_hours(max(sessions)) if sessions else 0.0,
        entries_per_day=round_ratio(len(sessions), active_days, 2) if active_days else 0.0,
        most_productive_hour=best_hour,
        most_productive_day=WEEKDAY_NAMES[best_day] if best_day is not None else None,
        hour_distribution=[to_hours(us) for us in hour_us],
    )


def _project_name(project_id: int | None, projects: Mapping[int, ProjectInfo]) -> str:
    if project_id is None:
        return NO_PROJECT_NAME
    info = projects.get(project_id)
    return info.name if info is not None else f"Project #{project_id}"


def _name_key(name: str) -> tuple[str, str]:
    return (name.casefold(), name)


def _projects(t: Tally, projects: Mapping[int, ProjectInfo]) -> list[ProjectItem]:
    """CONTRACT 4, projects: the window's seconds per project, at most 8 items + "Other".

    Item hours use largest-remainder rounding so that they add up to the rounded
    window total; percents and billable hours are each rounded on their own.
    """
    groups = sorted(
        (pid for pid, us in t.project_us.items() if us > 0),
        key=lambda pid: (
            -t.project_us[pid],
            *_name_key(_project_name(pid, projects)),
            pid is not None,
            pid or 0,
        ),
    )
    head, rest = groups[:MAX_PROJECT_ITEMS], groups[MAX_PROJECT_ITEMS:]
    rows: list[tuple[int | None, str, str, str, int, int, int]] = []
    for pid in head:
        info = projects.get(pid) if pid is not None else None
        rows.append(
            (
                pid,
                "project" if pid is not None else "none",
                _project_name(pid, projects),
                info.color if info is not None else NEUTRAL_COLOR,
                t.project_us[pid],
                t.project_billable_us.get(pid, 0),
                t.project_entries.get(pid, 0),
            )
        )
    if rest:
        rows.append(
            (
                None,
                "other",
                OTHER_NAME,
                NEUTRAL_COLOR,
                sum(t.project_us[pid] for pid in rest),
                sum(t.project_billable_us.get(pid, 0) for pid in rest),
                sum(t.project_entries.get(pid, 0) for pid in rest),
            )
        )

    total = sum(row[4] for row in rows)
    hours = hours_largest_remainder([row[4] for row in rows])
    return [
        ProjectItem(
            project_id=pid,
            kind=kind,
            name=name,
            color=color,
            hours=item_hours,
            billable_hours=to_hours(billable_us),
            entry_count=entries,
            percent=percent_of(us, total),
        )
        for (pid, kind, name, color, us, billable_us, entries), item_hours in zip(rows, hours, strict=True)
    ]


def _heat_level(us: int, standard_us: Fraction) -> int:
    """CONTRACT 4, heatmap level: 0 without seconds, then by 25/50/75 % of the standard day."""
    if us <= 0:
        return 0
    # us / standard < k / 4  <=>  4 · us · den < k · num   (exact, in integers)
    quarters = 4 * us * standard_us.denominator
    num = standard_us.numerator
    if quarters < num:
        return 1
    if quarters < 2 * num:
        return 2
    if quarters < 3 * num:
        return 3
    return 4


def _heatmap(t: Tally, today: date, prefs: UserPrefs) -> list[HeatmapCell]:
    """CONTRACT 4, heatmap: today−83 .. today, oldest first."""
    standard_us = _exact(prefs.standard_hours_per_day) * US_PER_HOUR
    cells = []
    for offset in range(HEATMAP_DAYS - 1, -1, -1):
        day = today - timedelta(days=offset)
        us = t.day_us[t.days.index(day)]
        cells.append(HeatmapCell(date=day, hours=to_hours(us), level=_heat_level(us, standard_us)))
    return cells


# ---------------------------------------------------------------- the payload


def compute_stats(
    *,
    entries: Sequence[EntryRow],
    day_seconds_history: Mapping[date, float],
    projects: Mapping[int, ProjectInfo],
    prefs: UserPrefs,
    now: datetime,
    period: int,
    week_goal_hours: float | None,
    active_timer: ActiveTimer | None,
    goals: Sequence[GoalProgress] = (),
    history_summary: HistorySummary | None = None,
) -> StatsPayload:
    """The whole stats payload of CONTRACT.md section 4.

    `entries`: every entry of the user overlapping [local_day_start(load_start_date),
    now], the running timer included (end None). `day_seconds_history`: completed
    seconds per local day over the whole history, used for streaks before the load
    start only. `period` is already clamped to 1..90. `now` must be aware; the zone is
    `prefs.timezone`. Never raises for a user without data.
    """
    if now.tzinfo is None:
        raise ValueError("compute_stats needs an aware `now`")
    if period < 1:
        raise ValueError("period must be at least 1")
    return compute_stats_and_base(
        entries=entries, day_seconds_history=day_seconds_history, projects=projects, prefs=prefs, now=now,
        period=period, week_goal_hours=week_goal_hours, active_timer=active_timer, goals=goals,
        history_summary=history_summary,
    )[0]


def compute_stats_and_base(
    *,
    entries: Sequence[EntryRow],
    day_seconds_history: Mapping[date, float],
    projects: Mapping[int, ProjectInfo],
    prefs: UserPrefs,
    now: datetime,
    period: int,
    week_goal_hours: float | None,
    active_timer: ActiveTimer | None,
    goals: Sequence[GoalProgress] = (),
    history_summary: HistorySummary | None = None,
) -> tuple[StatsPayload, LiveBase | None]:
    """compute_stats, plus (while a timer runs) the LiveBase that lets a cache serve it later."""
    if now.tzinfo is None:
        raise ValueError("compute_stats needs an aware `now`")
    if period < 1:
        raise ValueError("period must be at least 1")
    today = now.astimezone(get_zone(prefs.timezone)).date()
    t = tally(entries, prefs.timezone, today, period, now)

    summary = _summary(t, today, prefs, projects, week_goal_hours, active_timer)
    streak = compute_streak(t, today, prefs, day_seconds_history, history_summary)
    focus = _focus(t)
    project_items = _projects(t, projects)
    payload = StatsPayload(
        ok=True,
        period=period,
        summary=summary,
        daily_breakdown=_daily(t, today, prefs),
        streak=streak,
        focus=focus,
        projects=project_items,
        heatmap=_heatmap(t, today, prefs),
        insights=insights(t, today, period, summary, streak, focus, project_items),
        goals=list(goals),
    )
    running = next((e for e in entries if e.end is None), None)
    if active_timer is None or running is None:
        return payload, None
    bounds = t.days.bounds
    base = LiveBase(
        payload=payload,
        today_us=t.day_us[-1],
        week_us=sum(t.day_us[t.week_index :]),
        today_start_us=bounds[len(t.day_us) - 1],
        week_start_us=bounds[t.week_index],
        grid_end_us=bounds[len(t.day_us)],
        timer_start_us=to_micros(running.start),
    )
    return payload, base
