"""The field rules of CONTRACT section 2 shared by projects, tasks, entries and the timer:
one check each, for the JSON API and the HTML forms alike; a violation raises
ValidationError naming the field."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec

from app.lib.bounds import MAX_TAG_LEN, MAX_TAGS, OFFSET_MESSAGE, check_year
from app.lib.errors import AppError, ValidationError
from app.lib.time import get_zone

MAX_ENTRY = timedelta(days=7)
FUTURE_SLACK = timedelta(minutes=5)
MAX_TEXT = 2000


def utcnow() -> datetime:
    return datetime.now(UTC)


# ------------------------------------------------------------------ validation helpers


def require_aware(value: datetime, field: str) -> datetime:
    """The value in UTC; 400 naming the field without an offset or outside 1970–2200."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValidationError(OFFSET_MESSAGE, field=field)
    check_year(value, field)
    return value.astimezone(UTC)


# How the forms name each field: messages say "End must be after start", never the
# internal names (the API keeps the field name in front: "end_time: End must be …").
LABELS = {
    "start_time": "Start", "end_time": "End", "notes": "Notes", "outcome": "Outcome",
    "tags": "Tags", "project_id": "Project", "task_id": "Task", "start": "From", "end": "To",
    "name": "Name", "color": "Colour", "budget_hours": "Budget (hours)", "budget_period": "Budget period",
    "hourly_rate": "Hourly rate", "due_date": "Due date", "budget_alerts": "Budget notices",
    "estimate_minutes": "Estimate (minutes)", "target": "Target", "metric": "Measure", "period": "Period",
    "direction": "Direction",
}


def label(field: str) -> str:
    return LABELS.get(field, field.replace("_", " ").capitalize())


def form_message(exc: AppError) -> str:
    """An error shown above a form that has several fields: the field's label in words
    ("Name: must be 1 to 120 characters"), never its internal name."""
    if not exc.field or exc.message[:1].isupper():
        return exc.message
    return f"{label(exc.field)}: {exc.message}"


def clean_text(value: str, field: str) -> str:
    if len(value) > MAX_TEXT:
        raise ValidationError(f"{label(field)} must be at most {MAX_TEXT} characters", field=field)
    return value


def clean_tags(tags: Sequence[str]) -> list[str]:
    """Strip, drop empties, de-duplicate (first occurrence wins), at most 20 of at most 40
    characters (CONTRACT section 6). Linear in the input and stopping at the 21st distinct
    tag: the HTML form, CSV import and backup import hand their raw lists here."""
    cleaned: list[str] = []
    seen: set[str] = set()
    for tag in tags:
        if not isinstance(tag, str):
            raise ValidationError("must be a list of strings", field="tags")
        tag = tag.strip()
        if len(tag) > MAX_TAG_LEN:
            raise ValidationError(f"each tag must be at most {MAX_TAG_LEN} characters", field="tags")
        if not tag or tag in seen:
            continue
        if len(cleaned) == MAX_TAGS:
            raise ValidationError(f"at most {MAX_TAGS} tags", field="tags")
        seen.add(tag)
        cleaned.append(tag)
    return cleaned


def check_interval(start: datetime, end: datetime | None, now: datetime) -> None:
    """CONTRACT section 2: end > start, at most 7 days, end ≤ now + 5 min."""
    if start > now + FUTURE_SLACK:
        raise ValidationError("Start cannot be in the future", field="start_time")
    if end is None:
        return
    if end <= start:
        raise ValidationError("End must be after start", field="end_time")
    if end - start > MAX_ENTRY:
        raise ValidationError("An entry can last at most 7 days", field="end_time")
    if end > now + FUTURE_SLACK:
        raise ValidationError("End cannot be more than 5 minutes in the future", field="end_time")


def clean_name(name: str, field: str = "name", max_len: int = 120) -> str:
    value = name.strip()
    if not value or len(value) > max_len:
        raise ValidationError(f"must be 1 to {max_len} characters", field=field)
    return value


def iso_local(value: datetime, zone_name: str) -> str:
    return value.astimezone(get_zone(zone_name)).isoformat()


def unset_to_dict(struct: msgspec.Struct) -> dict[str, Any]:
    """The fields a PATCH body actually sent."""
    return {f: getattr(struct, f) for f in struct.__struct_fields__ if getattr(struct, f) is not msgspec.UNSET}
