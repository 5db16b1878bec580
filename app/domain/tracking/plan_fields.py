"""The planning fields of projects and tasks (CONTRACT section 9, docs/planning.md "Fields"):
one check each, for the JSON API and the HTML forms alike; a violation raises
ValidationError naming the field and nothing is written.

Forms send text: `parse_form_number` / `parse_form_alerts` turn it into the values the
checks take (an empty box clears an optional field).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from datetime import date
from typing import Any

from app.db.models import Project, Task
from app.lib.errors import ValidationError

__all__ = [
    "BUDGET_PERIODS",
    "MAX_ALERTS",
    "MAX_BUDGET_HOURS",
    "MAX_ESTIMATE_MINUTES",
    "MAX_HOURLY_RATE",
    "PROJECT_PLAN_FIELDS",
    "TASK_PLAN_FIELDS",
    "apply_project_plan",
    "apply_task_plan",
    "clean_budget_alerts",
    "clean_due_date",
    "parse_form_alerts",
    "parse_form_number",
]

BUDGET_PERIODS = ("total", "monthly")
MAX_BUDGET_HOURS = 1_000_000  # bounds keep every figure finite (docs/planning.md "Fields")
MAX_HOURLY_RATE = 1_000_000_000
MAX_ESTIMATE_MINUTES = 1_000_000
MAX_ALERTS = 5
ALERT_RANGE = (1, 1000)
PROJECT_PLAN_FIELDS = ("budget_hours", "budget_period", "hourly_rate", "due_date", "budget_alerts")
TASK_PLAN_FIELDS = ("estimate_minutes", "due_date")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _number(value: Any, field: str) -> float:
    # bool is an int in Python, but `true` is no number of hours.
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValidationError("must be a number", field=field)
    if not math.isfinite(value):
        raise ValidationError("must be a finite number", field=field)
    return float(value)


def clean_budget_hours(value: Any) -> float | None:
    if value is None:
        return None
    hours = _number(value, "budget_hours")
    if hours <= 0:
        raise ValidationError("must be greater than 0 (or empty for no budget)", field="budget_hours")
    if hours > MAX_BUDGET_HOURS:
        raise ValidationError(f"must be at most {MAX_BUDGET_HOURS}", field="budget_hours")
    return hours


def clean_budget_period(value: Any) -> str:
    if value not in BUDGET_PERIODS:
        raise ValidationError("must be total or monthly", field="budget_period")
    return str(value)


def clean_hourly_rate(value: Any) -> float | None:
    if value is None:
        return None
    rate = _number(value, "hourly_rate")
    if rate < 0:
        raise ValidationError("must be 0 or more (or empty for no rate)", field="hourly_rate")
    if rate > MAX_HOURLY_RATE:
        raise ValidationError(f"must be at most {MAX_HOURLY_RATE}", field="hourly_rate")
    return rate


def clean_due_date(value: Any, field: str = "due_date") -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, date):
        return value
    if isinstance(value, str) and _ISO_DATE.match(value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise ValidationError("must be a date YYYY-MM-DD", field=field)


def clean_budget_alerts(value: Any) -> list[int]:
    low, high = ALERT_RANGE
    message = f"must be 1 to {MAX_ALERTS} whole numbers from {low} to {high} (percent of the budget)"
    if not isinstance(value, list) or not 1 <= len(value) <= MAX_ALERTS:
        raise ValidationError(message, field="budget_alerts")
    for item in value:
        if isinstance(item, bool) or not isinstance(item, int) or not low <= item <= high:
            raise ValidationError(message, field="budget_alerts")
    return sorted(set(value))


def clean_estimate_minutes(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError("must be a whole number of minutes", field="estimate_minutes")
    if value <= 0:
        raise ValidationError("must be greater than 0 (or empty for no estimate)", field="estimate_minutes")
    if value > MAX_ESTIMATE_MINUTES:
        raise ValidationError(f"must be at most {MAX_ESTIMATE_MINUTES}", field="estimate_minutes")
    return value


def clean_project_plan(changes: Mapping[str, Any]) -> dict[str, Any]:
    """The planning fields present in `changes`, checked (all before any is applied)."""
    checks: dict[str, Callable[[Any], Any]] = {
        "budget_hours": clean_budget_hours,
        "budget_period": clean_budget_period,
        "hourly_rate": clean_hourly_rate,
        "due_date": clean_due_date,
        "budget_alerts": clean_budget_alerts,
    }
    return {key: check(changes[key]) for key, check in checks.items() if key in changes}


def apply_project_plan(project: Project, changes: Mapping[str, Any]) -> None:
    for key, value in clean_project_plan(changes).items():
        setattr(project, key, value)


def apply_task_plan(task: Task, changes: Mapping[str, Any]) -> None:
    cleaned: dict[str, Any] = {}
    if "estimate_minutes" in changes:
        cleaned["estimate_minutes"] = clean_estimate_minutes(changes["estimate_minutes"])
    if "due_date" in changes:
        cleaned["due_date"] = clean_due_date(changes["due_date"])
    for key, value in cleaned.items():
        setattr(task, key, value)


# ------------------------------------------------------------------ form text


def parse_form_number(text: str, field: str, *, whole: bool = False) -> float | int | None:
    """A form box's number: empty → None (clears the field), else a number or a clear error."""
    text = text.strip().replace(",", ".") if not whole else text.strip()
    if not text:
        return None
    try:
        return int(text) if whole else float(text)
    except ValueError as exc:
        kind = "a whole number" if whole else "a number"
        raise ValidationError(f"must be {kind}", field=field) from exc


def parse_form_alerts(text: str) -> list[int]:
    """"80, 100" → [80, 100]; the checks then apply as for the API."""
    parts = [p.strip().rstrip("%").strip() for p in text.split(",")]
    parts = [p for p in parts if p]
    values: list[int] = []
    for part in parts:
        try:
            values.append(int(part))
        except ValueError as exc:
            raise ValidationError(
                f"must be 1 to {MAX_ALERTS} whole numbers separated by commas, like 80, 100", field="budget_alerts"
            ) from exc
    return clean_budget_alerts(values)
