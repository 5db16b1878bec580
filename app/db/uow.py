"""The write path: one unit of work for every write of a user's data.

See docs/architecture.md ("The write path"). In order, `write()`:

1. begins a write transaction (BEGIN IMMEDIATE on SQLite, so the database write lock is
   taken up front);
2. locks the user: ``UPDATE users SET data_version = data_version + 1`` — a row lock on
   PostgreSQL held until commit, so two writes of one user (on any instance) never
   interleave; the same statement moves the user's data version, which every cached
   figure is keyed by (docs/productivity.md, "Freshness");
3. runs the caller's work, which reads what it needs *after* the lock;
4. recomputes the per-day rollup (``day_totals``) of every local day an interval passed
   to :func:`touched` covers, from the entries themselves, inside the same transaction;
5. runs the before-commit hooks (automation rules) in the same transaction;
6. commits, retrying a serialisation failure, a deadlock or a busy SQLite database a
   bounded number of times (the work must therefore be re-runnable);
7. after the commit: runs the after-commit callbacks and hooks (notices, webhooks, e-mail).
   Nothing is written to the cache: cached figures are keyed by ``data_version`` and
   ``history_version`` (moved before the commit when old days changed), read from the
   database with the credential on every request, so no cache state can revive an old
   figure (CONTRACT section 6).

Handlers never commit or invalidate by hand; the architecture test keeps `commit()`
out of every other module.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Concatenate, ParamSpec, TypeVar

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.ext.asyncio import AsyncSession

from app.db import rollups
from app.db.config import writing
from app.lib.errors import NotFoundError

log = logging.getLogger(__name__)

T = TypeVar("T")
P = ParamSpec("P")
Interval = tuple[datetime, datetime | None]

MAX_ATTEMPTS = 4
_TOUCHED = "momentum_touched"
_WORK = "momentum_work"
# PostgreSQL: serialization_failure, deadlock_detected, lock_not_available.
_RETRY_SQLSTATES = frozenset({"40001", "40P01", "55P03"})


@dataclass(slots=True)
class Event:
    """Something a write did that automation rules may react to (docs/rules.md)."""

    kind: str  # entry_saved | entry_deleted | task_completed | timer_running | project_saved
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class Work:
    """What one unit of work knows; passed to the caller's function and to hooks."""

    db: AsyncSession
    user_id: int
    now: datetime
    source: str
    zone_name: str = "UTC"
    data_version: int = 0
    events: list[Event] = field(default_factory=list)
    in_rule: bool = False
    default_zone: str = "UTC"
    _after: list[Callable[[], Awaitable[None]]] = field(default_factory=list)

    def touched(self, start: datetime, end: datetime | None) -> None:
        touched(self.db, start, end)

    def emit(self, kind: str, **data: Any) -> None:
        if not self.in_rule:  # a rule's own changes trigger no rule (docs/rules.md)
            self.events.append(Event(kind, data))

    def after_commit(self, fn: Callable[[], Awaitable[None]]) -> None:
        self._after.append(fn)


Hook = Callable[[Work], Awaitable[None]]
_before_commit: list[Hook] = []
_after_commit: list[Hook] = []
_default_zone = "UTC"


def configure(*, default_zone: str) -> None:
    """Called once by create_app: the zone of users without their own (MOMENTUM_TIMEZONE)."""
    global _default_zone
    _default_zone = default_zone


def default_zone() -> str:
    """MOMENTUM_TIMEZONE as configured: the zone of users without their own."""
    return _default_zone


def register_before_commit(hook: Hook) -> None:
    """Run `hook` inside every unit's transaction, after its work (rules). Registered at start-up."""
    if hook not in _before_commit:
        _before_commit.append(hook)


def register_after_commit(hook: Hook) -> None:
    """Run `hook` after every unit's commit, outside the transaction (notices, webhooks)."""
    if hook not in _after_commit:
        _after_commit.append(hook)


def touched(db: AsyncSession, start: datetime, end: datetime | None) -> None:
    """Record that an entry interval changed (call with the old and the new interval):
    the unit of work recomputes those local days' rollup before commit."""
    db.info.setdefault(_TOUCHED, []).append((start, end))


def current_work(db: AsyncSession) -> Work | None:
    """The unit of work running on this session, if any (for services that emit events)."""
    work = db.info.get(_WORK)
    return work if isinstance(work, Work) else None


def utcnow() -> datetime:
    return datetime.now(UTC)


def is_retryable(exc: BaseException) -> bool:
    """A conflict another attempt can resolve: serialisation failure, deadlock, busy SQLite."""
    if isinstance(exc, OperationalError) and "database is locked" in str(exc):
        return True
    if isinstance(exc, DBAPIError):
        orig = exc.orig
        for candidate in (orig, getattr(orig, "__cause__", None)):
            code = getattr(candidate, "sqlstate", None) or getattr(candidate, "pgcode", None)
            if code in _RETRY_SQLSTATES:
                return True
    return False


async def lock_user(db: AsyncSession, user_id: int) -> tuple[int, str | None]:
    """Take the per-user write lock and move the data version; returns (version, zone)."""
    row = (
        await db.execute(
            text(
                "UPDATE users SET data_version = data_version + 1 WHERE id = :uid "
                "RETURNING data_version, timezone"
            ),
            {"uid": user_id},
        )
    ).first()
    if row is None:
        raise NotFoundError("user")
    return int(row[0]), row[1]


async def write(
    db: AsyncSession,
    user_id: int,
    fn: Callable[[Work], Awaitable[T]],
    *,
    source: str = "api",
    now: datetime | None = None,
    attempts: int = MAX_ATTEMPTS,
) -> T:
    """Run `fn` as one serialised, retried unit of work of `user_id` (see the module doc).

    Inside a running unit of work on the same session (a service composed of other
    services), `fn` simply joins it: one lock, one commit, one version bump.
    """
    outer = current_work(db)
    if outer is not None:
        if outer.user_id != user_id:
            raise RuntimeError("one unit of work writes one user's data")
        return await fn(outer)
    for attempt in range(1, attempts + 1):
        work = Work(db=db, user_id=user_id, now=now or utcnow(), source=source)
        try:
            result = await _attempt(db, work, fn)
        except BaseException as exc:
            db.info.pop(_TOUCHED, None)
            db.info.pop(_WORK, None)
            db.info.pop(rollups.HISTORY_CHANGED, None)
            await _safe_rollback(db)
            if attempt < attempts and is_retryable(exc):
                log.info("write of user %s conflicted (attempt %s): retrying", user_id, attempt)
                await asyncio.sleep(random.uniform(0.005, 0.03) * attempt)
                continue
            raise
        db.info.pop(rollups.HISTORY_CHANGED, None)
        await _after_commit_effects(work)
        return result
    raise AssertionError("unreachable")  # pragma: no cover


async def _attempt(db: AsyncSession, work: Work, fn: Callable[[Work], Awaitable[T]]) -> T:
    with writing():
        if db.in_transaction():
            # Reads the handler made before the write must not hold an old snapshot
            # (or, on SQLite, a read transaction that cannot upgrade to the write lock).
            await db.rollback()
        db.info[_WORK] = work
        db.info.pop(_TOUCHED, None)
        version, zone = await lock_user(db, work.user_id)
        work.data_version = version
        work.default_zone = _default_zone
        work.zone_name = zone or _default_zone
        result = await fn(work)
        await db.flush()
        for hook in _before_commit:
            await hook(work)
            await db.flush()
        intervals: list[Interval] = db.info.pop(_TOUCHED, [])
        if intervals:
            await rollups.refresh_days(db, work.user_id, work.zone_name, intervals, today=work.now)
        await rollups.move_history_version(db, work.user_id)  # keys the cached history summary
        await db.commit()
    db.info.pop(_WORK, None)
    return result


async def _safe_rollback(db: AsyncSession) -> None:
    try:
        await db.rollback()
    except Exception:  # the connection may be gone (database outage); the pool discards it
        log.debug("rollback failed", exc_info=True)


async def _after_commit_effects(work: Work) -> None:
    """Side effects after the commit; none may fail the write. (Freshness needs nothing
    here: the versions that key cached figures moved inside the transaction.)"""
    for fn in work._after:
        try:
            await fn()
        except Exception:
            log.exception("after-commit callback of user %s failed", work.user_id)
    for hook in _after_commit:
        try:
            await hook(work)
        except Exception:
            log.exception("after-commit hook of user %s failed", work.user_id)


U = TypeVar("U")  # the user: an id (int) or an object with `.id` (CurrentUser, User)


def unit_of_work(
    source: str = "api",
) -> Callable[
    [Callable[Concatenate[AsyncSession, U, P], Awaitable[T]]],
    Callable[Concatenate[AsyncSession, U, P], Awaitable[T]],
]:
    """Make a service function `(db, user_or_user_id, ...)` one unit of work of that user.

    The service body runs after the user's lock is taken and is re-run on a retried
    conflict, so it must read what it needs inside (it does: services fetch by id).
    """

    def decorate(
        fn: Callable[Concatenate[AsyncSession, U, P], Awaitable[T]],
    ) -> Callable[Concatenate[AsyncSession, U, P], Awaitable[T]]:
        @functools.wraps(fn)
        async def wrapper(db: AsyncSession, user: U, /, *args: P.args, **kwargs: P.kwargs) -> T:
            user_id = user if isinstance(user, int) else int(getattr(user, "id"))  # noqa: B009

            async def run(_work: Work) -> T:
                return await fn(db, user, *args, **kwargs)

            return await write(db, user_id, run, source=source)

        return wrapper

    return decorate


def emit(db: AsyncSession, kind: str, **data: Any) -> None:
    """Record a domain event on the running unit of work (no-op outside one)."""
    work = current_work(db)
    if work is not None:
        work.emit(kind, **data)
