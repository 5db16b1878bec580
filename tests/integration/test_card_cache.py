"""The productivity cards are rendered once per stats payload and kept beside it
(docs/productivity.md, "Caching"; app/domain/productivity/controllers.py `_render_cards`):
the page and each card's poll send the same bytes, a repeated poll renders no template,
any write renders them afresh, and nothing rendered while a timer runs is kept."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from app.domain.productivity import controllers
from tests.integration.test_productivity_api import add_entry
from tests.support import UserCtx

PAGE = "/dashboard/productivity"
CARDS = controllers.FRAGMENTS


@pytest.fixture()
def renders(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The templates rendered by `_render_cards` during the test."""
    seen: list[str] = []
    real = controllers.render_fragment

    def counting(request: Any, template: str, **context: Any) -> bytes:
        seen.append(template.rsplit("/", 1)[-1].split(".")[0])
        return real(request, template, **context)

    monkeypatch.setattr(controllers, "render_fragment", counting)
    yield seen


def card(u: UserCtx, name: str, period: int = 30) -> str:
    r = u.client.get(f"{PAGE}/fragments/{name}?period={period}", headers={"HX-Request": "true"})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/html")
    return str(r.text)


def test_the_page_carries_each_card_as_its_fragment_route_sends_it(make_user: Any, renders: list[str]) -> None:
    u = make_user(timezone="Europe/Berlin")
    now = datetime.now(UTC).replace(microsecond=0)
    add_entry(u, now - timedelta(days=1, hours=3), now - timedelta(days=1, hours=1), notes="card <b>text</b>")
    page = u.client.get(PAGE)
    assert page.status_code == 200, page.text
    assert sorted(renders) == sorted(CARDS)  # a cold page renders every card once
    renders.clear()
    for name in CARDS:
        body = card(u, name)
        assert body.strip() in page.text, name
    assert renders == []  # every card came from what the page kept
    again = u.client.get(PAGE)
    assert again.status_code == 200
    assert renders == []


def test_a_write_renders_the_cards_afresh(make_user: Any, renders: list[str]) -> None:
    u = make_user(timezone="UTC")
    day = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=2)
    add_entry(u, day + timedelta(hours=9), day + timedelta(hours=10))
    before = card(u, "daily")
    assert card(u, "daily") == before
    assert renders == ["daily"]
    add_entry(u, day + timedelta(hours=11), day + timedelta(hours=13))  # the version moves
    after = card(u, "daily")
    assert renders == ["daily", "daily"]
    assert after != before
    assert f'<time datetime="{day.date().isoformat()}">' in after
    assert "3.00" in after and "3.00" not in before


def test_cards_rendered_while_a_timer_runs_are_not_kept(make_user: Any, renders: list[str]) -> None:
    u = make_user(timezone="UTC")
    assert u.api("POST", "/api/timer/start", json={"notes": "live"}).status_code == 201
    card(u, "summary")
    card(u, "summary")
    assert renders == ["summary", "summary"]  # each poll shows the live figures of its moment
    assert u.api("POST", "/api/timer/stop", json={}).status_code == 200
    card(u, "summary")
    card(u, "summary")
    assert renders == ["summary"] * 3  # kept again once no timer runs
