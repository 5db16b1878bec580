"""The account page in a real browser (issue 9): change the password (the other browser
is signed out, this one stays), then delete the account without JavaScript; the page
fits a 390 px phone in light and dark."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from tests.e2e.conftest import PASSWORD, create_user, sign_in

NEW_PASSWORD = "a brand new passphrase"
SHOTS = Path(os.environ.get("MOMENTUM_SHOTS_DIR", "/tmp/shots-account"))


def sign_in_with(page: Any, base: str, email: str, password: str) -> None:
    page.goto(f"{base}/login")
    page.fill("#f-email", email)
    page.fill("#f-password", password)
    page.click("button[type=submit]")


def test_change_password_in_the_browser_signs_out_the_other_browser_only(live_server: Any, browser: Any) -> None:
    base = live_server["base"]
    email = create_user(live_server)
    mine, theirs = browser.new_context(), browser.new_context()
    errors: list[str] = []
    try:
        other = theirs.new_page()
        sign_in(other, base, email)
        page = mine.new_page()
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
        sign_in(page, base, email)
        page.click("nav a[href='/account']")
        page.wait_for_url(f"{base}/account")
        assert page.locator("#sessions .account-item").count() == 2
        assert page.locator("#sessions .account-current").count() == 1

        page.fill("#f-current_password", PASSWORD)
        page.fill("#f-new_password", NEW_PASSWORD)
        page.fill("#f-new_password_confirm", NEW_PASSWORD)
        with page.expect_navigation():
            page.click("#password button[type=submit]")
        assert page.url.startswith(f"{base}/account?done=password")
        assert "Password changed. 1 other session signed out." in page.locator("main").inner_text()
        assert page.locator("#sessions .account-item").count() == 1

        other.goto(f"{base}/entries")
        assert other.url.startswith(f"{base}/login")  # the other browser is signed out
        sign_in_with(other, base, email, PASSWORD)
        assert other.locator(".flash-error").inner_text().strip()  # the old password no longer works
        sign_in_with(other, base, email, NEW_PASSWORD)
        other.wait_for_url(f"{base}/")
        assert errors == []
    finally:
        mine.close()
        theirs.close()


def test_delete_the_account_without_javascript_after_the_export_is_offered(live_server: Any, browser: Any) -> None:
    base = live_server["base"]
    email = create_user(live_server)
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        sign_in(page, base, email)
        page.goto(f"{base}/account")
        backup = page.locator("#delete a[href='/api/export/backup.json']")
        assert backup.is_visible()
        with page.expect_download() as download:
            backup.click()
        assert download.value.suggested_filename.endswith(".json")

        page.fill("#f-delete_password", "not my password")
        with page.expect_navigation():
            page.click("#delete button[type=submit]")
        assert page.locator("#delete_password-error").inner_text() == "Password is not correct."

        page.fill("#f-delete_password", PASSWORD)
        with page.expect_navigation():
            page.click("#delete button[type=submit]")
        assert page.url == f"{base}/login?deleted=1"
        assert "Your account and all its data were deleted." in page.locator("main").inner_text()
        sign_in_with(page, base, email, PASSWORD)
        assert page.url.startswith(f"{base}/login")
        assert "wrong email or password" in page.locator(".flash-error").inner_text()
    finally:
        context.close()


def test_the_account_page_fits_a_phone_and_a_desktop_in_light_and_dark(live_server: Any, browser: Any) -> None:
    base = live_server["base"]
    email = create_user(live_server)
    SHOTS.mkdir(parents=True, exist_ok=True)
    for width, height in ((390, 844), (1280, 900)):
        for scheme in ("light", "dark"):
            context = browser.new_context(viewport={"width": width, "height": height}, color_scheme=scheme)
            try:
                page = context.new_page()
                sign_in(page, base, email)
                page.goto(f"{base}/account")
                page.fill("#f-token_name", "a script with a rather long name for a phone screen")
                with page.expect_navigation():
                    page.click("#tokens button[type=submit]")
                assert page.locator("#new-token").input_value().startswith("mtm_")
                scroll = page.evaluate("document.documentElement.scrollWidth")
                assert scroll <= width, f"/account is {scroll} px wide at {width} px ({scheme})"
                page.screenshot(path=str(SHOTS / f"account-{width}-{scheme}.png"), full_page=True)
            finally:
                context.close()
