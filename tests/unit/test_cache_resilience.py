"""The cache as an accelerator (app/lib/cache.py) and the database-outage classifier
(app/lib/errors.py): CONTRACT section 6, without real servers (those are
tests/integration/test_faults.py)."""

from __future__ import annotations

import asyncio
import errno
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import exc as sa_exc

from app.lib import cache as cache_lib
from app.lib.cache import CircuitBreaker, LocalCounters
from app.lib.errors import NotFoundError, ValidationError, is_database_unavailable


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_breaker_opens_on_failure_skips_then_lets_one_probe_through() -> None:
    clock = Clock()
    breaker = CircuitBreaker(open_seconds=3, clock=clock)
    assert breaker.allow() and not breaker.is_open
    breaker.failure(TimeoutError())
    assert breaker.is_open and breaker.skipping()
    clock.now += 2.9
    assert not breaker.allow()
    clock.now += 0.2
    assert not breaker.skipping()
    assert breaker.allow()  # the probe
    assert not breaker.allow()  # everyone else keeps skipping while it runs
    breaker.failure()
    clock.now += 3.1
    assert breaker.allow()
    breaker.success()
    assert not breaker.is_open and breaker.allow() and breaker.allow()


def test_local_counters_expire_and_stay_bounded() -> None:
    clock = Clock()
    counters = LocalCounters(max_keys=3, clock=clock)
    assert [counters.incr("a", 10) for _ in range(3)] == [1, 2, 3]
    assert counters.get("a") == 3
    clock.now += 10
    assert counters.get("a") == 0
    assert counters.incr("a", 10) == 1
    counters.set("block", 1, 5)
    assert counters.get("block") == 1
    counters.delete("block")
    assert counters.get("block") == 0
    for key in "bcdefg":
        counters.incr(key, 100)
    assert len(counters) <= 3
    assert counters.get("g") == 1  # the newest survive


class _Hanging:
    """A cache backend that never answers (Redis stopped with SIGSTOP)."""

    def __init__(self) -> None:
        self.calls = 0

    async def _hang(self, *args: Any, **kwargs: Any) -> Any:
        self.calls += 1
        await asyncio.sleep(30)

    get = set = set_many = incr = delete = ping = _hang


@pytest.fixture()
def hanging(monkeypatch: pytest.MonkeyPatch) -> Iterator[_Hanging]:
    backend = _Hanging()
    monkeypatch.setattr(cache_lib, "cache", backend)
    monkeypatch.setattr(cache_lib, "breaker", CircuitBreaker(open_seconds=60))
    monkeypatch.setattr(cache_lib, "local_counters", LocalCounters())
    yield backend


def test_a_hung_cache_costs_one_short_timeout_then_nothing(hanging: _Hanging) -> None:
    async def scenario() -> tuple[float, float, Any]:
        loop = asyncio.get_running_loop()
        start = loop.time()
        first = await cache_lib.get_bytes("k")
        first_took = loop.time() - start
        start = loop.time()
        for _ in range(50):
            await cache_lib.get_bytes("k")
            await cache_lib.set_bytes("k", b"v", 10)
        return first_took, loop.time() - start, first

    first_took, rest_took, value = asyncio.run(scenario())
    assert value is None
    assert first_took < cache_lib.CALL_TIMEOUT + 0.1
    assert rest_took < 0.05  # the open circuit skips the cache
    assert hanging.calls == 1
    assert asyncio.run(cache_lib.status()) == "down"


def test_rate_limit_counts_hold_without_the_cache(hanging: _Hanging) -> None:
    async def scenario() -> tuple[list[int], int, int]:
        counts = [await cache_lib.hit_counter("rl:fail:x", 900) for _ in range(5)]
        await cache_lib.set_counter("rl:block:x", 1, 900)
        blocked = await cache_lib.get_counter("rl:block:x")
        await cache_lib.delete_counter("rl:block:x")
        return counts, blocked, await cache_lib.get_counter("rl:block:x")

    counts, blocked, after_delete = asyncio.run(scenario())
    assert counts == [1, 2, 3, 4, 5]
    assert blocked == 1
    assert after_delete == 0


def test_the_larger_of_shared_and_local_counts_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    class Shared:
        async def incr(self, key: str, expire: float | None = None) -> int:
            return 7  # other instances counted too

        async def get(self, key: str) -> Any:
            return None  # lost (evicted, or Redis restarted empty)

    monkeypatch.setattr(cache_lib, "cache", Shared())
    monkeypatch.setattr(cache_lib, "breaker", CircuitBreaker())
    monkeypatch.setattr(cache_lib, "local_counters", LocalCounters())
    assert asyncio.run(cache_lib.hit_counter("k", 60)) == 7
    assert asyncio.run(cache_lib.get_counter("k")) == 1  # the local count survives the loss


# ------------------------------------------------------------------ database outages


class _PgError(Exception):
    def __init__(self, sqlstate: str) -> None:
        super().__init__(sqlstate)
        self.sqlstate = sqlstate


def _wrapped(orig: BaseException, cls: type[sa_exc.DBAPIError] = sa_exc.DBAPIError, **kw: Any) -> BaseException:
    return cls("SELECT 1", {}, orig, **kw)


@pytest.mark.parametrize(
    "error",
    [
        ConnectionRefusedError(errno.ECONNREFUSED, "refused"),
        ConnectionResetError(),
        TimeoutError(),
        OSError(errno.EHOSTUNREACH, "no route to host"),
        _wrapped(Exception("gone"), sa_exc.OperationalError),
        _wrapped(Exception("closed"), sa_exc.InterfaceError),
        _wrapped(Exception("boom"), connection_invalidated=True),
        _wrapped(_PgError("57P01")),  # admin shutdown
        _wrapped(_PgError("57P03")),  # cannot connect now
        _wrapped(_PgError("08006")),  # connection failure
        sa_exc.TimeoutError("QueuePool limit reached"),
    ],
)
def test_connection_failures_mean_database_unavailable(error: BaseException) -> None:
    assert is_database_unavailable(error)


def test_a_cause_deep_in_the_chain_counts() -> None:
    try:
        try:
            raise ConnectionRefusedError(errno.ECONNREFUSED, "refused")
        except OSError as inner:
            raise RuntimeError("while opening a session") from inner
    except RuntimeError as outer:
        assert is_database_unavailable(outer)


def test_a_failure_among_concurrent_dependencies_counts() -> None:
    """Litestar resolves dependencies in a task group and raises the first failure `from`
    the group: the database error may be a sibling of the one raised."""
    group = ExceptionGroup("deps", [ValueError("cancelled sibling"), ConnectionRefusedError(111, "refused")])
    raised = RuntimeError("first")
    raised.__cause__ = group
    assert is_database_unavailable(raised)


@pytest.mark.parametrize(
    "error",
    [
        ValueError("bad"),
        KeyError("x"),
        ValidationError("must be an integer", field="period"),
        NotFoundError("entry"),
        _wrapped(_PgError("23505"), sa_exc.IntegrityError),  # unique violation: a bug or a 409, not an outage
        _wrapped(_PgError("22001")),  # string too long
        OSError(errno.ENOSPC, "no space left"),
    ],
)
def test_other_errors_are_not_outages(error: BaseException) -> None:
    assert not is_database_unavailable(error)
