"""A user's settings: time zone, standard hours, working days, streak rules, overlaps."""

from __future__ import annotations

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession

from app.db import rollups
from app.db.models import User
from app.db.uow import current_work, unit_of_work
from app.domain.accounts.validation import (
    validate_standard_hours,
    validate_streak_min,
    validate_timezone,
    validate_working_days,
)
from app.lib.errors import AuthError


@unit_of_work()
async def update_settings(
    db: AsyncSession,
    user_id: int,
    *,
    timezone: str | None | msgspec.UnsetType = msgspec.UNSET,
    standard_hours_per_day: float | msgspec.UnsetType = msgspec.UNSET,
    working_days: list[int] | msgspec.UnsetType = msgspec.UNSET,
    streak_min_minutes: int | msgspec.UnsetType = msgspec.UNSET,
    streak_skip_non_working: bool | msgspec.UnsetType = msgspec.UNSET,
    refuse_overlaps: bool | msgspec.UnsetType = msgspec.UNSET,
) -> tuple[User, bool]:
    """Validate and apply; returns (user, zone_changed). Nothing is written on error."""
    user = await db.get(User, user_id)
    if user is None:
        raise AuthError("authentication required")
    changes: dict[str, object] = {}
    if timezone is not msgspec.UNSET:
        changes["timezone"] = validate_timezone(timezone)
    if standard_hours_per_day is not msgspec.UNSET:
        changes["standard_hours_per_day"] = validate_standard_hours(standard_hours_per_day)
    if working_days is not msgspec.UNSET:
        changes["working_days"] = validate_working_days(working_days)
    if streak_min_minutes is not msgspec.UNSET:
        changes["streak_min_minutes"] = validate_streak_min(streak_min_minutes)
    if streak_skip_non_working is not msgspec.UNSET:
        changes["streak_skip_non_working"] = bool(streak_skip_non_working)
    if refuse_overlaps is not msgspec.UNSET:
        changes["refuse_overlaps"] = bool(refuse_overlaps)
    zone_changed = "timezone" in changes and changes["timezone"] != user.timezone
    for key, value in changes.items():
        setattr(user, key, value)
    await db.flush()
    work = current_work(db)
    if zone_changed and work is not None:
        # Local days move with the zone: the whole rollup is rebuilt in this transaction.
        await rollups.rebuild_all(db, user.id, user.timezone or work.default_zone)
    return user, zone_changed
