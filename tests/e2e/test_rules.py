"""Issue 10 in a real browser: a rule created from a template on /rules without
JavaScript, and one with htmx, each filing the next matching entry."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from tests.e2e.conftest import create_user, sign_in


def add_project(page: Any, base: str, name: str) -> None:
    page.goto(f"{base}/projects")
    page.fill("form[action='/projects'] input[name=name]", name)
    with page.expect_navigation():
        page.click("form[action='/projects'] button[type=submit]")


def add_entry(page: Any, base: str, notes: str, project: str | None = None, hours_ago: int = 1) -> None:
    """The quick entry form on Home: half an hour starting `hours_ago` hours ago (the user's zone is UTC)."""
    page.goto(f"{base}/")
    start = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(hours=hours_ago)
    page.fill("form[action='/entries'] input[name=start_time]", start.strftime("%Y-%m-%dT%H:%M"))
    end = start + timedelta(minutes=30)
    page.fill("form[action='/entries'] input[name=end_time]", end.strftime("%Y-%m-%dT%H:%M"))
    page.fill("form[action='/entries'] input[name=notes]", notes)
    if project:
        page.select_option("form[action='/entries'] select[name=project_id]", label=project)
    with page.expect_response(lambda r: r.request.method == "POST" and r.url.endswith("/entries")) as posted:
        page.click("form[action='/entries'] button[type=submit]")
    assert posted.value.status in (200, 303), posted.value.status
    page.wait_for_load_state("networkidle")


def entries(page: Any, base: str) -> list[dict[str, Any]]:
    r = page.request.get(f"{base}/api/entries")
    assert r.status == 200, r.text()
    return r.json()["items"]  # type: ignore[no-any-return]


def test_a_template_rule_files_the_next_entry_without_and_with_javascript(live_server: Any, browser: Any) -> None:
    base = live_server["base"]
    email = create_user(live_server)

    # 1. Without JavaScript: plain form posts.
    plain = browser.new_context(java_script_enabled=False)
    try:
        page = plain.new_page()
        sign_in(page, base, email)
        add_project(page, base, "Meetings")
        page.goto(f"{base}/rules")
        form = page.locator("#template-file_keyword")
        form.locator("input[name=file_keyword_keyword]").fill("standup")
        form.locator("select[name=file_keyword_project]").select_option(label="Meetings")
        with page.expect_navigation():
            form.locator("button[type=submit]").click()
        assert "/rules/" in page.url
        assert "File “standup”" in page.locator("h1").inner_text()

        add_entry(page, base, "Daily standup")
        newest = entries(page, base)[0]
        assert (newest["notes"], newest["project_name"]) == ("Daily standup", "Meetings")

        # The run log on the rule's page shows what it did.
        page.goto(f"{base}/rules")
        page.click("#rule-list a >> nth=0")
        assert "project → Meetings" in page.locator("[data-testid=rule-runs]").inner_text()
    finally:
        plain.close()

    # 2. With htmx: the template form is submitted without a full page load.
    context = browser.new_context()
    errors: list[str] = []
    try:
        page = context.new_page()
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        sign_in(page, base, email)
        page.goto(f"{base}/rules")
        page.wait_for_function("() => !!window.htmx")
        page.evaluate("window.__samePage = 'rules'")
        form = page.locator("#template-tag_project")
        form.locator("select[name=tag_project_project]").select_option(label="Meetings")
        form.locator("input[name=tag_project_tag]").fill("meeting")
        form.locator("button[type=submit]").click()
        page.wait_for_function("() => (document.querySelector('h1')?.textContent || '').includes('Tag')")
        assert page.evaluate("window.__samePage") == "rules"

        add_entry(page, base, "Planning", project="Meetings", hours_ago=3)
        planning = next(e for e in entries(page, base) if e["notes"] == "Planning")
        assert (planning["project_name"], planning["tags"]) == ("Meetings", ["meeting"])

        # The preview lists the entries the rule would change (none left: both are tagged or filed).
        page.goto(f"{base}/rules")
        page.click("#rule-list li >> nth=1 >> a >> nth=0")
        page.wait_for_function("() => !!document.querySelector('#rule-preview a.btn')")
        page.click("#rule-preview a.btn")
        page.locator("[data-testid=rule-preview]").wait_for()
        assert errors == []
    finally:
        context.close()
