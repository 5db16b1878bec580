"""The insights of the stats payload (CONTRACT 4, insights; docs/productivity.md, "Insights").

Five rules, tried in order, each reading the exact tally and the figures already computed
for the other sections (summary, streak, focus, projects); the first four that apply are
shown. Called by `compute_stats` in `figures.py`. (The session insights of
`/api/insights/sessions` are another thing: `sessions.py`, docs/insights.md.)
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

from app.domain.productivity.schemas import Focus, Insight, ProjectItem, Streak, Summary
from app.domain.productivity.tally import Tally
from app.lib.numbers import round_half_up_int
from app.lib.time import iso_monday

__all__ = ["insights"]

WEEK_CHANGE_MIN_PERCENT = 5
STREAK_INSIGHT_MIN_DAYS = 3
MAX_INSIGHTS = 4


def insights(
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
