"""Reading and marking notices (CONTRACT section 8): `GET /api/notifications` and mark read."""

from __future__ import annotations

from datetime import datetime

import msgspec
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import Notification, NotificationPrefs
from app.db.uow import current_work, unit_of_work
from app.lib.errors import NotFoundError
from app.lib.time import get_zone_or_utc

__all__ = ["NoticeOut", "NoticeList", "list_notices", "mark_all_read", "mark_read", "notice_out"]

MAX_LIMIT = 200
DEFAULT_LIMIT = 50
_MAX_ID = 2**63 - 1


class NoticeOut(msgspec.Struct):
    id: int
    kind: str
    title: str
    body: str
    created_at: str
    read: bool
    action_url: str | None


class NoticeList(msgspec.Struct):
    items: list[NoticeOut]
    unread: int


class ReadAllOut(msgspec.Struct):
    marked: int
    unread: int


def notice_out(notice: Notification, zone_name: str) -> NoticeOut:
    return NoticeOut(
        id=notice.id,
        kind=notice.kind,
        title=notice.title,
        body=notice.body or "",
        created_at=notice.created_at.astimezone(get_zone_or_utc(zone_name)).isoformat(),
        read=notice.read_at is not None,
        action_url=notice.action_url,
    )


async def unread_count(db: AsyncSession, user_id: int) -> int:
    stmt = (
        select(func.count())
        .select_from(Notification)
        .where(Notification.user_id == user_id, Notification.read_at.is_(None))
    )
    return int(await db.scalar(stmt) or 0)


async def list_notices(
    db: AsyncSession,
    user_id: int,
    *,
    limit: int = DEFAULT_LIMIT,
    after_id: int | None = None,
    unread_only: bool = False,
) -> list[Notification]:
    """The user's notices, newest first (`after_id`: only newer ones)."""
    stmt = select(Notification).where(Notification.user_id == user_id)
    if after_id is not None:
        stmt = stmt.where(Notification.id > after_id)
    if unread_only:
        stmt = stmt.where(Notification.read_at.is_(None))
    stmt = stmt.order_by(Notification.id.desc()).limit(max(1, min(MAX_LIMIT, limit)))
    return list((await db.scalars(stmt)).all())


async def own_notice(db: AsyncSession, user_id: int, notice_id: int) -> Notification:
    if not 0 < notice_id <= _MAX_ID:
        raise NotFoundError("notification")
    notice = await db.scalar(select(Notification).where(Notification.id == notice_id, Notification.user_id == user_id))
    if notice is None:
        raise NotFoundError("notification")
    return notice


async def _keep_derivation(db: AsyncSession, user_id: int) -> None:
    """Marking read changes no figure: keep the derivation's bookkeeping current, so the next
    poll does not derive again only because this unit moved the data version."""
    work = current_work(db)
    if work is None:
        return
    await db.execute(
        update(NotificationPrefs)
        .where(NotificationPrefs.user_id == user_id, NotificationPrefs.derived_version == work.data_version - 1)
        .values(derived_version=work.data_version)
        .execution_options(synchronize_session=False)
    )


@unit_of_work(source="api")
async def mark_read(db: AsyncSession, user_id: int, notice_id: int, now: datetime) -> Notification:
    notice = await own_notice(db, user_id, notice_id)
    if notice.read_at is None:
        notice.read_at = now
        await db.flush()
    await _keep_derivation(db, user_id)
    return notice


@unit_of_work(source="api")
async def mark_all_read(db: AsyncSession, user_id: int, now: datetime) -> int:
    result = await db.execute(
        update(Notification)
        .where(Notification.user_id == user_id, Notification.read_at.is_(None))
        .values(read_at=now)
        .returning(Notification.id)
        .execution_options(synchronize_session=False)
    )
    marked = len(result.all())
    await _keep_derivation(db, user_id)
    return marked
