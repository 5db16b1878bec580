"""Budget notices (CONTRACT.md section 8, `budget_threshold`): which thresholds a write crossed.

The hook the notifications area calls after a write that changed a project's time:
it passes the budget window's used seconds before and after the write and gets the
thresholds crossed upwards. Uniqueness (once per threshold and budget period) is the
notification's key: `(project_id, threshold, budget_period_key(...))`. A drop below a
threshold followed by a new crossing reports it again; the notifications area decides
whether a new occurrence is due (docs/planning.md, "Budget notices").
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from fractions import Fraction

from app.lib.numbers import exact

__all__ = ["budget_crossings", "budget_period_key"]


def budget_crossings(
    previous_used_seconds: float, new_used_seconds: float, budget: float | None, thresholds: Iterable[int]
) -> list[int]:
    """The thresholds (percent of `budget` hours) that used time crossed upwards, ascending.

    A threshold t is crossed when previous < t % of the budget ≤ new, compared exactly
    (80 % of 10 h is reached at exactly 28,800 s). No budget, or no increase: [].
    """
    if budget is None or budget <= 0 or new_used_seconds <= previous_used_seconds:
        return []
    budget_seconds = exact(budget) * 3600
    before, after = Fraction(previous_used_seconds), Fraction(new_used_seconds)
    crossed = set()
    for threshold in thresholds:
        line = budget_seconds * threshold / 100
        if before < line <= after:
            crossed.add(int(threshold))
    return sorted(crossed)


def budget_period_key(budget_period: str, today: date) -> str:
    """The budget period a crossing belongs to: `total`, or the month as `YYYY-MM` for monthly budgets."""
    return f"{today:%Y-%m}" if budget_period == "monthly" else "total"
