"""Idle time and the forgotten timer (CONTRACT section 8): `POST /api/timer/idle` and the
long-timer notice's "stop now" / "stop at" actions, all through the timer service.

`discard_stop` stops the running timer at `idle_since`; `discard_continue` stops it there
and starts a new timer now with the same project, task, notes and billable — one unit of
work, so nobody sees the gap half-made. `keep` changes nothing. An `idle_since` equal to
the timer's start discards the whole timer (there is no time to keep).
"""

from __future__ import annotations

from datetime import datetime

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import TimeEntry
from app.db.uow import touched, unit_of_work
from app.domain.accounts.schemas import CurrentUser
from app.domain.notifications.prefs import UnprocessableError
from app.domain.tracking import timer as timer_svc
from app.lib.bounds import Body, Stamp
from app.lib.errors import ConflictError

__all__ = ["IDLE_ACTIONS", "IdleIn", "IdleResult", "resolve_idle", "stop_running"]

IDLE_ACTIONS = ("keep", "discard_continue", "discard_stop")


class IdleIn(Body):
    idle_since: Stamp
    action: str


class IdleResult(msgspec.Struct):
    action: str
    stopped_entry_id: int | None  # the entry that now ends at idle_since (None: kept or discarded whole)
    active_timer_id: int | None  # the timer running afterwards (None: stopped)


def _check(entry: TimeEntry | None, idle_since: datetime, action: str, now: datetime) -> TimeEntry:
    if action not in IDLE_ACTIONS:
        raise UnprocessableError("must be keep, discard_continue or discard_stop", field="action")
    if idle_since.tzinfo is None:
        raise UnprocessableError("must carry a UTC offset (RFC 3339)", field="idle_since")
    if idle_since > now:
        raise UnprocessableError("must not be in the future", field="idle_since")
    if entry is None:
        raise ConflictError("no timer is running")
    if idle_since < entry.start_time:
        raise UnprocessableError("must not be before the timer's start", field="idle_since")
    return entry


@unit_of_work(source="timer")
async def resolve_idle(
    db: AsyncSession, user: CurrentUser, zone_name: str, *, idle_since: datetime, action: str, now: datetime
) -> IdleResult:
    """Apply the user's answer to "you were idle since …" (see the module doc)."""
    entry = _check(await timer_svc.running_entry(db, user.id), idle_since, action, now)
    if action == "keep":
        return IdleResult(action=action, stopped_entry_id=None, active_timer_id=entry.id)
    project_id, task_id, notes, billable = entry.project_id, entry.task_id, entry.notes, entry.billable
    stopped_id: int | None = None
    if idle_since <= entry.start_time:
        touched(db, entry.start_time, None)
        await db.delete(entry)
        await db.flush()
    else:
        stopped = await timer_svc.stop_timer(db, user, zone_name, end=idle_since)
        stopped_id = stopped.id
    if action == "discard_stop":
        return IdleResult(action=action, stopped_entry_id=stopped_id, active_timer_id=None)
    started = await timer_svc.start_timer(
        db, user.id, project_id=project_id, task_id=task_id, notes=notes, billable=billable
    )
    return IdleResult(action=action, stopped_entry_id=stopped_id, active_timer_id=started.id)


@unit_of_work(source="timer")
async def stop_running(
    db: AsyncSession, user: CurrentUser, zone_name: str, *, entry_id: int, end: datetime | None
) -> TimeEntry:
    """The long-timer notice's "stop now" / "stop at <time>": stops that timer if it still runs."""
    entry = await timer_svc.running_entry(db, user.id)
    if entry is None or entry.id != entry_id:
        raise ConflictError("that timer is no longer running")
    return await timer_svc.stop_timer(db, user, zone_name, end=end)
