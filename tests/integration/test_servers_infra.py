"""Two real app instances on one private PostgreSQL cluster and one private Redis.

These tests prove the helpers of `tests/servers.py` and pin how the app behaves under
the faults of CONTRACT section 6 (the fuller fault tests of issue 12 are
`tests/integration/test_faults.py`).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from tests.servers import (
    AppServer,
    PostgresCluster,
    RedisServer,
    RemoteUser,
    api_user,
    browser_user,
    migrate,
    postgres_missing,
    redis_missing,
)

_missing = redis_missing() or postgres_missing()
pytestmark = [pytest.mark.servers, pytest.mark.own_servers,
              pytest.mark.skipif(_missing is not None, reason=_missing or "")]


@dataclass
class Stack:
    pg: PostgresCluster
    redis: RedisServer
    one: AppServer
    two: AppServer


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    pg = PostgresCluster().start()
    redis = RedisServer(persistence=True).start()
    one = two = None
    try:
        migrate(pg.url)
        one = AppServer(pg.url, redis.url).start()
        two = AppServer(pg.url, redis.url).start()
        yield Stack(pg, redis, one, two)
    finally:
        for item in (two, one, redis, pg):
            if item is not None:
                item.close()


@pytest.fixture()
def up(stack: Stack) -> Iterator[Stack]:
    """The stack with every server running, before and after the test (whatever it did)."""
    stack.redis.resume()
    if not stack.redis.running:
        stack.redis.start()
    if not stack.pg.running:
        stack.pg.start()
    yield stack
    stack.redis.resume()
    if not stack.redis.running:
        stack.redis.start()
    if not stack.pg.running:
        stack.pg.start()


@pytest.fixture()
def alice(up: Stack) -> Iterator[RemoteUser]:
    user = api_user(up.one)
    yield user
    user.close()


def _entry(user: RemoteUser | httpx.Client, hours_ago: float, minutes: int = 30) -> dict[str, Any]:
    client = user.client if isinstance(user, RemoteUser) else user
    end = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=hours_ago)
    start = end - timedelta(minutes=minutes)
    r = client.post("/api/entries", json={"start_time": start.isoformat(), "end_time": end.isoformat()})
    assert r.status_code == 201, r.text
    return dict(r.json())


def _recent_hours(client: httpx.Client) -> float:
    """Hours in the last 30 days: the entries here have no project, so this is the one
    `projects` item (rounded once, whatever midnight falls inside an entry)."""
    r = client.get("/api/productivity/stats", params={"period": 30})
    assert r.status_code == 200, r.text
    return float(round(sum(item["hours"] for item in r.json()["projects"]), 2))


def _timed(call: Any) -> tuple[Any, float]:
    start = time.monotonic()
    result = call()
    return result, time.monotonic() - start


# ------------------------------------------------------------------ the helpers themselves


def test_two_instances_share_one_database_and_one_cache(up: Stack, alice: RemoteUser) -> None:
    on_two = alice.on(up.two)
    before = _recent_hours(on_two)  # warms instance 2's cached payload
    _entry(alice, hours_ago=0.1)
    assert _recent_hours(on_two) == round(before + 0.5, 2)
    assert on_two.get("/api/me").json()["email"] == alice.email


def test_a_cookie_session_from_one_instance_works_on_the_other(up: Stack) -> None:
    user = browser_user(up.one)
    on_two = user.on(up.two)
    r = on_two.post("/api/entries", json={"start_time": "2026-01-05T09:00:00Z", "end_time": "2026-01-05T10:00:00Z"})
    assert r.status_code == 201, r.text
    user.close()
    on_two.close()


# ------------------------------------------------------------------ Redis outage


def test_redis_killed_both_instances_answer_from_the_database(up: Stack, alice: RemoteUser) -> None:
    on_two = alice.on(up.two)
    _entry(alice, hours_ago=0.2)
    assert _recent_hours(on_two) == 0.5
    up.redis.kill()
    for server in (up.one, up.two):
        assert httpx.get(f"{server.base_url}/healthz", timeout=5).status_code == 200
    assert _recent_hours(alice.client) == 0.5
    assert _recent_hours(on_two) == 0.5
    _entry(alice, hours_ago=1.2)
    assert _recent_hours(on_two) == 1.0  # fresh while Redis is gone
    up.redis.start()  # the AOF brings back the payload cached before the kill
    _entry(alice, hours_ago=2.2)
    assert _recent_hours(on_two) == 1.5


def test_redis_down_readyz_reports_the_cache_degraded(up: Stack) -> None:
    up.redis.kill()
    r = httpx.get(f"{up.one.base_url}/readyz", timeout=5)
    assert (r.status_code, r.json()) == (200, {"ok": True, "cache": "down"})


def test_no_stale_figure_after_redis_returns_with_its_old_data(up: Stack, alice: RemoteUser) -> None:
    on_two = alice.on(up.two)
    _entry(alice, hours_ago=0.2)
    assert _recent_hours(on_two) == 0.5  # cached in Redis (and kept in its append-only file)
    up.redis.stop()
    _entry(alice, hours_ago=1.2)  # the version bump cannot reach Redis
    up.redis.start()
    assert _recent_hours(on_two) == 1.0


def test_redis_down_login_rate_limit_still_holds(up: Stack, alice: RemoteUser) -> None:
    up.redis.kill()
    wrong = {"email": alice.email, "password": "not the password", "name": "x"}
    codes = [httpx.post(f"{up.one.base_url}/api/auth/tokens", json=wrong, timeout=10).status_code for _ in range(6)]
    # CONTRACT section 2: 5 failed attempts for one email block it (429).
    assert codes[-1] == 429, codes


def test_redis_hung_a_stats_call_stays_within_a_second_of_normal(up: Stack, alice: RemoteUser) -> None:
    _entry(alice, hours_ago=0.2)
    _, normal = _timed(lambda: _recent_hours(alice.client))
    up.redis.pause()
    try:
        with httpx.Client(base_url=up.two.base_url, headers=dict(alice.client.headers), timeout=3) as on_two:
            hours, took = _timed(lambda: _recent_hours(on_two))
    finally:
        up.redis.resume()
    assert hours == 0.5
    assert took < normal + 1.0, f"{took:.2f} s during the hang against {normal:.2f} s normally"


# ------------------------------------------------------------------ PostgreSQL outage


def _wait_for(check: Any, timeout: float = 10) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result or time.monotonic() > deadline:
            return result
        time.sleep(0.1)


def test_postgres_stopped_readyz_503_then_200_without_a_restart(up: Stack, alice: RemoteUser) -> None:
    _entry(alice, hours_ago=0.2)
    up.pg.stop()
    try:
        for server in (up.one, up.two):
            r = httpx.get(f"{server.base_url}/readyz", timeout=5)
            assert r.status_code == 503, r.text
            assert r.json()["ok"] is False
            assert httpx.get(f"{server.base_url}/healthz", timeout=5).status_code == 200
        time.sleep(2)  # a few seconds of outage
    finally:
        up.pg.start()
    for server in (up.one, up.two):
        assert _wait_for(lambda s=server: httpx.get(f"{s.base_url}/readyz", timeout=5).status_code == 200)
    # Nothing acknowledged before the outage is lost, and writes work again.
    _entry(alice, hours_ago=1.2)
    assert _recent_hours(alice.on(up.two)) == 1.0


def test_postgres_stopped_json_routes_answer_503_with_retry_after(up: Stack, alice: RemoteUser) -> None:
    up.pg.stop()
    try:
        r = alice.client.get("/api/entries")
    finally:
        up.pg.start()
    assert r.status_code == 503, r.text
    assert r.json() == {"ok": False, "error": "database unavailable"}
    assert "retry-after" in r.headers


def test_postgres_stopped_pages_answer_503(up: Stack) -> None:
    user = browser_user(up.one)
    up.pg.stop()
    try:
        r = user.client.get("/")
    finally:
        up.pg.start()
        user.close()
    assert r.status_code == 503, r.text[:300]
