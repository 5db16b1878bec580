"""The user behind a credential: one indexed read per request of the session id's or API
token's row joined with its user (docs/architecture.md, "Who is calling"). The readers at
the driver's level are app/domain/accounts/credentials.py."""

from __future__ import annotations

import functools
import json
import sqlite3
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import null, select

from app.db.config import OpenSession
from app.db.models import ApiToken, User, UserSession
from app.db.rawsql import read_utc
from app.domain.accounts.credentials import CredentialReader, PgCredentialReader
from app.domain.accounts.hashing import sha256
from app.domain.accounts.schemas import CurrentUser

_USER_COLUMNS = (
    User.id,
    User.email,
    User.timezone,
    User.standard_hours_per_day,
    User.working_days,
    User.streak_min_minutes,
    User.streak_skip_non_working,
    User.refuse_overlaps,
    User.data_version,
    User.created_at,
    User.theme,
    User.shortcuts,
    User.history_version,
)


@functools.lru_cache(maxsize=1024)
def _days_from_text(text: str) -> tuple[int, ...]:
    """users.working_days read as JSON text, parsed once per distinct text (every request
    reads one of a few; a tuple, so no caller can change what the next request reads)."""
    return tuple(json.loads(text) or ())


async def user_for_credential(
    kind: str, raw: str, open_db: OpenSession, fast: CredentialReader | None = None
) -> CurrentUser | None:
    """The user behind a session id (kind "s") or an API token (kind "t"), or None.

    One indexed query on every request (the credential's unique hash joined with its
    user), never a cache: a logged-out session or a revoked token is dead the moment its
    row is gone, whatever a cache restored from disk or missed during a hang
    (CONTRACT section 6). The row also carries the user's data version, which keys the
    cached figures (docs/productivity.md, "Freshness"). `fast` reads it at the driver's
    level (app/domain/accounts/credentials.py): on a SQLite file on the calling thread —
    when SQLite cannot answer at once, the query goes through the ORM like every other —
    and on PostgreSQL with asyncpg directly.
    """
    digest = sha256(raw)
    row: Any = None
    answered = False
    if isinstance(fast, PgCredentialReader):
        row = await fast.fetch(kind, digest)
        answered = True
    elif fast is not None:
        try:
            row = fast.read(kind, digest)
            answered = True
        except sqlite3.Error:
            answered = False
    if not answered:
        async with open_db() as db:
            if kind == "s":
                statement = (
                    select(*_USER_COLUMNS, UserSession.expires_at)
                    .join(UserSession, UserSession.user_id == User.id)
                    .where(UserSession.token_hash == digest)
                )
            else:
                statement = (
                    select(*_USER_COLUMNS, null())
                    .join(ApiToken, ApiToken.user_id == User.id)
                    .where(ApiToken.token_hash == digest)
                )
            row = (await db.execute(statement)).first()
    if row is None:
        return None
    user_id, email, zone, hours, days, streak_min, skip, refuse, version, created, theme, shortcuts = row[:12]
    history, expires = row[12:]
    if kind == "s" and read_utc(expires) <= datetime.now(UTC):  # type: ignore[operator]
        return None
    if isinstance(days, str):  # JSON columns read as text by the fast path
        days = _days_from_text(days)
    if isinstance(shortcuts, str):
        shortcuts = json.loads(shortcuts)
    return CurrentUser(
        id=user_id,
        email=email,
        timezone=zone,
        standard_hours_per_day=hours,
        working_days=tuple(days or ()),
        streak_min_minutes=streak_min or 0,
        streak_skip_non_working=bool(skip),
        refuse_overlaps=bool(refuse),
        data_version=int(version),
        created_stamp=time_stamp(read_utc(created)),  # type: ignore[arg-type]
        theme=theme or "auto",
        shortcuts=shortcuts or None,
        history_version=int(history) if history is not None else None,
    )


def time_stamp(value: datetime) -> int:
    """An instant as integer microseconds since the epoch (for cache keys)."""
    return int(value.timestamp() * 1_000_000)
