"""A project's budget forecast (CONTRACT.md section 9) as one pure function of plain data.

`compute_forecast` takes the project's budget fields, its completed time per local day
(the shared per-day tally of `app.domain.productivity.compute.tally`, built by
`app.domain.planning.queries`), the user's working days, `now` and the zone, and
returns the `Forecast` that the JSON API encodes and the project page renders. It
reads no clock, no settings and no database.

Every sum and comparison is exact (integer microseconds, fractions of them); each
figure is rounded once, on output, half up (`app.lib.numbers.round_half_up`): hours
to 2 decimals, percent to an integer, money to 2 decimals. docs/planning.md explains
every rule with worked examples.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta
from fractions import Fraction

import msgspec

from app.lib.numbers import exact, round_half_up
from app.lib.time import US_PER_HOUR, get_zone_or_utc

__all__ = [
    "AT_RISK_PERCENT",
    "BURN_DAYS",
    "BudgetSettings",
    "Forecast",
    "ProjectTime",
    "compute_forecast",
    "count_working_days",
    "nth_working_day",
    "period_bounds",
]

BURN_DAYS = 28  # the burn rate looks at today−27 … today
AT_RISK_PERCENT = 80  # without a period end, at risk from this share of the budget on
PERIODS = ("total", "monthly")
_ONE_DAY = timedelta(days=1)


class BudgetSettings(msgspec.Struct, frozen=True):
    """A project's budget fields (CONTRACT 9, "Project additions")."""

    budget_hours: float | None = None
    budget_period: str = "total"
    hourly_rate: float | None = None
    due_date: date | None = None


class ProjectTime(msgspec.Struct, frozen=True):
    """A project's completed time, split across local days by the shared tally.

    `day_us` / `billable_day_us`: microseconds per local day of the tallied span, which
    must cover at least today−27 … today and the current month. `earlier_us` /
    `earlier_billable_us`: all completed time before the first tallied day (whole
    entries and the earlier part of an entry crossing into the span). `first_day`: the
    local start date of the project's first completed entry, None without one.
    """

    day_us: Mapping[date, int] = msgspec.field(default_factory=dict)
    billable_day_us: Mapping[date, int] = msgspec.field(default_factory=dict)
    earlier_us: int = 0
    earlier_billable_us: int = 0
    first_day: date | None = None


class Forecast(msgspec.Struct, frozen=True):
    """The answer of `GET /api/projects/{id}/forecast`, every field of CONTRACT 9."""

    project_id: int
    budget_hours: float | None
    budget_period: str
    period_start: date | None
    period_end: date | None
    used_hours: float | None
    remaining_hours: float | None
    used_percent: int | None
    burn_hours_per_working_day: float
    required_hours_per_working_day: float | None
    projected_exhaustion_date: date | None
    projected_hours_at_end: float | None
    billable_amount: float | None
    status: str  # no_budget | over | at_risk | on_track


# ---------------------------------------------------------------- calendar helpers


def period_bounds(budget_period: str, today: date, due_date: date | None) -> tuple[date | None, date | None]:
    """(first, last) local day of the budget window's calendar span; `total` has no fixed first day.

    `monthly`: the current local month. `total`: (None, due_date).
    """
    if budget_period == "monthly":
        first = today.replace(day=1)
        next_month = (first + timedelta(days=32)).replace(day=1)
        return first, next_month - _ONE_DAY
    return None, due_date


def count_working_days(first: date, last: date, working_days: Iterable[int]) -> int:
    """Number of days in first..last (inclusive) whose ISO weekday is a working day; 0 when last < first."""
    if last < first:
        return 0
    working = {d for d in working_days if 1 <= d <= 7}
    weeks, rest = divmod((last - first).days + 1, 7)
    count = weeks * len(working)
    day = first + timedelta(days=7 * weeks)
    for _ in range(rest):
        count += day.isoweekday() in working
        day += _ONE_DAY
    return count


def nth_working_day(first: date, n: int, working_days: Iterable[int]) -> date | None:
    """The n-th working day (n ≥ 1) counting from `first` on, `first` included.

    None when there are no working days or the day lies beyond the calendar (year 9999).
    Any 7 consecutive days hold each weekday once, so whole weeks are skipped in one step.
    """
    working = {d for d in working_days if 1 <= d <= 7}
    if n < 1 or not working:
        return None
    weeks = (n - 1) // len(working)
    left = n - weeks * len(working)
    try:
        day = first + timedelta(days=7 * weeks)
        while True:
            if day.isoweekday() in working:
                left -= 1
                if left == 0:
                    return day
            day += _ONE_DAY
    except OverflowError:
        return None


# ---------------------------------------------------------------- rounding on output


def _hours(us: int | Fraction) -> float:
    return round_half_up(Fraction(us) / US_PER_HOUR, 2)


def _sum_days(values: Mapping[date, int], first: date | None, last: date) -> int:
    return sum(us for day, us in values.items() if (first is None or day >= first) and day <= last)


# ---------------------------------------------------------------- the forecast


def compute_forecast(
    *,
    project_id: int,
    budget: BudgetSettings,
    time: ProjectTime,
    working_days: Iterable[int],
    now: datetime,
    zone_name: str,
) -> Forecast:
    """Every figure of CONTRACT 9 `GET /api/projects/{id}/forecast` for one project.

    Today is the local date of `now` in `zone_name`. The budget window: `total` = all
    the project's completed time up to today; `monthly` = the current local month up
    to today. Working days are ISO weekdays. Never raises for a project without time.
    """
    if now.tzinfo is None:
        raise ValueError("compute_forecast needs an aware `now`")
    working = tuple(sorted({d for d in working_days if 1 <= d <= 7}))
    today = now.astimezone(get_zone_or_utc(zone_name)).date()
    tomorrow = today + _ONE_DAY
    monthly = budget.budget_period == "monthly"

    # The window: used and billable time (CONTRACT 9, "The budget window").
    month_first, period_end = period_bounds(budget.budget_period, today, budget.due_date)
    if monthly:
        period_start = month_first
        used_us = _sum_days(time.day_us, month_first, today)
        billable_us = _sum_days(time.billable_day_us, month_first, today)
    else:
        period_start = time.first_day
        used_us = time.earlier_us + _sum_days(time.day_us, None, today)
        billable_us = time.earlier_billable_us + _sum_days(time.billable_day_us, None, today)

    # Burn: the last 28 days' time per working day among them (0 when none).
    burn_first = today - timedelta(days=BURN_DAYS - 1)
    burn_days = count_working_days(burn_first, today, working)
    burn_us = Fraction(_sum_days(time.day_us, burn_first, today), burn_days) if burn_days else Fraction(0)

    days_to_end = count_working_days(tomorrow, period_end, working) if period_end is not None else 0
    projected_at_end = _hours(used_us + burn_us * days_to_end) if period_end is not None else None

    billable_amount = None
    if budget.hourly_rate is not None:
        billable_amount = round_half_up(Fraction(billable_us, US_PER_HOUR) * exact(budget.hourly_rate), 2)

    if budget.budget_hours is None:
        return Forecast(
            project_id=project_id,
            budget_hours=None,
            budget_period=budget.budget_period,
            period_start=period_start,
            period_end=period_end,
            used_hours=None,
            remaining_hours=None,
            used_percent=None,
            burn_hours_per_working_day=_hours(burn_us),
            required_hours_per_working_day=None,
            projected_exhaustion_date=None,
            projected_hours_at_end=projected_at_end,
            billable_amount=billable_amount,
            status="no_budget",
        )

    budget_us = exact(budget.budget_hours) * US_PER_HOUR
    remaining_us = budget_us - used_us
    used_percent = int(round_half_up(100 * used_us / budget_us, 0))

    exhaustion: date | None = None
    if burn_us > 0:
        if remaining_us <= 0:
            exhaustion = today
        else:
            # The first working day n (from tomorrow) with remaining − burn × n ≤ 0.
            exhaustion = nth_working_day(tomorrow, math.ceil(remaining_us / burn_us), working)

    required = None
    if period_end is not None and days_to_end > 0:
        required = _hours(max(Fraction(0), remaining_us) / days_to_end)

    if used_us >= budget_us:
        status = "over"
    elif period_end is not None:
        status = "at_risk" if exhaustion is not None and exhaustion <= period_end else "on_track"
    else:
        status = "at_risk" if used_percent >= AT_RISK_PERCENT else "on_track"

    return Forecast(
        project_id=project_id,
        budget_hours=budget.budget_hours,
        budget_period=budget.budget_period,
        period_start=period_start,
        period_end=period_end,
        used_hours=_hours(used_us),
        remaining_hours=_hours(remaining_us),
        used_percent=used_percent,
        burn_hours_per_working_day=_hours(burn_us),
        required_hours_per_working_day=required,
        projected_exhaustion_date=exhaustion,
        projected_hours_at_end=projected_at_end,
        billable_amount=billable_amount,
        status=status,
    )
