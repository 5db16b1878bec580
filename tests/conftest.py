"""Test configuration shared by every suite.

The environment is set before the app is imported. By default the suite runs on a
fresh SQLite file and the in-memory cache; with MOMENTUM_TEST_DATABASE_URL and
MOMENTUM_TEST_CACHE_URL set it runs against PostgreSQL and Redis instead — each
pytest process (each xdist worker) on a database and a Redis db number of its own, so
concurrent runs on one machine never see each other's rows or cache keys (see
`tests/isolation.py`).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

from tests import isolation

_TMP = Path(tempfile.mkdtemp(prefix="momentum-tests-"))
_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "main")

os.environ["MOMENTUM_ENV"] = "test"
os.environ["MOMENTUM_SECRET_KEY"] = "test-secret-key-0123456789abcdef"
os.environ.setdefault("MOMENTUM_TIMEZONE", "UTC")
os.environ["MOMENTUM_DATABASE_URL"] = os.environ.get("MOMENTUM_TEST_DATABASE_URL") or (
    f"sqlite+aiosqlite:///{_TMP / f'test-{_WORKER}.db'}"
)
os.environ["MOMENTUM_CACHE_URL"] = os.environ.get("MOMENTUM_TEST_CACHE_URL") or "mem://"
# The in-process app does not sweep in the background (tests call sweep_once themselves with
# a pinned clock); server processes started by tests choose their own (tests/servers.py).
os.environ.setdefault("MOMENTUM_NOTIFY_SWEEP_SECONDS", "0")

pytest_plugins = ["tests.support"]


BACKEND_PASS = "MOMENTUM_TEST_BACKEND_PASS"
"""Set by `make test` for its second run (PostgreSQL + Redis): that run only collects the
tests whose outcome can depend on MOMENTUM_TEST_DATABASE_URL / MOMENTUM_TEST_CACHE_URL
(see `pytest_collection_modifyitems`); the first run already ran the others, identically."""


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "servers: starts its own redis-server / PostgreSQL cluster / app processes (tests/servers.py)"
    )
    config.addinivalue_line(
        "markers",
        "own_servers: every database, cache and app server the test talks to is started by the test itself "
        "(tests/servers.py), never the suite's; its outcome does not depend on MOMENTUM_TEST_*, so it runs once "
        "(in make test's first run), first (so one xdist worker runs a module's tests: one stack, not two)",
    )
    # The xdist controller runs no tests: only the processes that do get a database.
    if hasattr(config, "workerinput") or not getattr(config.option, "numprocesses", None):
        isolation.claim()


def pytest_runtest_teardown(item: pytest.Item) -> None:
    isolation.keep_alive()


def pytest_unconfigure(config: pytest.Config) -> None:
    isolation.release()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # Tests that start their own stack (a PostgreSQL cluster, Redis, app processes; mostly
    # module-scoped) go first, in their order: xdist's first batch for one worker is a run
    # of consecutive tests (a quarter of its share, far more than these), so each stack
    # starts once, on one worker, while the other runs the in-process tests. (`--dist
    # loadgroup` would group them too, but it keys work by node id, and schemathesis gives
    # every operation of test_openapi_fuzz the same one: all but one would be dropped.)
    items.sort(key=lambda item: item.get_closest_marker("own_servers") is None)
    if not os.environ.get(BACKEND_PASS):
        return
    unit = Path(__file__).parent / "unit"
    kept, dropped = [], []
    for item in items:
        # Unit tests never touch the suite's database or cache unless they ask for it
        # through the `settings` fixture (which every database fixture depends on).
        independent = item.get_closest_marker("own_servers") is not None or (
            unit in Path(str(item.path)).parents and "settings" not in getattr(item, "fixturenames", ())
        )
        (dropped if independent else kept).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept
