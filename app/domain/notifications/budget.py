"""`budget_threshold` notices (CONTRACT sections 8 and 9): once per threshold and budget period,
again after a drop below and a new crossing.

Each derivation measures every budgeted project's used time in its budget window (the
planning area's per-day tally, no second aggregator) and compares it with what the
previous derivation saw (kept in the user's notification state). The crossings are
`planning.alerts.budget_crossings`; the n-th crossing of threshold t in a period has the
key `budget_threshold:<project>:<t>:<period>:<n>`, so a re-crossing after a drop is a new
occurrence while repeated derivations (any instance; they run under the user's lock)
find nothing new.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import Project
from app.domain.notifications.kinds import Notice
from app.domain.planning.alerts import budget_crossings, budget_period_key
from app.domain.planning.forecast import ProjectTime, period_bounds
from app.domain.planning.queries import load_project_time
from app.lib.time import get_zone_or_utc, local_date

__all__ = ["budget_notices"]

_US = 1_000_000


def window_used_us(time: ProjectTime, budget_period: str, today: Any) -> int:
    """The used microseconds of the budget window (CONTRACT 9, "The budget window")."""
    first, _ = period_bounds(budget_period, today, None)
    if budget_period == "monthly":
        return sum(us for day, us in time.day_us.items() if first is not None and first <= day <= today)
    return time.earlier_us + sum(us for day, us in time.day_us.items() if day <= today)


def _pct(used_us: int, budget_hours: float) -> int:
    return int(round(100 * used_us / (budget_hours * 3600 * _US))) if budget_hours > 0 else 0


async def budget_notices(
    db: AsyncSession, user_id: int, zone_name: str, now: datetime, state: dict[str, Any]
) -> tuple[list[Notice], dict[str, Any]]:
    """The crossings since the last derivation and the new state (`{"<project>:<period>":
    {"used": seconds, "n": {threshold: crossings}}}` for the current periods only)."""
    projects = (
        await db.scalars(
            select(Project).where(
                Project.user_id == user_id, Project.budget_hours.is_not(None), Project.archived.is_(False)
            )
        )
    ).all()
    today = local_date(now, get_zone_or_utc(zone_name))
    notices: list[Notice] = []
    new_state: dict[str, Any] = {}
    for project in projects:
        budget = float(project.budget_hours or 0)
        period = budget_period_key(project.budget_period or "total", today)
        time = await load_project_time(
            db, user_id, project.id, zone_name, now, whole_history=project.budget_period != "monthly"
        )
        used_us = window_used_us(time, project.budget_period or "total", today)
        slot = f"{project.id}:{period}"
        before = state.get(slot) if isinstance(state.get(slot), dict) else None
        previous = float(before.get("used", 0)) if before else 0.0
        counts: dict[str, int] = {str(k): int(v) for k, v in (before or {}).get("n", {}).items()}
        thresholds = [int(t) for t in (project.budget_alerts or []) if isinstance(t, int | float)]
        for threshold in budget_crossings(previous, used_us / _US, budget, thresholds):
            n = counts.get(str(threshold), 0) + 1
            counts[str(threshold)] = n
            window = "this month" if project.budget_period == "monthly" else "in total"
            notices.append(
                Notice(
                    kind="budget_threshold",
                    key=f"budget_threshold:{project.id}:{threshold}:{period}:{n}",
                    title=f"{project.name} reached {threshold} % of its budget",
                    body=(f"{used_us / _US / 3600:.2f} h used {window}: {_pct(used_us, budget)} % of {budget:g} h."),
                    action_url=f"/projects/{project.id}",
                )
            )
        new_state[slot] = {"used": used_us / _US, "n": counts}
    return notices, new_state
