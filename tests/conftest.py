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


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "servers: starts its own redis-server / PostgreSQL cluster / app processes (tests/servers.py)"
    )
    # The xdist controller runs no tests: only the processes that do get a database.
    if hasattr(config, "workerinput") or not getattr(config.option, "numprocesses", None):
        isolation.claim()


def pytest_runtest_teardown(item: pytest.Item) -> None:
    isolation.keep_alive()


def pytest_unconfigure(config: pytest.Config) -> None:
    isolation.release()
