"""Every page runs under the Content-Security-Policy in Chromium without a single
violation (CONTRACT section 6): htmx, the app's scripts and Chart.js load, and nothing
inline is refused. Runs on the session's `momentum serve` of this checkout (tests/e2e/conftest.py)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.conftest import PASSWORD, create_user

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
def server(live_server: dict[str, Any]) -> tuple[str, str]:
    """The session's server and an account with `momentum demo --years 0.3` (its zone, Europe/Berlin)."""
    return live_server["base"], create_user(live_server, timezone="Europe/Berlin", demo_years=0.3)


def test_every_page_runs_under_the_csp_without_violations(browser: Any, server: tuple[str, str]) -> None:
    base, email = server
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


def test_fragments_poll_only_while_visible_without_eval(browser: Any, server: tuple[str, str]) -> None:
    """The visibility rule of CONTRACT section 5, kept in productivity.js (hx-trigger filters
    would need eval): a hidden tab sends no fragment request; coming back refreshes every fragment."""
    base, email = server
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
