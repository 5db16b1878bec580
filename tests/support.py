"""Fixtures: the app, HTTP clients, and users created directly (not through rate-limited routes)."""

from __future__ import annotations

import asyncio
import fcntl
import itertools
import os
import tempfile
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from anyio.from_thread import BlockingPortal, start_blocking_portal
from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy import event
from sqlalchemy.ext.asyncio import async_sessionmaker

from app.settings import Settings

EXTERNAL = bool(os.environ.get("MOMENTUM_TEST_DATABASE_URL"))
_counter = itertools.count()


def _migrate(settings: Settings) -> None:
    """Bring the test database to head once (a file lock serialises xdist workers)."""
    from app.cli_db import _alembic

    lock_path = Path(tempfile.gettempdir()) / "momentum-test-migrate.lock"
    with open(lock_path, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        _alembic(settings).upgrade("head")
        fcntl.flock(lock, fcntl.LOCK_UN)


@pytest.fixture(scope="session")
def settings() -> Settings:
    settings = Settings.from_env()
    _migrate(settings)
    return settings


@pytest.fixture(scope="session")
def app(settings: Settings) -> Litestar:
    from app.asgi import create_app
    from app.domain.rules import timers

    # Like the notification sweep (MOMENTUM_NOTIFY_SWEEP_SECONDS=0 in conftest), the in-process
    # app's minute-by-minute timer_running sweep stays idle: tests call `timers.sweep` with a
    # pinned clock, and a background sweep landing between two requests made query-count
    # tests count its read of the running timers. Server processes started by tests sweep.
    timers.SWEEP_PAUSED = True
    return create_app(settings)


class _OnPortal(TestClient[Litestar]):
    def __init__(self, app: Any, shared_portal: BlockingPortal, **kwargs: Any) -> None:
        super().__init__(app=app, base_url="http://testserver.local", **kwargs)
        self._shared_portal = shared_portal

    @contextmanager
    def portal(self) -> Iterator[BlockingPortal]:
        yield self._shared_portal


class SharedLoopClient(_OnPortal):
    """A TestClient on the session's event loop that leaves the app's lifespan alone.

    Litestar's TestClient otherwise starts one loop per client; the Redis and asyncpg
    connections pooled on one client's loop then break on the next one ("Event loop
    is closed", "attached to a different loop"). The app's lifespan runs once for the
    session (see `portal`): concurrent lifespans of one app on one loop stop the loop.
    """

    def __enter__(self) -> SharedLoopClient:
        self.blocking_portal = self._shared_portal
        return self

    def __exit__(self, *args: Any) -> None:
        del self.blocking_portal


@pytest.fixture(scope="session")
def portal(app: Litestar) -> Iterator[BlockingPortal]:
    """The session's event loop, with the app started on it once (like a server)."""
    with start_blocking_portal(backend="asyncio") as p, _OnPortal(app, p):
        yield p


@pytest.fixture(autouse=True)
def _fresh_redis_cache(request: pytest.FixtureRequest) -> Iterator[None]:
    """A new Redis cache backend after every test.

    A test that calls services inside an event loop of its own (asyncio.run, db_run)
    leaves Redis connections bound to that dead loop in the shared pool; the next
    test's requests would pick them up ("attached to a different loop"). The old
    backend is closed on the session's loop when the test used it."""
    yield
    url = os.environ.get("MOMENTUM_CACHE_URL", "")
    if not url.startswith("redis"):
        return
    from app.lib.cache import cache, setup_cache

    if "portal" in request.fixturenames:
        with suppress(Exception):
            request.getfixturevalue("portal").call(cache.close)
    setup_cache(url)


@pytest.fixture()
def new_client(app: Litestar, portal: BlockingPortal) -> Any:
    """new_client(asgi_app=None) → an entered client on the session's loop (closed after the test)."""
    opened: list[TestClient[Litestar]] = []

    def factory(asgi_app: Any = None) -> TestClient[Litestar]:
        c = SharedLoopClient(asgi_app or app, portal)
        c.__enter__()
        opened.append(c)
        return c

    yield factory
    for c in reversed(opened):
        c.__exit__(None, None, None)


@pytest.fixture()
def client(new_client: Any) -> TestClient[Litestar]:
    return new_client()  # type: ignore[no-any-return]


@pytest.fixture()
def anon_client(new_client: Any) -> TestClient[Litestar]:
    return new_client()  # type: ignore[no-any-return]


def run(coro: Any) -> Any:
    loop = asyncio.new_event_loop()
    try:
        return loop.run_until_complete(coro)
    finally:
        loop.close()


@dataclass
class UserCtx:
    id: int
    email: str
    password: str
    token: str
    session_raw: str
    client: TestClient[Litestar]
    timezone: str = "UTC"
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def bearer(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    @property
    def csrf(self) -> dict[str, str]:
        token = self.client.cookies.get("momentum_csrf") or ""
        return {"X-CSRF-Token": token}

    def api(self, method: str, url: str, **kwargs: Any) -> Any:
        headers = {**self.bearer, **kwargs.pop("headers", {})}
        return self.client.request(method, url, headers=headers, **kwargs)

    def browser(self) -> TestClient[Litestar]:
        """The client signed in with a session cookie, with a CSRF cookie in its jar."""
        return self.client


_HASHES: dict[str, str] = {}


def hash_once(password: str) -> str:
    """The password hash of the accounts tests create directly: one per process, argon2id
    with its cheapest parameters. The app's own hashing (~0.2 s of CPU, more on a busy
    machine) was most of many tests' time; it verifies any argon2 hash with the parameters
    stored in it, so signing in still checks the password for real, in ~2 ms instead of
    ~0.2 s. Passwords set through the app (sign-up, a change) get the app's parameters."""
    if password not in _HASHES:
        from argon2 import PasswordHasher

        _HASHES[password] = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1).hash(password)
    return _HASHES[password]


async def _create_user(settings: Settings, email: str, password: str, timezone: str | None,
                       hours: float) -> tuple[int, str, str]:
    from app.db.config import create_engine, writing
    from app.domain.accounts import signup
    from app.domain.accounts.sessions import create_session
    from app.domain.accounts.tokens import create_token

    engine = create_engine(settings)
    try:
        with writing():
            async with async_sessionmaker(engine, expire_on_commit=False)() as db:
                digest = hash_once(password)
                with mock.patch.object(signup, "hash_password", lambda _: digest):
                    user = await signup.create_user(db, email=email, password=password, timezone=timezone,
                                                    standard_hours_per_day=hours)
                _, token = await create_token(db, user.id, "tests")
                raw = await create_session(db, user.id)
                await db.commit()
                return user.id, token, raw
    finally:
        await engine.dispose()


@pytest.fixture()
def make_user(settings: Settings, new_client: Any) -> Iterator[Any]:
    """make_user(timezone="Europe/Berlin") → a signed-in UserCtx with its own client."""
    from app.lib.signing import session_csrf_token, sign

    def factory(timezone: str | None = "UTC", hours: float = 8.0, email: str | None = None) -> UserCtx:
        email = email or f"user-{uuid.uuid4().hex[:10]}-{next(_counter)}@example.com"
        password = "correct horse battery"
        user_id, token, raw = run(_create_user(settings, email, password, timezone, hours))
        c = new_client()
        c.cookies.set("momentum_session", sign(settings.secret_key, raw))
        # The CSRF token is bound to the session (CONTRACT section 6): the one its pages carry.
        c.cookies.set("momentum_csrf", session_csrf_token(settings.secret_key, raw))
        return UserCtx(user_id, email, password, token, raw, c, timezone or settings.timezone)

    yield factory


@pytest.fixture()
def user(make_user: Any) -> UserCtx:
    return make_user()  # type: ignore[no-any-return]


class QueryCounter:
    def __init__(self, settle: Callable[[], None] | None = None) -> None:
        self.count = 0
        self.statements: list[str] = []
        self._settle = settle

    def settle(self) -> None:
        """Let the background bookkeeping of earlier requests (an API token's last use,
        written in a task after the response) finish, so it is not counted as the next
        request's query."""
        if self._settle is not None:
            self._settle()

    def __call__(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.strip().upper().startswith(("BEGIN", "COMMIT", "ROLLBACK", "PRAGMA", "SAVEPOINT", "RELEASE")):
            return
        self.count += 1
        self.statements.append(statement)


@pytest.fixture()
def count_queries(app: Litestar, portal: BlockingPortal) -> Iterator[QueryCounter]:
    """Counts SQL statements the app's engine executes during the test."""
    from advanced_alchemy.extensions.litestar import SQLAlchemyPlugin

    from app.domain.accounts import token_usage

    plugin = app.plugins.get(SQLAlchemyPlugin)
    engine = plugin.config[0].get_engine() if isinstance(plugin.config, list | tuple) else plugin.config.get_engine()
    counter = QueryCounter(lambda: portal.call(token_usage.settle))
    event.listen(engine.sync_engine, "before_cursor_execute", counter)
    # The reads that bypass the engine: the credential's, and app/db/fastread.py's.
    # (The credential's reader runs on app/db/fastread.py's: one list of observers.)
    fast = [r for r in (app.state.get("sqlite_reader"), app.state.get("pg_reader")) if r is not None]
    for reader in fast:
        reader.observers.append(counter)
    yield counter
    for reader in fast:
        reader.observers.remove(counter)
    event.remove(engine.sync_engine, "before_cursor_execute", counter)
