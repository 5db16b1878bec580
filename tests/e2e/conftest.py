"""Browser tests: a real `momentum serve` process and Debian's headless Chromium.

They skip, with a reason, when /usr/bin/chromium or the playwright package is
missing (the test command installs Chromium when it can). Never `playwright install`.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

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
    subprocess.run([MOMENTUM, "db", "upgrade"], env=env, check=True, capture_output=True, timeout=120)
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


def create_user(server: dict[str, Any], timezone: str = "UTC", demo_years: float | None = None) -> str:
    email = f"e2e-{uuid.uuid4().hex[:10]}@example.com"
    if demo_years:
        subprocess.run(
            [MOMENTUM, "demo", "--email", email, "--password", PASSWORD, "--years", str(demo_years),
             "--timezone", timezone],
            env=server["env"], check=True, capture_output=True, timeout=120,
        )
    else:
        subprocess.run(
            [MOMENTUM, "users", "create", "--email", email, "--timezone", timezone],
            input=PASSWORD + "\n", text=True, env=server["env"], check=True, capture_output=True, timeout=60,
        )
    return email


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
