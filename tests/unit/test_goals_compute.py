"""Goal progress (app/domain/goals/compute.py) and the goal API bodies; rules in docs/goals.md."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.domain.accounts.schemas import UserPrefs
from app.domain.goals.compute import goal_progress, goals_progress, needed_range, period_bounds
from app.domain.goals.schemas import (
    CompletedTask,
    GoalCreate,
    GoalDef,
    GoalProgress,
    GoalUpdate,
    target_error,
)
from app.domain.tracking.schemas import EntryRow

NY = "America/New_York"
UTC_PREFS = UserPrefs(timezone="UTC")
NY_PREFS = UserPrefs(timezone=NY)


def at(text: str, zone: str = "UTC") -> datetime:
    """A wall-clock time in `zone` as an aware UTC datetime."""
    return datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(zone)).astimezone(UTC)


_ids = iter(range(1, 1_000_000))


def entry(
    start: str,
    end: str | None,
    *,
    zone: str = "UTC",
    project_id: int | None = None,
    billable: bool = False,
) -> EntryRow:
    return EntryRow(
        id=next(_ids),
        project_id=project_id,
        start=at(start, zone),
        end=None if end is None else at(end, zone),
        billable=billable,
    )


def task(completed_at: str, project_id: int | None = None, zone: str = "UTC") -> CompletedTask:
    return CompletedTask(id=next(_ids), project_id=project_id, completed_at=at(completed_at, zone))


def goal(
    metric: str,
    period: str,
    target: float = 0.0,
    *,
    direction: str = "at_least",
    project_id: int | None = None,
    targets: tuple[tuple[date, float], ...] | None = None,
) -> GoalDef:
    return GoalDef(
        id=1,
        name="g",
        metric=metric,
        period=period,
        direction=direction,
        project_id=project_id,
        targets=targets if targets is not None else ((date(2020, 1, 1), target),),
    )


def progress(
    g: GoalDef,
    *,
    now: str,
    day: date | None = None,
    entries: tuple[EntryRow, ...] = (),
    tasks: tuple[CompletedTask, ...] = (),
    prefs: UserPrefs = UTC_PREFS,
) -> GoalProgress:
    zone = prefs.timezone
    now_dt = at(now, zone)
    if day is None:
        day = now_dt.astimezone(ZoneInfo(zone)).date()
    return goal_progress(g, entries=entries, completed_tasks=tasks, prefs=prefs, now=now_dt, day=day)


def brief(p: GoalProgress) -> tuple[float, float, int, str]:
    return p.achieved, p.target, p.percent, p.status


# ---------------------------------------------------------------- periods


@pytest.mark.parametrize(
    ("period", "day", "bounds"),
    [
        ("daily", date(2026, 3, 4), (date(2026, 3, 4), date(2026, 3, 4))),
        ("weekly", date(2026, 3, 4), (date(2026, 3, 2), date(2026, 3, 8))),
        ("weekly", date(2026, 3, 2), (date(2026, 3, 2), date(2026, 3, 8))),
        ("weekly", date(2026, 3, 8), (date(2026, 3, 2), date(2026, 3, 8))),
        ("weekly", date(2026, 1, 1), (date(2025, 12, 29), date(2026, 1, 4))),
        ("monthly", date(2026, 2, 14), (date(2026, 2, 1), date(2026, 2, 28))),
        ("monthly", date(2028, 2, 29), (date(2028, 2, 1), date(2028, 2, 29))),
        ("monthly", date(2026, 4, 30), (date(2026, 4, 1), date(2026, 4, 30))),
        ("monthly", date(2026, 1, 1), (date(2026, 1, 1), date(2026, 1, 31))),
        ("monthly", date(2026, 12, 31), (date(2026, 12, 1), date(2026, 12, 31))),
    ],
)
def test_period_bounds_are_inclusive_local_dates_with_monday_first_weeks(
    period: str, day: date, bounds: tuple[date, date]
) -> None:
    assert period_bounds(period, day) == bounds


def test_period_bounds_rejects_an_unknown_period() -> None:
    with pytest.raises(ValueError, match="unknown period"):
        period_bounds("yearly", date(2026, 3, 4))


def test_needed_range_is_the_union_of_the_goals_periods() -> None:
    sunday = date(2026, 3, 1)
    goals = [goal("hours", "daily", 1), goal("hours", "weekly", 1), goal("hours", "monthly", 1)]
    assert needed_range(goals, sunday) == (date(2026, 2, 23), date(2026, 3, 31))
    assert needed_range([goal("hours", "daily", 1)], sunday) == (sunday, sunday)
    assert needed_range([], sunday) == (sunday, sunday)


# ---------------------------------------------------------------- hours


def test_daily_hours_clips_entries_to_the_local_day_and_fills_every_field() -> None:
    g = GoalDef(
        id=7,
        name="Write",
        metric="hours",
        period="daily",
        direction="at_least",
        project_id=None,
        targets=((date(2026, 1, 1), 4.0),),
    )
    entries = (
        entry("2026-03-03T23:00", "2026-03-04T01:00"),  # 1 h on the 4th
        entry("2026-03-04T09:00", "2026-03-04T10:30"),  # 1.5 h
        entry("2026-03-04T23:30", "2026-03-05T02:00"),  # 0.5 h on the 4th
        entry("2026-03-05T09:00", "2026-03-05T12:00"),  # another day
    )
    p = progress(g, now="2026-03-05T12:00", day=date(2026, 3, 4), entries=entries)
    assert p == GoalProgress(
        id=7,
        name="Write",
        metric="hours",
        period="daily",
        direction="at_least",
        project_id=None,
        period_start=date(2026, 3, 4),
        period_end=date(2026, 3, 4),
        target=4.0,
        achieved=3.0,
        percent=75,
        status="behind",
    )


def test_hours_achieved_mid_period_once_the_target_is_reached() -> None:
    entries = (entry("2026-03-04T08:00", "2026-03-04T12:00"),)
    assert brief(progress(goal("hours", "daily", 4), now="2026-03-04T12:00", entries=entries)) == (
        4.0,
        4.0,
        100,
        "achieved",
    )


def test_percent_and_achieved_round_half_up_and_percent_is_not_capped() -> None:
    # 2.5 h of 4 h is 62.5 % -> 63; 1 h 0 min 18 s is 1.005 h -> 1.01.
    half = (entry("2026-03-04T08:00", "2026-03-04T10:30"),)
    assert (
        brief(
            progress(goal("hours", "daily", 4), now="2026-03-05T00:00", day=date(2026, 3, 4), entries=half)
        )[2]
        == 63
    )
    odd = (entry("2026-03-04T08:00", "2026-03-04T09:00:18"),)
    assert progress(goal("hours", "daily", 4), now="2026-03-04T10:00", entries=odd).achieved == 1.01
    over = (entry("2026-03-04T08:00", "2026-03-04T14:00"),)
    assert brief(progress(goal("hours", "daily", 4), now="2026-03-04T15:00", entries=over)) == (
        6.0,
        4.0,
        150,
        "achieved",
    )


def test_a_decimal_target_is_met_by_exactly_that_many_seconds() -> None:
    six_minutes = (entry("2026-03-04T08:00", "2026-03-04T08:06"),)
    p = progress(goal("hours", "daily", 0.1), now="2026-03-04T09:00", entries=six_minutes)
    assert brief(p) == (0.1, 0.1, 100, "achieved")


def test_weekly_hours_pace_over_working_days_decides_on_track_or_behind() -> None:
    # Week 2026-03-02 (Mon) .. 03-08, Mon-Fri working, target 10 h: 2 h per working day.
    # Wednesday 12:00 -> 2.5 working days elapsed -> expected 5 h.
    g = goal("hours", "weekly", 10)
    exactly = (entry("2026-03-02T09:00", "2026-03-02T14:00"),)
    short = (entry("2026-03-02T09:00", "2026-03-02T13:59"),)
    assert brief(progress(g, now="2026-03-04T12:00", entries=exactly)) == (5.0, 10.0, 50, "on_track")
    assert progress(g, now="2026-03-04T12:00", entries=short).status == "behind"
    # On Saturday no working day is left: expected = the whole target.
    assert progress(g, now="2026-03-07T12:00", entries=exactly).status == "behind"
    # After the week it is final.
    assert brief(progress(g, now="2026-03-09T00:00", day=date(2026, 3, 4), entries=exactly)) == (
        5.0,
        10.0,
        50,
        "behind",
    )


def test_pace_follows_the_users_working_days() -> None:
    # Working days Mon, Tue only: on Wednesday the whole target is expected already.
    prefs = UserPrefs(timezone="UTC", working_days=(1, 2))
    g = goal("hours", "weekly", 10)
    eight = (entry("2026-03-02T09:00", "2026-03-02T17:00"),)
    assert progress(g, now="2026-03-04T00:30", entries=eight, prefs=prefs).status == "behind"
    # Tuesday 12:00: 1.5 of 2 working days -> expected 7.5 h.
    assert progress(g, now="2026-03-03T12:00", entries=eight, prefs=prefs).status == "on_track"


def test_a_period_without_working_days_paces_over_all_its_days() -> None:
    # Saturday, daily target 8 h: at 12:00 half of the day -> expected 4 h.
    g = goal("hours", "daily", 8)
    four = (entry("2026-03-07T06:00", "2026-03-07T10:00"),)
    almost = (entry("2026-03-07T06:00", "2026-03-07T09:59"),)
    assert progress(g, now="2026-03-07T12:00", entries=four).status == "on_track"
    assert progress(g, now="2026-03-07T12:00", entries=almost).status == "behind"


def test_a_future_period_is_on_track_with_nothing_expected_yet() -> None:
    p = progress(goal("hours", "weekly", 10), now="2026-03-04T12:00", day=date(2026, 3, 10))
    assert (p.period_start, brief(p)) == (date(2026, 3, 9), (0.0, 10.0, 0, "on_track"))


def test_project_goal_counts_only_that_projects_time() -> None:
    entries = (
        entry("2026-03-04T08:00", "2026-03-04T10:00", project_id=7),
        entry("2026-03-04T10:00", "2026-03-04T13:00", project_id=8),
        entry("2026-03-04T13:00", "2026-03-04T14:00"),
        entry("2026-03-04T14:00", "2026-03-04T14:30", project_id=7),
    )
    p = progress(goal("hours", "daily", 5, project_id=7), now="2026-03-04T23:00", entries=entries)
    assert (p.project_id, brief(p)) == (7, (2.5, 5.0, 50, "behind"))
    assert progress(goal("hours", "daily", 5), now="2026-03-04T23:00", entries=entries).achieved == 6.5


# ---------------------------------------------------------------- DST


def test_weekly_hours_across_the_spring_dst_change_counts_the_23_hour_day() -> None:
    # New York, week 2026-03-02 .. 03-08; Sunday 03-08 has 23 hours.
    whole_sunday_and_more = entry("2026-03-08T00:00", "2026-03-09T02:00", zone=NY)  # 25 real hours
    from_last_week = entry("2026-03-01T23:00", "2026-03-02T01:00", zone=NY)
    entries = (whole_sunday_and_more, from_last_week)
    g = goal("hours", "weekly", 40)
    p = progress(g, now="2026-03-09T12:00", day=date(2026, 3, 4), entries=entries, prefs=NY_PREFS)
    assert (p.period_start, p.period_end, brief(p)) == (
        date(2026, 3, 2),
        date(2026, 3, 8),
        (24.0, 40.0, 60, "behind"),
    )
    # The next week gets the two hours after local midnight; Monday 02:00 is 1/12 of a
    # working day of 5 -> expected 40 / 60 h.
    nxt = progress(g, now="2026-03-09T02:00", entries=entries, prefs=NY_PREFS)
    assert (nxt.period_start, brief(nxt)) == (date(2026, 3, 9), (2.0, 40.0, 5, "on_track"))


def test_pace_uses_the_real_length_of_a_23_hour_day() -> None:
    # Sunday 2026-03-08 in New York lasts 23 h; at 11:30 EDT 10.5 real hours have passed,
    # so a daily 23 h goal expects exactly 10.5 h (a 24-hour day would expect 11.02 h).
    g = goal("hours", "daily", 23)
    enough = (entry("2026-03-08T00:00", "2026-03-08T11:30", zone=NY),)
    short = (entry("2026-03-08T00:00", "2026-03-08T11:29", zone=NY),)
    p = progress(g, now="2026-03-08T11:30", entries=enough, prefs=NY_PREFS)
    assert brief(p) == (10.5, 23.0, 46, "on_track")
    assert progress(g, now="2026-03-08T11:30", entries=short, prefs=NY_PREFS).status == "behind"


def test_daily_hours_on_the_25_hour_autumn_day() -> None:
    whole = (entry("2026-11-01T00:00", "2026-11-02T00:00", zone=NY),)
    p = progress(
        goal("hours", "daily", 24),
        now="2026-11-02T09:00",
        day=date(2026, 11, 1),
        entries=whole,
        prefs=NY_PREFS,
    )
    assert brief(p) == (25.0, 24.0, 104, "achieved")


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(min_value=-48, max_value=24 * 8), st.integers(min_value=1, max_value=60)),
        max_size=8,
    )
)
def test_daily_hours_of_a_dst_week_add_up_to_the_weekly_hours(spans: list[tuple[int, int]]) -> None:
    # Whole UTC hours fall on whole local hours in New York, so no rounding gets in the way.
    base = datetime(2026, 3, 2, 5, tzinfo=UTC)  # Monday 00:00 EST
    entries = [
        EntryRow(
            id=i,
            project_id=None,
            start=base + timedelta(hours=s),
            end=base + timedelta(hours=s + n),
            billable=False,
        )
        for i, (s, n) in enumerate(spans)
    ]
    now = datetime(2026, 3, 20, tzinfo=UTC)

    def hours(period: str, day: date) -> float:
        g = goal("hours", period, 1)
        return goal_progress(
            g, entries=entries, completed_tasks=[], prefs=NY_PREFS, now=now, day=day
        ).achieved

    weekly = hours("weekly", date(2026, 3, 2))
    daily = [hours("daily", date(2026, 3, 2) + timedelta(days=d)) for d in range(7)]
    assert sum(daily) == weekly


# ---------------------------------------------------------------- months


def test_monthly_hours_in_february_2026_has_28_days_and_20_working_days() -> None:
    # Saturday 02-14 12:00: 10 of 20 working days elapsed -> expected 50 of 100 h.
    g = goal("hours", "monthly", 100)
    fifty = tuple(entry(f"2026-02-{d:02d}T08:00", f"2026-02-{d:02d}T13:00") for d in range(2, 12))
    assert len(fifty) == 10
    short = (*fifty[:-1], entry("2026-02-11T08:00", "2026-02-11T12:59"))
    p = progress(g, now="2026-02-14T12:00", entries=fifty)
    assert (p.period_start, p.period_end, brief(p)) == (
        date(2026, 2, 1),
        date(2026, 2, 28),
        (50.0, 100.0, 50, "on_track"),
    )
    assert progress(g, now="2026-02-14T12:00", entries=short).status == "behind"
    # The last evening of February belongs to it up to midnight only.
    edge = (*fifty, entry("2026-02-28T23:00", "2026-03-01T01:00"))
    assert progress(g, now="2026-03-01T10:00", day=date(2026, 2, 28), entries=edge).achieved == 51.0


def test_monthly_tasks_in_january_2026_has_31_days_and_22_working_days() -> None:
    # Thursday 01-15 12:00: 01-01, 01-02, 01-05..09, 01-12..14 and half of 01-15
    # = 10.5 of 22 working days -> expected 11 * 10.5 / 22 = 5.25 tasks.
    g = goal("tasks_completed", "monthly", 11)
    outside = (task("2025-12-31T23:59:59"), task("2026-02-01T00:00"))
    five = (task("2026-01-01T00:00"), *(task(f"2026-01-{d:02d}T10:00") for d in (5, 6, 7, 8)))
    p = progress(g, now="2026-01-15T12:00", tasks=outside + five)
    assert (p.period_start, p.period_end, brief(p)) == (
        date(2026, 1, 1),
        date(2026, 1, 31),
        (5.0, 11.0, 45, "behind"),
    )
    six = (*five, task("2026-01-15T11:00"))
    assert brief(progress(g, now="2026-01-15T12:00", tasks=outside + six)) == (6.0, 11.0, 55, "on_track")
    month_end = (*six, task("2026-01-31T23:59:59"))
    assert brief(progress(g, now="2026-02-01T08:00", day=date(2026, 1, 31), tasks=outside + month_end)) == (
        7.0,
        11.0,
        64,
        "behind",
    )


# ---------------------------------------------------------------- other metrics


def test_tasks_completed_daily_uses_the_local_day_and_the_project() -> None:
    tasks = (
        task("2026-03-04T00:30", project_id=3, zone=NY),
        task("2026-03-04T23:30", project_id=3, zone=NY),
        task("2026-03-04T12:00", project_id=4, zone=NY),
        task("2026-03-05T00:00", project_id=3, zone=NY),
    )
    all_projects = progress(
        goal("tasks_completed", "daily", 2), now="2026-03-04T23:45", tasks=tasks, prefs=NY_PREFS
    )
    assert brief(all_projects) == (3.0, 2.0, 150, "achieved")
    one = progress(
        goal("tasks_completed", "daily", 3, project_id=3), now="2026-03-04T23:45", tasks=tasks, prefs=NY_PREFS
    )
    assert brief(one) == (2.0, 3.0, 67, "behind")


def test_deep_sessions_need_50_minutes_and_belong_to_the_period_they_start_in() -> None:
    entries = (
        entry("2026-03-01T23:00", "2026-03-02T01:00"),  # starts last week: not counted
        entry("2026-03-02T09:00", "2026-03-02T09:49:59"),  # too short
        entry("2026-03-02T10:00", "2026-03-02T10:50"),  # exactly 50 min
        entry("2026-03-03T10:00", "2026-03-03T13:00"),
        entry("2026-03-08T23:30", "2026-03-09T00:30"),  # starts Sunday: counted whole
    )
    p = progress(
        goal("deep_sessions", "weekly", 5), now="2026-03-09T08:00", day=date(2026, 3, 8), entries=entries
    )
    assert brief(p) == (3.0, 5.0, 60, "behind")


def test_deep_sessions_count_a_running_timer_once_it_reaches_50_minutes() -> None:
    g = goal("deep_sessions", "daily", 1)
    running = (entry("2026-03-04T10:00", None),)
    assert brief(progress(g, now="2026-03-04T10:49:59", entries=running)) == (0.0, 1.0, 0, "behind")
    assert brief(progress(g, now="2026-03-04T10:50", entries=running)) == (1.0, 1.0, 100, "achieved")


def test_billable_percent_is_the_billable_share_of_tracked_time() -> None:
    g = goal("billable_percent", "weekly", 75)
    three_of_four = (
        entry("2026-03-02T09:00", "2026-03-02T12:00", billable=True),
        entry("2026-03-02T12:00", "2026-03-02T13:00"),
    )
    two_of_three = (
        entry("2026-03-02T09:00", "2026-03-02T11:00", billable=True),
        entry("2026-03-02T12:00", "2026-03-02T13:00"),
    )
    # While the week runs: judged as it stands, never `achieved` (the share may still fall).
    assert brief(progress(g, now="2026-03-03T12:00", entries=three_of_four)) == (75.0, 75.0, 100, "on_track")
    assert brief(progress(g, now="2026-03-03T12:00", entries=two_of_three)) == (66.67, 75.0, 89, "behind")
    assert brief(progress(g, now="2026-03-03T12:00")) == (0.0, 75.0, 0, "on_track")
    # After the week: final.
    after, wednesday = "2026-03-09T12:00", date(2026, 3, 4)
    assert brief(progress(g, now=after, day=wednesday, entries=three_of_four)) == (
        75.0,
        75.0,
        100,
        "achieved",
    )
    assert brief(progress(g, now=after, day=wednesday, entries=two_of_three)) == (66.67, 75.0, 89, "behind")
    assert brief(progress(g, now=after, day=wednesday)) == (0.0, 75.0, 0, "behind")


def test_billable_percent_clips_to_the_period_and_counts_the_running_timer() -> None:
    g = goal("billable_percent", "daily", 50, direction="at_most")
    entries = (
        entry("2026-03-03T22:00", "2026-03-04T01:00", billable=True),  # 1 h on the 4th
        entry("2026-03-04T08:00", "2026-03-04T11:00"),
        entry("2026-03-04T12:00", None, billable=True),
    )
    assert brief(progress(g, now="2026-03-04T13:00", entries=entries)) == (40.0, 50.0, 80, "within")
    assert brief(progress(g, now="2026-03-04T14:00", entries=entries)) == (50.0, 50.0, 100, "within")
    assert brief(progress(g, now="2026-03-04T15:00", entries=entries)) == (57.14, 50.0, 114, "exceeded")


# ---------------------------------------------------------------- at_most


def test_at_most_hours_is_within_up_to_the_target_and_exceeded_beyond() -> None:
    g = goal("hours", "daily", 8, direction="at_most")
    eight = (entry("2026-03-04T08:00", "2026-03-04T16:00"),)
    more = (entry("2026-03-04T08:00", "2026-03-04T16:00:01"),)
    assert brief(progress(g, now="2026-03-04T17:00", entries=eight)) == (8.0, 8.0, 100, "within")
    assert brief(progress(g, now="2026-03-04T17:00", entries=more)) == (8.0, 8.0, 100, "exceeded")
    assert progress(g, now="2026-03-05T17:00", day=date(2026, 3, 4)).status == "within"


def test_at_most_tasks_and_deep_sessions() -> None:
    tasks = (task("2026-03-04T09:00"), task("2026-03-04T10:00"))
    assert (
        progress(
            goal("tasks_completed", "daily", 2, direction="at_most"), now="2026-03-04T12:00", tasks=tasks
        ).status
        == "within"
    )
    assert (
        progress(
            goal("tasks_completed", "daily", 1, direction="at_most"), now="2026-03-04T12:00", tasks=tasks
        ).status
        == "exceeded"
    )
    long = (entry("2026-03-04T09:00", "2026-03-04T10:00"),)
    assert (
        progress(
            goal("deep_sessions", "daily", 1, direction="at_most"), now="2026-03-04T12:00", entries=long
        ).status
        == "within"
    )


# ---------------------------------------------------------------- live timer


def test_running_timer_counts_live_and_moves_the_pace_status() -> None:
    # Week 2026-03-02, target 10 h over 5 working days; the timer runs from Tuesday 09:00.
    # Expected at Tuesday hh:mm = 10 * (1 + hh:mm / 24 h) / 5.
    g = goal("hours", "weekly", 10)
    running = (entry("2026-03-03T09:00", None),)
    assert brief(progress(g, now="2026-03-03T09:00", entries=running)) == (0.0, 10.0, 0, "behind")
    assert brief(progress(g, now="2026-03-03T11:59", entries=running)) == (2.98, 10.0, 30, "behind")
    assert brief(progress(g, now="2026-03-03T12:00", entries=running)) == (3.0, 10.0, 30, "on_track")
    assert brief(progress(g, now="2026-03-03T19:00", entries=running)) == (10.0, 10.0, 100, "achieved")


def test_running_timer_is_clipped_to_the_period_and_ignored_before_it_starts() -> None:
    g = goal("hours", "daily", 8, direction="at_most")
    since_yesterday = (entry("2026-03-03T20:00", None),)
    assert progress(g, now="2026-03-04T09:00", entries=since_yesterday).achieved == 9.0
    assert progress(g, now="2026-03-04T09:00", entries=since_yesterday).status == "exceeded"
    assert progress(g, now="2026-03-04T09:00", day=date(2026, 3, 3), entries=since_yesterday).achieved == 4.0
    later = (entry("2026-03-04T10:00", None),)
    assert progress(g, now="2026-03-04T09:00", entries=later).achieved == 0.0


# ---------------------------------------------------------------- target history


def test_target_edited_mid_history_keeps_the_old_verdict_for_earlier_periods() -> None:
    # 10 h a week until the week of 2026-03-02, then 20 h; 12 h tracked in each week.
    g = goal("hours", "weekly", targets=((date(2026, 1, 5), 10.0), (date(2026, 3, 2), 20.0)))
    entries = (
        entry("2026-02-23T08:00", "2026-02-23T20:00"),
        entry("2026-03-02T08:00", "2026-03-02T20:00"),
        entry("2025-12-29T08:00", "2025-12-29T20:00"),
    )
    now = "2026-03-10T12:00"
    assert brief(progress(g, now=now, day=date(2026, 2, 25), entries=entries)) == (
        12.0,
        10.0,
        120,
        "achieved",
    )
    assert brief(progress(g, now=now, day=date(2026, 3, 4), entries=entries)) == (12.0, 20.0, 60, "behind")
    # Before the first recorded target the earliest one applies.
    assert brief(progress(g, now=now, day=date(2025, 12, 30), entries=entries)) == (
        12.0,
        10.0,
        120,
        "achieved",
    )


def test_target_in_force_is_the_latest_on_or_before_the_period_start() -> None:
    g = goal(
        "hours",
        "monthly",
        targets=(
            (date(2026, 3, 1), 30.0),
            (date(2026, 1, 1), 10.0),
            (date(2026, 3, 1), 35.0),
            (date(2026, 2, 1), 20.0),
        ),
    )
    assert g.target_for(date(2025, 12, 1)) == 10.0
    assert g.target_for(date(2026, 1, 1)) == 10.0
    assert g.target_for(date(2026, 2, 1)) == 20.0
    assert g.target_for(date(2026, 3, 1)) == 35.0  # same date twice: the later item wins
    assert g.target_for(date(2026, 9, 1)) == 35.0
    assert goal("hours", "daily", targets=()).target_for(date(2026, 1, 1)) == 0.0


def test_a_monthly_edit_mid_month_starts_with_that_months_period() -> None:
    # The service stores an edit on 2026-03-17 under period_bounds("monthly", ...)[0].
    effective = period_bounds("monthly", date(2026, 3, 17))[0]
    g = goal("hours", "monthly", targets=((date(2026, 1, 1), 10.0), (effective, 40.0)))
    entries = (entry("2026-03-02T08:00", "2026-03-02T20:00"),)
    assert progress(g, now="2026-03-17T12:00", entries=entries).target == 40.0
    assert progress(g, now="2026-03-17T12:00", day=date(2026, 2, 10)).target == 10.0


# ---------------------------------------------------------------- several goals


def test_goals_progress_keeps_the_goals_order() -> None:
    goals = [
        GoalDef(
            id=2,
            name="b",
            metric="hours",
            period="daily",
            direction="at_most",
            project_id=None,
            targets=((date(2026, 1, 1), 1.0),),
        ),
        GoalDef(
            id=1,
            name="a",
            metric="tasks_completed",
            period="weekly",
            direction="at_least",
            project_id=None,
            targets=((date(2026, 1, 1), 1.0),),
        ),
    ]
    result = goals_progress(
        goals,
        entries=[entry("2026-03-04T08:00", "2026-03-04T08:30")],
        completed_tasks=[task("2026-03-02T08:00")],
        prefs=UTC_PREFS,
        now=at("2026-03-04T12:00"),
        day=date(2026, 3, 4),
    )
    assert [(p.id, p.achieved, p.status) for p in result] == [(2, 0.5, "within"), (1, 1.0, "achieved")]
    assert (
        goals_progress(
            [],
            entries=[],
            completed_tasks=[],
            prefs=UTC_PREFS,
            now=at("2026-03-04T12:00"),
            day=date(2026, 3, 4),
        )
        == []
    )


# ---------------------------------------------------------------- API bodies


def decode_create(body: dict[str, object]) -> GoalCreate:
    return msgspec.json.decode(msgspec.json.encode(body), type=GoalCreate)


VALID = {"name": "Deep work", "metric": "hours", "target": 20, "period": "weekly"}


def test_goal_create_defaults_and_strips_the_name() -> None:
    g = decode_create({**VALID, "name": "  Deep work "})
    assert (g.name, g.metric, g.target, g.period, g.direction, g.project_id) == (
        "Deep work",
        "hours",
        20.0,
        "weekly",
        "at_least",
        None,
    )


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"name": ""}, "`$.name`"),
        ({"name": "   "}, "name: must not be blank"),
        ({"name": "x" * 121}, "`$.name`"),
        ({"metric": "minutes"}, "`$.metric`"),
        ({"period": "yearly"}, "`$.period`"),
        ({"direction": "exactly"}, "`$.direction`"),
        ({"target": 0}, "`$.target`"),
        ({"target": -1}, "`$.target`"),
        ({"target": 2_000_000}, "`$.target`"),
        ({"target": "5"}, "`$.target`"),
        (
            {"metric": "billable_percent", "target": 100.5},
            "target: a billable_percent target must be at most 100",
        ),
        (
            {"metric": "tasks_completed", "target": 2.5},
            "target: a tasks_completed target must be a whole number",
        ),
        ({"project_id": "a"}, "`$.project_id`"),
        ({"colour": "red"}, "unknown field `colour`"),
    ],
)
def test_goal_create_rejects_each_invalid_field_with_its_name(
    change: dict[str, object], message: str
) -> None:
    with pytest.raises(msgspec.ValidationError) as caught:
        decode_create({**VALID, **change})
    assert message in str(caught.value)


def test_goal_create_accepts_the_edges() -> None:
    assert decode_create({**VALID, "metric": "billable_percent", "target": 100}).target == 100.0
    assert decode_create({**VALID, "name": "x" * 120, "target": 0.25}).target == 0.25
    assert decode_create({**VALID, "direction": "at_most", "project_id": 3}).project_id == 3


def test_goal_update_leaves_absent_fields_unset_and_checks_a_given_pair() -> None:
    empty = msgspec.json.decode(b"{}", type=GoalUpdate)
    assert empty.target is msgspec.UNSET and empty.project_id is msgspec.UNSET
    assert msgspec.json.decode(b'{"project_id": null}', type=GoalUpdate).project_id is None
    assert msgspec.json.decode(b'{"target": 150}', type=GoalUpdate).target == 150.0
    with pytest.raises(msgspec.ValidationError, match="at most 100"):
        msgspec.json.decode(b'{"metric": "billable_percent", "target": 150}', type=GoalUpdate)
    with pytest.raises(msgspec.ValidationError, match="unknown field"):
        msgspec.json.decode(b'{"targett": 1}', type=GoalUpdate)


def test_target_error_checks_a_merged_goal() -> None:
    assert target_error("billable_percent", 150) == "target: a billable_percent target must be at most 100"
    assert target_error("deep_sessions", 1.5) == "target: a deep_sessions target must be a whole number"
    assert target_error("hours", 1.5) is None
    assert target_error("hours", float("inf")) == "target: must be greater than 0"
