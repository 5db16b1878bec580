"""Momentum on a phone (issue 9), in Chromium at 390 px: the menu folds and opens (with and
without JavaScript), tables become stacked rows, nothing is wider than the screen, touch
targets are at least 44 px, and deleting an entry offers Undo, which restores it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import PASSWORD, create_user, sign_in

PHONE = {"width": 390, "height": 844}
PAGES = ["/", "/entries", "/projects", "/goals", "/import", "/export", "/settings", "/dashboard/productivity",
         "/account", "/rules", "/notifications"]


TOO_SMALL = """() => Array.from(document.querySelectorAll(
    'main button, main .btn, main select, main input:not([type=hidden]):not([type=checkbox]):not([type=radio]),'
    + ' main summary, main td.actions a, nav a, nav button, nav summary'))
  .filter(e => e.checkVisibility({checkVisibilityCSS: true, checkOpacity: true}))
  .map(e => [e.outerHTML.slice(0, 90), Math.round(e.getBoundingClientRect().height)])
  .filter(([, h]) => h < 44)"""


def _token(base: str, email: str) -> dict[str, str]:
    r = httpx.post(f"{base}/api/auth/tokens", json={"email": email, "password": PASSWORD, "name": "e2e"})
    assert r.status_code == 201, r.text
    return {"Authorization": f"Bearer {r.json()['token']}"}


def _seed(base: str, email: str) -> list[dict[str, Any]]:
    auth = _token(base, email)
    p = httpx.post(f"{base}/api/projects", json={"name": "A project with a rather long name"}, headers=auth).json()
    made = []
    for day in (2, 3, 4):
        body = {"start_time": f"2026-11-0{day}T08:00:00Z", "end_time": f"2026-11-0{day}T09:41:00Z",
                "project_id": p["id"], "notes": f"Writing the quarterly report, part {day}", "tags": ["writing"]}
        r = httpx.post(f"{base}/api/entries", json=body, headers=auth)
        assert r.status_code == 201, r.text
        made.append(r.json())
    return made


def test_the_menu_folds_and_opens_with_and_without_javascript(live_server: Any, browser: Any) -> None:
    base = live_server["base"]
    email = create_user(live_server)
    for js in (True, False):
        context = browser.new_context(viewport=PHONE, java_script_enabled=js)
        try:
            page = context.new_page()
            sign_in(page, base, email)
            menu = page.locator("#nav-menu")
            assert not menu.is_visible()
            toggle = page.locator("label.nav-toggle-label")
            box = toggle.bounding_box()
            assert box is not None and box["height"] >= 44 and box["width"] >= 44
            toggle.click()
            assert menu.is_visible()
            link = menu.get_by_role("link", name="Projects")
            assert link.is_visible()
            link_box = link.bounding_box()
            assert link_box is not None and link_box["height"] >= 44
            link.click()
            page.wait_for_url(f"{base}/projects")
            assert not page.locator("#nav-menu").is_visible()  # a new page starts folded
        finally:
            context.close()
    # At desktop width the menu is simply there, without a toggle.
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    try:
        page = context.new_page()
        sign_in(page, base, email)
        assert page.locator("#nav-menu").get_by_role("link", name="Entries").is_visible()
        assert not page.locator("label.nav-toggle-label").is_visible()
    finally:
        context.close()


@pytest.mark.parametrize("width", [390, 360])
def test_tables_stack_and_no_page_is_wider_than_the_phone(live_server: Any, browser: Any, width: int) -> None:
    base = live_server["base"]
    email = create_user(live_server)
    _seed(base, email)
    context = browser.new_context(viewport={"width": width, "height": 800})
    try:
        page = context.new_page()
        sign_in(page, base, email)
        small: dict[str, Any] = {}
        for path in PAGES:
            page.goto(f"{base}{path}")
            page.wait_for_load_state("networkidle")
            scroll, inner = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
            assert scroll <= inner, f"{path} at {width} px is {scroll} px wide"
            # Touch targets: every visible control of the page is at least 44 px tall.
            found = page.evaluate(TOO_SMALL)
            if found:
                small[path] = found
        assert small == {}
        page.goto(f"{base}/entries")
        rows = page.locator("#entries-table tbody tr")
        assert rows.count() == 3
        assert rows.first.evaluate("tr => getComputedStyle(tr).display") == "block"
        assert page.locator("#entries-table thead").evaluate("h => h.getBoundingClientRect().height") <= 1
        label = rows.first.locator("td[data-label='Duration']")
        assert label.evaluate("td => getComputedStyle(td, '::before').content") == '"Duration"'
        assert "1:41" in label.inner_text()
        for cell in rows.first.locator("td").all():
            box = cell.bounding_box()
            assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width
    finally:
        context.close()


def test_deleting_an_entry_on_a_phone_offers_undo_which_restores_it(live_server: Any, browser: Any) -> None:
    base = live_server["base"]
    email = create_user(live_server)
    made = _seed(base, email)
    auth = _token(base, email)
    context = browser.new_context(viewport=PHONE)
    try:
        page = context.new_page()
        sign_in(page, base, email)
        page.clock.install()
        page.goto(f"{base}/entries")
        page.wait_for_function("() => !!window.htmx")
        target = made[1]
        page.locator(f"#entry-{target['id']} button", has_text="Delete").click()
        flash = page.locator("#flash")
        flash.wait_for()
        assert "Deleted 1:41" in flash.inner_text()
        assert page.locator(f"#entry-{target['id']}").count() == 0
        undo = flash.get_by_role("button", name="Undo")
        box = undo.bounding_box()
        assert box is not None and box["height"] >= 44
        undo.click()
        page.locator(f"#entry-{target['id']}").wait_for()
        assert "Entry restored" in page.locator("#flash").inner_text()
        restored = httpx.get(f"{base}/api/entries/{target['id']}", headers=auth).json()
        assert restored == target
        # A second delete: its "Deleted · Undo" message goes away after 10 seconds.
        page.locator(f"#entry-{made[0]['id']} button", has_text="Delete").click()
        page.locator("#flash[data-flash-seconds='10']").wait_for()
        page.clock.run_for(9_000)
        assert page.locator("#flash").count() == 1
        page.clock.run_for(1_500)
        assert page.locator("#flash").count() == 0
    finally:
        context.close()


def test_the_donut_tooltip_is_never_clipped(live_server: Any, browser: Any) -> None:
    """The projects donut is 12rem wide; its tooltip is an element of its own (not drawn on
    the canvas), so a long project name shows whole and inside the screen."""
    base = live_server["base"]
    email = create_user(live_server)
    auth = _token(base, email)
    name = "A project with a very long name indeed, longer than the chart"
    p = httpx.post(f"{base}/api/projects", json={"name": name}, headers=auth).json()
    start = (datetime.now(UTC) - timedelta(days=1)).replace(hour=9, minute=0, second=0, microsecond=0)
    end = start + timedelta(hours=2)
    body = {"start_time": start.isoformat(), "end_time": end.isoformat(), "project_id": p["id"]}
    assert httpx.post(f"{base}/api/entries", json=body, headers=auth).status_code == 201
    for viewport in (PHONE, {"width": 1280, "height": 900}):
        context = browser.new_context(viewport=viewport)
        try:
            page = context.new_page()
            sign_in(page, base, email)
            page.goto(f"{base}/dashboard/productivity")
            canvas = page.locator("#productivity-projects canvas")
            page.wait_for_function("() => document.querySelector('#productivity-projects canvas[data-drawn]') !== null"
                                   " || !!(window.Chart && Chart.getChart(document.querySelector("
                                   "'#productivity-projects canvas')))")
            canvas.scroll_into_view_if_needed()
            box = canvas.bounding_box()
            assert box is not None
            # A point on the ring (the cutout is 62 % of the radius).
            page.mouse.move(box["x"] + box["width"] / 2 + box["width"] * 0.42, box["y"] + box["height"] / 2)
            tip = page.locator("#productivity-projects .chart-tip")
            tip.wait_for(state="visible")
            assert name in tip.inner_text() and "2 h" in tip.inner_text()
            rect = tip.bounding_box()
            assert rect is not None and rect["x"] >= 0 and rect["x"] + rect["width"] <= viewport["width"]
            scroll, inner = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
            assert scroll <= inner
        finally:
            context.close()
