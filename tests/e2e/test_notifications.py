"""Notifications in Chromium (CONTRACT section 8): the bell shows a new notice within one poll
and a toast announces it; /notifications marks read; the idle prompt appears after simulated
idleness and each choice does what it says. The page's clock is Playwright's fake clock, so a
poll interval or ten idle minutes pass at once."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.e2e.conftest import create_user, sign_in

FETCH = """async ([method, url, body]) => {
  const token = JSON.parse(document.body.getAttribute('hx-headers'))['X-CSRF-Token'];
  const r = await fetch(url, {method, headers: {'Content-Type': 'application/json', 'X-CSRF-Token': token},
                              body: body ? JSON.stringify(body) : undefined});
  return [r.status, await r.text()];
}"""
ALL_OFF = {k: False for k in ("long_timer", "daily_reminder", "daily_summary", "goal_achieved", "goal_exceeded",
                              "streak_milestone", "budget_threshold")}


def api(page: Any, method: str, url: str, body: Any = None) -> tuple[int, str]:
    status, text = page.evaluate(FETCH, [method, url, body])
    return int(status), str(text)


def test_bell_toast_and_mark_read(live_server: Any, browser: Any) -> None:
    base = live_server["base"]
    email = create_user(live_server)
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    try:
        page.clock.install()
        sign_in(page, base, email)
        assert api(page, "PATCH", "/api/me/notifications", {**ALL_OFF, "daily_summary": True,
                                                           "summary_time": "00:00"})[0] == 200
        # After 11:00 the live server's sweep may have created the new account's default
        # daily reminder before the PATCH turned it off (wall clock, not this test): the
        # bell starts from nothing unread.
        assert api(page, "POST", "/api/notifications/read-all")[0] == 200
        page.goto(f"{base}/notifications")
        page.wait_for_selector("#notification-bell[data-latest]")
        assert page.locator("[data-testid=bell-count]").count() == 0
        now = datetime.now(UTC)
        entry = {"start_time": (now - timedelta(seconds=70)).isoformat(),
                 "end_time": (now - timedelta(seconds=5)).isoformat(), "notes": "e2e"}
        assert api(page, "POST", "/api/entries", entry)[0] == 201
        # One poll later (5 minutes without a running timer) the bell counts it and a toast shows it.
        page.clock.fast_forward("05:01")
        page.wait_for_selector("[data-testid=bell-count]")
        assert page.locator("[data-testid=bell-count]").inner_text() == "1"
        toast = page.wait_for_selector("[data-testid=toast]")
        assert toast.inner_text().startswith("Today: ")
        # The page lists it; "Mark read" (a plain form) clears the count.
        page.goto(f"{base}/notifications")
        assert page.locator(".notice-unread").count() == 1
        page.click(".notice-read button")
        page.wait_for_selector("[data-testid=unread-summary]:has-text('0 unread')")
        page.wait_for_selector("#notification-bell[data-unread='0']")
        assert page.locator("[data-testid=bell-count]").count() == 0
        # Browser notifications are asked for only from the button.
        button = page.locator("[data-testid=browser-notify]")
        assert button.is_visible()
    finally:
        context.close()


def _running(page: Any) -> dict[str, Any] | None:
    status, text = api(page, "GET", "/api/timer")
    assert status == 200
    return json.loads(text)["active_timer"]  # type: ignore[no-any-return]


def _backdate_timer(server: dict[str, Any], email: str, minutes: int) -> None:
    """Move the running timer's start `minutes` into the past, in the server's SQLite file."""
    with sqlite3.connect(server["tmp"] / "e2e.db") as db:
        row = db.execute("SELECT e.id, e.start_time FROM time_entries e JOIN users u ON u.id = e.user_id "
                         "WHERE u.email = ? AND e.end_time IS NULL", (email,)).fetchone()
        start = datetime.fromisoformat(row[1])
        moved = start - timedelta(minutes=minutes)
        db.execute("UPDATE time_entries SET start_time = ? WHERE id = ?", (moved.isoformat(sep=" "), row[0]))


def test_idle_prompt_each_choice(live_server: Any, browser: Any) -> None:
    base = live_server["base"]
    email = create_user(live_server)
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    try:
        page.clock.install()
        sign_in(page, base, email)
        assert api(page, "PATCH", "/api/me/notifications", {**ALL_OFF, "idle_minutes": 10})[0] == 200
        for choice, still_running in (("keep", True), ("discard_continue", True), ("discard_stop", False)):
            if _running(page) is None:
                assert api(page, "POST", "/api/timer/start", {"notes": "idle e2e"})[0] == 201
            _backdate_timer(live_server, email, 60)
            before = _running(page)
            assert before is not None
            # The page's clock runs half an hour behind the server's, so every moment of the
            # simulated idleness lies between the timer's start and the server's now.
            page.clock.set_system_time(datetime.now(UTC) - timedelta(minutes=30))
            page.goto(f"{base}/entries")
            page.wait_for_selector("#notification-bell[data-timer-start]")
            page.mouse.move(10, 10)
            page.clock.fast_forward("09:00")
            page.mouse.move(20, 20)
            assert page.locator("[data-testid=idle-dialog]").count() == 0  # 9 minutes: not yet
            page.clock.fast_forward("10:30")
            page.mouse.move(30, 30)
            dialog = page.wait_for_selector("[data-testid=idle-dialog]")
            assert "You were away" in dialog.inner_text()
            button = f"[data-testid=idle-dialog] button[data-action={choice}]"
            if choice == "keep":
                with page.expect_response("**/api/timer/idle") as answer:
                    page.click(button)
                page.wait_for_selector("[data-testid=idle-dialog]", state="detached")
            else:  # the page reloads to show the changed timer
                with page.expect_navigation(), page.expect_response("**/api/timer/idle") as answer:
                    page.click(button)
            assert answer.value.status == 200, answer.value.text()
            after = _running(page)
            assert (after is not None) == still_running
            if choice == "keep":
                assert after is not None and after["id"] == before["id"]
                assert page.locator("[data-testid=idle-dialog]").count() == 0
            elif choice == "discard_continue":
                assert after is not None and after["id"] != before["id"] and after["notes"] == "idle e2e"
    finally:
        context.close()
