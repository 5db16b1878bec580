"""E-mailing notices (docs/notifications.md, "E-mail"): each notice at most once, a per-user
daily cap, failures retried by the next sweep and never felt by a request.

The sweep of every instance looks at the notices of the last 24 hours that nobody has
e-mailed yet. A notice is *claimed* by one conditional UPDATE (`emailed_at` from NULL to
now, committed at once) — of two instances only one gets the row back, so only one
sends. A failed send gives the claim back (`emailed_at` to NULL again) for the next sweep.
The cap counts the user's claims of the last 24 hours, this one included; over the cap
the claim is given back too (the notice stays eligible until it is a day old).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import Any

import aiosmtplib
from sqlalchemy import and_, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.config import OpenSession, writing
from app.db.models import Notification, NotificationPrefs, User
from app.domain.notifications.config import NotifyConfig, SmtpConfig
from app.domain.notifications.prefs import from_stored

__all__ = ["build_message", "send_due", "send_message"]

log = logging.getLogger("momentum.notifications")

WINDOW = timedelta(hours=24)
PAGE = 200


def build_message(config: NotifyConfig, to: str, title: str, body: str, action_url: str | None) -> EmailMessage:
    message = EmailMessage()
    message["From"] = config.sender
    message["To"] = to
    message["Subject"] = title
    lines = [title, ""]
    if body:
        lines += [body, ""]
    if action_url:
        lines.append(f"Open: {config.public_url}{action_url}" if action_url.startswith("/") else f"Open: {action_url}")
    lines += ["", f"Choose which notices you get: {config.public_url}/settings/notifications"]
    message.set_content("\n".join(lines))
    return message


async def send_message(smtp: SmtpConfig, message: EmailMessage) -> None:
    await aiosmtplib.send(
        message,
        hostname=smtp.host,
        port=smtp.port,
        username=smtp.username,
        password=smtp.password,
        use_tls=smtp.use_tls,
        start_tls=smtp.start_tls,
        timeout=smtp.timeout,
    )


async def _claim(open_db: OpenSession, notice_id: int, now: datetime) -> bool:
    """Take the notice for this instance: one conditional UPDATE, committed at once."""
    with writing():
        async with open_db() as db:
            claimed = (
                await db.execute(
                    update(Notification)
                    .where(Notification.id == notice_id, Notification.emailed_at.is_(None))
                    .values(emailed_at=now)
                    .returning(Notification.id)
                )
            ).first()
            await db.commit()
    return claimed is not None


async def _release(open_db: OpenSession, notice_id: int, now: datetime) -> None:
    """Give a claim back (send failed or over the cap): the next sweep tries again."""
    with writing():
        async with open_db() as db:
            await db.execute(
                update(Notification)
                .where(Notification.id == notice_id, Notification.emailed_at == now)
                .values(emailed_at=None)
            )
            await db.commit()


async def _sent_today(db: AsyncSession, user_id: int, now: datetime) -> int:
    stmt = (
        select(func.count())
        .select_from(Notification)
        .where(
            Notification.user_id == user_id,
            Notification.emailed_at.is_not(None),
            Notification.emailed_at > now - WINDOW,
        )
    )
    return int(await db.scalar(stmt) or 0)


async def _candidates(db: AsyncSession, now: datetime, after_id: int) -> Sequence[Any]:
    stmt = (
        select(
            Notification.id,
            Notification.user_id,
            Notification.title,
            Notification.body,
            Notification.action_url,
            User.email,
            NotificationPrefs.settings,
        )
        .join(User, User.id == Notification.user_id)
        .outerjoin(NotificationPrefs, NotificationPrefs.user_id == Notification.user_id)
        .where(
            and_(Notification.emailed_at.is_(None), Notification.created_at > now - WINDOW, Notification.id > after_id)
        )
        .order_by(Notification.id)
        .limit(PAGE)
    )
    return (await db.execute(stmt)).all()


async def send_due(open_db: OpenSession, config: NotifyConfig, now: datetime) -> int:
    """E-mail every unsent notice of the last 24 hours (see the module doc); how many were sent.
    Never raises for a failed send: it is logged and retried by the next sweep."""
    smtp = config.smtp
    if smtp is None:
        return 0
    sent = 0
    after = 0
    capped: set[int] = set()
    while True:
        async with open_db() as db:
            rows = await _candidates(db, now, after)
        if not rows:
            return sent
        for notice_id, user_id, title, body, action_url, email, raw_settings in rows:
            after = notice_id
            if user_id in capped or not from_stored(raw_settings if isinstance(raw_settings, dict) else None).email:
                continue
            if not await _claim(open_db, notice_id, now):
                continue  # another instance has it
            async with open_db() as db:
                over = await _sent_today(db, user_id, now) > config.daily_cap
            if over:
                capped.add(user_id)
                await _release(open_db, notice_id, now)
                log.info(
                    "notice %s not e-mailed: user %s reached the daily cap of %s", notice_id, user_id, config.daily_cap
                )
                continue
            try:
                await send_message(smtp, build_message(config, email, title, body or "", action_url))
            except Exception as exc:  # any failure: log, give the claim back, retry next sweep
                log.warning(
                    "e-mail of notice %s to user %s failed (%s); retrying next sweep",
                    notice_id,
                    user_id,
                    exc.__class__.__name__,
                )
                await _release(open_db, notice_id, now)
                return sent  # the server is likely down: the next sweep tries again
            sent += 1
