"""Browser sessions: a new session id on every login, and logout. Only the id's hash is
stored; the caller signs the id into the cookie."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import UserSession
from app.domain.accounts.hashing import sha256
from app.domain.accounts.token_usage import remember_write

SESSION_TTL = timedelta(days=30)


async def create_session(db: AsyncSession, user_id: int, user_agent: str | None = None) -> str:
    """A new session id (the caller signs it into the cookie). Called on every login,
    so a session id fixed before login is never promoted."""
    raw = secrets.token_urlsafe(32)
    now = datetime.now(UTC)
    digest = sha256(raw)
    agent = (user_agent or "").strip()[:300] or None
    db.add(
        UserSession(
            token_hash=digest,
            user_id=user_id,
            created_at=now,
            expires_at=now + SESSION_TTL,
            last_seen_at=now,
            user_agent=agent,
        )
    )
    await db.flush()
    remember_write(digest)  # seen just now: no last-seen write for a minute
    return raw


async def end_session(db: AsyncSession, raw: str) -> None:
    await db.execute(delete(UserSession).where(UserSession.token_hash == sha256(raw)))
