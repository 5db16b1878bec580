"""Weekly time goals through the JSON API (CONTRACT sections 2 and 3)."""

from __future__ import annotations

from typing import Any

import pytest

MONDAY = "2026-11-16"


def test_list_is_empty_for_a_new_user(user: Any) -> None:
    r = user.api("GET", "/api/weekly-goals")
    assert r.status_code == 200
    assert r.json() == []


def test_put_sets_the_goal_of_a_week(user: Any) -> None:
    r = user.api("PUT", f"/api/weekly-goals/{MONDAY}", json={"target_hours": 32.5})
    assert r.status_code == 200
    assert r.json() == {"week_start": MONDAY, "target_hours": 32.5}
    assert user.api("GET", "/api/weekly-goals").json() == [{"week_start": MONDAY, "target_hours": 32.5}]


def test_put_again_replaces_the_target(user: Any) -> None:
    user.api("PUT", f"/api/weekly-goals/{MONDAY}", json={"target_hours": 30})
    r = user.api("PUT", f"/api/weekly-goals/{MONDAY}", json={"target_hours": 20})
    assert r.json() == {"week_start": MONDAY, "target_hours": 20.0}
    assert user.api("GET", "/api/weekly-goals").json() == [{"week_start": MONDAY, "target_hours": 20.0}]


def test_list_is_newest_week_first(user: Any) -> None:
    for week in ("2026-11-02", "2026-11-16", "2026-11-09"):
        user.api("PUT", f"/api/weekly-goals/{week}", json={"target_hours": 10})
    assert [g["week_start"] for g in user.api("GET", "/api/weekly-goals").json()] == [
        "2026-11-16", "2026-11-09", "2026-11-02"]


@pytest.mark.parametrize("hours", [0, 168])
def test_targets_of_0_and_168_hours_are_accepted(user: Any, hours: int) -> None:
    r = user.api("PUT", f"/api/weekly-goals/{MONDAY}", json={"target_hours": hours})
    assert r.status_code == 200
    assert r.json()["target_hours"] == float(hours)


@pytest.mark.parametrize(
    ("week", "body", "error"),
    [
        ("2026-11-17", {"target_hours": 10}, "week_start: must be a Monday"),
        ("2026-11-22", {"target_hours": 10}, "week_start: must be a Monday"),
        ("16-11-2026", {"target_hours": 10}, "week_start: must be a date YYYY-MM-DD"),
        ("2026-02-30", {"target_hours": 10}, "week_start: must be a date YYYY-MM-DD"),
        (MONDAY, {"target_hours": -1}, "target_hours: Expected `float` >= 0.0"),
        (MONDAY, {"target_hours": 168.5}, "target_hours: Expected `float` <= 168.0"),
        (MONDAY, {"target_hours": "lots"}, "target_hours: Expected `float`, got `str`"),
        (MONDAY, {}, "data: Object missing required field `target_hours`"),
        (MONDAY, {"target_hours": 10, "week": 1}, "data: Object contains unknown field `week`"),
    ],
    ids=["tuesday", "sunday", "not-iso", "no-such-day", "negative", "over-168", "string", "missing", "unknown"],
)
def test_put_validation_error_is_400_naming_the_field_and_writes_nothing(
    user: Any, week: str, body: dict[str, Any], error: str
) -> None:
    r = user.api("PUT", f"/api/weekly-goals/{week}", json=body)
    assert r.status_code == 400
    assert r.json() == {"ok": False, "error": error}
    assert user.api("GET", "/api/weekly-goals").json() == []


def test_delete_removes_the_goal_with_204_and_a_second_delete_is_404(user: Any) -> None:
    user.api("PUT", f"/api/weekly-goals/{MONDAY}", json={"target_hours": 10})
    r = user.api("DELETE", f"/api/weekly-goals/{MONDAY}")
    assert r.status_code == 204
    assert r.content == b""
    assert user.api("GET", "/api/weekly-goals").json() == []
    r = user.api("DELETE", f"/api/weekly-goals/{MONDAY}")
    assert r.status_code == 404
    assert r.json() == {"ok": False, "error": "weekly goal not found"}


def test_delete_of_a_non_monday_is_400(user: Any) -> None:
    r = user.api("DELETE", "/api/weekly-goals/2026-11-18")
    assert r.status_code == 400
    assert r.json() == {"ok": False, "error": "week_start: must be a Monday"}


def test_goals_are_per_user(make_user: Any) -> None:
    owner, other = make_user(), make_user()
    owner.api("PUT", f"/api/weekly-goals/{MONDAY}", json={"target_hours": 40})
    assert other.api("GET", "/api/weekly-goals").json() == []
    # Another user's goal is invisible: deleting "it" is a 404 and it stays.
    r = other.api("DELETE", f"/api/weekly-goals/{MONDAY}")
    assert r.status_code == 404
    assert r.json() == {"ok": False, "error": "weekly goal not found"}
    # Setting the same week for oneself does not touch the other user's goal.
    other.api("PUT", f"/api/weekly-goals/{MONDAY}", json={"target_hours": 5})
    assert owner.api("GET", "/api/weekly-goals").json() == [{"week_start": MONDAY, "target_hours": 40.0}]
