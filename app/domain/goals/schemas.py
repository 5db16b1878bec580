"""Goals: the JSON API bodies and the plain inputs of the goal computation.

The rules these encode are written out for users in docs/goals.md.

JSON bodies (`GoalCreate`, `GoalUpdate`) forbid unknown fields; HTML forms must use
their own Structs (a no-JS post carries `_csrf_token`). Every error names its field:
msgspec reports `... - at $.field` for the `Meta` constraints, and the cross-field
checks in `__post_init__` start their message with the field name.
"""

from __future__ import annotations

import math
from datetime import date, datetime
from typing import Annotated, Final, Literal

import msgspec
from msgspec import UNSET, Meta, UnsetType

from app.lib.bounds import Id

__all__ = [
    "DIRECTIONS",
    "METRICS",
    "PERIODS",
    "CompletedTask",
    "Direction",
    "GoalCreate",
    "GoalDef",
    "GoalOut",
    "GoalProgress",
    "GoalUpdate",
    "Metric",
    "Period",
    "WeeklyGoalOut",
    "WeeklyGoalPut",
    "target_error",
]

Metric = Literal["hours", "tasks_completed", "deep_sessions", "billable_percent"]
Period = Literal["daily", "weekly", "monthly"]
Direction = Literal["at_least", "at_most"]

METRICS: Final[tuple[str, ...]] = ("hours", "tasks_completed", "deep_sessions", "billable_percent")
PERIODS: Final[tuple[str, ...]] = ("daily", "weekly", "monthly")
DIRECTIONS: Final[tuple[str, ...]] = ("at_least", "at_most")

# A bound well above any sensible goal; it keeps infinities and typos out of the figures.
MAX_TARGET: Final = 1_000_000.0
MIN_TARGET: Final = 0.01
COUNT_METRICS: Final = frozenset({"tasks_completed", "deep_sessions"})

GoalName = Annotated[str, Meta(min_length=1, max_length=120, description="1–120 characters")]
Target = Annotated[float, Meta(gt=0, le=MAX_TARGET, description="> 0; at most 100 for billable_percent")]


def target_error(metric: str, target: float) -> str | None:
    """The message for a target that does not suit its metric, or None when it is fine.

    Services call this on the merged result of a PATCH, where the metric may come from
    the stored goal and the target from the body (or the other way round).
    """
    if not math.isfinite(target) or target <= 0:
        return "target: must be greater than 0"
    if target < MIN_TARGET:
        # Figures are rounded to 2 decimals; a smaller target only makes percentages overflow.
        return f"target: must be at least {MIN_TARGET}"
    if metric == "billable_percent" and target > 100:
        return "target: a billable_percent target must be at most 100"
    if metric in COUNT_METRICS and target != int(target):
        return f"target: a {metric} target must be a whole number"
    return None


def _clean_name(name: str) -> str:
    cleaned = name.strip()
    if not cleaned:
        raise ValueError("name: must not be blank")
    return cleaned


# ---------------------------------------------------------------- JSON API bodies


class GoalCreate(msgspec.Struct, forbid_unknown_fields=True):
    """Body of `POST /api/goals`."""

    name: GoalName
    metric: Metric
    target: Target
    period: Period
    direction: Direction = "at_least"
    project_id: Id | None = None

    def __post_init__(self) -> None:
        self.name = _clean_name(self.name)
        if (error := target_error(self.metric, self.target)) is not None:
            raise ValueError(error)


class GoalUpdate(msgspec.Struct, forbid_unknown_fields=True):
    """Body of `PATCH /api/goals/{id}`: every field optional; an absent field is UNSET.

    `project_id: null` clears the project, which is why absence is UNSET and not None.
    A target/metric pair is checked here only when both are in the body; the service
    checks the merged goal with `target_error`.
    """

    name: GoalName | UnsetType = UNSET
    metric: Metric | UnsetType = UNSET
    target: Target | UnsetType = UNSET
    period: Period | UnsetType = UNSET
    direction: Direction | UnsetType = UNSET
    project_id: Id | None | UnsetType = UNSET

    def __post_init__(self) -> None:
        if not isinstance(self.name, UnsetType):
            self.name = _clean_name(self.name)
        if isinstance(self.metric, UnsetType) or isinstance(self.target, UnsetType):
            return
        if (error := target_error(self.metric, self.target)) is not None:
            raise ValueError(error)


class GoalOut(msgspec.Struct, frozen=True):
    """A goal as the API returns it; `target` is the current target."""

    id: int
    name: str
    metric: str
    target: float
    period: str
    direction: str
    project_id: int | None
    created_at: str  # RFC 3339 in the user's offset


# ---------------------------------------------------------------- computation inputs


class GoalDef(msgspec.Struct, frozen=True, gc=False):
    """A goal with its target history, as `compute.goal_progress` needs it.

    `targets` is the history of (effective_from, target), ascending by date.

    **Target history rule.** The target in force for a period is the one with the
    latest `effective_from` on or before the period's first day; when every
    `effective_from` is after it, the earliest target applies (the goal existed before
    its first edit, and its original target is the best guess for those periods).
    When one date appears twice, the later item of the tuple wins.

    So that an edit "applies from the current period on", the service stores a new
    target with `effective_from = compute.period_bounds(goal.period, today)[0]`,
    replacing an item with that same date. Past periods keep their verdicts.
    """

    id: int
    name: str
    metric: str
    period: str
    direction: str
    project_id: int | None
    targets: tuple[tuple[date, float], ...]

    def target_for(self, period_start: date) -> float:
        """The target in force for the period beginning on `period_start` (0.0 if no history)."""
        in_force: tuple[date, int] | None = None
        earliest: tuple[date, int] | None = None
        for index, (effective_from, _) in enumerate(self.targets):
            key = (effective_from, index)
            if effective_from <= period_start and (in_force is None or key > in_force):
                in_force = key
            # The earliest date; among equal dates the later item wins, as above.
            if earliest is None or (effective_from, -index) < (earliest[0], -earliest[1]):
                earliest = key
        chosen = in_force if in_force is not None else earliest
        return 0.0 if chosen is None else float(self.targets[chosen[1]][1])


class CompletedTask(msgspec.Struct, frozen=True, gc=False):
    """A task marked done, for the `tasks_completed` metric."""

    id: int
    project_id: int | None
    completed_at: datetime  # aware, UTC


class GoalProgress(msgspec.Struct, frozen=True):
    id: int
    name: str
    metric: str
    period: str
    direction: str
    project_id: int | None
    period_start: date
    period_end: date  # inclusive last local day of the period
    target: float
    achieved: float
    percent: int
    status: str  # at_least: achieved | on_track | behind ; at_most: within | exceeded


class WeeklyGoalPut(msgspec.Struct, forbid_unknown_fields=True):
    target_hours: Annotated[float, msgspec.Meta(ge=0, le=168)]


class WeeklyGoalOut(msgspec.Struct):
    week_start: str
    target_hours: float
