"""The one way a notice is stored: insert-if-absent on (user_id, key).

Every deriver (the bell's poll, the minute sweep of each instance, rules' `notify`
action, budget thresholds) calls `add_notice` with a key that names the occurrence, so
any number of instances and polls store each occurrence exactly once.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import Notification

TITLE_MAX = 200
BODY_MAX = 2000


async def add_notice(
    db: AsyncSession,
    *,
    user_id: int,
    kind: str,
    key: str,
    title: str,
    now: datetime,
    body: str = "",
    action_url: str | None = None,
) -> int | None:
    """Store the notice unless its (user, key) exists; the new row's id, or None when it
    existed already. Runs in the caller's transaction (commit is the caller's)."""
    values = {
        "user_id": user_id,
        "kind": kind,
        "key": key[:200],
        "title": title[:TITLE_MAX],
        "body": body[:BODY_MAX],
        "action_url": action_url,
        "created_at": now,
    }
    dialect = db.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    stmt = (
        insert(Notification)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["user_id", "key"])
        .returning(Notification.id)
    )
    new_id = (await db.execute(stmt)).scalar_one_or_none()
    return int(new_id) if new_id is not None else None
