"""The productivity stats payload (CONTRACT.md section 4) as a pure function of plain data.

`compute_stats` takes the user's entries, the per-day rollup history, projects,
preferences and `now`, and returns the `StatsPayload` that the JSON API encodes and
the HTML fragments render. It reads no clock, no settings and no database.

It works in two stages:

1. `tally` splits every entry exactly, in integer microseconds, across the local
   days and local clock hours it overlaps (CONTRACT 4, "Attribution"), using the
   precomputed boundaries of `app.lib.time.LocalDays` / `LocalHours`;
2. one small function per section of the payload turns those exact sums into
   figures, rounding each value once, on output (CONTRACT 4, "Rounding").

docs/productivity.md explains every figure, the rounding and the streak options.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from fractions import Fraction

import msgspec

from app.domain.productivity.schemas import (
    ActiveTimer,
    DailyItem,
    EntryRow,
    Focus,
    GoalProgress,
    HeatmapCell,
    Insight,
    ProjectInfo,
    ProjectItem,
    StatsPayload,
    Streak,
    Summary,
    TopProject,
    UserPrefs,
)
from app.lib.numbers import exact
from app.lib.time import (
    US_PER_HOUR,
    US_PER_SECOND,
    LocalDays,
    get_zone,
    iso_monday,
    local_grid,
    to_micros,
)

__all__ = [
    "NEUTRAL_COLOR",
    "Tally",
    "compute_stats",
    "load_start_date",
    "round_half_up",
    "round_half_up_int",
    "tally",
]

NEUTRAL_COLOR = "#9ca3af"  # the grey of the "No project" and "Other" items
NO_PROJECT_NAME = "No project"
OTHER_NAME = "Other"
MAX_PROJECT_ITEMS = 8
DAILY_DAYS = 14
HEATMAP_DAYS = 84
SHORT_SESSION_US = 5 * 60 * US_PER_SECOND  # sessions under 5 minutes leave the average
WEEK_CHANGE_MIN_PERCENT = 5
STREAK_INSIGHT_MIN_DAYS = 3
MAX_INSIGHTS = 4
WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")

_US_PER_MINUTE = 60 * US_PER_SECOND
_ONE_DAY = timedelta(days=1)


# ---------------------------------------------------------------- rounding


def round_half_up_int(numerator: int, denominator: int) -> int:
    """The integer nearest to numerator / denominator, halves away from zero.

    This is `decimal.ROUND_HALF_UP` applied to the exact quotient, done in integers.
    """
    if denominator == 0:
        raise ZeroDivisionError("round_half_up_int with a zero denominator")
    if denominator < 0:
        numerator, denominator = -numerator, -denominator
    if numerator >= 0:
        return (2 * numerator + denominator) // (2 * denominator)
    return -((-2 * numerator + denominator) // (2 * denominator))


def round_half_up(numerator: int, denominator: int, places: int) -> float:
    """numerator / denominator rounded half up (away from zero) to `places` decimals.

    The only rounding of the payload: every figure is computed exactly (integer
    microseconds, or fractions of them) and passes through here once, on output.
    """
    scale = int(10**places)
    return round_half_up_int(numerator * scale, denominator) / scale


def _hours(us: int | Fraction) -> float:
    """Hours with 2 decimals (CONTRACT 4, "Rounding")."""
    if isinstance(us, int):
        return round_half_up(us, US_PER_HOUR, 2)
    return round_half_up(us.numerator, us.denominator * US_PER_HOUR, 2)


def _percent(part: int | Fraction, whole: int | Fraction) -> int:
    """round(100 × part / whole) as an integer, 0 when the whole is not positive."""
    if whole <= 0:
        return 0
    value = Fraction(part) * 100 / Fraction(whole)
    return round_half_up_int(value.numerator, value.denominator)


_exact = exact


def _hours_largest_remainder(values_us: Sequence[int]) -> list[float]:
    """Hours (2 decimals) of each value such that they add up to the rounded total.

    Largest-remainder rounding in units of 0.01 h: every item gets the floor of its
    exact value, and the hundredths still missing to reach the half-up rounded total
    go one each to the items with the largest remainders (earlier items first on a
    tie). Each item stays within 0.01 h of its exact value, and a larger exact value
    never gets a smaller rounded one.
    """
    unit = US_PER_HOUR // 100
    target = round_half_up_int(sum(values_us), unit)
    units = [us // unit for us in values_us]
    missing = target - sum(units)
    by_remainder = sorted(range(len(values_us)), key=lambda i: (-(values_us[i] % unit), i))
    for i in by_remainder[:missing]:
        units[i] += 1
    return [u / 100 for u in units]


# ---------------------------------------------------------------- the load window


def load_start_date(today: date, period: int) -> date:
    """Earliest local date whose entries the computation needs.

    min(today − (period − 1), today − 83, Monday of last ISO week, today − 13): the
    window, the heatmap, last week (for the week_change insight) and the daily
    breakdown.
    """
    return min(
        today - timedelta(days=period - 1),
        today - timedelta(days=HEATMAP_DAYS - 1),
        iso_monday(today) - timedelta(days=7),
        today - timedelta(days=DAILY_DAYS - 1),
    )


# ---------------------------------------------------------------- stage 1: exact sums


@dataclass(slots=True)
class Tally:
    """Exact microsecond sums over the loaded days, from which every figure is rounded.

    Day lists are indexed like `days` (load start .. today); the window is
    `days[window_index:]`. Only completed entries are counted, except `live_*`.
    """

    days: LocalDays
    window_index: int
    week_index: int
    day_us: list[int]
    day_billable_us: list[int]
    day_entries: list[int]  # completed entries starting that day
    hour_us: list[int]  # 24 local clock hours, the window only
    project_us: dict[int | None, int] = field(default_factory=dict)  # the window
    project_billable_us: dict[int | None, int] = field(default_factory=dict)
    project_entries: dict[int | None, int] = field(default_factory=dict)
    week_project_us: dict[int, int] = field(default_factory=dict)  # this week, projects only
    session_us: list[int] = field(default_factory=list)  # lengths of entries starting in the window
    live_today_us: int = 0  # the running timer's part inside today
    live_week_us: int = 0  # the running timer's part inside this week

    @property
    def window_us(self) -> int:
        return sum(self.day_us[self.window_index :])


def _overlap(start: int, end: int, lo: int, hi: int) -> int:
    return max(0, min(end, hi) - max(start, lo))


def tally(entries: Sequence[EntryRow], zone_name: str, today: date, period: int, now: datetime) -> Tally:
    """Split every entry exactly across the loaded local days and the window's clock hours.

    CONTRACT 4, "Attribution": seconds go to every local day (and local clock hour)
    an entry overlaps; "Session figures" (counts, lengths) belong to the day on which
    the entry starts. Parts outside load start .. today are dropped.
    """
    zone = get_zone(zone_name)
    window_first = today - timedelta(days=period - 1)
    days, hours = local_grid(zone, load_start_date(today, period), today, window_first)
    count = len(days)
    bounds = days.bounds
    window_index = days.index(window_first)
    week_index = days.index(iso_monday(today))
    window_start, week_start, today_start, grid_end = (
        bounds[window_index],
        bounds[week_index],
        bounds[count - 1],
        bounds[count],
    )
    now_us = to_micros(now)

    t = Tally(
        days=days,
        window_index=window_index,
        week_index=week_index,
        day_us=[0] * count,
        day_billable_us=[0] * count,
        day_entries=[0] * count,
        hour_us=[0] * 24,
    )
    day_us, day_billable_us, hour_us = t.day_us, t.day_billable_us, t.hour_us
    project_us: defaultdict[int | None, int] = defaultdict(int)
    project_billable_us: defaultdict[int | None, int] = defaultdict(int)
    project_entries: defaultdict[int | None, int] = defaultdict(int)
    week_project_us: defaultdict[int, int] = defaultdict(int)

    for entry in entries:
        start = to_micros(entry.start)
        if entry.end is None:  # the running timer: live fields only
            t.live_today_us += _overlap(start, now_us, today_start, grid_end)
            t.live_week_us += _overlap(start, now_us, week_start, grid_end)
            continue
        end = to_micros(entry.end)
        if end <= start:
            continue
        project_id = entry.project_id
        days.add_to(day_us, start, end)
        hi = end if end < grid_end else grid_end
        window_part = hi - window_start if start <= window_start else hi - start
        window_part = window_part if window_part > 0 else 0
        if window_part:
            project_us[project_id] += window_part
            hours.add_to(hour_us, start, end)
        if entry.billable:
            days.add_to(day_billable_us, start, end)
            if window_part:
                project_billable_us[project_id] += window_part
        week_part = hi - week_start if start <= week_start else hi - start
        if week_part > 0 and project_id is not None:
            week_project_us[project_id] += week_part
        first = days.index_at(start)
        if 0 <= first < count:
            t.day_entries[first] += 1
            if first >= window_index:
                t.session_us.append(end - start)
                project_entries[project_id] += 1

    t.project_us = dict(project_us)
    t.project_billable_us = dict(project_billable_us)
    t.project_entries = dict(project_entries)
    t.week_project_us = dict(week_project_us)
    return t


# ---------------------------------------------------------------- stage 2: figures


def _goal_hours(day: date, prefs: UserPrefs) -> Fraction:
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
            hours=_hours(t.week_project_us[project_id]),
        )

    return Summary(
        today_hours=_hours(today_us),
        today_goal_hours=_hours(_goal_hours(today, prefs) * US_PER_HOUR),
        week_hours=_hours(week_us),
        week_goal_hours=_hours(week_goal * US_PER_HOUR),
        week_goal_percent=_percent(week_us, week_goal * US_PER_HOUR),
        billable_percent_week=_percent(week_billable_us, week_us),
        top_project_week=top,
        active_timer=active_timer,
        today_live_hours=_hours(today_us + t.live_today_us),
        week_live_hours=_hours(week_us + t.live_week_us),
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
                hours=_hours(t.day_us[i]),
                billable_hours=_hours(t.day_billable_us[i]),
                entry_count=t.day_entries[i],
                goal_hours=_hours(_goal_hours(day, prefs) * US_PER_HOUR),
            )
        )
    return items


class HistorySummary(msgspec.Struct, frozen=True):
    """What the streak figures need of the days before the loaded window.

    `longest`: the longest run entirely before the window; `tail`: the active days of
    the last run before it (ascending), which may continue into the window. Computed by
    `summarize_history` under the same streak rules, so it can be cached instead of
    the whole day-by-day history.
    """

    longest: int
    tail: tuple[date, ...]


def _streak_rules(prefs: UserPrefs) -> tuple[Callable[[date], bool], Callable[[int], bool], bool, bool]:
    min_us = max(0, prefs.streak_min_minutes) * _US_PER_MINUTE
    working = frozenset(d for d in prefs.working_days if 1 <= d <= 7)
    skip = prefs.streak_skip_non_working

    def counts(day: date) -> bool:
        return not skip or day.isoweekday() in working

    def qualifies(us: int) -> bool:
        return us > 0 and us >= min_us

    return counts, qualifies, skip, bool(working) or not skip


def _runs(
    active: Sequence[date], skip: bool, counts: Callable[[date], bool], anchor: date | None = None
) -> tuple[int, int, list[date]]:
    """(longest run, run length at `anchor`, days of the last run) over ascending active days."""
    longest = current = run = 0
    last_run: list[date] = []
    previous: date | None = None
    for day in active:
        after = previous + _ONE_DAY if previous is not None else None
        contiguous = after is not None and (after == day or (skip and _step_to_counted(after, 1, counts) == day))
        if contiguous:
            run += 1
            last_run.append(day)
        else:
            run = 1
            last_run = [day]
        longest = max(longest, run)
        if day == anchor:
            current = run
        previous = day
    return longest, current, last_run


def summarize_history(history: Mapping[date, float], before: date, prefs: UserPrefs) -> HistorySummary:
    """The streak summary of the days before `before` (see HistorySummary)."""
    counts, qualifies, skip, possible = _streak_rules(prefs)
    if not possible:
        return HistorySummary(0, ())
    active = sorted(
        day
        for day, seconds in history.items()
        if day < before and counts(day) and qualifies(round(seconds * US_PER_SECOND))
    )
    longest, _, last_run = _runs(active, skip, counts)
    return HistorySummary(longest, tuple(last_run))


def _streak(
    t: Tally, today: date, prefs: UserPrefs, history: Mapping[date, float], summary: HistorySummary | None = None
) -> Streak:
    """CONTRACT 4, streak, with the streak options of docs/productivity.md.

    For current_streak and longest_streak a day is active when it has more than 0
    seconds and at least `streak_min_minutes`; with `streak_skip_non_working`, days
    outside `working_days` are skipped (they neither break nor extend a run).
    tracked_days_this_month uses the plain "more than 0 seconds". The days before the
    loaded window come in as `summary` (or are summarised from `history`).
    """
    load_start = t.days.first
    counts, qualifies, skip, possible = _streak_rules(prefs)
    current = longest = 0
    if possible:
        if summary is None:
            summary = summarize_history(history, load_start, prefs)
        active = list(summary.tail)
        active.extend(
            day
            for day in (load_start + timedelta(days=i) for i, us in enumerate(t.day_us) if qualifies(us))
            if counts(day)
        )
        # The run that current_streak reports ends today when today is active,
        # else on the last counted day before today (CONTRACT: "else ending yesterday").
        anchor = today
        if not (counts(today) and qualifies(t.day_us[-1])):
            anchor = _step_to_counted(today - _ONE_DAY, -1, counts)
        longest, current, _ = _runs(active, skip, counts, anchor)
        longest = max(longest, summary.longest)

    first_of_month = today.replace(day=1)
    tracked = sum(1 for us in t.day_us[t.days.index(first_of_month) :] if us > 0)
    return Streak(
        current_streak=current,
        longest_streak=longest,
        tracked_days_this_month=tracked,
        total_days_this_month=today.day,
    )


def _step_to_counted(day: date, step: int, counts: Callable[[date], bool]) -> date:
    """The first day from `day` (inclusive) in direction `step` that counts for streaks."""
    for _ in range(7):
        if counts(day):
            return day
        day += timedelta(days=step)
    return day


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
        avg_session_length_minutes=(round_half_up(sum(kept), len(kept) * _US_PER_MINUTE, 1) if kept else 0.0),
        longest_session_hours=_hours(max(sessions)) if sessions else 0.0,
        entries_per_day=round_half_up(len(sessions), active_days, 2) if active_days else 0.0,
        most_productive_hour=best_hour,
        most_productive_day=WEEKDAY_NAMES[best_day] if best_day is not None else None,
        hour_distribution=[_hours(us) for us in hour_us],
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
    hours = _hours_largest_remainder([row[4] for row in rows])
    return [
        ProjectItem(
            project_id=pid,
            kind=kind,
            name=name,
            color=color,
            hours=item_hours,
            billable_hours=_hours(billable_us),
            entry_count=entries,
            percent=_percent(us, total),
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
        cells.append(HeatmapCell(date=day, hours=_hours(us), level=_heat_level(us, standard_us)))
    return cells


def _insights(
    t: Tally,
    today: date,
    period: int,
    summary: Summary,
    streak: Streak,
    focus: Focus,
    project_items: Sequence[ProjectItem],
) -> list[Insight]:
    """CONTRACT 4, insights: the five rules in order, the first 4 that apply."""
    found: list[Insight] = []

    this_week_us = sum(t.day_us[t.week_index :])
    last_monday = t.days.index(iso_monday(today) - timedelta(days=7))
    last_week_us = sum(t.day_us[last_monday : t.days.index(today - timedelta(days=7)) + 1])
    change_us = this_week_us - last_week_us
    if last_week_us > 0 and abs(change_us) * 100 >= WEEK_CHANGE_MIN_PERCENT * last_week_us:
        value = round_half_up_int(100 * change_us, last_week_us)
        direction = "more" if change_us > 0 else "less"
        found.append(
            Insight(
                kind="week_change",
                text=f"You tracked {abs(value)}% {direction} than last week by this point.",
                value=value,
            )
        )

    current = streak.current_streak
    if current >= STREAK_INSIGHT_MIN_DAYS:
        tail = "a new best!" if current == streak.longest_streak else "keep it going!"
        found.append(Insight(kind="streak", text=f"{current}-day streak — {tail}", value=current))

    hour = focus.most_productive_hour
    if hour is not None:
        found.append(Insight(kind="peak_hour", text=f"You focus best around {hour:02d}:00.", value=hour))

    top = next((item for item in project_items if item.kind == "project"), None)
    if top is not None:
        span = "today" if period == 1 else f"in the last {period} days"
        found.append(
            Insight(
                kind="top_project",
                text=f"{top.name} took {top.percent}% of your time {span}.",
                value=top.percent,
            )
        )

    billable = summary.billable_percent_week
    if billable > 0:
        found.append(Insight(kind="billable", text=f"{billable}% of this week's time was billable.", value=billable))
    return found[:MAX_INSIGHTS]


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
    today = now.astimezone(get_zone(prefs.timezone)).date()
    t = tally(entries, prefs.timezone, today, period, now)

    summary = _summary(t, today, prefs, projects, week_goal_hours, active_timer)
    streak = _streak(t, today, prefs, day_seconds_history, history_summary)
    focus = _focus(t)
    project_items = _projects(t, projects)
    return StatsPayload(
        ok=True,
        period=period,
        summary=summary,
        daily_breakdown=_daily(t, today, prefs),
        streak=streak,
        focus=focus,
        projects=project_items,
        heatmap=_heatmap(t, today, prefs),
        insights=_insights(t, today, period, summary, streak, focus, project_items),
        goals=list(goals),
    )
