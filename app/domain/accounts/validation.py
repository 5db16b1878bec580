"""The account fields' rules: email, password, time zone, standard hours, working days and
the streak minimum. Each validator returns the clean value or raises a ValidationError
naming its field."""

from __future__ import annotations

from collections.abc import Iterable

from app.lib.errors import ValidationError
from app.lib.time import is_valid_timezone

MIN_PASSWORD = 8


def normalize_email(email: str) -> str:
    return email.strip().lower()


def validate_email(email: str) -> str:
    value = normalize_email(email)
    local, _, domain = value.partition("@")
    if not local or "." not in domain or len(value) > 320 or any(c.isspace() for c in value):
        raise ValidationError("must be a valid email address", field="email")
    return value


def validate_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise ValidationError(f"must be at least {MIN_PASSWORD} characters", field="password")
    if len(password) > 1024:
        raise ValidationError("must be at most 1024 characters", field="password")
    return password


def validate_timezone(tz: str | None, *, required: bool = False) -> str | None:
    if tz is None or tz == "":
        if required:
            raise ValidationError("is required", field="timezone")
        return None
    if not is_valid_timezone(tz):
        raise ValidationError(f"{tz!r} is not an IANA time zone (e.g. Europe/Berlin)", field="timezone")
    return tz


def validate_standard_hours(value: float) -> float:
    if not isinstance(value, int | float) or isinstance(value, bool) or not (0 < value <= 24):
        raise ValidationError("must be more than 0 and at most 24", field="standard_hours_per_day")
    return float(value)


def validate_working_days(days: Iterable[int]) -> list[int]:
    values = list(days)
    if any(isinstance(d, bool) or not isinstance(d, int) or not 1 <= d <= 7 for d in values):
        raise ValidationError("must be ISO weekdays 1 (Monday) to 7 (Sunday)", field="working_days")
    return sorted(set(values))


def validate_streak_min(value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 24 * 60:
        raise ValidationError("must be a whole number of minutes from 0 to 1440", field="streak_min_minutes")
    return value
