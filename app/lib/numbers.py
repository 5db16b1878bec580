"""Exact numbers and the one rounding rule of every figure: half up, once, on output.

CONTRACT section 4 ("Rounding") and docs/productivity.md: sums and comparisons use exact
integer microseconds (or fractions of them); a figure is rounded half up (ties away from
zero) exactly once, when it is written out — in the stats payload, goals, session
insights, forecasts, daily.csv and every page. This module is that one rule.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from fractions import Fraction

from app.lib.time import US_PER_HOUR, US_PER_SECOND


def exact(number: float) -> Fraction:
    """The decimal a float was written as (8.3 → 83/10, not its binary neighbour)."""
    if not math.isfinite(number):
        raise ValueError(f"not a finite number: {number!r}")
    return Fraction(repr(float(number)))


def round_half_up(value: Fraction | int, places: int) -> float:
    """`value` rounded half up (ties away from zero) to `places` decimals."""
    value = Fraction(value)
    return round_ratio(value.numerator, value.denominator, places)


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


def round_ratio(numerator: int, denominator: int, places: int) -> float:
    """numerator / denominator rounded half up (away from zero) to `places` decimals.

    The only rounding of every figure: computed exactly (integer microseconds, or
    fractions of them) and passed through here once, on output.
    """
    scale = int(10**places)
    return round_half_up_int(numerator * scale, denominator) / scale


def to_hours(us: int | Fraction) -> float:
    """Hours with 2 decimals (CONTRACT 4, "Rounding")."""
    if isinstance(us, int):
        return round_ratio(us, US_PER_HOUR, 2)
    return round_ratio(us.numerator, us.denominator * US_PER_HOUR, 2)


def percent_of(part: int | Fraction, whole: int | Fraction) -> int:
    """round(100 × part / whole) as an integer, 0 when the whole is not positive."""
    if whole <= 0:
        return 0
    value = Fraction(part) * 100 / Fraction(whole)
    return round_half_up_int(value.numerator, value.denominator)


def hours_largest_remainder(values_us: Sequence[int]) -> list[float]:
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


def seconds_to_micros(seconds: float) -> int:
    """Seconds of a split interval (exact to the microsecond) as integer microseconds."""
    return round(seconds * US_PER_SECOND)


def hours_text(seconds: float) -> str:
    """Hours with 2 decimals as text, by the one rule (450 s → "0.13")."""
    return f"{to_hours(seconds_to_micros(seconds)):.2f}"
