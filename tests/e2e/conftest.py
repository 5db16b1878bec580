"""Browser tests: a real `momentum serve` process and Debian's headless Chromium.

They skip, with a reason, when /usr/bin/chromium or the playwright package is
missing (the test command installs Chromium when it can). Never `playwright install`.
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from unittest import mock

import httpx
import pytest

from tests.support import hash_once

CHROMIUM = "/usr/bin/chromium"
ROOT = Path(__file__).resolve().parents[2]
MOMENTUM = str(Path(sys.executable).with_name("momentum"))
PASSWORD = "correct horse battery"

pytestmark = pytest.mark.e2e


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def live_server() -> Iterator[dict[str, Any]]:
    tmp = Path(tempfile.mkdtemp(prefix="momentum-e2e-"))
    env = {
        **os.environ,
        "MOMENTUM_ENV": "development",
        "MOMENTUM_SECRET_KEY": "e2e-secret-key-0123456789abcdef",
        "MOMENTUM_DATABASE_URL": f"sqlite+aiosqlite:///{tmp / 'e2e.db'}",
        "MOMENTUM_CACHE_URL": "mem://",
        "MOMENTUM_TIMEZONE": "UTC",
        # The server runs this checkout's `app` (a git worktree's too), not the one the
        # virtualenv's editable install points at.
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
    }
    # `momentum db upgrade`, in this process (a thread: Playwright's sync API may already
    # keep an event loop in this one).
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(_migrate, env["MOMENTUM_DATABASE_URL"]).result(timeout=120)
    port = _free_port()
    log = open(tmp / "server.log", "w")  # noqa: SIM115 - the server writes to it until teardown
    proc = subprocess.Popen(
        [MOMENTUM, "serve", "--port", str(port), "--quiet"], env=env, cwd=tmp,
        stdout=subprocess.DEVNULL, stderr=log,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.2)
    else:
        proc.terminate()
        raise RuntimeError("server did not start: " + (tmp / "server.log").read_text()[-2000:])
    try:
        yield {"base": base, "env": env, "tmp": tmp}
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def _migrate(database_url: str) -> None:
    from app.cli_db import _alembic
    from app.settings import Settings

    _alembic(dataclasses.replace(Settings.from_env(), database_url=database_url)).upgrade("head")


def create_user(server: dict[str, Any], timezone: str = "UTC", demo_years: float | None = None) -> str:
    """A new account on the server's database (with `demo_years` of `momentum demo`'s history).

    Written from this process, as `momentum users create` / `momentum demo` would (the same
    service calls), without starting a Python process for each account; the password is
    hashed once per run (tests/support.py)."""
    email = f"e2e-{uuid.uuid4().hex[:10]}@example.com"
    # Playwright's sync API keeps an event loop in this thread: the database work runs in one of its own.
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, _create_user(server["env"]["MOMENTUM_DATABASE_URL"], email, timezone,
                                              demo_years)).result(timeout=120)
    return email


async def _create_user(database_url: str, email: str, timezone: str, demo_years: float | None) -> None:
    from sqlalchemy.ext.asyncio import async_sessionmaker

    from app.cli_demo import seed_demo
    from app.db.config import create_engine, writing
    from app.domain.accounts import signup
    from app.settings import Settings

    engine = create_engine(dataclasses.replace(Settings.from_env(), database_url=database_url))
    digest = hash_once(PASSWORD)
    try:
        with writing(), mock.patch.object(signup, "hash_password", lambda _: digest):
            async with async_sessionmaker(engine, expire_on_commit=False)() as db:
                if demo_years:  # `momentum demo --years N --timezone Z` (its default seed, 42)
                    await seed_demo(db, email=email, password=PASSWORD, years=demo_years, seed=42, zone_name=timezone)
                else:  # `momentum users create --timezone Z`
                    await signup.create_user(db, email=email, password=PASSWORD, timezone=timezone,
                                             standard_hours_per_day=8.0)
                await db.commit()
    finally:
        await engine.dispose()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"{CHROMIUM} is not installed (the test command installs it when run as root)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # pragma: no cover
        pytest.skip("the playwright package is not installed")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--no-first-run", "--disable-sync"],
        )
        try:
            yield browser
        finally:
            browser.close()


def sign_in(page: Any, base: str, email: str) -> None:
    page.goto(f"{base}/login")
    page.fill("#f-email", email)
    page.fill("#f-password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")
