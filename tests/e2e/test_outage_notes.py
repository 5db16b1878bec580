"""CONTRACT section 6 in a real browser: while the server answers 503 (database
unavailable), every productivity fragment keeps its last content and shows a retry note
(static/js/resilience.js); the next successful refresh replaces fragment and note."""

from __future__ import annotations

from typing import Any

from tests.e2e.conftest import create_user, sign_in

FRAGMENT = '[hx-get*="/dashboard/productivity/fragments/summary"]'


def test_fragments_keep_their_content_and_show_a_retry_note_on_503(live_server: Any, browser: Any) -> None:
    base = live_server["base"]
    email = create_user(live_server)
    context = browser.new_context()
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        sign_in(page, base, email)
        page.goto(f"{base}/dashboard/productivity")
        page.wait_for_selector(FRAGMENT)
        before = page.locator(FRAGMENT).inner_text()
        assert before.strip()
        fragments = page.locator("[data-poll-seconds]").count()
        assert fragments >= 2

        def unavailable(route: Any) -> None:
            route.fulfill(status=503, body="", headers={"Retry-After": "5", "Content-Type": "text/plain"})

        page.route("**/dashboard/productivity/fragments/**", unavailable)
        page.evaluate("document.body.dispatchEvent(new CustomEvent('momentum:refresh'))")
        page.wait_for_function(
            "n => document.querySelectorAll('[data-poll-seconds] > .retry-note').length === n", arg=fragments
        )
        note = page.locator(f"{FRAGMENT} > .retry-note")
        assert "Temporarily unavailable" in note.inner_text() and "5 s" in note.inner_text()
        assert note.get_attribute("role") == "status"
        # The last content is all still there, below the note; polling stays armed.
        assert before in page.locator(FRAGMENT).inner_text()
        assert page.locator(FRAGMENT).get_attribute("hx-trigger").startswith("every ")
        # A second failure does not stack notes.
        page.evaluate("document.body.dispatchEvent(new CustomEvent('momentum:refresh'))")
        page.wait_for_timeout(500)
        assert page.locator(f"{FRAGMENT} > .retry-note").count() == 1

        page.unroute("**/dashboard/productivity/fragments/**")
        page.evaluate("document.body.dispatchEvent(new CustomEvent('momentum:refresh'))")
        page.wait_for_function("() => document.querySelectorAll('.retry-note').length === 0")
        assert page.locator(FRAGMENT).inner_text().strip() == before.strip()
        assert errors == []
    finally:
        context.close()
