"""Rule conditions, one test per operator (docs/rules.md, "Operators"); pure, no database."""

from __future__ import annotations

from typing import Any

import pytest

from app.domain.rules.conditions import all_hold, holds

FACTS: dict[str, Any] = {
    "notes": "Weekly Standup with ACME",
    "tags": ["Meeting", "client"],
    "project_id": 7,
    "billable": True,
    "duration_minutes": 90.0,
    "weekday": 3,
    "start_hour": 9,
    "elapsed_hours": 1.5,
}


def c(field: str, op: str, value: Any) -> dict[str, Any]:
    return {"field": field, "op": op, "value": value}


@pytest.mark.parametrize(("condition", "expected"), [
    (c("notes", "contains", "standup"), True),  # case-insensitive
    (c("notes", "contains", "retro"), False),
    (c("tags", "contains", "meet"), True),
    (c("tags", "contains", "internal"), False),
])
def test_contains_is_case_insensitive_on_text_and_tags(condition: dict[str, Any], expected: bool) -> None:
    assert holds(condition, FACTS) is expected


@pytest.mark.parametrize(("condition", "expected"), [
    (c("project_id", "equals", 7), True),
    (c("project_id", "equals", 8), False),
    (c("billable", "equals", True), True),
    (c("weekday", "equals", 3), True),
    (c("notes", "equals", "weekly standup with acme"), True),
    (c("tags", "equals", "meeting"), True),  # the entry has that tag
    (c("tags", "equals", "meet"), False),
])
def test_equals(condition: dict[str, Any], expected: bool) -> None:
    assert holds(condition, FACTS) is expected


@pytest.mark.parametrize(("condition", "expected"), [
    (c("project_id", "not_equals", 7), False),
    (c("project_id", "not_equals", None), True),
    (c("billable", "not_equals", False), True),
    (c("tags", "not_equals", "meeting"), False),  # the entry must not have that tag
    (c("tags", "not_equals", "internal"), True),
])
def test_not_equals(condition: dict[str, Any], expected: bool) -> None:
    assert holds(condition, FACTS) is expected


@pytest.mark.parametrize(("condition", "expected"), [
    (c("duration_minutes", "gte", 90), True),  # the threshold itself holds
    (c("duration_minutes", "gte", 90.01), False),
    (c("elapsed_hours", "gte", 1.5), True),
    (c("start_hour", "gte", 10), False),
])
def test_gte(condition: dict[str, Any], expected: bool) -> None:
    assert holds(condition, FACTS) is expected


@pytest.mark.parametrize(("condition", "expected"), [
    (c("duration_minutes", "lte", 90), True),
    (c("duration_minutes", "lte", 89.99), False),
    (c("start_hour", "lte", 9), True),
])
def test_lte(condition: dict[str, Any], expected: bool) -> None:
    assert holds(condition, FACTS) is expected


@pytest.mark.parametrize(("condition", "expected"), [
    (c("weekday", "in", [1, 3, 5]), True),
    (c("weekday", "in", [6, 7]), False),
    (c("project_id", "in", [1, 7]), True),
    (c("tags", "in", ["CLIENT", "x"]), True),  # has one of these tags
    (c("tags", "in", ["x", "y"]), False),
    (c("notes", "in", ["WEEKLY STANDUP WITH ACME", "other"]), True),
])
def test_in(condition: dict[str, Any], expected: bool) -> None:
    assert holds(condition, FACTS) is expected


def test_a_field_the_event_does_not_have_never_holds() -> None:
    assert holds(c("day_hours", "gte", 0), FACTS) is False
    assert holds(c("project_id", "gte", 1), {**FACTS, "project_id": None}) is False


def test_all_conditions_must_hold() -> None:
    assert all_hold([c("notes", "contains", "standup"), c("weekday", "equals", 3)], FACTS) is True
    assert all_hold([c("notes", "contains", "standup"), c("weekday", "equals", 4)], FACTS) is False
    assert all_hold([], FACTS) is True
