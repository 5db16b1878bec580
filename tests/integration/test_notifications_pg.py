"""Each notice occurrence exists once, and is e-mailed once, across two app instances sharing
one PostgreSQL (CONTRACT section 8; docs/notifications.md, "Guarantees").

Two real `momentum serve` processes sweep every half second and e-mail through a local SMTP
server (aiosmtpd, started here); meanwhile the user's polls hit both instances in parallel.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx
import pytest
from aiosmtpd.controller import Controller

from tests.servers import AppServer, PostgresCluster, RemoteUser, browser_user, free_port, migrate, postgres_missing

_missing = postgres_missing()
pytestmark = [pytest.mark.servers, pytest.mark.own_servers,
              pytest.mark.skipif(_missing is not None, reason=_missing or "")]

QUIET = {"daily_reminder": False, "daily_summary": False, "goal_achieved": False, "goal_exceeded": False,
         "streak_milestone": False, "budget_threshold": False, "long_timer": True, "long_timer_hours": 8}


class Sink:
    def __init__(self) -> None:
        self.messages: list[tuple[list[str], str]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's name
        self.messages.append((list(envelope.rcpt_tos), envelope.content.decode("utf-8", "replace")))
        return "250 OK"


class Stack:
    def __init__(self, pg: PostgresCluster, one: AppServer, two: AppServer, sink: Sink) -> None:
        self.pg, self.one, self.two, self.sink = pg, one, two, sink


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    sink = Sink()
    smtp_port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    pg = PostgresCluster().start()
    env = {"MOMENTUM_NOTIFY_SWEEP_SECONDS": "0.5", "MOMENTUM_SMTP_URL": f"smtp://127.0.0.1:{smtp_port}"}
    one = two = None
    try:
        migrate(pg.url)
        one = AppServer(pg.url, "mem://", env).start()
        two = AppServer(pg.url, "mem://", env).start()
        yield Stack(pg, one, two, sink)
    finally:
        for item in (two, one, pg):
            if item is not None:
                item.close()
        controller.stop()


def _sql(stack: Stack, query: str, *args: Any) -> list[Any]:
    async def run() -> list[Any]:
        conn = await asyncpg.connect(stack.pg.dsn)
        try:
            return list(await conn.fetch(query, *args))
        finally:
            await conn.close()

    return asyncio.run(run())


def _parallel(calls: list[tuple[httpx.Client, str]]) -> list[httpx.Response]:
    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(lambda c: c[0].get(c[1]), calls))


def test_one_long_timer_notice_and_one_email_across_two_instances(stack: Stack) -> None:
    user: RemoteUser = browser_user(stack.one)
    other = user.on(stack.two)
    try:
        assert user.client.patch("/api/me/notifications", json=QUIET).status_code == 200
        started = user.client.post("/api/timer/start", json={})
        assert started.status_code == 201, started.text
        entry_id = started.json()["id"]
        # The timer has run 9 hours (its start moved back in the database).
        start = datetime.now(UTC) - timedelta(hours=9)
        _sql(stack, "UPDATE time_entries SET start_time = $1 WHERE id = $2", start, entry_id)
        calls = [(c, url) for c in (user.client, other) for url in ("/notifications/bell", "/api/notifications")] * 6
        responses = _parallel(calls)
        assert all(r.status_code == 200 for r in responses), [r.text[:200] for r in responses if r.status_code != 200]
        rows = _sql(stack, "SELECT n.id FROM notifications n JOIN users u ON u.id = n.user_id "
                           "WHERE u.email = $1 AND n.key = $2", user.email, f"long_timer:{entry_id}")
        assert len(rows) == 1
        # Both instances sweep every half second: the notice is e-mailed once.
        # Only the long-timer mails count: after 11:00 the new account's daily reminder
        # (on by default) can be due and mailed by a sweep in the moment between sign-up and
        # the PATCH above that turns it off — a matter of the wall clock, not of this test.
        def long_timer_mails() -> list[str]:
            return [content for rcpts, content in stack.sink.messages
                    if user.email in rcpts and "has been running for" in content]

        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not long_timer_mails():
            time.sleep(0.2)
        time.sleep(2)  # a few more sweeps of both instances
        mails = long_timer_mails()
        assert len(mails) == 1, stack.one.log_tail() + stack.two.log_tail()
        assert "has been running for 8 h" in mails[0]
        items = other.get("/api/notifications").json()["items"]
        kinds = [n["kind"] for n in items]
        assert kinds.count("long_timer") == 1, kinds
        assert set(kinds) <= {"long_timer", "daily_reminder"}, kinds  # the reminder: see long_timer_mails
    finally:
        other.close()
        user.close()
