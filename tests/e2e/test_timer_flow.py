"""Issue 2: sign in, start a timer, stop it, see the entry, reload and still see it."""

from __future__ import annotations

from typing import Any

from tests.e2e.conftest import create_user, sign_in


def test_start_and_stop_timer_leaves_an_entry_that_survives_reload(live_server: Any, browser: Any) -> None:
    base = live_server["base"]
    email = create_user(live_server, timezone="Europe/Berlin")
    context = browser.new_context()
    page = context.new_page()
    try:
        sign_in(page, base, email)
        page.fill("#f-timer-notes", "Writing the e2e test")
        page.click("[data-testid=timer-start]")
        page.wait_for_selector("[data-testid=timer-stop]")
        assert page.locator(".badge-live").first.is_visible()
        page.click("[data-testid=timer-stop]")
        page.wait_for_selector("[data-testid=timer-start]")
        table = page.locator("#today-entries")
        assert "Writing the e2e test" in table.inner_text()
        page.reload()
        assert "Writing the e2e test" in page.locator("#today-entries").inner_text()
    finally:
        context.close()
