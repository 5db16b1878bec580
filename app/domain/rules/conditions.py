"""Conditions: does a rule's every `{field, op, value}` hold for the facts of an event?

Pure. The facts are plain values (`facts.py` builds them from an entry or a task):
`notes` (text), `tags` (list of text), `project_id` (int or None), `billable` (bool), and
numbers `duration_minutes`, `weekday` (1 = Monday … 7), `start_hour` (0–23, local),
`elapsed_hours`, `day_hours`. Text comparisons ignore case (docs/rules.md, "Operators").
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any


def _fold(value: Any) -> Any:
    return value.casefold() if isinstance(value, str) else value


def _text_holds(op: str, actual: str, value: Any) -> bool:
    text = actual.casefold()
    if op == "contains":
        return str(value).casefold() in text
    if op == "equals":
        return bool(text == _fold(value))
    if op == "not_equals":
        return bool(text != _fold(value))
    if op == "in":
        return text in {_fold(v) for v in value}
    return False


def _tags_hold(op: str, tags: Sequence[str], value: Any) -> bool:
    folded = [t.casefold() for t in tags]
    if op == "contains":  # some tag contains the text
        needle = str(value).casefold()
        return any(needle in t for t in folded)
    if op == "equals":  # the entry has this tag
        return _fold(value) in folded
    if op == "not_equals":  # the entry does not have this tag
        return _fold(value) not in folded
    if op == "in":  # the entry has one of these tags
        wanted = {_fold(v) for v in value}
        return any(t in wanted for t in folded)
    return False


def _value_holds(op: str, actual: Any, value: Any) -> bool:
    if op == "equals":
        return bool(actual == value)
    if op == "not_equals":
        return bool(actual != value)
    if op == "in":
        return actual in value
    if actual is None:
        return False
    if op == "gte":
        return bool(actual >= value)
    if op == "lte":
        return bool(actual <= value)
    return False


def holds(condition: Mapping[str, Any], facts: Mapping[str, Any]) -> bool:
    """One condition against the facts; a field the event does not have never holds."""
    field, op, value = condition["field"], condition["op"], condition["value"]
    if field not in facts:
        return False
    actual = facts[field]
    if field == "notes":
        return _text_holds(op, actual or "", value)
    if field == "tags":
        return _tags_hold(op, actual or [], value)
    return _value_holds(op, actual, value)


def all_hold(conditions: Sequence[Mapping[str, Any]], facts: Mapping[str, Any]) -> bool:
    return all(holds(c, facts) for c in conditions)
