"""E-mail delivery of notices (docs/notifications.md, "E-mail") against a local SMTP server
(aiosmtpd on 127.0.0.1, started by the test): once per notice however many sweeps run at
once, the per-user daily cap, authentication from the URL, failures retried by the next
sweep, and users who switched e-mail off."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from sqlalchemy import select

from app.db.models import Notification
from app.domain.notifications.config import NotifyConfig, parse_smtp_url
from app.domain.notifications.email import send_due
from app.domain.notifications.store import add_notice
from app.settings import SettingsError
from tests.integration.helpers import db_all, db_run
from tests.servers import free_port

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


class Sink:
    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], str]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's name
        content = envelope.content.decode("utf-8", "replace")
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), content))
        return "250 OK"

    def to(self, address: str) -> list[str]:
        return [content for _, rcpts, content in self.messages if address in rcpts]


@pytest.fixture()
def smtp() -> Iterator[tuple[Sink, int]]:
    sink = Sink()
    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield sink, port
    finally:
        controller.stop()


def notice(settings: Any, user_id: int, title: str, at: datetime = NOW) -> int:
    async def work(db: Any) -> int:
        new_id = await add_notice(db, user_id=user_id, kind="rule", key=f"test:{uuid.uuid4().hex}", title=title,
                                  body="body text", action_url="/entries", now=at)
        assert new_id is not None
        return new_id

    return db_run(settings, work)  # type: ignore[no-any-return]


def config(port: int, cap: int = 20, url: str | None = None) -> NotifyConfig:
    return NotifyConfig(smtp=parse_smtp_url(url or f"smtp://127.0.0.1:{port}"), daily_cap=cap,
                        public_url="https://time.example.com", sweep_seconds=0)


def sweep(app: Any, portal: Any, cfg: NotifyConfig, now: datetime = NOW, parallel: int = 1) -> int:
    async def run() -> int:
        results = await asyncio.gather(*(send_due(app.state["sessionmaker"], cfg, now) for _ in range(parallel)))
        return sum(results)

    return portal.call(run)  # type: ignore[no-any-return]


def emailed_at(settings: Any, notice_id: int) -> datetime | None:
    rows = db_all(settings, select(Notification.emailed_at).where(Notification.id == notice_id))
    return rows[0][0]  # type: ignore[no-any-return]


def test_each_notice_is_emailed_once_even_by_parallel_sweeps(
    app: Any, portal: Any, settings: Any, make_user: Any, smtp: tuple[Sink, int]
) -> None:
    sink, port = smtp
    u = make_user()
    first = notice(settings, u.id, "Timer ran 8 h")
    notice(settings, u.id, "Goal achieved: Focus")
    sweep(app, portal, config(port), parallel=3)
    sweep(app, portal, config(port))
    mails = sink.to(u.email)
    assert len(mails) == 2
    assert any("Subject: Timer ran 8 h" in m and "https://time.example.com/entries" in m for m in mails)
    assert emailed_at(settings, first) == NOW


def test_the_daily_cap_holds_and_the_rest_waits(
    app: Any, portal: Any, settings: Any, make_user: Any, smtp: tuple[Sink, int]
) -> None:
    sink, port = smtp
    u = make_user()
    ids = [notice(settings, u.id, f"Notice {i}") for i in range(3)]
    sweep(app, portal, config(port, cap=2))
    assert len(sink.to(u.email)) == 2
    assert emailed_at(settings, ids[2]) is None
    # Within 24 hours of the first two the cap still holds.
    sweep(app, portal, config(port, cap=2), now=NOW + timedelta(hours=23))
    assert len(sink.to(u.email)) == 2
    assert emailed_at(settings, ids[2]) is None


def test_a_failed_send_is_retried_by_the_next_sweep(
    app: Any, portal: Any, settings: Any, make_user: Any, smtp: tuple[Sink, int]
) -> None:
    sink, port = smtp
    u = make_user()
    nid = notice(settings, u.id, "Retry me")
    down = config(free_port())  # nobody listens there
    assert sweep(app, portal, down) == 0
    assert emailed_at(settings, nid) is None
    sweep(app, portal, config(port))
    assert len(sink.to(u.email)) == 1


def test_users_who_switched_email_off_get_none(
    app: Any, portal: Any, settings: Any, make_user: Any, smtp: tuple[Sink, int]
) -> None:
    sink, port = smtp
    u = make_user()
    assert u.api("PATCH", "/api/me/notifications", json={"email": False}).status_code == 200
    notice(settings, u.id, "Quiet please")
    sweep(app, portal, config(port))
    assert sink.to(u.email) == []


def test_credentials_from_the_url(app: Any, portal: Any, settings: Any, make_user: Any) -> None:
    seen: list[tuple[str, str]] = []

    def authenticator(server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
        assert isinstance(auth_data, LoginPassword)
        pair = (auth_data.login.decode(), auth_data.password.decode())
        seen.append(pair)
        return AuthResult(success=pair == ("mailer", "p@ss word"))

    sink = Sink()
    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port, authenticator=authenticator,
                            auth_require_tls=False)
    controller.start()
    try:
        u = make_user()
        notice(settings, u.id, "Authenticated")
        sweep(app, portal, config(port, url=f"smtp://mailer:p%40ss%20word@127.0.0.1:{port}"))
        assert seen and set(seen) == {("mailer", "p@ss word")}  # other tests' unsent notices may go too
        assert len(sink.to(u.email)) == 1
    finally:
        controller.stop()


def test_smtp_url_parsing() -> None:
    plain = parse_smtp_url("smtp://user:secret@mail.example.com:587?starttls=1")
    assert (plain.host, plain.port, plain.username, plain.password, plain.start_tls, plain.use_tls) == (
        "mail.example.com", 587, "user", "secret", True, False)
    tls = parse_smtp_url("smtps://mail.example.com")
    assert (tls.port, tls.use_tls, tls.start_tls, tls.username) == (465, True, False, None)
    for bad in ("http://mail.example.com", "smtp://", "smtp://host:notaport"):
        with pytest.raises(SettingsError, match="MOMENTUM_SMTP_URL"):
            parse_smtp_url(bad)
