"""Jinja2 environment: filters and globals shared by every template.

One duration format across the app (docs/ui.md, "Durations"):

- `hm` / `duration`: seconds as h:mm (`1:41`, `0:05`), rounded half up to the minute;
- `dh`: decimal hours with the unit, at most two decimals and no trailing zeros
  (`1.68 h`, `7.5 h`, `8 h`), by the one rounding rule of lib/numbers.py (ui.hours is the
  same number without the unit); `num2` exactly two decimals (table columns of figures);
- `elapsed`: seconds as h:mm:ss (`0:53:27`), only for a running timer (static/js/app.js
  ticks the same format);
- `count`: a whole number without ".0" (`1 of 3`), other numbers with at most 2 decimals.
"""

from __future__ import annotations

import math
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from litestar.plugins.jinja import JinjaTemplateEngine

from app.lib.numbers import round_half_up_int


def fmt_hm(seconds: float | None) -> str:
    """Seconds → "h:mm" (minutes rounded half up); None → "—"."""
    if seconds is None:
        return "—"
    minutes = round_half_up_int(int(round(float(seconds) * 1000)), 60_000)
    sign = "-" if minutes < 0 else ""
    minutes = abs(minutes)
    return f"{sign}{minutes // 60}:{minutes % 60:02d}"


def fmt_hours(value: float | None) -> str:
    """Hours (a float) → "h:mm"."""
    return fmt_hm(None if value is None else float(value) * 3600)


def fmt_elapsed(seconds: float | None) -> str:
    """Seconds → "h:mm:ss" for a running timer."""
    s = max(0, int(seconds or 0))
    return f"{s // 3600}:{(s % 3600) // 60:02d}:{s % 60:02d}"


def _hundredths(value: float) -> int:
    """The decimal a float was written as, in hundredths, rounded half up (away from zero):
    `round_half_up(exact(value), 2) * 100` of lib/numbers.py, without building Fractions
    (a page formats a few hundred figures; Decimal does the same exact rounding in C)."""
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(f"not a finite number: {number!r}")
    return int((Decimal(repr(number)) * 100).to_integral_value(ROUND_HALF_UP))


def fmt_num2(value: float | None) -> str:
    """Decimal hours (or any figure) with exactly two decimals, half up: 1.675 → "1.68"."""
    if value is None:
        return "—"
    return f"{_hundredths(value) / 100:.2f}"


def fmt_decimal_hours(value: float | None) -> str:
    """Decimal hours with the unit, at most 2 decimals: "1.68 h", "7.5 h", "8 h"."""
    return "—" if value is None else f"{fmt_count(value)} h"


def fmt_count(value: float | None) -> str:
    """A count or target without a spurious ".0": 1.0 → "1", 2.5 → "2.5", 1.675 → "1.68"."""
    if value is None:
        return "—"
    rounded = _hundredths(value) / 100  # the float round_half_up returns
    if rounded.is_integer():
        return str(int(rounded))
    return f"{rounded:.2f}".rstrip("0").rstrip(".")


def fmt_local(value: datetime | str | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.strftime(fmt)


def fmt_day(value: date | datetime | str | None) -> str:
    """A day as people say it: "Tue 24 Nov" (the year when it is not given by context)."""
    if value is None:
        return ""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return f"{value.strftime('%a')} {value.day} {value.strftime('%b')}"


def configure_templates(engine: JinjaTemplateEngine) -> None:
    env: Any = engine.engine
    env.filters["hours"] = fmt_hours
    env.filters["hm"] = fmt_hm
    env.filters["duration"] = fmt_hm
    env.filters["elapsed"] = fmt_elapsed
    env.filters["dh"] = fmt_decimal_hours
    env.filters["num2"] = fmt_num2
    env.filters["count"] = fmt_count
    env.filters["day"] = fmt_day
    env.filters["local"] = fmt_local
    env.trim_blocks = True
    env.lstrip_blocks = True
