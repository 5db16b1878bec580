"""Faults of CONTRACT section 6 on real servers: Redis killed, hung and restarted with its
append-only file; PostgreSQL stopped for 30 s under traffic (issue 12, parts 3 and 4).

One private PostgreSQL cluster, one private Redis (with persistence) and two app
instances for the whole module (tests/servers.py). Skipped, with the reason, where
redis-server or the PostgreSQL server binaries are missing.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
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

SLACK = 1.0
"""CONTRACT section 6: during a Redis outage every request answers within 1 s of normal."""


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


def _all_up(stack: Stack) -> None:
    stack.redis.resume()
    if not stack.redis.running:
        stack.redis.start()
    if not stack.pg.running:
        stack.pg.start()


@pytest.fixture()
def up(stack: Stack) -> Iterator[Stack]:
    """Every server running before and after the test, whatever it did."""
    _all_up(stack)
    yield stack
    _all_up(stack)


_addresses = iter(range(2, 250))


def _from_own_address(server: AppServer) -> httpx.Client:
    """A client connecting from a loopback address of its own (127.0.0.N), so the
    per-address attempt limit (30 a minute) of one test never blocks another's."""
    transport = httpx.HTTPTransport(local_address=f"127.0.0.{next(_addresses)}")
    return httpx.Client(base_url=server.base_url, transport=transport, timeout=5)


@pytest.fixture()
def alice(up: Stack) -> Iterator[RemoteUser]:
    user = api_user(up.one)
    yield user
    user.close()


def _post_entry(client: httpx.Client, end: datetime, minutes: int = 30) -> httpx.Response:
    start = end - timedelta(minutes=minutes)
    return client.post("/api/entries", json={"start_time": start.isoformat(), "end_time": end.isoformat()})


def _entry(client: httpx.Client, hours_ago: float, minutes: int = 30) -> dict[str, Any]:
    end = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=hours_ago)
    r = _post_entry(client, end, minutes)
    assert r.status_code == 201, r.text
    return dict(r.json())


def _stats(client: httpx.Client, period: int = 30) -> dict[str, Any]:
    r = client.get("/api/productivity/stats", params={"period": period})
    assert r.status_code == 200, r.text
    return dict(r.json())


def _recent_hours(client: httpx.Client) -> float:
    """Hours in the last 30 days (no projects here, so the one `projects` item)."""
    return float(round(sum(item["hours"] for item in _stats(client)["projects"]), 2))


def _timed(call: Callable[[], Any]) -> tuple[Any, float]:
    start = time.monotonic()
    result = call()
    return result, time.monotonic() - start


def _wait_for(check: Callable[[], Any], timeout: float = 10) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result or time.monotonic() > deadline:
            return result
        time.sleep(0.1)


def _readyz(server: AppServer) -> httpx.Response:
    return httpx.get(f"{server.base_url}/readyz", timeout=5)


# ------------------------------------------------------------------ Redis


def _requests_of(api: httpx.Client, browser: httpx.Client) -> list[tuple[str, Callable[[], httpx.Response]]]:
    """A sample of every kind of request: JSON reads and writes, pages, a fragment."""
    end = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=5)
    return [
        ("GET /api/productivity/stats", lambda: api.get("/api/productivity/stats")),
        ("GET /api/entries", lambda: api.get("/api/entries")),
        ("GET /api/me", lambda: api.get("/api/me")),
        ("POST /api/entries", lambda: _post_entry(api, end, 5)),
        ("GET /", lambda: browser.get("/")),
        ("GET /dashboard/productivity", lambda: browser.get("/dashboard/productivity")),
        ("fragment", lambda: browser.get("/dashboard/productivity/fragments/summary", headers={"HX-Request": "true"})),
    ]


def _normal_times(calls: list[tuple[str, Callable[[], httpx.Response]]]) -> dict[str, float]:
    for _, call in calls:  # warm up: connections, caches, templates
        call()
    return {name: min(_timed(call)[1] for _ in range(2)) for name, call in calls}


def _assert_fast_and_no_5xx(calls: list[tuple[str, Callable[[], httpx.Response]]], normal: dict[str, float]) -> None:
    for name, call in calls:
        response, took = _timed(call)
        assert response.status_code < 500, f"{name}: {response.status_code} {response.text[:200]}"
        assert took < normal[name] + SLACK, f"{name}: {took:.2f} s against {normal[name]:.2f} s normally"


@pytest.mark.parametrize("fault", ["kill", "pause"])
def test_redis_down_or_hung_every_request_answers_fast_from_the_database(up: Stack, fault: str) -> None:
    api = api_user(up.one)
    browser = browser_user(up.two)
    calls = _requests_of(api.client, browser.client)
    normal = _normal_times(calls)
    before = _recent_hours(api.client)
    getattr(up.redis, fault)()
    try:
        _assert_fast_and_no_5xx(calls, normal)
        _assert_fast_and_no_5xx(calls, normal)  # with the circuit open
        r, took = _timed(lambda: _readyz(up.two))
        assert (r.status_code, r.json()) == (200, {"ok": True, "cache": "down"})
        assert took < SLACK
        assert _recent_hours(api.on(up.two)) == round(before + 2 * 5 / 60, 2)  # both writes counted
    finally:
        up.redis.resume()
        if not up.redis.running:
            up.redis.start()
    # Back: the circuit probes again after a few seconds.
    assert _wait_for(lambda: _readyz(up.two).json().get("cache") == "ok", timeout=8)
    _assert_fast_and_no_5xx(calls, normal)
    api.close()
    browser.close()


@pytest.mark.parametrize("fault", ["kill", "pause"])
def test_redis_down_or_hung_rate_limits_still_hold(up: Stack, fault: str) -> None:
    victim = api_user(up.one)
    attacker = _from_own_address(up.one)
    right = {"email": victim.email, "password": victim.password, "name": "x"}
    getattr(up.redis, fault)()
    try:
        wrong = {"email": victim.email, "password": "not the password", "name": "x"}
        codes = [_timed(lambda: attacker.post("/api/auth/tokens", json=wrong)) for _ in range(6)]
        # CONTRACT section 2: 5 failed attempts for one email block it (429), even the right password.
        assert [r.status_code for r, _ in codes] == [401] * 5 + [429], codes
        assert max(took for _, took in codes) < SLACK + 0.5  # argon2 verification included
        assert attacker.post("/api/auth/tokens", json=right).status_code == 429
    finally:
        _all_up(up)
    # The local count survives the cache's return: still blocked on this instance.
    assert _wait_for(lambda: _readyz(up.one).json().get("cache") == "ok", timeout=8)
    assert attacker.post("/api/auth/tokens", json=right).status_code == 429
    attacker.close()
    victim.close()


def test_redis_down_the_login_form_is_rate_limited_too(up: Stack) -> None:
    victim = browser_user(up.one)
    up.redis.kill()
    with _from_own_address(up.one) as c:
        c.get("/login")
        token = c.cookies.get("momentum_csrf") or ""
        form = {"email": victim.email, "password": "wrong password", "_csrf_token": token}
        codes = [c.post("/login", data=form).status_code for _ in range(6)]
    assert codes == [422] * 5 + [429], codes
    victim.close()


@pytest.mark.parametrize("fault", ["restart", "pause"])
def test_no_stale_figure_after_redis_recovers(up: Stack, alice: RemoteUser, fault: str) -> None:
    """A write the cache never heard of (Redis stopped, hung or killed) is counted at once
    after it returns, including a payload brought back by its append-only file."""
    on_two = alice.on(up.two)
    _entry(alice.client, hours_ago=0.2)
    assert _recent_hours(on_two) == 0.5  # cached in Redis (and its append-only file)
    if fault == "restart":
        up.redis.stop()
    else:
        getattr(up.redis, fault)()
    _entry(alice.client, hours_ago=1.2)
    if fault == "pause":
        up.redis.resume()
    else:
        up.redis.start()
    assert _wait_for(lambda: _readyz(up.two).json().get("cache") == "ok", timeout=8)
    assert _recent_hours(on_two) == 1.0
    assert _recent_hours(alice.client) == 1.0
    on_two.close()


def test_no_stale_history_after_redis_returns_with_its_old_data(up: Stack, alice: RemoteUser) -> None:
    """An old day written while the cache is down changes the longest streak afterwards
    (the history summary is keyed by users.history_version)."""
    on_two = alice.on(up.two)
    # Half-hour entries ending at 12:00 UTC (the user's zone), so none crosses midnight
    # whatever the time of day the test runs.
    now = datetime.now(UTC)
    midday = 24 * 100 + (now - now.replace(hour=12, minute=0, second=0)) / timedelta(hours=1)
    _entry(alice.client, hours_ago=midday)
    _entry(alice.client, hours_ago=midday + 48)
    assert _stats(on_two)["streak"]["longest_streak"] == 1  # the summary is cached now
    up.redis.stop()
    _entry(alice.client, hours_ago=midday + 24)
    up.redis.start()
    assert _wait_for(lambda: _readyz(up.two).json().get("cache") == "ok", timeout=8)
    assert _stats(on_two)["streak"]["longest_streak"] == 3
    on_two.close()


@pytest.mark.parametrize("fault", ["pause", "restart"])
def test_a_logged_out_session_and_a_revoked_token_stay_dead(up: Stack, fault: str) -> None:
    browser = browser_user(up.one)
    api = api_user(up.one)
    stale_session = browser.on(up.two)  # a copy of the cookie, kept after the logout
    stale_token = api.on(up.two)
    for client in (stale_session, stale_token, browser.client, api.client):  # anything cacheable is cached
        assert client.get("/api/me").status_code == 200
    token_id = api.client.get("/api/auth/tokens").json()[0]["id"]
    if fault == "pause":
        up.redis.pause()
    else:
        up.redis.stop()
    try:
        assert browser.client.post("/logout").status_code == 303
        assert api.client.delete(f"/api/auth/tokens/{token_id}").status_code == 204
        assert stale_session.get("/api/me").status_code == 401
        assert stale_token.get("/api/me").status_code == 401
    finally:
        if fault == "pause":
            up.redis.resume()
        else:
            up.redis.start()
    assert _wait_for(lambda: _readyz(up.two).json().get("cache") == "ok", timeout=8)
    for server in (up.one, up.two):
        for client in (stale_session, stale_token):
            with httpx.Client(base_url=server.base_url, headers=dict(client.headers),
                              cookies=dict(client.cookies), timeout=5) as c:
                assert c.get("/api/me").status_code == 401
                assert c.get("/api/productivity/stats").status_code == 401
    for c in (stale_session, stale_token, browser.client, api.client):
        c.close()


# ------------------------------------------------------------------ PostgreSQL


@dataclass
class Traffic:
    """A background writer and reader: every entry it saw acknowledged (2xx) and every status."""

    client: httpx.Client
    acked: list[int] = field(default_factory=list)
    statuses: list[tuple[str, int]] = field(default_factory=list)
    bad: list[str] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        n = 0
        while not self.stop.is_set():
            n += 1
            end = datetime.now(UTC).replace(microsecond=0) - timedelta(days=2, minutes=n)
            try:
                r = _post_entry(self.client, end, 1)
                self.statuses.append(("write", r.status_code))
                if r.status_code == 201:
                    self.acked.append(int(r.json()["id"]))
                elif r.status_code == 503:
                    self._check_503(r)
                else:
                    self.bad.append(f"write {r.status_code}: {r.text[:200]}")
                s = self.client.get("/api/productivity/stats")
                self.statuses.append(("stats", s.status_code))
                if s.status_code == 503:
                    self._check_503(s)
                elif s.status_code != 200:
                    self.bad.append(f"stats {s.status_code}: {s.text[:200]}")
            except httpx.HTTPError as exc:
                self.bad.append(f"transport error {exc!r}")
            self.stop.wait(0.1)

    def _check_503(self, r: httpx.Response) -> None:
        if r.json() != {"ok": False, "error": "database unavailable"} or "retry-after" not in r.headers:
            self.bad.append(f"bad 503: {r.headers} {r.text[:200]}")


OUTAGE_SECONDS = 30


def _errors_in_log(server: AppServer) -> str:
    """The server log from its first unexpected error (for an assertion message)."""
    text = server.log.read_text(errors="replace") if server.log.exists() else ""
    at = text.find("unexpected error")
    return text[at : at + 6000] if at >= 0 else text[-3000:]


def test_postgres_stopped_30_s_mid_traffic(up: Stack, alice: RemoteUser) -> None:
    browser = browser_user(up.two)
    traffic = Traffic(alice.on(up.two))
    worker = threading.Thread(target=traffic.run, daemon=True)
    worker.start()
    time.sleep(1.5)
    up.pg.stop()
    stopped = time.monotonic()
    try:
        # JSON: 503, the contract's body, Retry-After.
        for server in (up.one, up.two):
            r = alice.on(server).get("/api/entries")
            assert r.status_code == 503, r.text
            assert r.json() == {"ok": False, "error": "database unavailable"}
            assert int(r.headers["retry-after"]) > 0
            assert _readyz(server).status_code == 503
            assert httpx.get(f"{server.base_url}/healthz", timeout=5).status_code == 200
        # A page: the short "temporarily unavailable" page.
        page = browser.client.get("/dashboard/productivity")
        assert page.status_code == 503, page.text[:300]
        assert "Temporarily unavailable" in page.text
        assert "retry-after" in page.headers
        # A fragment: 503 with an empty body (the page keeps its content, static/js/resilience.js).
        frag = browser.client.get("/dashboard/productivity/fragments/summary", headers={"HX-Request": "true"})
        assert (frag.status_code, frag.text) == (503, "")
        # A write while the database is down is refused, not half-done.
        assert _post_entry(alice.client, datetime.now(UTC) - timedelta(days=3)).status_code == 503
        time.sleep(max(0.0, OUTAGE_SECONDS - (time.monotonic() - stopped)))
    finally:
        up.pg.start()
    # Recovery without a restart: the very first request after the database is back works.
    first, took = _timed(lambda: alice.on(up.one).get("/api/entries"))
    assert first.status_code == 200, first.text
    assert _post_entry(alice.on(up.one), datetime.now(UTC) - timedelta(days=4)).status_code == 201
    time.sleep(1.5)
    traffic.stop.set()
    worker.join(timeout=30)
    assert traffic.bad == [], _errors_in_log(up.two)
    codes = {code for _, code in traffic.statuses}
    assert 503 in codes and codes <= {200, 201, 503}, codes
    assert traffic.statuses[-1][1] in {200, 201}  # traffic recovered on its own
    # No acknowledged write is lost.
    for entry_id in traffic.acked:
        r = alice.client.get(f"/api/entries/{entry_id}")
        assert r.status_code == 200, (entry_id, r.text)
    assert browser.client.get("/dashboard/productivity").status_code == 200
    browser.close()
