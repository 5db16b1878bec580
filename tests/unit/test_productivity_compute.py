"""compute_stats: every figure of CONTRACT.md section 4, with exact expected values."""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from app.domain.accounts.schemas import UserPrefs
from app.domain.goals.schemas import GoalProgress
from app.domain.productivity.figures import NEUTRAL_COLOR, compute_stats
from app.domain.productivity.schemas import ActiveTimer, ProjectInfo, StatsPayload
from app.domain.productivity.tally import load_start_date
from app.domain.tracking.schemas import EntryRow
from app.lib.numbers import round_half_up_int
from app.lib.numbers import round_ratio as round_half_up
from app.lib.time import get_zone, resolve_local

BERLIN = "Europe/Berlin"
_ids = itertools.count(1)


def at(text: str, tz: str = BERLIN, *, second: bool = False) -> datetime:
    """A local wall-clock time as aware UTC; `second` picks the repeated autumn hour's 2nd occurrence."""
    naive = datetime.fromisoformat(text)
    if second:
        return naive.replace(tzinfo=get_zone(tz), fold=1).astimezone(UTC)
    return resolve_local(naive, get_zone(tz))


def entry(
    start: str,
    end: str | None = None,
    *,
    hours: float | None = None,
    minutes: float | None = None,
    seconds: float | None = None,
    tz: str = BERLIN,
    project: int | None = None,
    billable: bool = False,
) -> EntryRow:
    begin = at(start, tz)
    if end is not None:
        finish: datetime | None = at(end, tz)
    elif hours is None and minutes is None and seconds is None:
        finish = None  # the running timer
    else:
        finish = begin + timedelta(hours=hours or 0, minutes=minutes or 0, seconds=seconds or 0)
    return EntryRow(id=next(_ids), project_id=project, start=begin, end=finish, billable=billable)


# Wednesday 2025-11-05, 16:30 in Berlin (CET, +01:00): the week began Monday 2025-11-03.
NOW = at("2025-11-05 16:30")


def stats(
    entries: Sequence[EntryRow] = (),
    *,
    tz: str = BERLIN,
    now: datetime = NOW,
    period: int = 30,
    history: Mapping[date, float] | None = None,
    projects: Mapping[int, ProjectInfo] | None = None,
    week_goal_hours: float | None = None,
    active_timer: ActiveTimer | None = None,
    goals: Sequence[GoalProgress] = (),
    **prefs: Any,
) -> StatsPayload:
    return compute_stats(
        entries=entries,
        day_seconds_history=history or {},
        projects=projects if projects is not None else PROJECTS,
        prefs=UserPrefs(timezone=tz, **prefs),
        now=now,
        period=period,
        week_goal_hours=week_goal_hours,
        active_timer=active_timer,
        goals=goals,
    )


PROJECTS = {
    1: ProjectInfo(id=1, name="Website relaunch", color="#2563eb"),
    2: ProjectInfo(id=2, name="Admin", color="#16a34a"),
}


def daily(payload: StatsPayload, day: str) -> Any:
    return next(item for item in payload.daily_breakdown if item.date == date.fromisoformat(day))


def heat(payload: StatsPayload, day: str) -> Any:
    return next(cell for cell in payload.heatmap if cell.date == date.fromisoformat(day))


def insight(payload: StatsPayload, kind: str) -> Any:
    return next((i for i in payload.insights if i.kind == kind), None)


# ---------------------------------------------------------------- rounding helper


def test_round_half_up_rounds_exact_halves_away_from_zero() -> None:
    assert round_half_up(1, 8, 2) == 0.13  # 0.125; round() would give 0.12
    assert round_half_up(5, 2, 0) == 3.0
    assert round_half_up_int(-5, 2) == -3
    assert round_half_up_int(7, 2) == 4
    assert round_half_up_int(1, 3) == 0


def test_hours_are_rounded_half_up_from_exact_seconds() -> None:
    # 7.5 minutes = 0.125 h exactly
    payload = stats([entry("2025-11-05 09:00", minutes=7.5)])
    assert payload.summary.today_hours == 0.13


# ---------------------------------------------------------------- the load window


def test_load_start_covers_the_heatmap_for_short_periods() -> None:
    assert load_start_date(date(2025, 11, 5), 30) == date(2025, 8, 14)
    assert load_start_date(date(2025, 11, 5), 1) == date(2025, 8, 14)


def test_load_start_covers_the_window_for_long_periods() -> None:
    assert load_start_date(date(2025, 11, 5), 90) == date(2025, 8, 8)


# ---------------------------------------------------------------- a user without data


def test_a_user_without_data_gets_zeros_nulls_and_empty_lists() -> None:
    payload = stats(projects={})
    assert payload.ok is True
    assert payload.period == 30
    s = payload.summary
    assert (s.today_hours, s.week_hours, s.week_goal_percent, s.billable_percent_week) == (0.0, 0.0, 0, 0)
    assert (s.today_goal_hours, s.week_goal_hours) == (8.0, 40.0)
    assert s.top_project_week is None and s.active_timer is None
    assert (s.today_live_hours, s.week_live_hours) == (0.0, 0.0)
    assert len(payload.daily_breakdown) == 14
    assert payload.daily_breakdown[0].date == date(2025, 10, 23)
    assert payload.daily_breakdown[-1].date == date(2025, 11, 5)
    assert all(d.hours == 0.0 and d.entry_count == 0 for d in payload.daily_breakdown)
    assert (payload.streak.current_streak, payload.streak.longest_streak) == (0, 0)
    assert (payload.streak.tracked_days_this_month, payload.streak.total_days_this_month) == (0, 5)
    f = payload.focus
    assert (f.avg_session_length_minutes, f.longest_session_hours, f.entries_per_day) == (0.0, 0.0, 0.0)
    assert f.most_productive_hour is None and f.most_productive_day is None
    assert f.hour_distribution == [0.0] * 24
    assert payload.projects == []
    assert len(payload.heatmap) == 84
    assert payload.heatmap[0].date == date(2025, 8, 14)
    assert payload.heatmap[-1].date == date(2025, 11, 5)
    assert {cell.level for cell in payload.heatmap} == {0}
    assert payload.insights == []
    assert payload.goals == []


def test_period_is_echoed() -> None:
    assert stats(period=90).period == 90
    assert stats(period=1).period == 1


def test_a_naive_now_is_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        stats(now=datetime(2025, 11, 5, 12, 0))


# ---------------------------------------------------------------- attribution across local days


def test_entry_crossing_local_midnight_splits_between_days() -> None:
    payload = stats([entry("2025-11-03 23:00", "2025-11-04 01:00")])
    assert daily(payload, "2025-11-03").hours == 1.0
    assert daily(payload, "2025-11-04").hours == 1.0
    assert daily(payload, "2025-11-03").entry_count == 1
    assert daily(payload, "2025-11-04").entry_count == 0
    assert payload.focus.hour_distribution[23] == 1.0
    assert payload.focus.hour_distribution[0] == 1.0
    assert payload.summary.week_hours == 2.0


def test_spring_forward_day_in_new_york_holds_23_hours_and_no_hour_2() -> None:
    tz = "America/New_York"
    payload = stats(
        [entry("2025-03-09 00:00", "2025-03-10 00:00", tz=tz)],
        tz=tz,
        now=at("2025-03-10 12:00", tz),
    )
    assert daily(payload, "2025-03-09").hours == 23.0
    assert daily(payload, "2025-03-10").hours == 0.0
    assert payload.focus.hour_distribution == [1.0, 1.0, 0.0] + [1.0] * 21
    assert payload.focus.longest_session_hours == 23.0
    assert heat(payload, "2025-03-09").level == 4


def test_fall_back_day_in_berlin_holds_25_hours_with_the_repeated_hour_folded() -> None:
    payload = stats(
        [entry("2025-10-26 00:00", "2025-10-27 00:00")],
        now=at("2025-10-27 10:00"),
    )
    assert daily(payload, "2025-10-26").hours == 25.0
    assert payload.focus.hour_distribution == [1.0, 1.0, 2.0] + [1.0] * 21
    assert payload.focus.most_productive_hour == 2


def test_an_entry_inside_the_repeated_hour_counts_both_occurrences_for_hour_2() -> None:
    # 02:15 CEST (first occurrence) to 02:45 CET (second occurrence): 1.5 h, all in hour 2
    start = at("2025-10-26 02:15")
    end = at("2025-10-26 02:45", second=True)
    assert end - start == timedelta(hours=1, minutes=30)
    row = EntryRow(id=1, project_id=None, start=start, end=end, billable=False)
    payload = stats([row], now=at("2025-10-27 10:00"))
    assert payload.focus.hour_distribution[2] == 1.5
    assert sum(payload.focus.hour_distribution) == 1.5
    assert daily(payload, "2025-10-26").hours == 1.5


def test_half_hour_offset_zone_splits_on_local_hours_and_local_midnight() -> None:
    tz = "Asia/Kolkata"
    payload = stats(
        [
            entry("2025-11-04 09:45", "2025-11-04 11:15", tz=tz),
            # 18:00-19:00 UTC on one UTC date, but across local midnight
            entry("2025-11-04 23:30", "2025-11-05 00:30", tz=tz),
        ],
        tz=tz,
        now=at("2025-11-05 12:00", tz),
    )
    hours = payload.focus.hour_distribution
    assert (hours[9], hours[10], hours[11], hours[23], hours[0]) == (0.25, 1.0, 0.25, 0.5, 0.5)
    assert daily(payload, "2025-11-04").hours == 2.0
    assert daily(payload, "2025-11-05").hours == 0.5


def test_lord_howe_30_minute_dst_shifts_give_days_of_23_5_and_24_5_hours() -> None:
    tz = "Australia/Lord_Howe"
    spring = stats(
        [entry("2025-10-05 00:00", "2025-10-06 00:00", tz=tz)], tz=tz, now=at("2025-10-06 12:00", tz)
    )
    assert daily(spring, "2025-10-05").hours == 23.5
    assert spring.focus.hour_distribution[2] == 0.5
    assert spring.focus.hour_distribution[1] == 1.0

    autumn = stats(
        [entry("2025-04-06 00:00", "2025-04-07 00:00", tz=tz)], tz=tz, now=at("2025-04-07 12:00", tz)
    )
    assert daily(autumn, "2025-04-06").hours == 24.5
    assert autumn.focus.hour_distribution[1] == 1.5


def test_today_follows_the_local_date_of_a_user_far_from_utc() -> None:
    tz = "Pacific/Auckland"
    now = datetime(2025, 11, 5, 20, 0, tzinfo=UTC)  # 2025-11-06 09:00 NZDT
    payload = stats(
        [
            EntryRow(1, None, datetime(2025, 11, 5, 19, 0, tzinfo=UTC), now, False),  # 08:00-09:00 local
            EntryRow(
                2,
                None,
                datetime(2025, 11, 5, 1, 0, tzinfo=UTC),
                datetime(2025, 11, 5, 2, 0, tzinfo=UTC),
                False,
            ),
        ],
        tz=tz,
        now=now,
    )
    assert payload.daily_breakdown[-1].date == date(2025, 11, 6)
    assert payload.summary.today_hours == 1.0
    assert daily(payload, "2025-11-05").hours == 1.0
    assert payload.streak.total_days_this_month == 6
    assert payload.streak.current_streak == 2
    assert payload.focus.hour_distribution[8] == 1.0
    assert payload.focus.hour_distribution[14] == 1.0


def test_entry_starting_before_the_load_start_gives_only_its_overlap() -> None:
    # load start for period 30 is 2025-08-14 (= the first heatmap day)
    payload = stats([entry("2025-08-13 22:00", "2025-08-14 02:00")])
    assert heat(payload, "2025-08-14").hours == 2.0
    assert payload.projects == []  # the window (last 30 days) is untouched


def test_entry_starting_before_the_window_counts_its_hours_but_not_as_a_session() -> None:
    # the 1-day window is today; the entry began yesterday evening
    payload = stats([entry("2025-11-04 22:00", "2025-11-05 01:00", project=1)], period=1)
    assert [(p.name, p.hours, p.entry_count) for p in payload.projects] == [("Website relaunch", 1.0, 0)]
    assert payload.focus.longest_session_hours == 0.0
    assert payload.focus.entries_per_day == 0.0
    assert payload.focus.hour_distribution[0] == 1.0
    assert sum(payload.focus.hour_distribution) == 1.0


# ---------------------------------------------------------------- summary


def test_today_and_week_hours_and_billable_share() -> None:
    payload = stats(
        [
            entry("2025-11-02 10:00", hours=5),  # Sunday: last week
            entry("2025-11-03 09:00", hours=3, billable=True),
            entry("2025-11-05 09:00", hours=1),
        ]
    )
    s = payload.summary
    assert (s.today_hours, s.week_hours) == (1.0, 4.0)
    assert s.billable_percent_week == 75
    assert s.week_goal_percent == 10  # 4 of 40 h


def test_week_goal_comes_from_standard_hours_times_working_days() -> None:
    payload = stats(standard_hours_per_day=6.0, working_days=(1, 2, 3, 4))
    assert payload.summary.week_goal_hours == 24.0
    assert payload.summary.today_goal_hours == 6.0


def test_explicit_weekly_goal_overrides_the_standard_week() -> None:
    payload = stats([entry("2025-11-03 08:00", hours=15)], week_goal_hours=30.0)
    assert payload.summary.week_goal_hours == 30.0
    assert payload.summary.week_goal_percent == 50


def test_week_goal_percent_is_not_capped_and_is_0_for_a_zero_goal() -> None:
    entries = [
        entry("2025-11-03 00:00", hours=20),
        entry("2025-11-04 00:00", hours=20),
        entry("2025-11-05 00:00", hours=10),
    ]
    assert stats(entries).summary.week_goal_percent == 125  # 50 of 40 h
    assert stats(entries, week_goal_hours=0.0).summary.week_goal_percent == 0


def test_goal_hours_are_0_on_non_working_days() -> None:
    payload = stats(now=at("2025-11-08 12:00"), standard_hours_per_day=7.5)  # a Saturday
    assert payload.summary.today_goal_hours == 0.0
    goals = {item.date.isoformat(): item.goal_hours for item in payload.daily_breakdown[-7:]}
    assert goals == {
        "2025-11-02": 0.0,
        "2025-11-03": 7.5,
        "2025-11-04": 7.5,
        "2025-11-05": 7.5,
        "2025-11-06": 7.5,
        "2025-11-07": 7.5,
        "2025-11-08": 0.0,
    }
    assert payload.summary.week_goal_hours == 37.5


def test_top_project_of_the_week_ignores_entries_without_a_project_and_ties_by_name() -> None:
    payload = stats(
        [
            entry("2025-11-03 08:00", hours=5),  # no project: not a project
            entry("2025-11-03 14:00", hours=2, project=1),
            entry("2025-11-04 14:00", hours=2, project=2),
        ]
    )
    top = payload.summary.top_project_week
    assert top is not None
    assert (top.project_id, top.name, top.hours) == (2, "Admin", 2.0)


def test_top_project_of_the_week_is_null_without_project_time() -> None:
    payload = stats([entry("2025-11-03 08:00", hours=5), entry("2025-10-30 08:00", hours=1, project=1)])
    assert payload.summary.top_project_week is None


# ---------------------------------------------------------------- the running timer


TIMER = ActiveTimer(
    id=99,
    project_id=1,
    project_name="Website relaunch",
    task_id=None,
    task_name=None,
    start_time="2025-11-04T22:00:00+01:00",
    elapsed_seconds=66600,
    notes="",
    billable=True,
)


def test_running_timer_adds_only_to_the_live_fields() -> None:
    completed = entry("2025-11-05 09:00", hours=1, project=1)
    running = entry("2025-11-04 22:00", project=1, billable=True)  # no end: the running timer
    payload = stats([completed, running], active_timer=TIMER)
    s = payload.summary
    assert s.active_timer is TIMER
    assert (s.today_hours, s.week_hours) == (1.0, 1.0)
    assert s.today_live_hours == 17.5  # 1 h + 00:00-16:30
    assert s.week_live_hours == 19.5  # 1 h + 22:00 yesterday to 16:30 today
    assert s.billable_percent_week == 0
    assert daily(payload, "2025-11-04").hours == 0.0
    assert daily(payload, "2025-11-04").entry_count == 0
    assert payload.focus.longest_session_hours == 1.0
    assert [(p.hours, p.entry_count) for p in payload.projects] == [(1.0, 1)]
    assert sum(payload.focus.hour_distribution) == 1.0


def test_running_timer_from_last_week_counts_this_week_from_monday() -> None:
    payload = stats([entry("2025-11-02 23:00")])
    assert payload.summary.today_live_hours == 16.5
    assert payload.summary.week_live_hours == 64.5  # Monday 00:00 to Wednesday 16:30
    assert payload.summary.week_hours == 0.0


# ---------------------------------------------------------------- daily breakdown


def test_daily_breakdown_counts_billable_hours_and_entries_starting_that_day() -> None:
    payload = stats(
        [
            entry("2025-11-04 09:00", hours=2, billable=True),
            entry("2025-11-04 13:00", minutes=30),
            entry("2025-11-04 15:00", minutes=15, billable=True),
        ]
    )
    item = daily(payload, "2025-11-04")
    assert (item.hours, item.billable_hours, item.entry_count, item.goal_hours) == (2.75, 2.25, 3, 8.0)


# ---------------------------------------------------------------- heatmap


@pytest.mark.parametrize(
    ("seconds", "level"),
    [
        (1, 1),
        (2 * 3600 - 1, 1),
        (2 * 3600, 2),  # 25 %
        (4 * 3600 - 1, 2),
        (4 * 3600, 3),  # 50 %
        (6 * 3600 - 1, 3),
        (6 * 3600, 4),  # 75 %
        (12 * 3600, 4),
    ],
)
def test_heatmap_level_thresholds_at_25_50_75_percent_of_the_standard_day(seconds: int, level: int) -> None:
    payload = stats([entry("2025-11-04 06:00", seconds=seconds)])
    assert heat(payload, "2025-11-04").level == level


def test_heatmap_thresholds_follow_the_standard_day_exactly() -> None:
    # 7.5 h standard: 25 % = 1 h 52 min 30 s
    at_threshold = stats([entry("2025-11-04 06:00", minutes=112.5)], standard_hours_per_day=7.5)
    below = stats([entry("2025-11-04 06:00", seconds=6749)], standard_hours_per_day=7.5)
    assert heat(at_threshold, "2025-11-04").level == 2
    assert heat(below, "2025-11-04").level == 1
    assert heat(at_threshold, "2025-11-04").hours == 1.88
    assert heat(at_threshold, "2025-11-03").level == 0


# ---------------------------------------------------------------- streaks


def days_of(*spec: str, minutes: float = 60) -> list[EntryRow]:
    return [entry(f"{day} 09:00", minutes=minutes) for day in spec]


def test_current_streak_ends_today_when_today_is_active() -> None:
    payload = stats(days_of("2025-11-01", "2025-11-03", "2025-11-04", "2025-11-05"))
    assert payload.streak.current_streak == 3
    assert payload.streak.longest_streak == 3


def test_current_streak_ends_yesterday_when_today_is_not_active_yet() -> None:
    payload = stats(days_of("2025-11-02", "2025-11-03", "2025-11-04"))
    assert payload.streak.current_streak == 3


def test_current_streak_is_0_when_yesterday_and_today_are_empty() -> None:
    payload = stats(days_of("2025-11-02", "2025-11-03"))
    assert payload.streak.current_streak == 0
    assert payload.streak.longest_streak == 2


def test_longest_streak_comes_from_the_whole_history() -> None:
    history = {date(2025, 6, 1) + timedelta(days=i): 3600.0 for i in range(10)}
    payload = stats(days_of("2025-11-04", "2025-11-05"), history=history)
    assert payload.streak.longest_streak == 10
    assert payload.streak.current_streak == 2


def test_a_run_continues_from_the_history_into_the_loaded_days() -> None:
    # load start is 2025-08-14: four history days before it and two loaded days after
    history = {date(2025, 8, 10) + timedelta(days=i): 1800.0 for i in range(4)}
    payload = stats(days_of("2025-08-14", "2025-08-15"), history=history)
    assert payload.streak.longest_streak == 6


def test_history_is_ignored_from_the_load_start_on() -> None:
    history = {date(2025, 11, 5): 3600.0, date(2025, 11, 4): 3600.0}
    payload = stats(history=history)
    assert (payload.streak.current_streak, payload.streak.longest_streak) == (0, 0)


def test_tracked_days_this_month_counts_active_days_from_the_1st() -> None:
    payload = stats(days_of("2025-10-31", "2025-11-01", "2025-11-04"))
    assert payload.streak.tracked_days_this_month == 2
    assert payload.streak.total_days_this_month == 5


def test_streak_minimum_minutes_decides_which_days_count_for_streaks() -> None:
    entries = [
        *days_of("2025-11-03", minutes=45),
        *days_of("2025-11-04", minutes=29),
        *days_of("2025-11-05", minutes=30),
    ]
    plain = stats(entries)
    assert (plain.streak.current_streak, plain.streak.longest_streak) == (3, 3)
    strict = stats(entries, streak_min_minutes=30)
    assert (strict.streak.current_streak, strict.streak.longest_streak) == (1, 1)
    # tracked days, entries per day and the heatmap keep the plain "> 0 seconds"
    assert strict.streak.tracked_days_this_month == 3
    assert strict.focus.entries_per_day == 1.0
    assert heat(strict, "2025-11-04").level == 1


def test_streak_minimum_minutes_applies_to_the_history_too() -> None:
    history = {date(2025, 6, 1): 1800.0, date(2025, 6, 2): 1740.0, date(2025, 6, 3): 1800.0}
    assert stats(history=history).streak.longest_streak == 3
    assert stats(history=history, streak_min_minutes=30).streak.longest_streak == 1


def test_skipping_non_working_days_bridges_a_weekend() -> None:
    monday = at("2025-11-10 10:00")
    entries = days_of("2025-11-06", "2025-11-07", "2025-11-10")  # Thu, Fri, Mon
    assert stats(entries, now=monday).streak.current_streak == 1
    assert stats(entries, now=monday, streak_skip_non_working=True).streak.current_streak == 3


def test_an_active_non_working_day_adds_nothing_to_a_skipping_streak() -> None:
    monday = at("2025-11-10 10:00")
    entries = days_of("2025-11-07", "2025-11-08", "2025-11-10")  # Fri, Sat, Mon
    skipping = stats(entries, now=monday, streak_skip_non_working=True).streak
    assert (skipping.current_streak, skipping.longest_streak) == (2, 2)
    plain = stats(entries, now=monday).streak
    assert (plain.current_streak, plain.longest_streak) == (1, 2)


def test_a_skipping_streak_survives_a_non_working_today() -> None:
    sunday = at("2025-11-09 10:00")
    entries = days_of("2025-11-06", "2025-11-07")  # Thu, Fri
    assert stats(entries, now=sunday).streak.current_streak == 0
    assert stats(entries, now=sunday, streak_skip_non_working=True).streak.current_streak == 2
    # the last working day before today is over: an empty Friday ends the streak
    thursday_only = days_of("2025-11-06")
    assert stats(thursday_only, now=sunday, streak_skip_non_working=True).streak.current_streak == 0


def test_a_skipping_streak_without_working_days_is_0() -> None:
    payload = stats(days_of("2025-11-04", "2025-11-05"), working_days=(), streak_skip_non_working=True)
    assert (payload.streak.current_streak, payload.streak.longest_streak) == (0, 0)
    assert payload.streak.tracked_days_this_month == 2


# ---------------------------------------------------------------- focus


def test_average_session_leaves_out_entries_under_5_minutes() -> None:
    payload = stats(
        [
            entry("2025-11-04 09:00", minutes=4, seconds=59),
            entry("2025-11-04 10:00", minutes=5),
            entry("2025-11-04 11:00", minutes=25),
            entry("2025-11-05 11:00", minutes=90),
        ]
    )
    f = payload.focus
    assert f.avg_session_length_minutes == 40.0  # (5 + 25 + 90) / 3
    assert f.longest_session_hours == 1.5
    assert f.entries_per_day == 2.0  # 4 entries on 2 active days


def test_average_session_minutes_are_rounded_half_up() -> None:
    # (5 min + 5 min 9 s) / 2 = 5.075 min
    payload = stats([entry("2025-11-04 09:00", minutes=5), entry("2025-11-04 10:00", minutes=5, seconds=9)])
    assert payload.focus.avg_session_length_minutes == 5.1


def test_session_figures_belong_to_the_window_where_the_entry_starts() -> None:
    payload = stats([entry("2025-10-06 09:00", hours=3), entry("2025-11-04 09:00", hours=1)], period=30)
    assert payload.focus.longest_session_hours == 1.0  # 2025-10-06 is before the 30-day window
    assert payload.focus.entries_per_day == 1.0


def test_most_productive_hour_ties_go_to_the_earliest_hour() -> None:
    payload = stats([entry("2025-11-04 14:00", hours=1), entry("2025-11-05 09:00", hours=1)])
    assert payload.focus.most_productive_hour == 9


def test_most_productive_day_ties_go_to_the_earliest_weekday_from_monday() -> None:
    payload = stats([entry("2025-11-02 09:00", hours=2), entry("2025-11-05 09:00", hours=2)])  # Sun, Wed
    assert payload.focus.most_productive_day == "Wednesday"
    payload = stats([entry("2025-11-04 09:00", hours=2), entry("2025-11-03 09:00", hours=2)])  # Tue, Mon
    assert payload.focus.most_productive_day == "Monday"


def test_most_productive_day_is_the_weekday_with_most_seconds_in_the_window() -> None:
    payload = stats(
        [
            entry("2025-10-28 09:00", hours=2),  # Tuesday
            entry("2025-11-04 09:00", hours=2),  # Tuesday
            entry("2025-11-05 09:00", hours=3),  # Wednesday
        ]
    )
    assert payload.focus.most_productive_day == "Tuesday"


# ---------------------------------------------------------------- projects


def test_entries_without_a_project_form_a_no_project_item() -> None:
    payload = stats([entry("2025-11-04 09:00", hours=2), entry("2025-11-04 12:00", hours=1, project=1)])
    assert [(p.kind, p.name, p.project_id, p.color, p.hours, p.percent) for p in payload.projects] == [
        ("none", "No project", None, NEUTRAL_COLOR, 2.0, 67),
        ("project", "Website relaunch", 1, "#2563eb", 1.0, 33),
    ]


def test_more_than_8_projects_are_summed_into_other() -> None:
    projects = {i: ProjectInfo(id=i, name=f"P{i:02d}", color="#000000") for i in range(1, 11)}
    entries = [
        entry(f"2025-11-{1 + i % 4:02d} {i:02d}:00", minutes=60 - i, project=i, billable=i == 10)
        for i in range(1, 11)
    ]
    payload = stats(entries, projects=projects)
    items = payload.projects
    assert len(items) == 9
    assert [p.name for p in items] == [f"P{i:02d}" for i in range(1, 9)] + ["Other"]
    other = items[-1]
    assert (other.kind, other.project_id, other.color) == ("other", None, NEUTRAL_COLOR)
    assert other.entry_count == 2
    assert other.hours == 1.68  # 51 + 50 minutes
    assert other.billable_hours == 0.83
    assert round(sum(p.hours for p in items), 2) == 9.08  # 545 minutes


def test_exactly_8_groups_need_no_other_item() -> None:
    projects = {i: ProjectInfo(id=i, name=f"P{i}", color="#000000") for i in range(1, 8)}
    entries = [entry("2025-11-04 00:00", minutes=10)] + [
        entry(f"2025-11-04 {i:02d}:00", minutes=30, project=i) for i in range(1, 8)
    ]
    kinds = [p.kind for p in stats(entries, projects=projects).projects]
    assert kinds == ["project"] * 7 + ["none"]


def test_project_ties_are_ordered_by_name() -> None:
    payload = stats(
        [entry("2025-11-04 09:00", hours=1, project=1), entry("2025-11-04 11:00", hours=1, project=2)]
    )
    assert [p.name for p in payload.projects] == ["Admin", "Website relaunch"]


def test_project_hours_add_up_to_the_window_total_by_largest_remainder() -> None:
    projects = {
        i: ProjectInfo(id=i, name=name, color="#000000") for i, name in [(1, "A"), (2, "B"), (3, "C")]
    }
    payload = stats(
        [entry(f"2025-11-04 0{i}:00", minutes=20, project=i) for i in (1, 2, 3)],
        projects=projects,
    )
    # each is 0.3333 h; independent rounding would show 0.99 h in all
    assert [(p.name, p.hours, p.percent) for p in payload.projects] == [
        ("A", 0.34, 33),
        ("B", 0.33, 33),
        ("C", 0.33, 33),
    ]


def test_project_items_count_entries_and_billable_hours_in_the_window() -> None:
    payload = stats(
        [
            entry("2025-11-04 09:00", hours=2, project=1, billable=True),
            entry("2025-11-05 09:00", minutes=30, project=1),
            entry("2025-09-01 09:00", hours=9, project=1),  # before the window
        ]
    )
    (item,) = payload.projects
    assert (item.hours, item.billable_hours, item.entry_count, item.percent) == (2.5, 2.0, 2, 100)


def test_a_project_missing_from_the_mapping_still_gets_an_item() -> None:
    payload = stats([entry("2025-11-04 09:00", hours=1, project=42)])
    assert [(p.project_id, p.name, p.color) for p in payload.projects] == [(42, "Project #42", NEUTRAL_COLOR)]


# ---------------------------------------------------------------- insights


def test_week_change_states_the_signed_percent_against_last_week_by_this_point() -> None:
    more = stats([entry("2025-10-27 08:00", hours=10), entry("2025-11-03 08:00", hours=11, minutes=12)])
    assert insight(more, "week_change").value == 12
    assert insight(more, "week_change").text == "You tracked 12% more than last week by this point."
    less = stats([entry("2025-10-27 08:00", hours=10), entry("2025-11-03 08:00", hours=9, minutes=12)])
    assert insight(less, "week_change").value == -8
    assert insight(less, "week_change").text == "You tracked 8% less than last week by this point."


def test_week_change_compares_only_up_to_the_same_weekday_of_last_week() -> None:
    # last Thursday (after "this point") does not count
    payload = stats([entry("2025-10-30 08:00", hours=10), entry("2025-11-03 08:00", hours=1)])
    assert insight(payload, "week_change") is None


def test_week_change_needs_at_least_5_percent() -> None:
    below = stats([entry("2025-10-27 08:00", hours=10), entry("2025-11-03 08:00", minutes=629, seconds=24)])
    assert insight(below, "week_change") is None  # +4.9 %
    exactly = stats([entry("2025-10-27 08:00", hours=10), entry("2025-11-03 08:00", hours=10, minutes=30)])
    assert insight(exactly, "week_change").value == 5
    down = stats([entry("2025-10-27 08:00", hours=10), entry("2025-11-03 08:00", hours=9, minutes=30)])
    assert insight(down, "week_change").value == -5


def test_streak_insight_says_a_new_best_when_the_current_streak_is_the_longest() -> None:
    payload = stats(days_of("2025-11-03", "2025-11-04", "2025-11-05"))
    found = insight(payload, "streak")
    assert (found.value, found.text) == (3, "3-day streak — a new best!")


def test_streak_insight_without_a_new_best() -> None:
    history = {date(2025, 6, 1) + timedelta(days=i): 3600.0 for i in range(5)}
    payload = stats(days_of("2025-11-03", "2025-11-04", "2025-11-05"), history=history)
    found = insight(payload, "streak")
    assert (found.value, found.text) == (3, "3-day streak — keep it going!")


def test_streak_insight_needs_3_days() -> None:
    assert insight(stats(days_of("2025-11-04", "2025-11-05")), "streak") is None


def test_peak_hour_top_project_and_billable_insights_state_their_values() -> None:
    payload = stats(
        [
            entry("2025-11-04 10:00", hours=2, project=1, billable=True),
            entry("2025-11-04 14:00", hours=1, project=2),
            entry("2025-11-05 15:00", minutes=30),
        ]
    )
    assert [(i.kind, i.value, i.text) for i in payload.insights] == [
        ("peak_hour", 10, "You focus best around 10:00."),
        ("top_project", 57, "Website relaunch took 57% of your time in the last 30 days."),
        ("billable", 57, "57% of this week's time was billable."),
    ]


def test_top_project_insight_skips_the_no_project_item() -> None:
    payload = stats(
        [entry("2025-11-05 09:00", hours=3), entry("2025-11-05 13:00", hours=1, project=2)], period=1
    )
    assert [p.kind for p in payload.projects] == ["none", "project"]
    found = insight(payload, "top_project")
    assert (found.value, found.text) == (25, "Admin took 25% of your time today.")


def test_at_most_4_insights_in_the_contract_order() -> None:
    payload = stats(
        [
            entry("2025-10-27 08:00", hours=1),
            entry("2025-11-03 08:00", hours=2, project=1, billable=True),
            entry("2025-11-04 08:00", hours=2, project=1),
            entry("2025-11-05 08:00", hours=2, project=1),
        ]
    )
    assert [i.kind for i in payload.insights] == ["week_change", "streak", "peak_hour", "top_project"]
    assert payload.summary.billable_percent_week == 33


# ---------------------------------------------------------------- goals


def test_goals_are_copied_into_the_payload() -> None:
    goal = GoalProgress(
        id=7,
        name="Deep work",
        metric="hours",
        period="week",
        direction="at_least",
        project_id=None,
        period_start=date(2025, 11, 3),
        period_end=date(2025, 11, 9),
        target=20.0,
        achieved=6.5,
        percent=33,
        status="behind",
    )
    assert stats(goals=[goal]).goals == [goal]
