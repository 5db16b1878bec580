"""The write path under concurrency: two real app instances on one PostgreSQL and one Redis.

CONTRACT section 6, second bullet, and docs/architecture.md ("The write path"): one
user's writes are serialised across instances, so parallel writes never answer 5xx and
never leave a stored per-day total that differs from a recomputation from the entries;
a timer stop is acknowledged once; a PATCH racing a DELETE is a 404 or a 200.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import asyncpg
import httpx
import pytest

from app.lib.time import get_zone, split_by_day
from tests.servers import (
    AppServer,
    PostgresCluster,
    RedisServer,
    RemoteUser,
    api_user,
    migrate,
    postgres_missing,
    redis_missing,
)

_missing = redis_missing() or postgres_missing()
pytestmark = [pytest.mark.servers, pytest.mark.own_servers,
              pytest.mark.skipif(_missing is not None, reason=_missing or "")]

ZONE = "Europe/Berlin"


@dataclass
class Stack:
    pg: PostgresCluster
    one: AppServer
    two: AppServer


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    pg = PostgresCluster().start()
    redis = RedisServer().start()
    one = two = None
    try:
        migrate(pg.url)
        one = AppServer(pg.url, redis.url).start()
        two = AppServer(pg.url, redis.url).start()
        yield Stack(pg, one, two)
    finally:
        for item in (two, one, redis, pg):
            if item is not None:
                item.close()


@pytest.fixture
def user(stack: Stack) -> Iterator[RemoteUser]:
    u = api_user(stack.one, timezone=ZONE)
    yield u
    u.close()


def _parallel(calls: list[tuple[httpx.Client, str, str, dict[str, object] | None]]) -> list[httpx.Response]:
    def run(call: tuple[httpx.Client, str, str, dict[str, object] | None]) -> httpx.Response:
        client, method, url, body = call
        return client.request(method, url, json=body)

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))


def _db_totals_and_recomputation(stack: Stack, email: str) -> tuple[dict[date, float], dict[date, float]]:
    async def read() -> tuple[dict[date, float], dict[date, float]]:
        conn = await asyncpg.connect(stack.pg.dsn)
        try:
            uid = await conn.fetchval("SELECT id FROM users WHERE email = $1", email)
            stored = {r["day"]: float(r["seconds"]) for r in await conn.fetch(
                "SELECT day, seconds FROM day_totals WHERE user_id = $1", uid)}
            rows = await conn.fetch(
                "SELECT start_time, end_time FROM time_entries WHERE user_id = $1 AND end_time IS NOT NULL", uid)
        finally:
            await conn.close()
        zone = get_zone(ZONE)
        expected: dict[date, float] = defaultdict(float)
        for row in rows:
            for day, seconds in split_by_day(row["start_time"], row["end_time"], zone):
                expected[day] += seconds
        return stored, {d: s for d, s in expected.items() if s > 0}

    return asyncio.run(read())


def test_thirty_parallel_writes_across_two_instances_keep_every_day_total_exact(stack: Stack, user: RemoteUser) -> None:
    one, two = user.client, user.on(stack.two)
    now = datetime.now(UTC).replace(microsecond=0)
    calls: list[tuple[httpx.Client, str, str, dict[str, object] | None]] = []
    # Old days (far behind every stats window: the history rollup) and recent ones, many
    # writes landing on the same local day so unserialised read-modify-writes would collide.
    for i in range(30):
        base = now - timedelta(days=400 + i % 5) if i % 2 else now - timedelta(days=1 + i % 3)
        start = base.replace(hour=6) + timedelta(minutes=17 * i)
        calls.append((one if i % 2 else two, "POST", "/api/entries",
                      {"start_time": start.isoformat(), "end_time": (start + timedelta(minutes=13)).isoformat()}))
    answers = _parallel(calls)
    assert [r.status_code for r in answers] == [201] * 30, [r.text for r in answers if r.status_code != 201]
    stored, expected = _db_totals_and_recomputation(stack, user.email)
    assert stored == expected

    # Edits and deletes in parallel on both instances keep the rollup exact too.
    ids = [r.json()["id"] for r in answers]
    mixed: list[tuple[httpx.Client, str, str, dict[str, object] | None]] = []
    for n, entry_id in enumerate(ids[:20]):
        client = one if n % 2 else two
        if n % 3 == 0:
            mixed.append((client, "DELETE", f"/api/entries/{entry_id}", None))
        else:
            shifted = now - timedelta(days=2 + n % 4, hours=n)
            mixed.append((client, "PATCH", f"/api/entries/{entry_id}",
                          {"start_time": shifted.isoformat(),
                           "end_time": (shifted + timedelta(minutes=25)).isoformat()}))
    results = _parallel(mixed)
    assert all(r.status_code in (200, 204) for r in results), [(r.status_code, r.text) for r in results]
    stored, expected = _db_totals_and_recomputation(stack, user.email)
    assert stored == expected
    two.close()


def test_twenty_parallel_timer_stops_are_acknowledged_once(stack: Stack, user: RemoteUser) -> None:
    assert user.client.post("/api/timer/start", json={}).status_code == 201
    two = user.on(stack.two)
    calls: list[tuple[httpx.Client, str, str, dict[str, object] | None]] = [
        (user.client if i % 2 else two, "POST", "/api/timer/stop", {}) for i in range(20)
    ]
    codes = sorted(r.status_code for r in _parallel(calls))
    assert codes == [200] + [409] * 19
    entries = user.client.get("/api/entries").json()["items"]
    assert len(entries) == 1 and entries[0]["end_time"] is not None
    two.close()


def test_patch_racing_delete_is_200_or_404_never_5xx(stack: Stack, user: RemoteUser) -> None:
    two = user.on(stack.two)
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=5)
    for _round in range(8):
        created = user.client.post("/api/entries", json={
            "start_time": start.isoformat(), "end_time": (start + timedelta(minutes=30)).isoformat()})
        assert created.status_code == 201
        entry_id = created.json()["id"]
        calls: list[tuple[httpx.Client, str, str, dict[str, object] | None]] = [
            (two, "DELETE", f"/api/entries/{entry_id}", None),
            (user.client, "PATCH", f"/api/entries/{entry_id}", {"notes": "racing"}),
            (two, "PATCH", f"/api/entries/{entry_id}", {"notes": "racing too"}),
        ]
        delete, *patches = _parallel(calls)
        assert delete.status_code == 204
        assert all(p.status_code in (200, 404) for p in patches), [(p.status_code, p.text) for p in patches]
        assert user.client.get(f"/api/entries/{entry_id}").status_code == 404
    two.close()


def test_an_edit_on_one_instance_is_in_the_other_instances_next_stats_call(stack: Stack, user: RemoteUser) -> None:
    two = user.on(stack.two)

    def yesterday_hours() -> float:
        days = two.get("/api/productivity/stats").json()["daily_breakdown"]
        return float(days[-2]["hours"])

    assert yesterday_hours() == 0
    assert yesterday_hours() == 0  # now served from the shared cache
    zone = get_zone(ZONE)
    yesterday = datetime.now(UTC).astimezone(zone).date() - timedelta(days=1)
    start = datetime(yesterday.year, yesterday.month, yesterday.day, 10, 0, tzinfo=zone)
    created = user.client.post("/api/entries", json={
        "start_time": start.isoformat(), "end_time": (start + timedelta(seconds=450)).isoformat()})
    assert created.status_code == 201
    assert yesterday_hours() == 0.13  # 450 s, rounded half up once (docs/productivity.md)
    entry_id = created.json()["id"]
    assert user.client.patch(f"/api/entries/{entry_id}", json={
        "notes": "edited", "end_time": (start + timedelta(seconds=900)).isoformat()}).status_code == 200
    assert yesterday_hours() == 0.25
    two.close()
