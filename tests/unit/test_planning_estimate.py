"""Task estimates (app/domain/planning/estimate.py), CONTRACT section 9; rules in docs/planning.md.

Percentiles follow numpy's default (linear interpolation between closest ranks):
rank h = (n − 1) × p / 100, value = x[floor h] + frac(h) × (x[floor h + 1] − x[floor h]).
"""

from __future__ import annotations

from fractions import Fraction
from itertools import count

import msgspec
import pytest

from app.domain.planning.estimate import TaskTime, compute_estimate, percentile

MIN = 60_000_000  # microseconds in a minute
_ids = count(1000)


def done(minutes: float, project: int = 1, estimate: int | None = None) -> TaskTime:
    return TaskTime(next(_ids), project, "done", round(minutes * MIN), estimate)


def task(tracked_minutes: float = 30, estimate: int | None = None, project: int = 1) -> TaskTime:
    return TaskTime(1, project, "todo", round(tracked_minutes * MIN), estimate)


# ---------------------------------------------------------------- percentiles


@pytest.mark.parametrize(
    ("values", "p50", "p80"),
    [
        # n = 5: p50 rank 2 → 30; p80 rank 3.2 → 40 + 0.2 × 10 = 42.
        ([10, 20, 30, 40, 50], 30, 42),
        # n = 6: p50 rank 2.5 → 30 + 0.5 × 10 = 35; p80 rank 4 → 50.
        ([60, 10, 50, 20, 40, 30], 35, 50),
        # n = 8: p50 rank 3.5 → 13 + 0.5 × 4 = 15; p80 rank 5.6 → 19 + 0.6 × 4 = 21.4.
        ([5, 7, 11, 13, 17, 19, 23, 29], 15, Fraction(214, 10)),
        # n = 7: p50 rank 3 → 44; p80 rank 4.8 → 90 + 0.8 × 5 = 94.
        ([12, 17, 31, 44, 90, 95, 130], 44, 94),
        ([7], 7, 7),
    ],
)
def test_percentile_matches_numpys_linear_interpolation(values: list[int], p50: Fraction, p80: Fraction) -> None:
    ordered = sorted(Fraction(v) for v in values)
    assert percentile(ordered, 50) == p50
    assert percentile(ordered, 80) == p80


def test_percentile_of_nothing_is_an_error() -> None:
    with pytest.raises(ValueError):
        percentile([], 50)


# ---------------------------------------------------------------- basis: project, all, none


def test_project_basis_with_an_odd_sample() -> None:
    me = task(tracked_minutes=30)
    others = [done(m) for m in (10, 20, 30, 40, 50)] + [done(500, project=2)]
    result = compute_estimate(me, [me, *others])
    # Same project: 5 done tasks → p50 30, p80 42; remaining max(0, 30 − 30) = 0.
    assert msgspec.structs.asdict(result) == {
        "task_id": 1,
        "tracked_minutes": 30.0,
        "user_estimate_minutes": None,
        "estimate_minutes": 30.0,
        "p80_minutes": 42.0,
        "sample_size": 5,
        "basis": "project",
        "calibration_ratio": None,
        "calibrated_minutes": None,
        "remaining_minutes": 0.0,
        "explanation": "Based on 5 done tasks in this project: half of them took at most 30.0 min, "
        "80% at most 42.0 min. 30.0 min tracked so far, about 0.0 min to go.",
    }


def test_project_basis_with_an_even_sample_and_time_still_to_go() -> None:
    me = task(tracked_minutes=20.5)
    others = [done(m) for m in (10, 20, 30, 40, 50, 60)]
    result = compute_estimate(me, [me, *others])
    # p50 35, p80 50; remaining 35 − 20.5 = 14.5.
    assert (result.estimate_minutes, result.p80_minutes, result.remaining_minutes) == (35.0, 50.0, 14.5)
    assert (result.sample_size, result.basis) == (6, "project")


def test_all_basis_when_the_project_has_fewer_than_five() -> None:
    me = task(tracked_minutes=0)
    project_tasks = [done(m) for m in (5, 7, 11, 13)]  # 4 in the project: not enough
    elsewhere = [done(m, project=2) for m in (17, 19, 23, 29)]
    not_counted = [
        done(0),  # done without tracked time
        TaskTime(99, 1, "todo", 40 * MIN),  # not done
    ]
    result = compute_estimate(me, [me, *project_tasks, *elsewhere, *not_counted])
    # All 8 done tasks with time: p50 15, p80 21.4; remaining 15 − 0 = 15.
    assert (result.basis, result.sample_size) == ("all", 8)
    assert (result.estimate_minutes, result.p80_minutes, result.remaining_minutes) == (15.0, 21.4, 15.0)
    assert result.explanation.startswith(
        "This project has 4 other done tasks with tracked time, fewer than 5, so this is based on all 8 done "
        "tasks of yours: half of them took at most 15.0 min, 80% at most 21.4 min."
    )


def test_no_basis_below_five_done_tasks() -> None:
    me = task(tracked_minutes=12.25, estimate=45)
    result = compute_estimate(me, [me, done(10), done(20), done(30, project=2), done(40, project=3)])
    assert msgspec.structs.asdict(result) == {
        "task_id": 1,
        "tracked_minutes": 12.3,  # 12.25 rounds half up
        "user_estimate_minutes": 45,
        "estimate_minutes": None,
        "p80_minutes": None,
        "sample_size": 4,
        "basis": None,
        "calibration_ratio": None,
        "calibrated_minutes": None,
        "remaining_minutes": None,
        "explanation": "Not enough history for an estimate: you have 4 other done tasks with tracked time, "
        "and an estimate needs 5. Calibrating your own estimate needs 5 done tasks with an estimate; you have 0.",
    }


def test_the_task_itself_never_joins_its_reference_class() -> None:
    me = TaskTime(1, 1, "done", 1000 * MIN)
    others = [done(m) for m in (10, 20, 30, 40)]
    result = compute_estimate(me, [me, *others])
    assert (result.basis, result.sample_size) == (None, 4)


# ---------------------------------------------------------------- calibration


def calibrated_history() -> list[TaskTime]:
    """Five done tasks with an estimate: ratios 0.5, 1.5, 1.25, 1.5, 2.0 (median 1.5)."""
    return [done(30, estimate=60), done(90, estimate=60), done(100, estimate=80), done(45, estimate=30),
            done(120, estimate=60)]


def test_calibration_with_five_estimated_tasks() -> None:
    me = task(tracked_minutes=30, estimate=60)
    result = compute_estimate(me, [me, *calibrated_history()])
    # Reference class (same project): 30, 45, 90, 100, 120 → p50 90, p80 rank 3.2 → 100 + 0.2 × 20 = 104.
    # Calibration: median of [0.5, 1.25, 1.5, 1.5, 2.0] = 1.5 → 60 × 1.5 = 90.
    assert (result.estimate_minutes, result.p80_minutes, result.remaining_minutes) == (90.0, 104.0, 60.0)
    assert (result.calibration_ratio, result.calibrated_minutes) == (1.5, 90.0)
    assert result.explanation.endswith(
        "Your finished tasks took 1.50× their estimate (median of 5 tasks), so your 60 min estimate suggests 90.0 min."
    )


def test_calibration_with_an_even_number_rounds_the_ratio_half_up() -> None:
    me = task(tracked_minutes=30, estimate=60)
    history = [*calibrated_history(), done(70, estimate=100)]
    result = compute_estimate(me, [me, *history])
    # Ratios [0.5, 0.7, 1.25, 1.5, 1.5, 2.0]: median (1.25 + 1.5) / 2 = 1.375 → 1.38; 60 × 1.375 = 82.5.
    assert (result.calibration_ratio, result.calibrated_minutes) == (1.38, 82.5)


def test_calibration_needs_five_estimated_tasks() -> None:
    me = task(tracked_minutes=30, estimate=60)
    history = calibrated_history()[:4] + [done(50)]  # 5 done tasks, only 4 with an estimate
    result = compute_estimate(me, [me, *history])
    assert result.basis == "project"
    assert (result.calibration_ratio, result.calibrated_minutes) == (None, None)
    assert result.explanation.endswith("Calibrating your own estimate needs 5 done tasks with an estimate; you have 4.")


def test_calibration_without_an_own_estimate_gives_the_ratio_only() -> None:
    me = task(tracked_minutes=30)
    result = compute_estimate(me, [me, *calibrated_history()])
    assert (result.calibration_ratio, result.calibrated_minutes) == (1.5, None)
    assert result.explanation.endswith("Your finished tasks took 1.50× their estimate (median of 5 tasks).")
