"""One duration format across the app (issue 9, docs/ui.md "Durations"): h:mm for
durations, decimal hours with at most 2 decimals for figures, h:mm:ss only for a running
timer, counts without ".0"."""

from __future__ import annotations

from datetime import date
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.lib.numbers import exact, round_half_up
from app.lib.templating import (
    fmt_count,
    fmt_day,
    fmt_decimal_hours,
    fmt_elapsed,
    fmt_hm,
    fmt_hours,
    fmt_num2,
)


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0, "0:00"), (3, "0:00"), (29.999, "0:00"), (30, "0:01"), (60, "0:01"), (6060, "1:41"), (3600, "1:00"),
     (5999, "1:40"), (36000 + 59 * 60, "10:59"), (30 * 3600, "30:00"), (None, "—")],
)
def test_durations_read_h_mm_rounded_half_up_to_the_minute(seconds: float | None, text: str) -> None:
    assert fmt_hm(seconds) == text


def test_hours_as_h_mm() -> None:
    assert (fmt_hours(1.5), fmt_hours(0.0), fmt_hours(None)) == ("1:30", "0:00", "—")


@pytest.mark.parametrize(("seconds", "text"), [(0, "0:00:00"), (3207, "0:53:27"), (3660, "1:01:00"),
                                               (100 * 3600 + 5, "100:00:05"), (None, "0:00:00")])
def test_a_running_timer_reads_h_mm_ss_even_under_an_hour(seconds: int | None, text: str) -> None:
    assert fmt_elapsed(seconds) == text


@pytest.mark.parametrize(("hours", "text"), [(1.675, "1.68 h"), (1.68, "1.68 h"), (7.5, "7.5 h"), (8.0, "8 h"),
                                             (0.125, "0.13 h"), (0.0, "0 h"), (None, "—")])
def test_decimal_hours_have_at_most_two_decimals_rounded_half_up(hours: float | None, text: str) -> None:
    assert fmt_decimal_hours(hours) == text


def test_table_figures_have_exactly_two_decimals() -> None:
    assert (fmt_num2(1.675), fmt_num2(7.5), fmt_num2(0)) == ("1.68", "7.50", "0.00")


@pytest.mark.parametrize(("value", "text"), [(1.0, "1"), (3.0, "3"), (2.5, "2.5"), (0.333333, "0.33"),
                                             (12.0, "12"), (None, "—")])
def test_counts_and_targets_never_read_1_0_of_3_0(value: float | None, text: str) -> None:
    assert fmt_count(value) == text


def test_days_read_like_tue_24_nov() -> None:
    assert fmt_day(date(2026, 11, 24)) == "Tue 24 Nov"
    assert fmt_day("2026-03-01") == "Sun 1 Mar"


def _reference_hundredths(value: float) -> Fraction:
    """The one rounding rule of lib/numbers.py, as the filters applied it with Fractions."""
    return Fraction(round_half_up(exact(value), 2)).limit_denominator(100)


@settings(max_examples=3000, deadline=None)
@given(st.one_of(
    st.floats(allow_nan=False, allow_infinity=False),
    st.floats(min_value=-1000, max_value=1000, allow_nan=False),
    st.integers(min_value=-10**6, max_value=10**6).map(lambda n: n / 1000),  # ties such as 1.675, 2.005
))
def test_count_and_num2_round_exactly_like_lib_numbers(value: float) -> None:
    """The filters round without building Fractions; every figure reads as before."""
    rounded = _reference_hundredths(value)
    expected = str(rounded.numerator) if rounded.denominator == 1 else f"{float(rounded):.2f}".rstrip("0").rstrip(".")
    assert fmt_count(value) == expected
    assert fmt_num2(value) == f"{round_half_up(exact(value), 2):.2f}"
