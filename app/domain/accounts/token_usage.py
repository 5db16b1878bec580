"""`api_tokens.last_used_at`: when a token was last used, to the minute (CONTRACT
section 6; shown by `GET /api/auth/tokens`), and `user_sessions.last_seen_at` the same
way for browser sessions (the account page's session list).

Bookkeeping, not a write of the user's data, so it does not go through the unit of
work. At most one write a minute per token: each process remembers when it last wrote
a token's time, and the UPDATE itself only changes a row whose time is empty or over a
minute old, so several workers or instances still write it once a minute at most. The
write runs after the request, in a task of its own, and a failure only costs a late
`last_used_at`.
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import or_, update
from sqlalchemy.engine import CursorResult

from app.db.config import OpenSession, writing
from app.db.models import ApiToken, UserSession

log = logging.getLogger(__name__)

INTERVAL = timedelta(seconds=60)
_MAX_REMEMBERED = 10_000
_written: dict[str, float] = {}  # token hash -> time.monotonic() of this process's last write
_tasks: set[asyncio.Task[bool]] = set()



async def _stamp(column: Any, key: Any, digest: str, open_db: OpenSession, now: datetime) -> bool:
    """Set `column` (of the row whose `key` is `digest`) to `now` unless it was set less
    than a minute ago: one conditional UPDATE in a short transaction of its own."""
    statement = (
        update(column.class_)
        .where(key == digest, or_(column.is_(None), column < now - INTERVAL))
        .values({column.key: now})
        .execution_options(synchronize_session=False)
    )
    with writing():
        async with open_db() as db:
            result = await db.execute(statement)
            await db.commit()
    return isinstance(result, CursorResult) and result.rowcount > 0


async def touch_token(digest: str, open_db: OpenSession, now: datetime | None = None) -> bool:
    """Set the token's last_used_at to `now` unless it was set less than a minute ago.
    True when a row changed."""
    return await _stamp(ApiToken.last_used_at, ApiToken.token_hash, digest, open_db, now or datetime.now(UTC))


async def touch_session(digest: str, open_db: OpenSession, now: datetime | None = None) -> bool:
    """The same for a browser session's last_seen_at. True when a row changed."""
    return await _stamp(UserSession.last_seen_at, UserSession.token_hash, digest, open_db, now or datetime.now(UTC))


async def _touch_quietly(digest: str, open_db: OpenSession, kind: str) -> bool:
    try:
        if kind == "s":
            return await touch_session(digest, open_db)
        return await touch_token(digest, open_db)
    except Exception:  # bookkeeping must never fail a request or flood the log
        log.warning("could not record the use of a credential", exc_info=True)
        return False


def remember_write(digest: str) -> None:
    """A credential's time was just written (a new session): no bookkeeping for a minute."""
    if len(_written) >= _MAX_REMEMBERED:
        _written.clear()
    _written[digest] = time.monotonic()


def note_token_use(digest: str, open_db: OpenSession, kind: str = "t") -> None:
    """Called for every request authenticated by a token (kind "t") or a session (kind
    "s"); writes at most once a minute."""
    clock = time.monotonic()
    last = _written.get(digest)
    if last is not None and clock - last < INTERVAL.total_seconds():
        return
    if len(_written) >= _MAX_REMEMBERED:
        _written.clear()
    _written[digest] = clock
    task = asyncio.get_running_loop().create_task(_touch_quietly(digest, open_db, kind))
    _tasks.add(task)
    task.add_done_callback(_tasks.discard)


async def settle() -> None:
    """Wait for the bookkeeping writes in flight (tests measure a request's own queries)."""
    while _tasks:
        await asyncio.gather(*list(_tasks), return_exceptions=True)
