"""Screenshots of every page (issue 9): desktop 1280 px and phone 390 px, light and dark,
taken by the test run into $MOMENTUM_SHOTS (else a temporary directory), for people to
look at. Each page must not scroll sideways (scrollWidth <= innerWidth) and must log no
console error.

Every page: a fixed list (the pages of CONTRACT section 5 and the account pages) plus
every same-site link of the signed-in sidebar and quick-actions menu, so a page added
later is photographed too. Themes: the browser's scheme emulated with the user's theme
on `auto`, and the user's explicit `dark` theme in a light browser (data-theme wins)."""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import PASSWORD, create_user, sign_in

FIXED = ["/", "/dashboard/productivity", "/entries", "/projects", "/goals", "/import", "/export", "/settings"]
PUBLIC = ["/login", "/register"]
WIDTHS = (1280, 390)
# (name, emulated prefers-color-scheme, the user's theme)
THEMES = (("light", "light", "auto"), ("dark", "dark", "auto"), ("dark-theme", "light", "dark"))


def _shots_dir() -> Path:
    path = Path(os.environ.get("MOMENTUM_SHOTS") or tempfile.mkdtemp(prefix="momentum-shots-"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def _slug(path: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", path.lower()).strip("-") or "home"


@pytest.fixture(scope="module")
def demo(live_server: Any) -> dict[str, Any]:
    base = live_server["base"]
    email = create_user(live_server, timezone="Europe/Berlin", demo_years=0.2)
    r = httpx.post(f"{base}/api/auth/tokens", json={"email": email, "password": PASSWORD, "name": "shots"})
    auth = {"Authorization": f"Bearer {r.json()['token']}"}
    entry = httpx.get(f"{base}/api/entries?limit=1", headers=auth).json()["items"][0]
    project = httpx.get(f"{base}/api/projects", headers=auth).json()[0]
    return {"email": email, "auth": auth, "extra": [f"/entries/{entry['id']}", f"/projects/{project['id']}"]}


def _set_theme(base: str, auth: dict[str, str], theme: str) -> None:
    r = httpx.put(f"{base}/api/me/theme", json={"theme": theme}, headers=auth)
    assert r.status_code in (200, 404), r.text  # 404: no theme setting on this build (emulation only)


def _discovered(page: Any, base: str) -> list[str]:
    hrefs = page.evaluate(
        """() => Array.from(document.querySelectorAll('nav a[href], .quick-actions a[href]'))
                 .map(a => a.getAttribute('href'))"""
    )
    found = []
    for href in hrefs:
        path = href.split("#")[0]
        if path.startswith("/") and not path.startswith(("//", "/api", "/static", "/schema")) and path not in found:
            found.append(path)
    return found


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize(("name", "scheme", "theme"), THEMES, ids=[t[0] for t in THEMES])
def test_every_page_at_desktop_and_phone_width_in_light_and_dark(
    live_server: Any, browser: Any, demo: dict[str, Any], name: str, scheme: str, theme: str, width: int
) -> None:
    """One theme at one width per test (3 × 2 of them), so parallel workers share the work."""
    base = live_server["base"]
    shots = _shots_dir()
    problems: list[str] = []
    errors: list[str] = []  # console errors of the page being shot (cleared per page)
    taken = 0
    _set_theme(base, demo["auth"], theme)
    context = browser.new_context(viewport={"width": width, "height": 900}, color_scheme=scheme)
    try:
        page = context.new_page()
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(f"pageerror: {e}"))
        for path in PUBLIC:
            taken += _shoot(page, base, path, shots / f"{_slug(path)}-{width}-{name}.png", errors, problems)
        sign_in(page, base, demo["email"])
        paths = list(dict.fromkeys(FIXED + demo["extra"] + _discovered(page, base)))
        for path in paths:
            taken += _shoot(page, base, path, shots / f"{_slug(path)}-{width}-{name}.png", errors, problems)
    finally:
        context.close()
        _set_theme(base, demo["auth"], "auto")
    assert taken >= len(FIXED) + len(PUBLIC) + 2
    assert problems == [], f"screenshots in {shots}"


def _shoot(page: Any, base: str, path: str, target: Path, errors: list[str], problems: list[str]) -> int:
    errors.clear()
    response = page.goto(f"{base}{path}")
    page.wait_for_load_state("networkidle")
    if response is None or response.status >= 400:
        problems.append(f"{path}: HTTP {response.status if response else 'none'}")
        return 0
    scroll, inner = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    if scroll > inner:
        problems.append(f"{path} ({target.name}): {scroll} px wide in a {inner} px window")
    page.screenshot(path=str(target), full_page=True)
    if errors:
        problems.append(f"{path} ({target.name}): console errors {errors[:3]}")
    return 1
