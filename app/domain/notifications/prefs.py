"""A user's notification settings (CONTRACT section 8): every kind switchable, every rule tunable.

`GET/PATCH /api/me/notifications` and the Settings page's section read and write the
same `NotificationSettings`; absent keys take the defaults below, so adding a setting
needs no migration. Validation names the field (422).
"""

from __future__ import annotations

from datetime import time
from typing import Any

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import NotificationPrefs
from app.db.uow import unit_of_work
from app.lib.errors import ValidationError

KINDS = (
    "long_timer",
    "daily_reminder",
    "daily_summary",
    "goal_achieved",
    "goal_exceeded",
    "streak_milestone",
    "budget_threshold",
)
RULE_KIND = "rule"  # created by automation rules' `notify` action (docs/rules.md)
KIND_LABELS = {
    "long_timer": "Long-running timer",
    "daily_reminder": "Daily reminder to track time",
    "daily_summary": "Daily summary",
    "goal_achieved": "Goal achieved",
    "goal_exceeded": "Limit exceeded",
    "streak_milestone": "Streak milestones",
    "budget_threshold": "Project budget thresholds",
    "rule": "Automation rules",
}
STREAK_MILESTONES = (7, 30, 100, 365)
MAX_LONG_TIMER_HOURS = 168.0
MAX_IDLE_MINUTES = 480


class UnprocessableError(ValidationError):
    """A well-formed value the settings refuse (422 naming the field)."""

    status_code = 422


class NotificationSettings(msgspec.Struct, frozen=True, kw_only=True):
    """`GET /api/me/notifications`: one switch per kind, the tunables, delivery."""

    long_timer: bool = True
    long_timer_hours: float = 8.0
    daily_reminder: bool = True
    reminder_time: str = "11:00"
    daily_summary: bool = True
    summary_time: str = "18:00"
    goal_achieved: bool = True
    goal_exceeded: bool = True
    streak_milestone: bool = True
    budget_threshold: bool = True
    idle_minutes: int = 10  # 0 = off
    email: bool = True  # e-mail the notices when the server has MOMENTUM_SMTP_URL

    def enabled(self, kind: str) -> bool:
        return bool(getattr(self, kind, True)) if kind in KINDS else True

    def reminder_clock(self) -> time:
        return parse_clock(self.reminder_time, "reminder_time")

    def summary_clock(self) -> time:
        return parse_clock(self.summary_time, "summary_time")


class NotificationSettingsPatch(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """`PATCH /api/me/notifications`: any subset of the settings."""

    long_timer: bool | msgspec.UnsetType = msgspec.UNSET
    long_timer_hours: float | msgspec.UnsetType = msgspec.UNSET
    daily_reminder: bool | msgspec.UnsetType = msgspec.UNSET
    reminder_time: str | msgspec.UnsetType = msgspec.UNSET
    daily_summary: bool | msgspec.UnsetType = msgspec.UNSET
    summary_time: str | msgspec.UnsetType = msgspec.UNSET
    goal_achieved: bool | msgspec.UnsetType = msgspec.UNSET
    goal_exceeded: bool | msgspec.UnsetType = msgspec.UNSET
    streak_milestone: bool | msgspec.UnsetType = msgspec.UNSET
    budget_threshold: bool | msgspec.UnsetType = msgspec.UNSET
    idle_minutes: int | msgspec.UnsetType = msgspec.UNSET
    email: bool | msgspec.UnsetType = msgspec.UNSET

    def changes(self) -> dict[str, Any]:
        return {f: v for f in self.__struct_fields__ if (v := getattr(self, f)) is not msgspec.UNSET}


DEFAULTS = NotificationSettings()
_FIELDS = frozenset(NotificationSettings.__struct_fields__)


def parse_clock(value: str, field: str) -> time:
    """`HH:MM` (24 h) → time; anything else is a 422 naming `field`."""
    text = value.strip()
    parts = text.split(":")
    if len(parts) != 2 or not all(p.isdigit() and len(p) == 2 for p in parts):
        raise UnprocessableError("must be a time of day as HH:MM (24 h)", field=field)
    hour, minute = int(parts[0]), int(parts[1])
    if hour > 23 or minute > 59:
        raise UnprocessableError("must be a time of day as HH:MM (24 h)", field=field)
    return time(hour, minute)


def validate_changes(changes: dict[str, Any]) -> dict[str, Any]:
    """The cleaned changes, or a 422 naming the first bad field."""
    out: dict[str, Any] = {}
    for field, value in changes.items():
        if field not in _FIELDS:
            raise UnprocessableError("is not a notification setting", field=field)
        if field == "long_timer_hours":
            hours = float(value)
            if not 0 < hours <= MAX_LONG_TIMER_HOURS or hours != hours:
                raise UnprocessableError(f"must be more than 0 and at most {MAX_LONG_TIMER_HOURS:g}", field=field)
            out[field] = hours
        elif field in ("reminder_time", "summary_time"):
            out[field] = parse_clock(str(value), field).strftime("%H:%M")
        elif field == "idle_minutes":
            minutes = int(value)
            if not 0 <= minutes <= MAX_IDLE_MINUTES:
                raise UnprocessableError(f"must be between 0 (off) and {MAX_IDLE_MINUTES}", field=field)
            out[field] = minutes
        else:
            out[field] = bool(value)
    return out


def from_stored(raw: dict[str, Any] | None) -> NotificationSettings:
    """The settings a stored JSON object describes; unknown or broken values take their defaults."""
    if not raw:
        return DEFAULTS
    clean: dict[str, Any] = {}
    for field, value in raw.items():
        try:
            clean.update(validate_changes({field: value}))
        except (ValidationError, TypeError, ValueError):
            continue
    return msgspec.structs.replace(DEFAULTS, **clean)


async def load_row(db: AsyncSession, user_id: int) -> NotificationPrefs | None:
    return await db.scalar(select(NotificationPrefs).where(NotificationPrefs.user_id == user_id))


async def load_settings(db: AsyncSession, user_id: int) -> NotificationSettings:
    row = await load_row(db, user_id)
    return from_stored(row.settings if row is not None else None)


async def ensure_row(db: AsyncSession, user_id: int) -> NotificationPrefs:
    """The user's prefs row, created when missing. Call inside the user's unit of work (the
    user lock makes the create race-free)."""
    row = await load_row(db, user_id)
    if row is None:
        row = NotificationPrefs(user_id=user_id, settings={}, state={}, next_check_at=None, derived_version=-1)
        db.add(row)
        await db.flush()
    return row


@unit_of_work(source="api")
async def update_settings(db: AsyncSession, user_id: int, changes: dict[str, Any]) -> NotificationSettings:
    """Validate and store `changes`; the next poll derives again (the unit moved the data version)."""
    clean = validate_changes(changes)
    row = await ensure_row(db, user_id)
    stored = dict(row.settings or {})
    stored.update(clean)
    row.settings = stored
    row.next_check_at = None
    await db.flush()
    return from_stored(stored)
