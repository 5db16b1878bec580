"""Issue 9 in headless Chromium: shortcuts, the command palette, focus after the timer,
the dark theme (a dark background, charts drawn in the theme's colours) and no console
errors. Screenshots go to $MOMENTUM_SHOTS (default /tmp/shots-workspace)."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import PASSWORD, create_user, sign_in

FOCUS_ON_TOGGLE = "() => !!document.activeElement && document.activeElement.id === 'timer-toggle'"
SHOTS = Path(os.environ.get("MOMENTUM_SHOTS", "/tmp/shots-workspace"))


def _luminance(css: str) -> float:
    """Relative luminance of an `rgb(r, g, b)` / `rgba(...)` computed colour."""
    r, g, b = (int(v) / 255 for v in re.findall(r"\d+", css)[:3])

    def lin(c: float) -> float:
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b)


def _contrast(a: str, b: str) -> float:
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


@pytest.fixture()
def session(live_server: Any, browser: Any) -> Any:
    base = live_server["base"]
    email = create_user(live_server)
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(f"{m.type}: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(f"pageerror: {e}"))
    sign_in(page, base, email)
    yield {"page": page, "base": base, "email": email, "errors": errors, "context": context}
    context.close()


def _api(base: str, email: str) -> httpx.Client:
    token = httpx.post(f"{base}/api/auth/tokens", json={"email": email, "password": PASSWORD, "name": "e2e"})
    assert token.status_code == 201, token.text
    return httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token.json()['token']}"})


def test_question_mark_opens_the_shortcut_help_built_from_the_same_list(session: Any) -> None:
    page = session["page"]
    page.keyboard.press("?")
    dialog = page.locator("#shortcut-help")
    dialog.wait_for(state="visible")
    text = dialog.inner_text()
    for keys, label in (("s", "Start or stop the timer"), ("Ctrl+K", "command palette"), ("g", "Go to Projects")):
        assert keys in text and label in text
    rows = page.locator("#shortcut-help tbody tr")
    assert rows.count() == len(page.evaluate("window.Momentum.shortcuts.config.shortcuts"))
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "help-1280-light.png"))
    page.keyboard.press("Escape")
    dialog.wait_for(state="hidden")
    assert session["errors"] == []


def test_g_p_opens_projects_and_typing_in_a_field_fires_nothing(session: Any) -> None:
    page, base = session["page"], session["base"]
    page.focus("#f-timer-notes")
    page.keyboard.type("g p s ?")
    assert page.url == f"{base}/"
    assert page.input_value("#f-timer-notes") == "g p s ?"
    assert not page.locator("#shortcut-help").is_visible()
    page.keyboard.press("Escape")  # Esc leaves the field
    assert page.evaluate("document.activeElement === document.body || document.activeElement.id !== 'f-timer-notes'")
    page.keyboard.press("g")
    page.keyboard.press("p")
    page.wait_for_url(f"{base}/projects")
    assert session["errors"] == []


def test_palette_starts_a_timer_on_a_project_and_s_stops_it_keeping_focus(session: Any) -> None:
    page, base = session["page"], session["base"]
    with _api(base, session["email"]) as api:
        assert api.post("/api/projects", json={"name": "Zephyr launch"}).status_code == 201
    page.reload()
    page.keyboard.press("Control+k")
    dialog = page.locator("dialog[aria-label='Command palette']")
    dialog.wait_for(state="visible")
    combo = page.locator("[role=combobox]")
    assert combo.get_attribute("aria-controls") == "palette-listbox"
    assert page.evaluate("document.activeElement.getAttribute('role')") == "combobox"
    combo.type("zephyr")
    first = page.locator("#palette-listbox [role=option]").first
    page.wait_for_function(
        "() => { const o = document.querySelector('#palette-listbox [role=option]');"
        " return !!o && o.textContent.includes('Start timer on Zephyr launch'); }"
    )
    assert first.get_attribute("aria-selected") == "true"
    assert combo.get_attribute("aria-activedescendant") == first.get_attribute("id")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowUp")
    assert first.get_attribute("aria-selected") == "true"
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "palette-1280-light.png"))
    page.keyboard.press("Enter")
    page.wait_for_selector("[data-testid=timer-stop]")
    assert "Zephyr launch" in page.locator("#timer").inner_text()
    page.wait_for_function(FOCUS_ON_TOGGLE)
    page.keyboard.press("s")
    page.wait_for_selector("[data-testid=timer-start]")
    page.wait_for_function(FOCUS_ON_TOGGLE)
    assert page.evaluate("document.activeElement.dataset.testid") == "timer-start"
    # By click too (a boosted form swap), focus stays on the control.
    page.click("#timer-toggle")
    page.wait_for_selector("[data-testid=timer-stop]")
    page.wait_for_function(FOCUS_ON_TOGGLE)
    page.keyboard.press("s")
    page.wait_for_selector("[data-testid=timer-start]")
    assert session["errors"] == []


def test_s_and_c_away_from_home_keep_focus_on_the_quick_actions_toggle(session: Any) -> None:
    page, base = session["page"], session["base"]
    with _api(base, session["email"]) as api:
        pid = api.post("/api/projects", json={"name": "Orchard"}).json()["id"]
        api.post("/api/entries", json={"project_id": pid, "notes": "Pruning", "start_time": "2026-11-20T09:00:00Z",
                                       "end_time": "2026-11-20T10:00:00Z"})
        page.goto(f"{base}/entries")
        with page.expect_navigation():
            page.keyboard.press("c")
        assert page.url == f"{base}/entries"
        page.wait_for_function("() => !!document.activeElement && document.activeElement.id === 'qa-timer-toggle'")
        running = api.get("/api/timer").json()["active_timer"]
        assert (running["project_id"], running["notes"]) == (pid, "Pruning")
        with page.expect_navigation():
            page.keyboard.press("s")
        page.wait_for_function("() => !!document.activeElement && document.activeElement.id === 'qa-timer-toggle'")
        assert api.get("/api/timer").json()["active_timer"] is None
    assert session["errors"] == []


def test_palette_escape_closes_and_n_focuses_the_quick_entry_form(session: Any) -> None:
    page, base = session["page"], session["base"]
    page.keyboard.press("Control+k")
    page.locator("#command-palette").wait_for(state="visible")
    page.keyboard.press("Escape")
    page.locator("#command-palette").wait_for(state="hidden")
    page.keyboard.press("n")
    assert page.evaluate("document.activeElement.closest('#quick-entry') !== null")
    page.goto(f"{base}/goals")
    page.keyboard.press("n")
    page.wait_for_url(re.compile(r".*/\?focus=quick-entry.*"))
    page.wait_for_function("() => !!document.activeElement && !!document.activeElement.closest('#quick-entry')")
    assert session["errors"] == []


def test_dark_theme_has_a_dark_background_and_readable_charts(session: Any, live_server: Any, browser: Any) -> None:
    page, base = session["page"], session["base"]
    with _api(base, session["email"]) as api:
        assert api.put("/api/me/theme", json={"theme": "dark"}).status_code == 200
        pid = api.post("/api/projects", json={"name": "Night shift"}).json()["id"]
        for day in range(1, 6):
            api.post("/api/entries", json={"project_id": pid, "start_time": f"2026-11-2{day}T09:00:00Z",
                                           "end_time": f"2026-11-2{day}T11:30:00Z"})
    SHOTS.mkdir(parents=True, exist_ok=True)
    for path, name in (("/", "home"), ("/dashboard/productivity?period=30", "productivity"), ("/settings", "settings")):
        page.goto(f"{base}{path}")
        page.wait_for_load_state("networkidle")
        assert page.evaluate("document.documentElement.dataset.theme") == "dark"
        bg = page.evaluate("getComputedStyle(document.body).backgroundColor")
        fg = page.evaluate("getComputedStyle(document.body).color")
        assert _luminance(bg) < 0.05, (path, bg)
        assert _contrast(fg, bg) >= 7, (path, fg, bg)
        page.screenshot(path=str(SHOTS / f"{name}-1280-dark.png"), full_page=True)
    # Charts draw with the theme's tokens: light tick labels on the dark card.
    page.goto(f"{base}/dashboard/productivity?period=30")
    page.wait_for_function("() => !!window.Chart && Object.keys(window.Chart.instances).length > 0")
    tick = page.evaluate(
        "(() => { const c = Object.values(window.Chart.instances)[0];"
        " const s = c.options.scales && (c.options.scales.x || c.options.scales.y);"
        " return s ? s.ticks.color : getComputedStyle(document.documentElement).getPropertyValue('--chart-text'); })()"
    )
    card = page.evaluate("getComputedStyle(document.querySelector('.card')).backgroundColor")
    tick_rgb = page.evaluate(
        "(c => { const d = document.createElement('span'); d.style.color = c; document.body.appendChild(d);"
        " const v = getComputedStyle(d).color; d.remove(); return v; })",
        tick.strip(),
    )
    assert _contrast(tick_rgb, card) >= 4.5, (tick, card)
    # auto follows the system preference.
    with _api(base, session["email"]) as api:
        api.put("/api/me/theme", json={"theme": "auto"})
    phone = browser.new_context(viewport={"width": 390, "height": 844}, color_scheme="dark")
    try:
        p2 = phone.new_page()
        sign_in(p2, base, session["email"])
        assert _luminance(p2.evaluate("getComputedStyle(document.body).backgroundColor")) < 0.05
        p2.screenshot(path=str(SHOTS / "home-390-auto-dark.png"), full_page=True)
        assert p2.evaluate("document.documentElement.scrollWidth") <= 390
        p2.emulate_media(color_scheme="light")
        assert _luminance(p2.evaluate("getComputedStyle(document.body).backgroundColor")) > 0.8
        p2.screenshot(path=str(SHOTS / "home-390-light.png"), full_page=True)
    finally:
        phone.close()
    assert session["errors"] == []


def test_no_console_errors_and_favicon_on_every_page(session: Any) -> None:
    page, base = session["page"], session["base"]
    failed: list[str] = []
    page.on("response", lambda r: failed.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    for path in ("/", "/entries", "/projects", "/goals", "/settings", "/import", "/export",
                 "/dashboard/productivity", "/palette?q=home", "/settings/workspace"):
        page.goto(f"{base}{path}")
        page.wait_for_load_state("networkidle")
    assert failed == []
    assert session["errors"] == []


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_phone_menu_palette_and_settings_fit_390_px_in_both_themes(live_server: Any, browser: Any,
                                                                   scheme: str) -> None:
    base = live_server["base"]
    email = create_user(live_server)
    SHOTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport={"width": 390, "height": 844}, color_scheme=scheme,
                                  has_touch=True)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m, errors=errors: errors.append(m.text) if m.type == "error" else None)
    try:
        sign_in(page, base, email)
        page.click("#quick-actions > summary")
        assert page.locator("#qa-timer-toggle").is_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        page.screenshot(path=str(SHOTS / f"quick-actions-390-{scheme}.png"))
        page.click("#quick-actions > summary")
        page.keyboard.press("Control+k")
        page.locator("#command-palette").wait_for(state="visible")
        page.keyboard.type("set")
        page.wait_for_function("() => document.querySelectorAll('#palette-listbox [role=option]').length > 0")
        page.screenshot(path=str(SHOTS / f"palette-390-{scheme}.png"))
        page.keyboard.press("Escape")
        for path, name in (("/palette?q=go", "palette-page"), ("/settings", "settings"),
                           ("/settings/workspace", "workspace-settings")):
            page.goto(f"{base}{path}")
            assert page.evaluate("document.documentElement.scrollWidth") <= 390, path
            page.screenshot(path=str(SHOTS / f"{name}-390-{scheme}.png"), full_page=True)
        page.keyboard.press("?")
        page.locator("#shortcut-help").wait_for(state="visible")
        page.screenshot(path=str(SHOTS / f"help-390-{scheme}.png"))
    finally:
        context.close()
    assert errors == []


def test_auto_theme_charts_follow_a_system_switch(session: Any) -> None:
    page, base = session["page"], session["base"]
    with _api(base, session["email"]) as api:
        pid = api.post("/api/projects", json={"name": "Dawn"}).json()["id"]
        api.post("/api/entries", json={"project_id": pid, "start_time": "2026-11-24T09:00:00Z",
                                       "end_time": "2026-11-24T11:00:00Z"})
    page.emulate_media(color_scheme="light")
    page.goto(f"{base}/dashboard/productivity?period=30")
    page.wait_for_function("() => !!window.Chart && Object.keys(window.Chart.instances).length > 0")
    tick_colour = (
        "() => { const c = Object.values(window.Chart.instances).find(i => i.options.scales && i.options.scales.y);"
        " return c.options.scales.y.ticks.color; }"
    )
    light = page.evaluate(tick_colour)
    daily_colours = (
        "() => { const c = Object.values(window.Chart.instances).find(i => i.config.type === 'bar');"
        " return [c.data.datasets[0].backgroundColor, c.data.datasets[1].borderColor]; }"
    )
    light_colours = page.evaluate(daily_colours)
    page.emulate_media(color_scheme="dark")
    page.wait_for_function(f"() => ({tick_colour})() !== {light!r}")
    dark = page.evaluate(tick_colour)
    assert dark.strip() == page.evaluate(
        "() => getComputedStyle(document.documentElement).getPropertyValue('--chart-text').trim()")
    # The bars and the goal line follow too (their colours are tokens, not the user's).
    tokens = page.evaluate(
        "() => { const s = getComputedStyle(document.documentElement);"
        " return [s.getPropertyValue('--chart-bar').trim(), s.getPropertyValue('--chart-goal').trim()]; }")
    assert page.evaluate(daily_colours) == tokens
    assert tokens != light_colours  # the dark tokens, where the light ones were
    assert session["errors"] == []
