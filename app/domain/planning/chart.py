"""The project page's cumulative chart (docs/planning.md, "The project page") as a pure function.

Three series over local days: the actual cumulative hours up to today, the projection
from today to the period's end at the burn rate (added on working days only), and the
budget line. The last actual point is the forecast's `used_hours` (for a total budget
the chart starts at the tallied span, carrying the earlier time as its first value) and
the last projected point is `projected_hours_at_end`: the same exact sums, rounded once.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from fractions import Fraction

import msgspec

from app.domain.planning.forecast import BURN_DAYS, Forecast, ProjectTime, count_working_days
from app.lib.numbers import exact, round_half_up
from app.lib.time import US_PER_HOUR, get_zone_or_utc

__all__ = ["MAX_FUTURE_DAYS", "ChartSeries", "chart_series"]

MAX_FUTURE_DAYS = 366  # a due date further away is drawn up to a year ahead
_ONE_DAY = timedelta(days=1)


class ChartSeries(msgspec.Struct, frozen=True):
    labels: list[str]  # ISO local dates
    actual: list[float | None]
    projection: list[float | None]
    budget: list[float] | None


def _hours(us: Fraction | int) -> float:
    return round_half_up(Fraction(us) / US_PER_HOUR, 2)


def chart_series(
    forecast: Forecast,
    time: ProjectTime,
    *,
    first_tallied_day: date,
    working_days: tuple[int, ...],
    now: datetime,
    zone_name: str,
) -> ChartSeries:
    """The chart's series for `forecast` (computed from the same `time`, `now` and zone)."""
    today = now.astimezone(get_zone_or_utc(zone_name)).date()
    working = {d for d in working_days if 1 <= d <= 7}
    if forecast.budget_period == "monthly" and forecast.period_start is not None:
        first, base = forecast.period_start, 0
    else:
        first = max(first_tallied_day, forecast.period_start or today)
        base = time.earlier_us + sum(us for day, us in time.day_us.items() if day < first)
    last = today
    if forecast.period_end is not None and forecast.period_end > today:
        last = min(forecast.period_end, today + timedelta(days=MAX_FUTURE_DAYS))

    burn_first = today - timedelta(days=BURN_DAYS - 1)
    burn_days = count_working_days(burn_first, today, working)
    burn_sum = sum(us for day, us in time.day_us.items() if burn_first <= day <= today)
    burn = Fraction(burn_sum, burn_days) if burn_days else Fraction(0)

    labels: list[str] = []
    actual: list[float | None] = []
    projection: list[float | None] = []
    cumulative = Fraction(base)
    day = first
    while day <= last:
        labels.append(day.isoformat())
        if day <= today:
            cumulative += time.day_us.get(day, 0)
            actual.append(_hours(cumulative))
            projection.append(_hours(cumulative) if day == today else None)
        else:
            if day.isoweekday() in working:
                cumulative += burn
            actual.append(None)
            projection.append(_hours(cumulative))
        day += _ONE_DAY
    budget = None
    if forecast.budget_hours is not None:
        budget = [round_half_up(exact(forecast.budget_hours), 2)] * len(labels)
    return ChartSeries(labels=labels, actual=actual, projection=projection, budget=budget)
