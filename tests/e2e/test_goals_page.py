"""Issue 4 in a real browser: a goal created on /goals without JavaScript, a second one
with htmx (no full page load, inline error for an invalid target), and both goals'
progress on My productivity."""

from __future__ import annotations

from typing import Any

from tests.e2e.conftest import create_user, sign_in


def fill_goal(page: Any, name: str, target: str, *, metric: str = "hours", period: str = "weekly",
              direction: str = "at_least") -> None:
    page.fill("#f-name", name)
    page.select_option("#f-metric", metric)
    page.select_option("#f-direction", direction)
    page.fill("#f-target", target)
    page.select_option("#f-period", period)


def goal_names(page: Any) -> list[str]:
    return [t.strip() for t in page.locator("#goal-list li.goal .goal-head strong").all_inner_texts()]


def test_goals_are_created_without_and_with_javascript_and_shown_on_my_productivity(
    live_server: Any, browser: Any
) -> None:
    base = live_server["base"]
    email = create_user(live_server, timezone="Europe/Berlin")

    # 1. Without JavaScript: a plain form POST answered by 303 back to /goals.
    plain = browser.new_context(java_script_enabled=False)
    try:
        page = plain.new_page()
        sign_in(page, base, email)
        page.goto(f"{base}/goals")
        fill_goal(page, "Weekly deep work", "20")
        with page.expect_navigation():
            page.click("#goal-form button[type=submit]")
        assert page.url == f"{base}/goals"
        assert goal_names(page) == ["Weekly deep work"]
    finally:
        plain.close()

    # 2. With JavaScript: htmx submits the form and swaps #main; the window survives.
    context = browser.new_context()
    errors: list[str] = []
    try:
        page = context.new_page()
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        sign_in(page, base, email)
        page.goto(f"{base}/goals")
        page.wait_for_function("() => !!window.htmx")
        assert goal_names(page) == ["Weekly deep work"]
        page.evaluate("window.__samePage = 'goals'")

        fill_goal(page, "Meetings cap", "2", period="daily", direction="at_most")
        page.click("#goal-form button[type=submit]")
        page.wait_for_function("() => document.querySelectorAll('#goal-list li.goal').length === 2")
        assert goal_names(page) == ["Weekly deep work", "Meetings cap"]
        assert page.evaluate("window.__samePage") == "goals"

        # An invalid target: the form comes back with an inline error, still no page load.
        fill_goal(page, "Impossible", "-5")
        page.click("#goal-form button[type=submit]")
        error = page.locator("#goal-form .field-error")
        error.wait_for()
        assert "target" in (error.get_attribute("id") or "")
        assert error.inner_text().strip()
        assert page.locator("#f-target").get_attribute("aria-invalid") == "true"
        assert page.input_value("#f-name") == "Impossible"  # what the user typed is kept
        assert page.evaluate("window.__samePage") == "goals"
        assert goal_names(page) == ["Weekly deep work", "Meetings cap"]

        # 3. My productivity shows the progress of both goals.
        page.goto(f"{base}/dashboard/productivity")
        panel = page.locator("#productivity-goals")
        items = panel.locator("li.goal")
        assert items.count() == 2
        text = panel.inner_text()
        assert "Weekly deep work" in text and "Meetings cap" in text
        statuses = items.locator("[data-status]").evaluate_all("els => els.map(e => e.dataset.status)")
        assert statuses[0] in {"achieved", "on_track", "behind"}  # at_least
        assert statuses[1] == "within"  # at most 2 h a day, nothing tracked
        assert panel.locator("li.goal svg.bar").count() == 2
        assert errors == []
    finally:
        context.close()
