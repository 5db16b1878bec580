"""The project forecast (app/domain/planning/forecast.py), CONTRACT section 9; rules in docs/planning.md.

Every expected value is worked out by hand in the comments. Calendar facts used:
2026-03-02, 03-09, 03-16, 03-23, 03-30 are Mondays; 2026-03-18 is a Wednesday; in
America/Los_Angeles the clocks go forward on Sunday 2026-03-08 (PST −8 → PDT −7).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from itertools import count
from zoneinfo import ZoneInfo

import msgspec
import pytest

from app.domain.planning.alerts import budget_crossings, budget_period_key
from app.domain.planning.forecast import (
    BudgetSettings,
    Forecast,
    ProjectTime,
    compute_forecast,
    count_working_days,
    nth_working_day,
)
from app.domain.planning.inputs import project_time, span_start
from app.domain.tracking.schemas import EntryRow

MON_FRI = (1, 2, 3, 4, 5)
MON_THU = (1, 2, 3, 4)
LA = "America/Los_Angeles"
_ids = count(1)


def at(text: str, zone: str = "UTC") -> datetime:
    """A wall-clock time in `zone` as an aware UTC datetime."""
    return datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(zone)).astimezone(UTC)


def entry(start: str, end: str, *, zone: str = "UTC", billable: bool = False) -> EntryRow:
    return EntryRow(next(_ids), 1, at(start, zone), at(end, zone), billable)


def forecast(
    entries: list[EntryRow],
    budget: BudgetSettings,
    now: datetime,
    *,
    zone: str = "UTC",
    working_days: tuple[int, ...] = MON_FRI,
    time: ProjectTime | None = None,
) -> Forecast:
    return compute_forecast(
        project_id=7,
        budget=budget,
        time=time or project_time(entries, zone, now),
        working_days=working_days,
        now=now,
        zone_name=zone,
    )


# ---------------------------------------------------------------- a total budget with a due date

NOW = at("2026-03-18 12:00")  # Wednesday; today−27 = Thursday 2026-02-19


def total_history() -> list[EntryRow]:
    """58 h: 10 h long ago (not billable), 8 h in January and 40 h in March (billable).

    The last 28 days (02-19 … 03-18) hold 20 Mon–Fri working days and the 40 h of
    March (4 h on each working day 03-02 … 03-13), so the burn is 40 / 20 = 2 h.
    """
    rows = [
        entry("2025-06-02 09:00", "2025-06-02 19:00"),  # 10 h, before the tallied span
        entry("2026-01-05 09:00", "2026-01-05 17:00", billable=True),  # 8 h
    ]
    for day in (2, 3, 4, 5, 6, 9, 10, 11, 12, 13):
        rows.append(entry(f"2026-03-{day:02d} 09:00", f"2026-03-{day:02d} 13:00", billable=True))
    return rows


def test_total_budget_with_a_due_date_on_track() -> None:
    result = forecast(total_history(), BudgetSettings(100, "total", 50, date(2026, 3, 31)), NOW)
    # used 58 h of 100 → remaining 42, 58 %. Working days 03-19 … 03-31: Thu, Fri, five of
    # 03-23 week, Mon 30, Tue 31 = 9 → projected 58 + 2 × 9 = 76; required 42 / 9 = 4.666… → 4.67.
    # Exhaustion: ceil(42 / 2) = 21st working day from 03-19: 19, 20 (2), 23–27 (7),
    # 03-30–04-03 (12), 04-06–04-10 (17), 13, 14, 15, 16 (21) → 2026-04-16, after the due date.
    # Billable: 8 + 40 = 48 h × 50 = 2400.
    assert msgspec.structs.asdict(result) == {
        "project_id": 7,
        "budget_hours": 100,
        "budget_period": "total",
        "period_start": date(2025, 6, 2),
        "period_end": date(2026, 3, 31),
        "used_hours": 58.0,
        "remaining_hours": 42.0,
        "used_percent": 58,
        "burn_hours_per_working_day": 2.0,
        "required_hours_per_working_day": 4.67,
        "projected_exhaustion_date": date(2026, 4, 16),
        "projected_hours_at_end": 76.0,
        "billable_amount": 2400.0,
        "status": "on_track",
    }


def test_total_budget_exhausted_before_the_due_date_is_at_risk() -> None:
    result = forecast(total_history(), BudgetSettings(70, "total", None, date(2026, 3, 31)), NOW)
    # remaining 70 − 58 = 12; 100 × 58 / 70 = 82.86 → 83; ceil(12 / 2) = 6th working day
    # from 03-19: 19, 20, 23, 24, 25, 26 → 2026-03-26 ≤ 03-31 → at risk. Required 12 / 9 = 1.33.
    assert result.remaining_hours == 12.0
    assert result.used_percent == 83
    assert result.projected_exhaustion_date == date(2026, 3, 26)
    assert result.required_hours_per_working_day == 1.33
    assert result.projected_hours_at_end == 76.0
    assert result.billable_amount is None
    assert result.status == "at_risk"


def test_over_budget_is_over_with_exhaustion_today_and_nothing_required() -> None:
    result = forecast(total_history(), BudgetSettings(50, "total", 10, date(2026, 3, 31)), NOW)
    # 58 of 50: remaining −8, 116 %; remaining ≤ 0 → exhausted today; max(0, −8) / 9 = 0.
    assert (result.remaining_hours, result.used_percent) == (-8.0, 116)
    assert result.projected_exhaustion_date == date(2026, 3, 18)
    assert result.required_hours_per_working_day == 0.0
    assert result.billable_amount == 480.0  # 48 billable h × 10
    assert result.status == "over"


def test_exactly_at_the_budget_is_over() -> None:
    result = forecast(total_history(), BudgetSettings(58, "total"), NOW)
    assert (result.remaining_hours, result.used_percent, result.status) == (0.0, 100, "over")


def test_due_date_today_leaves_no_working_day_to_require_a_pace() -> None:
    result = forecast(total_history(), BudgetSettings(100, "total", None, date(2026, 3, 18)), NOW)
    # No working day from tomorrow to the due date: required null, projected = used.
    assert result.required_hours_per_working_day is None
    assert result.projected_hours_at_end == 58.0
    assert result.projected_exhaustion_date == date(2026, 4, 16)
    assert result.status == "on_track"


def test_zero_burn_has_no_exhaustion_date() -> None:
    history = [entry("2025-06-02 09:00", "2025-06-02 19:00")]  # 10 h, nothing in the last 28 days
    result = forecast(history, BudgetSettings(100, "total"), NOW)
    # No due date: period_end, projected and required are null; 10 % → on track.
    assert msgspec.structs.asdict(result) == {
        "project_id": 7,
        "budget_hours": 100,
        "budget_period": "total",
        "period_start": date(2025, 6, 2),
        "period_end": None,
        "used_hours": 10.0,
        "remaining_hours": 90.0,
        "used_percent": 10,
        "burn_hours_per_working_day": 0.0,
        "required_hours_per_working_day": None,
        "projected_exhaustion_date": None,
        "projected_hours_at_end": None,
        "billable_amount": None,
        "status": "on_track",
    }


def test_without_a_due_date_eighty_percent_is_at_risk_even_at_zero_burn() -> None:
    history = [entry("2025-06-02 09:00", "2025-06-02 19:00")]
    # 100 × 10 / 12.5 = 80 → at risk; 100 × 10 / 12.6 = 79.37 → 79 → on track.
    assert forecast(history, BudgetSettings(12.5, "total"), NOW).status == "at_risk"
    assert forecast(history, BudgetSettings(12.6, "total"), NOW).status == "on_track"


def test_no_budget_leaves_the_budget_figures_null() -> None:
    result = forecast(total_history(), BudgetSettings(None, "total", None, date(2026, 3, 31)), NOW)
    assert (result.used_hours, result.remaining_hours, result.used_percent) == (None, None, None)
    assert result.projected_exhaustion_date is None
    assert result.required_hours_per_working_day is None
    assert result.burn_hours_per_working_day == 2.0
    assert result.projected_hours_at_end == 76.0  # still 58 + 2 × 9: the pace needs no budget
    assert result.status == "no_budget"


def test_a_project_without_time() -> None:
    result = forecast([], BudgetSettings(10, "total"), NOW)
    assert (result.period_start, result.used_hours, result.used_percent, result.status) == (None, 0.0, 0, "on_track")
    assert result.burn_hours_per_working_day == 0.0


# ---------------------------------------------------------------- a monthly budget and a month boundary


def test_monthly_budget_counts_the_current_month_only_split_at_midnight() -> None:
    now = at("2026-03-03 10:00")  # Tuesday; today−27 = Wednesday 2026-02-04 (20 working days)
    history = [
        entry("2026-02-27 09:00", "2026-02-27 17:00", billable=True),  # 8 h in February
        entry("2026-02-28 22:00", "2026-03-01 02:00"),  # 2 h on 02-28, 2 h on 03-01
        entry("2026-03-02 09:00", "2026-03-02 15:00", billable=True),  # 6 h
        entry("2026-03-03 08:00", "2026-03-03 09:30"),  # 1.5 h today
    ]
    result = forecast(history, BudgetSettings(20, "monthly", 100), now)
    # March: 2 + 6 + 1.5 = 9.5 h; remaining 10.5; 100 × 9.5 / 20 = 47.5 → 48 (half up).
    # Burn: 8 + 4 + 6 + 1.5 = 19.5 h / 20 = 0.975 → 0.98 (half up).
    # Working days 03-04 … 03-31: 3 + 5 + 5 + 5 + 2 = 20 → projected 9.5 + 0.975 × 20 = 29;
    # required 10.5 / 20 = 0.525 → 0.53. Exhaustion: ceil(10.5 / 0.975) = ceil(10.77) = 11th
    # working day from 03-04: 4, 5, 6, 9, 10, 11, 12, 13, 16, 17, 18 → 03-18 ≤ 03-31 → at risk.
    # Billable: March's 6 h × 100 = 600 (February's 8 h are outside the window).
    assert msgspec.structs.asdict(result) == {
        "project_id": 7,
        "budget_hours": 20,
        "budget_period": "monthly",
        "period_start": date(2026, 3, 1),
        "period_end": date(2026, 3, 31),
        "used_hours": 9.5,
        "remaining_hours": 10.5,
        "used_percent": 48,
        "burn_hours_per_working_day": 0.98,
        "required_hours_per_working_day": 0.53,
        "projected_exhaustion_date": date(2026, 3, 18),
        "projected_hours_at_end": 29.0,
        "billable_amount": 600.0,
        "status": "at_risk",
    }


def test_monthly_budget_ignores_the_due_date_and_ends_with_february() -> None:
    now = at("2026-02-27 10:00")  # Friday, the last working day of February
    history = [entry("2026-02-27 08:00", "2026-02-27 10:00")]
    result = forecast(history, BudgetSettings(20, "monthly", None, date(2026, 6, 30)), now)
    # Window 02-01 … 02-28; no working day from 02-28 (Saturday) to 02-28.
    assert (result.period_start, result.period_end) == (date(2026, 2, 1), date(2026, 2, 28))
    assert result.required_hours_per_working_day is None
    assert result.projected_hours_at_end == 2.0
    assert result.status == "on_track"  # exhaustion (much later) is after 02-28


# ---------------------------------------------------------------- working days Mon–Thu, due date on a Saturday


def test_mon_to_thu_working_days_and_a_due_date_on_a_saturday() -> None:
    history = [
        entry(f"2026-03-{day:02d} 09:00", f"2026-03-{day:02d} 13:00") for day in (2, 3, 4, 5, 9, 10, 11, 12, 13)
    ]  # 9 × 4 h = 36 h; the Friday (03-13) counts as time but not as a working day
    result = forecast(history, BudgetSettings(50, "total", None, date(2026, 3, 28)), NOW, working_days=MON_THU)
    # Burn: 36 h / 16 Mon–Thu days in 02-19 … 03-18 = 2.25. Working days 03-19 … 03-28 (a
    # Saturday): Thu 19, Mon 23 – Thu 26 = 5 → projected 36 + 2.25 × 5 = 47.25; required
    # 14 / 5 = 2.8. Exhaustion: ceil(14 / 2.25) = ceil(6.22) = 7th Mon–Thu day from 03-19:
    # 19, 23, 24, 25, 26, 30, 31 → 2026-03-31, after the due date → on track.
    assert result.used_hours == 36.0
    assert result.used_percent == 72
    assert result.burn_hours_per_working_day == 2.25
    assert result.required_hours_per_working_day == 2.8
    assert result.projected_hours_at_end == 47.25
    assert result.projected_exhaustion_date == date(2026, 3, 31)
    assert result.status == "on_track"


def test_no_working_days_at_all_means_zero_burn() -> None:
    result = forecast(total_history(), BudgetSettings(100, "total", None, date(2026, 3, 31)), NOW, working_days=())
    assert result.burn_hours_per_working_day == 0.0
    assert result.projected_exhaustion_date is None
    assert result.required_hours_per_working_day is None


# ---------------------------------------------------------------- a user far from UTC, DST in the window


def test_los_angeles_window_month_and_today_follow_the_users_zone_across_dst() -> None:
    now = at("2026-03-19 23:30", LA)  # 2026-03-20 06:30 UTC: still Thursday 03-19 in Los Angeles
    history = [
        entry("2026-02-19 23:30", "2026-02-20 01:00", zone=LA),  # 0.5 h on 02-19 (outside), 1 h on 02-20
        entry("2026-02-28 23:00", "2026-03-01 01:00", zone=LA),  # 1 h in February, 1 h in March (local)
        entry("2026-03-08 01:00", "2026-03-08 04:00", zone=LA),  # DST day: 01:00 PST → 04:00 PDT = 2 h
        entry("2026-03-19 18:00", "2026-03-19 20:00", zone=LA),  # 2 h today (03-20 in UTC)
    ]
    result = forecast(history, BudgetSettings(10, "monthly", None, None), now, zone=LA)
    # Window 02-20 … 03-19 (local): 1 + 2 + 2 + 2 = 7 h over 20 working days → 0.35.
    # March (local): 1 + 2 + 2 = 5 h → remaining 5, 50 %. Working days 03-20 … 03-31:
    # Fri 20, 23–27, 30, 31 = 8 → projected 5 + 0.35 × 8 = 7.8; required 5 / 8 = 0.625 → 0.63.
    # Exhaustion: ceil(5 / 0.35) = ceil(14.29) = 15th working day from 03-20:
    # 20 (1), 23–27 (6), 03-30–04-03 (11), 6, 7, 8, 9 (15) → 2026-04-09 → on track.
    assert msgspec.structs.asdict(result) == {
        "project_id": 7,
        "budget_hours": 10,
        "budget_period": "monthly",
        "period_start": date(2026, 3, 1),
        "period_end": date(2026, 3, 31),
        "used_hours": 5.0,
        "remaining_hours": 5.0,
        "used_percent": 50,
        "burn_hours_per_working_day": 0.35,
        "required_hours_per_working_day": 0.63,
        "projected_exhaustion_date": date(2026, 4, 9),
        "projected_hours_at_end": 7.8,
        "billable_amount": None,
        "status": "on_track",
    }


def test_auckland_total_first_day_is_the_local_date_of_the_first_entry() -> None:
    zone = "Pacific/Auckland"  # UTC+13 in March (daylight time)
    now = at("2026-03-18 12:00", zone)
    history = [entry("2025-06-02 08:00", "2025-06-02 10:00", zone=zone)]  # 2025-06-01 20:00 UTC
    result = forecast(history, BudgetSettings(4, "total"), now, zone=zone)
    assert result.period_start == date(2025, 6, 2)
    assert (result.used_hours, result.used_percent, result.status) == (2.0, 50, "on_track")


# ---------------------------------------------------------------- the inputs: the shared tally plus earlier time


def test_an_entry_crossing_into_the_tallied_span_is_split_between_earlier_and_the_days() -> None:
    # Today 2026-03-18 → the tallied span starts at today − 83 = 2025-12-25 00:00 UTC.
    assert span_start(NOW, "UTC") == at("2025-12-25 00:00")
    crossing = entry("2025-12-24 22:00", "2025-12-25 02:00", billable=True)
    time = project_time([crossing], "UTC", NOW, earlier_us=3_600_000_000, earlier_first=at("2025-01-10 09:00"))
    assert time.earlier_us == 3 * 3_600_000_000  # 1 h summed by the database + 2 h before midnight
    assert time.earlier_billable_us == 2 * 3_600_000_000
    assert time.day_us == {date(2025, 12, 25): 2 * 3_600_000_000}
    assert time.first_day == date(2025, 1, 10)
    result = forecast([], BudgetSettings(10, "total", 20), NOW, time=time)
    assert (result.used_hours, result.billable_amount) == (5.0, 80.0)  # 4 billable h × 20


def test_the_running_timer_is_not_used_time() -> None:
    running = EntryRow(next(_ids), 1, at("2026-03-18 09:00"), None, True)
    result = forecast([running], BudgetSettings(10, "total", 20), NOW)
    assert (result.used_hours, result.billable_amount, result.period_start) == (0.0, 0.0, None)


# ---------------------------------------------------------------- calendar helpers


@pytest.mark.parametrize(
    ("first", "last", "days", "expected"),
    [
        (date(2026, 3, 19), date(2026, 3, 31), MON_FRI, 9),
        (date(2026, 3, 19), date(2026, 3, 28), MON_THU, 5),
        (date(2026, 3, 19), date(2026, 3, 18), MON_FRI, 0),
        (date(2026, 3, 1), date(2026, 3, 1), MON_FRI, 0),  # a Sunday
        (date(2026, 1, 1), date(2026, 12, 31), (1, 2, 3, 4, 5, 6, 7), 365),
    ],
)
def test_count_working_days(first: date, last: date, days: tuple[int, ...], expected: int) -> None:
    assert count_working_days(first, last, days) == expected
    brute = sum((first + timedelta(days=i)).isoweekday() in days for i in range((last - first).days + 1))
    assert brute == expected


def test_nth_working_day() -> None:
    assert nth_working_day(date(2026, 3, 19), 21, MON_FRI) == date(2026, 4, 16)
    assert nth_working_day(date(2026, 3, 21), 1, MON_FRI) == date(2026, 3, 23)  # from a Saturday
    assert nth_working_day(date(2026, 3, 19), 1, ()) is None
    assert nth_working_day(date(9999, 12, 1), 10_000, MON_FRI) is None  # beyond the calendar


# ---------------------------------------------------------------- budget notices


def test_budget_crossings_reports_each_threshold_crossed_upwards_once() -> None:
    # Budget 10 h: 80 % = 28,800 s, 100 % = 36,000 s.
    assert budget_crossings(28_000, 28_800, 10, [80, 100]) == [80]  # reaching it exactly counts
    assert budget_crossings(28_800, 30_000, 10, [80, 100]) == []  # already past 80 before
    assert budget_crossings(20_000, 40_000, 10, [100, 80]) == [80, 100]
    assert budget_crossings(40_000, 20_000, 10, [80, 100]) == []  # a drop crosses nothing
    assert budget_crossings(0, 40_000, None, [80, 100]) == []
    assert budget_crossings(0, 360, 0.1, [100]) == [100]  # 0.1 h is exactly 360 s


def test_budget_period_key() -> None:
    assert budget_period_key("monthly", date(2026, 3, 18)) == "2026-03"
    assert budget_period_key("total", date(2026, 3, 18)) == "total"
