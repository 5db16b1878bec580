"""Deriving due notices: on the bell's poll and in the minute sweep (docs/notifications.md).

`bell_state` is what every poll costs: ONE statement (unread count, newest id, the
running timer's start, the user's derivation bookkeeping and settings). It derives only
when the bookkeeping says something may be due — the user's data changed since the last
derivation (`users.data_version`, read with the credential) or a time-based moment
(`next_check_at`: a timer's long-timer line, the reminder or summary time, a day
boundary, a goal the running timer will reach) has passed.

`derive` runs as one short transaction under the user's lock (the users row on
PostgreSQL, the write lock on SQLite — the lock every unit of work takes first), so two
instances deriving at once take turns and the second finds the first's bookkeeping and
stops; it does not move the data version (a notice changes no figure, so no cached figure
is dropped). Each notice is stored by `store.add_notice` (insert-if-absent on its
occurrence key), so no occurrence is ever stored twice. The figures come from the
shared stats code (`ProductivityService.compute`, period 1) and the planning tally.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date, datetime, timedelta
from typing import Any

import msgspec
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from app.db import uow
from app.db.config import writing
from app.db.models import Notification, NotificationPrefs, TimeEntry
from app.domain.accounts.schemas import CurrentUser, UserPrefs
from app.domain.notifications.budget import budget_notices
from app.domain.notifications.kinds import DayFigures, RunningTimer, due_notices
from app.domain.notifications.prefs import NotificationSettings, ensure_row, from_stored
from app.domain.notifications.store import add_notice
from app.domain.productivity.schemas import StatsPayload
from app.domain.productivity.services import ProductivityService

__all__ = ["BellState", "bell_state", "derive", "is_due"]

_ONE_DAY = timedelta(days=1)


class BellState(msgspec.Struct, frozen=True):
    unread: int
    latest_id: int
    timer_start: datetime | None
    settings: NotificationSettings
    next_check_at: datetime | None = None  # the next moment something time-based can become due


def _bell_statement(user_id: int) -> Any:
    unread = (
        select(func.count())
        .select_from(Notification)
        .where(Notification.user_id == user_id, Notification.read_at.is_(None))
        .scalar_subquery()
    )
    latest = select(func.max(Notification.id)).where(Notification.user_id == user_id).scalar_subquery()
    timer = (
        select(TimeEntry.start_time)
        .where(TimeEntry.user_id == user_id, TimeEntry.end_time.is_(None))
        .limit(1)
        .scalar_subquery()
    )

    def pref(column: Any) -> Any:
        return select(column).where(NotificationPrefs.user_id == user_id).scalar_subquery()

    return select(
        unread,
        latest,
        timer,
        pref(NotificationPrefs.next_check_at),
        pref(NotificationPrefs.derived_version),
        pref(NotificationPrefs.settings),
    )


def is_due(
    next_check_at: datetime | None, derived_version: int | None, data_version: int | None, now: datetime
) -> bool:
    """Whether a derivation may find something: never derived, data changed since, or a
    time-based moment passed."""
    if derived_version is None or next_check_at is None:
        return True
    if data_version is not None and derived_version != data_version:
        return True
    return now >= next_check_at


async def _read_bell(db: AsyncSession, user_id: int) -> tuple[BellState, datetime | None, int | None]:
    row = (await db.execute(_bell_statement(user_id))).one()
    unread, latest, timer_start, next_check, version, raw_settings = row
    state = BellState(
        unread=int(unread or 0),
        latest_id=int(latest or 0),
        timer_start=timer_start,
        settings=from_stored(raw_settings if isinstance(raw_settings, dict) else None),
        next_check_at=next_check,
    )
    return state, next_check, (int(version) if version is not None else None)


async def bell_state(db: AsyncSession, user: CurrentUser, default_zone: str, now: datetime) -> BellState:
    """The bell's figures, deriving first when something may be due (see the module doc)."""
    state, next_check, version = await _read_bell(db, user.id)
    if not is_due(next_check, version, user.data_version, now):
        return state
    await derive(db, user, default_zone, now)
    return (await _read_bell(db, user.id))[0]


class _NoSession:
    """ProductivityService.compute gets the session passed in; it never opens one here."""

    @asynccontextmanager
    async def __call__(self) -> AsyncIterator[AsyncSession]:  # pragma: no cover - never called
        raise RuntimeError("derive passes its own session")
        yield


def _streak_anchor(payload: StatsPayload, prefs: UserPrefs, today: date) -> date:
    """The last day of the run `current_streak` counts: today when today counts, else the
    last counted day before it (CONTRACT 4, streak) — it names the run in the milestone key."""
    working = frozenset(prefs.working_days)

    def counts(day: date) -> bool:
        return not prefs.streak_skip_non_working or day.isoweekday() in working

    today_hours = payload.daily_breakdown[-1].hours if payload.daily_breakdown else 0.0
    active = today_hours > 0 and today_hours * 60 >= prefs.streak_min_minutes
    if counts(today) and active:
        return today
    day = today - _ONE_DAY
    for _ in range(7):
        if counts(day):
            return day
        day -= _ONE_DAY
    return day


def day_figures(payload: StatsPayload, prefs: UserPrefs, today: date) -> DayFigures:
    """Today's figures from the stats payload of period 1 (CONTRACT 4)."""
    summary = payload.summary
    last = payload.daily_breakdown[-1] if payload.daily_breakdown else None
    top = next((p for p in payload.projects if p.kind != "other"), None)
    return DayFigures(
        today=today,
        tracked_hours=summary.today_hours,
        live_hours=summary.today_live_hours,
        entry_count=last.entry_count if last else 0,
        goal_hours=summary.today_goal_hours,
        top_project=top.name if top else None,
        top_project_hours=top.hours if top else 0.0,
        current_streak=payload.streak.current_streak,
        streak_anchor=_streak_anchor(payload, prefs, today),
        goals=payload.goals,
    )


def running_timer(payload: StatsPayload) -> RunningTimer | None:
    active = payload.summary.active_timer
    if active is None:
        return None
    return RunningTimer(
        entry_id=active.id,
        start=datetime.fromisoformat(active.start_time),
        project_id=active.project_id,
        project_name=active.project_name,
    )


async def _lock_user(db: AsyncSession, user_id: int) -> int | None:
    """Serialise with the user's writes and other derivations, without moving the data version
    (notices change no figure): PostgreSQL locks the users row (the row every unit of work
    updates first); SQLite's BEGIN IMMEDIATE already holds the database's write lock.
    Returns users.data_version as it stands under the lock."""
    suffix = " FOR UPDATE" if db.get_bind().dialect.name == "postgresql" else ""
    version = await db.scalar(text(f"SELECT data_version FROM users WHERE id = :uid{suffix}"), {"uid": user_id})
    return int(version) if version is not None else None


async def derive(db: AsyncSession, user: CurrentUser, default_zone: str, now: datetime) -> list[int]:
    """Store every notice due at `now` (once per occurrence); the ids of the new ones.

    One short transaction under the user's lock, retried on a serialisation conflict like a
    unit of work; it moves no data version, so no cached figure is dropped for a notice."""
    for attempt in range(1, uow.MAX_ATTEMPTS + 1):
        try:
            with writing():
                if db.in_transaction():
                    await db.rollback()
                created = await _derive_locked(db, user, default_zone, now)
                await db.commit()
            return created
        except BaseException as exc:
            with contextlib.suppress(Exception):
                await db.rollback()
            if attempt < uow.MAX_ATTEMPTS and uow.is_retryable(exc):
                await asyncio.sleep(random.uniform(0.005, 0.03) * attempt)
                continue
            raise
    raise AssertionError("unreachable")  # pragma: no cover


async def _derive_locked(db: AsyncSession, user: CurrentUser, default_zone: str, now: datetime) -> list[int]:
    version = await _lock_user(db, user.id)
    if version is None:
        return []
    row = await ensure_row(db, user.id)
    if row.derived_version == version and row.next_check_at is not None and now < row.next_check_at:
        return []  # another instance derived between our check and our lock: nothing is due
    settings = from_stored(row.settings)
    prefs = user.prefs(default_zone)
    zone_name = prefs.timezone
    service = ProductivityService(_NoSession(), default_zone)
    payload = await service.compute(db, user, 1, now)
    today = payload.daily_breakdown[-1].date if payload.daily_breakdown else now.date()
    notices, next_check = due_notices(
        now=now,
        zone_name=zone_name,
        working_days=prefs.working_days,
        settings=settings,
        day=day_figures(payload, prefs, today),
        timer=running_timer(payload),
    )
    previous = dict(row.state or {}).get("budget")
    budget, budget_state = await budget_notices(
        db, user.id, zone_name, now, previous if isinstance(previous, dict) else {}
    )
    if settings.budget_threshold:
        notices.extend(budget)
    created: list[int] = []
    for notice in notices:
        new_id = await add_notice(
            db,
            user_id=user.id,
            kind=notice.kind,
            key=notice.key,
            title=notice.title,
            body=notice.body,
            action_url=notice.action_url,
            now=now,
        )
        if new_id is not None:
            created.append(new_id)
    row.state = {**dict(row.state or {}), "budget": budget_state}
    row.next_check_at = next_check
    row.derived_version = version
    await db.flush()
    return created
