"""Commit a user's write and make their cached figures stale (CONTRACT section 4).

The db layer's commit helper; the unit of work (`app/db/uow.py`) is to replace it.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from app.db.rollups import HISTORY_CHANGED
from app.lib import cache as cache_lib


async def commit_and_refresh(db: AsyncSession, user_id: int) -> None:
    """Commit, then make the user's cached figures stale (after commit, so a reader
    can never cache pre-commit data under the new version)."""
    history_changed = db.info.pop(HISTORY_CHANGED, False)
    await db.commit()
    await cache_lib.bump_user_version(user_id)
    if history_changed:
        await cache_lib.bump_history_version(user_id)
