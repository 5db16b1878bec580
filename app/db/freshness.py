"""Commit a user's write and make their cached figures stale (CONTRACT section 4).

The db layer's commit helper; the unit of work (`app/db/uow.py`) is to replace it. Like
the unit of work it moves the user's versions in the database, inside the transaction,
so the cache keys derived from them change exactly when the commit lands
(docs/productivity.md, "Freshness").
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.rollups import HISTORY_CHANGED, move_history_version


async def commit_and_refresh(db: AsyncSession, user_id: int) -> None:
    """Move `users.data_version` (and `history_version` when old days changed), then commit."""
    await db.execute(text("UPDATE users SET data_version = data_version + 1 WHERE id = :uid"), {"uid": user_id})
    await move_history_version(db, user_id)
    db.info.pop(HISTORY_CHANGED, None)
    await db.commit()
