"""A task's reference-class estimate (CONTRACT.md section 9) as one pure function of plain data.

Overruns are skewed (a few tasks take many times their estimate), so the estimate is
not a mean: it is the median and the 80th percentile of what similar finished tasks
actually took, with the sample size and the reference class stated. The user's own
estimates are calibrated by the median ratio of actual to estimated time over their
finished tasks. docs/planning.md explains every rule with a worked example.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from fractions import Fraction

import msgspec

from app.lib.numbers import round_half_up
from app.lib.time import US_PER_SECOND

__all__ = [
    "MIN_SAMPLE",
    "Estimate",
    "TaskTime",
    "compute_estimate",
    "percentile",
]

MIN_SAMPLE = 5  # a reference class (and the calibration) needs at least this many tasks
_US_PER_MINUTE = 60 * US_PER_SECOND


class TaskTime(msgspec.Struct, frozen=True, gc=False):
    """One task as the estimate needs it: its tracked time is the sum of its completed entries."""

    id: int
    project_id: int
    status: str  # todo | done
    tracked_us: int
    estimate_minutes: int | None = None


class Estimate(msgspec.Struct, frozen=True):
    """The answer of `GET /api/tasks/{id}/estimate`, every field of CONTRACT 9."""

    task_id: int
    tracked_minutes: float
    user_estimate_minutes: int | None
    estimate_minutes: float | None
    p80_minutes: float | None
    sample_size: int
    basis: str | None  # project | all | None
    calibration_ratio: float | None
    calibrated_minutes: float | None
    remaining_minutes: float | None
    explanation: str


def percentile(sorted_values: Sequence[Fraction], p: int) -> Fraction:
    """The p-th percentile by linear interpolation between closest ranks (numpy's default).

    The rank is h = (n − 1) × p / 100; the value lies between the sorted values at
    floor(h) and floor(h) + 1, in proportion to h's fractional part. Exact.
    """
    if not sorted_values:
        raise ValueError("percentile of no values")
    h = Fraction((len(sorted_values) - 1) * p, 100)
    low = math.floor(h)
    if low + 1 >= len(sorted_values):
        return sorted_values[-1]
    return sorted_values[low] + (h - low) * (sorted_values[low + 1] - sorted_values[low])


def _minutes(us: Fraction | int) -> float:
    return round_half_up(Fraction(us) / _US_PER_MINUTE, 1)


def _fmt(minutes: float) -> str:
    return f"{minutes:.1f} min"


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def compute_estimate(task: TaskTime, tasks: Sequence[TaskTime]) -> Estimate:
    """Every figure of CONTRACT 9 `GET /api/tasks/{id}/estimate` for `task`.

    `tasks`: all the user's tasks (the task itself may be among them). The reference
    class is the user's other done tasks with tracked time in the same project
    (`project`); with fewer than 5 of them, all the user's other done tasks with
    tracked time (`all`); with fewer than 5 still, no estimate (`basis` None).
    """
    done = [t for t in tasks if t.status == "done" and t.tracked_us > 0]
    others = [t for t in done if t.id != task.id]
    same_project = [t for t in others if t.project_id == task.project_id]
    if len(same_project) >= MIN_SAMPLE:
        basis: str | None = "project"
        sample = same_project
    elif len(others) >= MIN_SAMPLE:
        basis, sample = "all", others
    else:
        basis, sample = None, others

    tracked_minutes = _minutes(task.tracked_us)
    p50 = p80 = remaining = None
    if basis is not None:
        values = sorted(Fraction(t.tracked_us) for t in sample)
        p50, p80 = percentile(values, 50), percentile(values, 80)
        remaining = max(Fraction(0), p50 - task.tracked_us)

    # Calibration: actual ÷ estimated over the user's done tasks with both (the task included if done).
    ratios = sorted(
        Fraction(t.tracked_us, t.estimate_minutes * _US_PER_MINUTE)
        for t in done
        if t.estimate_minutes is not None and t.estimate_minutes > 0
    )
    ratio = percentile(ratios, 50) if len(ratios) >= MIN_SAMPLE else None
    calibrated = None
    if ratio is not None and task.estimate_minutes is not None:
        calibrated = round_half_up(ratio * task.estimate_minutes, 1)

    estimate = Estimate(
        task_id=task.id,
        tracked_minutes=tracked_minutes,
        user_estimate_minutes=task.estimate_minutes,
        estimate_minutes=_minutes(p50) if p50 is not None else None,
        p80_minutes=_minutes(p80) if p80 is not None else None,
        sample_size=len(sample),
        basis=basis,
        calibration_ratio=round_half_up(ratio, 2) if ratio is not None else None,
        calibrated_minutes=calibrated,
        remaining_minutes=_minutes(remaining) if remaining is not None else None,
        explanation="",
    )
    return msgspec.structs.replace(
        estimate, explanation=_explain(estimate, len(same_project), len(ratios), task.estimate_minutes)
    )


def _explain(e: Estimate, in_project: int, estimated: int, own: int | None) -> str:
    """One or more sentences stating the figures, the sample size and the basis."""
    if e.basis is None:
        text = (
            f"Not enough history for an estimate: you have {_plural(e.sample_size, 'other done task')} "
            f"with tracked time, and an estimate needs {MIN_SAMPLE}."
        )
    else:
        if e.basis == "project":
            source = f"Based on {_plural(e.sample_size, 'done task')} in this project"
        else:
            source = (
                f"This project has {_plural(in_project, 'other done task')} with tracked time, "
                f"fewer than {MIN_SAMPLE}, so this is based on all {_plural(e.sample_size, 'done task')} of yours"
            )
        assert e.estimate_minutes is not None and e.p80_minutes is not None and e.remaining_minutes is not None
        text = (
            f"{source}: half of them took at most {_fmt(e.estimate_minutes)}, "
            f"80% at most {_fmt(e.p80_minutes)}. "
            f"{_fmt(e.tracked_minutes)} tracked so far, about {_fmt(e.remaining_minutes)} to go."
        )
    if e.calibration_ratio is not None:
        text += (
            f" Your finished tasks took {e.calibration_ratio:.2f}× their estimate "
            f"(median of {_plural(estimated, 'task')})"
        )
        text += f", so your {own} min estimate suggests {_fmt(e.calibrated_minutes)}." if (
            own is not None and e.calibrated_minutes is not None
        ) else "."
    elif own is not None:
        text += f" Calibrating your own estimate needs {MIN_SAMPLE} done tasks with an estimate; you have {estimated}."
    return text
