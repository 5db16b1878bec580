"""Checking a rule's definition (docs/rules.md, "Limits" and "Validation").

Pure: no database. Every refusal is a `RuleError` (422) whose message names the field,
e.g. `conditions[1].op: must be one of ...`. A definition that passes is returned as the
plain dicts stored in the `rules` table, so the stored form is always a checked one.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

from app.domain.rules.schemas import (
    ACTIONS,
    ACTIONS_BY_TRIGGER,
    FIELDS,
    FIELDS_BY_TRIGGER,
    MAX_ACTIONS,
    MAX_CONDITIONS,
    MAX_ELAPSED_HOURS,
    MAX_IN_VALUES,
    MAX_LOG_MINUTES,
    MAX_TEXT,
    NUMBER_FIELDS,
    OPS,
    TRIGGERS,
    Action,
    Condition,
)
from app.lib.bounds import MAX_TAG_LEN
from app.lib.errors import AppError

MAX_URL = 2000


class RuleError(AppError):
    """A rule definition (or a limit) refused: 422 naming the field."""

    status_code = 422


_TEXT_OPS = ("contains", "equals", "not_equals", "in")
_NUMBER_OPS = ("equals", "not_equals", "gte", "lte", "in")
_OPS_BY_FIELD: dict[str, tuple[str, ...]] = {
    "notes": _TEXT_OPS,
    "tags": _TEXT_OPS,
    "billable": ("equals", "not_equals"),
    "project_id": ("equals", "not_equals", "in"),
}
_RANGES: dict[str, tuple[float, float]] = {
    "weekday": (1, 7),
    "start_hour": (0, 23),
    "duration_minutes": (0, 7 * 24 * 60),
    "elapsed_hours": (0, MAX_ELAPSED_HOURS),
    "day_hours": (0, 24),
    "project_id": (1, 2**63 - 1),
}


def clean_name(name: str) -> str:
    cleaned = name.strip()
    if not cleaned:
        raise RuleError("must not be blank", field="name")
    if len(cleaned) > 120:
        raise RuleError("must be at most 120 characters", field="name")
    return cleaned


def clean_trigger(trigger: str) -> str:
    if trigger not in TRIGGERS:
        raise RuleError(f"must be one of {', '.join(TRIGGERS)}", field="trigger")
    return trigger


def _number(value: Any, where: str, field: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise RuleError("must be a number", field=where)
    low, high = _RANGES.get(field, (0, 10**9))
    if not low <= value <= high:
        raise RuleError(f"must be between {low:g} and {high:g}", field=where)
    if field in {"weekday", "start_hour", "project_id"} and value != int(value):
        raise RuleError("must be a whole number", field=where)
    return int(value) if value == int(value) else float(value)


def _scalar(value: Any, where: str, field: str) -> Any:
    if field == "billable":
        if not isinstance(value, bool):
            raise RuleError("must be true or false", field=where)
        return value
    if field in NUMBER_FIELDS:
        if field == "project_id" and value is None:
            return None  # "no project"
        return _number(value, where, field)
    if not isinstance(value, str) or not value.strip():
        raise RuleError("must be a non-empty text", field=where)
    if len(value) > MAX_TEXT:
        raise RuleError(f"must be at most {MAX_TEXT} characters", field=where)
    return value.strip()


def clean_condition(trigger: str, index: int, condition: Condition) -> dict[str, Any]:
    where = f"conditions[{index}]"
    if condition.field not in FIELDS:
        raise RuleError(f"must be one of {', '.join(FIELDS)}", field=f"{where}.field")
    if condition.field not in FIELDS_BY_TRIGGER[trigger]:
        raise RuleError(f"is not known to a {trigger} rule", field=f"{where}.field")
    if condition.op not in OPS:
        raise RuleError(f"must be one of {', '.join(OPS)}", field=f"{where}.op")
    allowed = _OPS_BY_FIELD.get(condition.field, _NUMBER_OPS)
    if condition.op not in allowed:
        raise RuleError(f"{condition.field} takes {', '.join(allowed)}", field=f"{where}.op")
    value = condition.value
    if condition.op == "in":
        if not isinstance(value, list) or not value:
            raise RuleError("must be a non-empty list", field=f"{where}.value")
        if len(value) > MAX_IN_VALUES:
            raise RuleError(f"at most {MAX_IN_VALUES} values", field=f"{where}.value")
        cleaned: Any = [_scalar(v, f"{where}.value[{i}]", condition.field) for i, v in enumerate(value)]
    else:
        cleaned = _scalar(value, f"{where}.value", condition.field)
    return {"field": condition.field, "op": condition.op, "value": cleaned}


def host_allowed(url: str, hosts: Sequence[str]) -> bool:
    """Is the URL's host (or host:port) in MOMENTUM_WEBHOOK_HOSTS?"""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if not host:
        return False
    with_port = f"{host}:{parts.port}" if parts.port else host
    return host in hosts or with_port in hosts


def clean_action(trigger: str, index: int, action: Action, webhook_hosts: Sequence[str]) -> dict[str, Any]:
    where = f"actions[{index}]"
    kind = action.type or action.action or ""
    if kind not in ACTIONS:
        raise RuleError(f"must be one of {', '.join(ACTIONS)}", field=f"{where}.type")
    if kind not in ACTIONS_BY_TRIGGER[trigger]:
        raise RuleError(f"is not available to a {trigger} rule", field=f"{where}.type")
    out: dict[str, Any] = {"type": kind}
    if kind == "set_project":
        if action.project_id is None:
            raise RuleError("is required", field=f"{where}.project_id")
        out["project_id"] = action.project_id
    elif kind == "add_tag":
        tag = (action.tag or "").strip()
        if not tag or len(tag) > MAX_TAG_LEN:
            raise RuleError(f"must be 1–{MAX_TAG_LEN} characters", field=f"{where}.tag")
        out["tag"] = tag
    elif kind == "set_billable":
        if action.value is None:
            raise RuleError("must be true or false", field=f"{where}.value")
        out["value"] = action.value
    elif kind == "notify":
        title = (action.title or "").strip()
        if not title or len(title) > MAX_TEXT:
            raise RuleError(f"must be 1–{MAX_TEXT} characters", field=f"{where}.title")
        out["title"] = title
    elif kind == "log_time":
        if action.minutes is None or not 1 <= action.minutes <= MAX_LOG_MINUTES:
            raise RuleError(f"must be between 1 and {MAX_LOG_MINUTES}", field=f"{where}.minutes")
        out["minutes"] = action.minutes
    elif kind == "webhook":
        url = (action.url or "").strip()
        if len(url) > MAX_URL:
            raise RuleError(f"must be at most {MAX_URL} characters", field=f"{where}.url")
        if urlsplit(url).scheme not in {"http", "https"}:
            raise RuleError("must be an http(s) URL", field=f"{where}.url")
        if not host_allowed(url, webhook_hosts):
            raise RuleError("host is not in MOMENTUM_WEBHOOK_HOSTS", field=f"{where}.url")
        out["url"] = url
    return out


def threshold_hours(conditions: Sequence[Mapping[str, Any]]) -> float | None:
    """The elapsed_hours a timer_running rule waits for: its `elapsed_hours gte|equals` value."""
    values = [
        float(c["value"]) for c in conditions if c["field"] == "elapsed_hours" and c["op"] in {"gte", "equals"}
    ]
    return max(values) if values else None


def clean_definition(
    trigger: str, conditions: Sequence[Condition], actions: Sequence[Action], webhook_hosts: Sequence[str]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Check a whole definition; the stored conditions and actions."""
    if len(conditions) > MAX_CONDITIONS:
        raise RuleError(f"at most {MAX_CONDITIONS} conditions", field="conditions")
    if len(actions) > MAX_ACTIONS:
        raise RuleError(f"at most {MAX_ACTIONS} actions", field="actions")
    if not actions:
        raise RuleError("at least one action", field="actions")
    conds = [clean_condition(trigger, i, c) for i, c in enumerate(conditions)]
    acts = [clean_action(trigger, i, a, webhook_hosts) for i, a in enumerate(actions)]
    if trigger == "timer_running" and threshold_hours(conds) is None:
        raise RuleError("a timer_running rule needs an elapsed_hours condition with gte", field="conditions")
    return conds, acts
