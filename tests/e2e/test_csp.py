"""Every page runs under the Content-Security-Policy in Chromium without a single
violation (CONTRACT section 6): htmx, the app's scripts and Chart.js load, and nothing
inline is refused. Runs `momentum serve` of this checkout (tests/servers.py)."""

from __future__ import annotations

import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.servers import PASSWORD, ROOT, AppServer, momentum_cli

PAGES = ["/", "/entries", "/projects", "/goals", "/rules", "/import", "/export", "/settings",
         "/account", "/palette?q=st", "/settings/workspace", "/notifications", "/settings/notifications",
         "/dashboard/productivity?period=30"]  # the last one: its charts are checked below
COLLECT = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', function (e) {
  window.__cspViolations.push(e.violatedDirective + ' ' + (e.blockedURI || 'inline') + ' ' + e.sourceFile);
});
"""


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[AppServer, str]]:
    tmp = Path(tempfile.mkdtemp(prefix="momentum-csp-"))
    app = AppServer(f"sqlite+aiosqlite:///{tmp / 'csp.db'}", "mem://", migrate_first=True)
    try:
        app.start()
        email = f"csp-{uuid.uuid4().hex[:10]}@example.com"
        subprocess.run(momentum_cli("demo", "--email", email, "--password", PASSWORD, "--years", "0.3"),
                       env=app.env, cwd=ROOT, check=True, capture_output=True, timeout=300)
        yield app, email
    finally:
        app.close()


def test_every_page_runs_under_the_csp_without_violations(browser: Any, server: tuple[AppServer, str]) -> None:
    app, email = server
    base = app.base_url
    context = browser.new_context()
    context.add_init_script(COLLECT)
    page = context.new_page()
    console: list[str] = []
    page.on("console", lambda m: console.append(m.text) if m.type in {"error", "warning"} else None)
    page.on("pageerror", lambda e: console.append(f"pageerror: {e}"))
    try:
        for public in ("/login", "/register"):
            response = page.goto(f"{base}{public}")
            assert response is not None and "frame-ancestors 'none'" in response.headers["content-security-policy"]
        page.goto(f"{base}/login")
        page.fill("#f-email", email)
        page.fill("#f-password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(f"{base}/")
        seen: dict[str, list[str]] = {}
        for path in PAGES:
            page.goto(f"{base}{path}")
            page.wait_for_load_state("networkidle")
            assert page.evaluate("typeof window.htmx") == "object", path
            seen[path] = page.evaluate("window.__cspViolations")
        # Chart.js was loaded (from /static, by productivity.js) and drew its charts.
        assert page.evaluate("typeof window.Chart") == "function"
        assert page.locator("canvas").count() >= 1
        # A boosted navigation (htmx swaps #main) still raises nothing.
        page.click("nav a[href='/projects']:visible")
        page.wait_for_load_state("networkidle")
        seen["boosted /projects"] = page.evaluate("window.__cspViolations")
    finally:
        context.close()
    assert {path: v for path, v in seen.items() if v} == {}
    assert [m for m in console if "Content Security Policy" in m or "Refused to" in m] == []


def test_fragments_poll_only_while_visible_without_eval(browser: Any, server: tuple[AppServer, str]) -> None:
    """The visibility rule of CONTRACT section 5, kept in productivity.js (hx-trigger filters
    would need eval): a hidden tab sends no fragment request; coming back refreshes every fragment."""
    app, email = server
    base = app.base_url
    context = browser.new_context()
    context.add_init_script(COLLECT)
    page = context.new_page()
    try:
        page.goto(f"{base}/login")
        page.fill("#f-email", email)
        page.fill("#f-password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(f"{base}/")
        page.goto(f"{base}/dashboard/productivity?period=30")
        page.wait_for_load_state("networkidle")
        fragments: list[str] = []
        page.on("request", lambda r: fragments.append(r.url) if "/fragments/" in r.url else None)
        page.evaluate("""() => {
            window.__hidden = true;
            Object.defineProperty(document, 'visibilityState', {configurable: true,
                get: () => window.__hidden ? 'hidden' : 'visible'});
            window.htmx.trigger(document.body, 'momentum:refresh');
        }""")
        page.wait_for_timeout(500)
        assert fragments == []
        page.evaluate("() => { window.__hidden = false; document.dispatchEvent(new Event('visibilitychange')); }")
        page.wait_for_load_state("networkidle")
        page.wait_for_timeout(300)
        names = {u.split("/fragments/")[1].split("?")[0] for u in fragments}
        polled = set(page.evaluate(
            "() => [...document.querySelectorAll('[data-poll-seconds]')].map(e => e.id.replace('productivity-', ''))"))
        assert {"daily", "focus", "heatmap", "insights", "projects", "summary"} <= names == polled
        assert page.evaluate("window.__cspViolations") == []
    finally:
        context.close()
