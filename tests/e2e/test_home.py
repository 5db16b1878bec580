"""Issue 9 in a real browser: Home's cards and the card layout (CONTRACT section 7).

- a layout saved through the API is what a second browser context shows (hidden card
  absent, order kept), on Home and on My productivity;
- the move buttons (keyboard) and drag and drop reorder the cards, and the order persists;
- Home's week card shows the stats API's week figures, live with a running timer;
- Home fits a 390 px phone (no sideways scroll) and is screenshotted at 1280 and 390 px
  into $MOMENTUM_SHOTS (default /tmp/momentum-shots).
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import PASSWORD, create_user, sign_in

SHOTS = Path(os.environ.get("MOMENTUM_SHOTS", "/tmp/momentum-shots"))
ORDER = "(sel) => Array.from(document.querySelectorAll(sel + ' > .layout-card')).map(e => e.dataset.card)"
WIDTH = "() => document.documentElement.scrollWidth"


def _token(base: str, email: str) -> dict[str, str]:
    r = httpx.post(f"{base}/api/auth/tokens", json={"email": email, "password": PASSWORD, "name": "e2e"})
    assert r.status_code == 201, r.text
    return {"Authorization": f"Bearer {r.json()['token']}"}


def _layout(base: str, auth: dict[str, str]) -> dict[str, Any]:
    r = httpx.get(f"{base}/api/me/layout", headers=auth)
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


def _visible(cards: list[dict[str, Any]]) -> list[str]:
    return [c["name"] for c in cards if c["visible"]]


def test_a_layout_saved_through_the_api_is_what_a_second_context_shows(live_server: Any, browser: Any) -> None:
    base = live_server["base"]
    email = create_user(live_server, demo_years=0.1)
    auth = _token(base, email)
    home = [{"name": "week", "visible": True}, {"name": "timer", "visible": True},
            {"name": "today", "visible": False}, {"name": "entries", "visible": True},
            {"name": "recent_projects", "visible": True}, {"name": "quick_entry", "visible": True}]
    prod = [{"name": n, "visible": n != "heatmap"} for n in
            ("focus", "summary", "daily", "heatmap", "insights", "projects", "goals", "sessions")]
    r = httpx.put(f"{base}/api/me/layout", headers=auth, json={"home": home, "productivity": prod})
    assert r.status_code == 200, r.text

    context = browser.new_context()
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        sign_in(page, base, email)
        assert page.evaluate(ORDER, "[data-layout-page=home]") == _visible(home)
        assert page.locator("#home-today").count() == 0
        assert "/home/cards/today" not in page.content()
        page.goto(f"{base}/dashboard/productivity")
        assert page.evaluate(ORDER, "[data-layout-page=productivity]") == _visible(prod)
        assert page.locator("#productivity-heatmap").count() == 0
        assert "/dashboard/productivity/fragments/heatmap" not in page.content()
        assert errors == []
    finally:
        context.close()


def test_move_buttons_and_drag_and_drop_reorder_and_persist(live_server: Any, browser: Any) -> None:
    base = live_server["base"]
    email = create_user(live_server)
    auth = _token(base, email)
    # Tall enough that every card is on screen: the drag needs no scrolling.
    context = browser.new_context(viewport={"width": 1280, "height": 2000})
    page = context.new_page()
    try:
        sign_in(page, base, email)
        page.click("[data-layout-toggle=home]")
        # Keyboard: focus "Move This week up" and press Enter; the focus stays on the button.
        up = page.locator("[data-card=week] [data-layout-move='-1']")
        up.focus()
        page.keyboard.press("Enter")
        page.wait_for_selector("[data-layout-status=home]:has-text('Layout saved.')", state="attached")
        assert page.evaluate("document.activeElement.getAttribute('aria-label')") == "Move This week up"
        expected = ["timer", "week", "today", "recent_projects", "entries", "quick_entry"]
        assert page.evaluate(ORDER, "[data-layout-page=home]") == expected
        assert _visible(_layout(base, auth)["home"]) == expected

        # Drag and drop: the quick entry card onto the timer card's upper left → first.
        page.evaluate("document.querySelector('[data-layout-status=home]').textContent = ''")
        page.drag_and_drop("[data-card=quick_entry] .layout-handle", "[data-card=timer]",
                           target_position={"x": 5, "y": 5})
        page.wait_for_selector("[data-layout-status=home]:has-text('Layout saved.')", state="attached")
        order = page.evaluate(ORDER, "[data-layout-page=home]")
        assert order[0] == "quick_entry", order
        assert _visible(_layout(base, auth)["home"]) == order

        # Hide: gone from the page and stored hidden; a reload keeps it all.
        page.evaluate("document.querySelector('[data-layout-status=home]').textContent = ''")
        page.click("[data-card=entries] [data-layout-hide]")
        page.wait_for_selector("[data-layout-status=home]:has-text('hidden')", state="attached")
        stored = _layout(base, auth)["home"]
        assert {c["name"]: c["visible"] for c in stored}["entries"] is False
        page.reload()
        assert page.evaluate(ORDER, "[data-layout-page=home]") == [n for n in order if n != "entries"]

        # Reset restores the default.
        page.click("[data-layout-toggle=home]")
        with page.expect_navigation():
            page.click("[data-layout-reset=home]")
        assert page.evaluate(ORDER, "[data-layout-page=home]") == [
            "timer", "today", "week", "recent_projects", "entries", "quick_entry"]
    finally:
        context.close()


def test_home_week_card_equals_the_stats_api_with_a_running_timer(live_server: Any, browser: Any) -> None:
    base = live_server["base"]
    email = create_user(live_server, timezone="Europe/Berlin")
    auth = _token(base, email)
    now = datetime.now(UTC)
    r = httpx.post(f"{base}/api/entries", headers=auth, json={
        "start_time": (now - timedelta(hours=3)).isoformat(), "end_time": (now - timedelta(hours=2)).isoformat()})
    assert r.status_code == 201, r.text
    r = httpx.post(f"{base}/api/timer/start", headers=auth,
                   json={"start_time": (now - timedelta(minutes=90)).isoformat()})
    assert r.status_code == 201, r.text
    context = browser.new_context()
    page = context.new_page()
    page.clock.install()  # the page's own clock, to move it forward below (nothing sleeps)
    try:
        sign_in(page, base, email)
        shown = float(page.get_attribute("[data-testid=week-hours]", "data-hours") or "nan")
        goal = float(page.get_attribute("[data-testid=week-goal]", "data-hours") or "nan")
        summary = httpx.get(f"{base}/api/productivity/stats", headers=auth).json()["summary"]
        assert goal == summary["week_goal_hours"]
        assert abs(shown - summary["week_live_hours"]) <= 0.02  # live: seconds pass between the two reads
        assert shown >= 2.5 - 0.01 or summary["week_live_hours"] < 2.5  # the timer's 1.5 h counts (Monday edge aside)
        assert page.locator("#home-week .badge-live").count() == 1
        # Between polls (every 60 s) the figure grows with the clock: computed 30 minutes
        # ago, it reads 0.5 h more at the next tick (every 15 s).
        page.evaluate("""() => { const el = document.querySelector('[data-testid=week-hours]');
            el.dataset.liveFrom = new Date(Date.now() - 30 * 60000).toISOString(); }""")
        page.clock.fast_forward("00:16")
        grown = float(page.inner_text("[data-testid=week-hours]").removesuffix(" h"))
        assert abs(grown - (shown + 0.5)) <= 0.02
    finally:
        context.close()


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize(("width", "height"), [(1280, 900), (390, 844)], ids=["1280", "390"])
def test_home_fits_a_phone_and_screenshots(live_server: Any, browser: Any, width: int, height: int,
                                           scheme: str) -> None:
    base = live_server["base"]
    email = create_user(live_server, demo_years=0.1)
    SHOTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport={"width": width, "height": height}, color_scheme=scheme)
    page = context.new_page()
    try:
        sign_in(page, base, email)
        for name, url in (("home", "/"), ("productivity", "/dashboard/productivity"),
                          ("settings", "/settings")):
            page.goto(f"{base}{url}")
            page.wait_for_load_state("networkidle")
            page.screenshot(path=str(SHOTS / f"{name}-{width}-{scheme}.png"), full_page=True)
            page.screenshot(path=str(SHOTS / f"{name}-{width}-{scheme}-top.png"))
            if name == "home":
                assert page.evaluate(WIDTH) <= width, f"{url} scrolls sideways at {width} px"
                box = page.locator("#home-entries").bounding_box()
                assert box is not None
                page.screenshot(path=str(SHOTS / f"home-entries-{width}-{scheme}.png"), full_page=True,
                                clip={"x": 0, "y": box["y"], "width": width, "height": 800})
        page.goto(f"{base}/")
        page.click("[data-layout-toggle=home]")
        page.screenshot(path=str(SHOTS / f"home-editing-{width}-{scheme}.png"), full_page=True)
        assert page.evaluate(WIDTH) <= width
    finally:
        context.close()


def test_my_productivity_cards_move_by_keyboard_and_the_charts_survive(live_server: Any, browser: Any) -> None:
    base = live_server["base"]
    email = create_user(live_server, demo_years=0.1)
    auth = _token(base, email)
    context = browser.new_context(viewport={"width": 1280, "height": 1000})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        sign_in(page, base, email)
        page.goto(f"{base}/dashboard/productivity")
        page.wait_for_function("() => window.Momentum && window.Momentum.productivity "
                               "&& window.Momentum.productivity.charts.size === 2")
        page.click("[data-layout-toggle=productivity]")
        page.locator("[data-card=daily] [data-layout-move='1']").focus()
        page.keyboard.press("Enter")
        page.wait_for_selector("[data-layout-status=productivity]:has-text('Layout saved.')", state="attached")
        expected = ["summary", "heatmap", "daily", "projects", "insights", "focus", "goals", "sessions"]
        assert page.evaluate(ORDER, "[data-layout-page=productivity]") == expected
        assert _visible(_layout(base, auth)["productivity"]) == expected
        assert page.evaluate("window.Momentum.productivity.charts.size") == 2
        page.reload()
        assert page.evaluate(ORDER, "[data-layout-page=productivity]") == expected
        assert errors == []
    finally:
        context.close()


def test_the_timer_typeahead_picks_a_project_and_task_and_starts_in_the_past(
    live_server: Any, browser: Any
) -> None:
    base = live_server["base"]
    email = create_user(live_server)
    auth = _token(base, email)
    pid = httpx.post(f"{base}/api/projects", headers=auth, json={"name": "Website"}).json()["id"]
    httpx.post(f"{base}/api/projects", headers=auth, json={"name": "Backoffice"})
    tid = httpx.post(f"{base}/api/tasks", headers=auth, json={"project_id": pid, "name": "Release notes"}).json()["id"]
    context = browser.new_context()
    page = context.new_page()
    try:
        sign_in(page, base, email)
        assert page.locator("#timer-targets option").count() == 3  # two projects, one task
        page.fill("#f-timer-find", "website › release notes")
        assert page.input_value("#f-timer-project") == str(pid)
        assert page.input_value("#f-timer-task") == str(tid)
        page.click(".started-earlier summary")
        page.fill("#f-timer-minutes", "15")
        page.click("#timer-toggle")
        page.wait_for_selector("[data-testid=timer-stop]")
        running = httpx.get(f"{base}/api/timer", headers=auth).json()["active_timer"]
        assert (running["project_id"], running["task_id"]) == (pid, tid)
        assert 15 * 60 <= running["elapsed_seconds"] <= 15 * 60 + 30
        assert page.evaluate("document.activeElement && document.activeElement.id") == "timer-toggle"
    finally:
        context.close()
