"""The minute sweep of each instance (docs/notifications.md, "Sweep"): derive what is due for
every user whose bookkeeping says so, then e-mail unsent notices.

Started by the app's lifespan (app/asgi.py) when `MOMENTUM_NOTIFY_SWEEP_SECONDS` > 0. Any
number of instances may sweep at once: a derivation runs under the user's lock and stores
each occurrence once (derive.py), an e-mail is claimed by one conditional UPDATE (email.py).
A failure is logged and the next round tries again; it never reaches a request.
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import datetime
from typing import Any

import msgspec
from sqlalchemy import or_, select

from app.db.config import OpenSession
from app.db.models import NotificationPrefs, User
from app.domain.accounts.schemas import CurrentUser
from app.domain.notifications.config import NotifyConfig
from app.domain.notifications.derive import derive
from app.domain.notifications.email import send_due
from app.lib import clock

__all__ = ["SweepResult", "run_sweeper", "sweep_once"]

log = logging.getLogger("momentum.notifications")

BATCH = 200
ROUND_BUDGET_SECONDS = 45.0  # a round stops deriving after this long; the next one goes on


class SweepResult(msgspec.Struct):
    derived_users: int = 0
    new_notices: int = 0
    emailed: int = 0


def _due_users(now: datetime, after_id: int) -> Any:
    return (
        select(
            User.id,
            User.email,
            User.timezone,
            User.standard_hours_per_day,
            User.working_days,
            User.streak_min_minutes,
            User.streak_skip_non_working,
            User.data_version,
        )
        .outerjoin(NotificationPrefs, NotificationPrefs.user_id == User.id)
        .where(
            User.id > after_id,
            or_(
                NotificationPrefs.id.is_(None),
                NotificationPrefs.next_check_at.is_(None),
                NotificationPrefs.next_check_at <= now,
                NotificationPrefs.derived_version != User.data_version,
            ),
        )
        .order_by(User.id)
        .limit(BATCH)
    )


def _user(row: Any) -> CurrentUser:
    uid, email, zone, hours, days, streak_min, skip, version = row
    return CurrentUser(
        id=int(uid),
        email=email,
        timezone=zone,
        standard_hours_per_day=float(hours),
        working_days=tuple(days or ()),
        streak_min_minutes=int(streak_min or 0),
        streak_skip_non_working=bool(skip),
        data_version=int(version),
    )


async def sweep_once(open_db: OpenSession, config: NotifyConfig, default_zone: str, now: datetime) -> SweepResult:
    """One round: derive for every due user (in batches, within a time budget), then e-mail."""
    result = SweepResult()
    started = time.monotonic()
    after = 0
    while time.monotonic() - started < ROUND_BUDGET_SECONDS:
        async with open_db() as db:
            rows = (await db.execute(_due_users(now, after))).all()
            if not rows:
                break
            for row in rows:
                user = _user(row)
                after = user.id
                try:
                    created = await derive(db, user, default_zone, now)
                except Exception:
                    log.exception("deriving the notices of user %s failed; the next sweep tries again", user.id)
                    continue
                result.derived_users += 1
                result.new_notices += len(created)
    try:
        result.emailed = await send_due(open_db, config, now)
    except Exception:
        log.exception("the e-mail sweep failed; the next sweep tries again")
    return result


async def run_sweeper(open_db: OpenSession, config: NotifyConfig, default_zone: str) -> None:
    """Sweep every `config.sweep_seconds` until cancelled (the app's lifespan)."""
    while True:
        try:
            await sweep_once(open_db, config, default_zone, clock.now())
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("notification sweep failed")
        await asyncio.sleep(config.sweep_seconds)
