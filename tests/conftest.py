"""Test configuration shared by every suite.

The environment is set before the app is imported. By default the suite runs on a
fresh SQLite file and the in-memory cache; with MOMENTUM_TEST_DATABASE_URL and
MOMENTUM_TEST_CACHE_URL set it runs against PostgreSQL and Redis instead.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

_TMP = Path(tempfile.mkdtemp(prefix="momentum-tests-"))
_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "main")

os.environ["MOMENTUM_ENV"] = "test"
os.environ["MOMENTUM_SECRET_KEY"] = "test-secret-key-0123456789abcdef"
os.environ.setdefault("MOMENTUM_TIMEZONE", "UTC")
os.environ["MOMENTUM_DATABASE_URL"] = os.environ.get("MOMENTUM_TEST_DATABASE_URL") or (
    f"sqlite+aiosqlite:///{_TMP / f'test-{_WORKER}.db'}"
)
os.environ["MOMENTUM_CACHE_URL"] = os.environ.get("MOMENTUM_TEST_CACHE_URL") or "mem://"

pytest_plugins = ["tests.support"]
