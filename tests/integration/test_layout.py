"""The card layout (CONTRACT section 7): `GET/PUT/DELETE /api/me/layout`, the pages that
follow it (hidden cards neither rendered nor polled) and the no-JS form of /settings."""

from __future__ import annotations

import html
from typing import Any

import pytest

HOME = ["timer", "today", "week", "recent_projects", "entries", "quick_entry"]
PROD = ["summary", "daily", "heatmap", "projects", "insights", "focus", "goals", "sessions"]
DEFAULT = {"productivity": [{"name": n, "visible": True} for n in PROD],
           "home": [{"name": n, "visible": True} for n in HOME]}


def cards(names: list[str], hidden: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    return [{"name": n, "visible": n not in hidden} for n in names]


def get_layout(u: Any) -> Any:
    r = u.api("GET", "/api/me/layout")
    assert r.status_code == 200, r.text
    return r.json()


def put_layout(u: Any, body: Any, status: int = 200) -> Any:
    r = u.api("PUT", "/api/me/layout", json=body)
    assert r.status_code == status, r.text
    return r.json()


def post(u: Any, url: str, data: dict[str, Any]) -> Any:
    return u.client.post(url, data={**data, "_csrf_token": u.csrf["X-CSRF-Token"]}, follow_redirects=False)


# ---------------------------------------------------------------- the API


def test_a_new_user_has_the_default_layout(user: Any) -> None:
    assert get_layout(user) == DEFAULT


def test_a_saved_layout_round_trips_in_order_with_visibility(user: Any) -> None:
    home = cards(["week", "timer", "entries", "today", "quick_entry", "recent_projects"], hidden=("today",))
    prod = cards(["focus", *[n for n in PROD if n != "focus"]], hidden=("heatmap", "sessions"))
    assert put_layout(user, {"home": home, "productivity": prod}) == {"productivity": prod, "home": home}
    assert get_layout(user) == {"productivity": prod, "home": home}


def test_a_put_of_one_page_keeps_the_other(user: Any) -> None:
    prod = cards(list(reversed(PROD)))
    put_layout(user, {"productivity": prod})
    home = cards(list(reversed(HOME)), hidden=("week",))
    assert put_layout(user, {"home": home}) == {"productivity": prod, "home": home}


def test_visible_defaults_to_true_and_hyphenated_names_are_accepted(user: Any) -> None:
    body = {"home": [{"name": "quick-entry"}, {"name": "Timer"}, *[{"name": n} for n in HOME[1:5]]]}
    assert put_layout(user, body)["home"] == cards(["quick_entry", "timer", *HOME[1:5]])


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ({"home": cards([*HOME[:5], "calendar"])},
         "home[5].name: unknown card 'calendar'; the cards are timer, today, week, recent_projects, entries, "
         "quick_entry"),
        ({"home": cards([*HOME, "today"])}, "home[6].name: card 'today' appears more than once"),
        ({"home": cards(["timer", "timer", *HOME[1:]])}, "home[1].name: card 'timer' appears more than once"),
        ({"home": cards(HOME[:4])}, "home: missing cards: entries, quick_entry (list every card once)"),
        ({"home": []}, "home: missing cards: timer, today, week, recent_projects, entries, quick_entry "
                       "(list every card once)"),
        ({"productivity": cards(HOME)}, "productivity[0].name: unknown card 'timer'; the cards are summary, daily, "
                                        "heatmap, projects, insights, focus, goals, sessions"),
    ],
    ids=["unknown", "duplicate-at-end", "duplicate", "missing", "empty", "cards-of-the-other-page"],
)
def test_an_invalid_layout_is_422_naming_the_field_and_nothing_is_written(user: Any, body: Any, error: str) -> None:
    assert put_layout(user, body, 422) == {"ok": False, "error": error}
    assert get_layout(user) == DEFAULT


def test_an_invalid_page_in_a_put_of_two_writes_neither(user: Any) -> None:
    put_layout(user, {"productivity": cards(list(reversed(PROD))), "home": cards(HOME[:2])}, 422)
    assert get_layout(user) == DEFAULT


@pytest.mark.parametrize(
    "body",
    [{"home": [{"name": "timer", "visible": "yes"}]}, {"dashboard": []}, {"home": [{"name": "timer", "size": 2}]},
     {"home": "timer"}],
    ids=["visible-not-a-boolean", "unknown-page", "unknown-card-field", "not-a-list"],
)
def test_a_malformed_body_is_400(user: Any, body: Any) -> None:
    r = user.api("PUT", "/api/me/layout", json=body)
    assert r.status_code == 400, r.text
    assert r.json()["ok"] is False


def test_delete_resets_one_page_or_both(user: Any) -> None:
    put_layout(user, {"home": cards(list(reversed(HOME))), "productivity": cards(list(reversed(PROD)))})
    r = user.api("DELETE", "/api/me/layout?page=home")
    assert r.status_code == 200, r.text
    assert r.json() == {"productivity": cards(list(reversed(PROD))), "home": DEFAULT["home"]}
    assert user.api("DELETE", "/api/me/layout").json() == DEFAULT
    assert get_layout(user) == DEFAULT


def test_delete_with_an_unknown_page_is_422(user: Any) -> None:
    r = user.api("DELETE", "/api/me/layout?page=calendar")
    assert (r.status_code, r.json()) == (422, {"ok": False, "error": "page: must be one of productivity, home"})


def test_layouts_are_per_user(make_user: Any) -> None:
    a, b = make_user(), make_user()
    put_layout(a, {"home": cards(HOME, hidden=("week",))})
    assert get_layout(b) == DEFAULT


def test_the_api_needs_authentication_and_the_csrf_header_with_a_cookie(user: Any, anon_client: Any) -> None:
    r = anon_client.get("/api/me/layout")
    assert (r.status_code, r.json()) == (401, {"ok": False, "error": "authentication required"})
    r = user.client.put("/api/me/layout", json={"home": cards(HOME)})
    assert r.status_code == 403
    r = user.client.put("/api/me/layout", json={"home": cards(HOME, hidden=("week",))}, headers=user.csrf)
    assert r.status_code == 200, r.text


# ---------------------------------------------------------------- pages follow the layout


def test_my_productivity_renders_visible_cards_in_order_and_never_a_hidden_one(user: Any) -> None:
    order = ["focus", "summary", "daily", "heatmap", "insights", "projects", "goals", "sessions"]
    put_layout(user, {"productivity": cards(order, hidden=("heatmap", "sessions"))})
    page = user.client.get("/dashboard/productivity").text
    shown = [n for n in order if n not in ("heatmap", "sessions")]
    positions = [page.index(f'id="productivity-{n}"') for n in shown]
    assert positions == sorted(positions)
    for hidden in ("heatmap", "sessions"):
        assert f'id="productivity-{hidden}"' not in page
        assert f"/dashboard/productivity/fragments/{hidden}" not in page
    for name in shown:
        assert f'hx-get="/dashboard/productivity/fragments/{name}?period=30"' in page


def test_a_repeated_view_reads_no_layout_row_and_a_changed_layout_shows_at_once(user: Any, count_queries: Any) -> None:
    """The layout is cached under the data version, like the figures: a repeated view of
    My productivity reads no card_layouts row; a layout change is a write, so the very next
    view shows it."""
    page = user.client.get("/dashboard/productivity").text
    assert 'id="productivity-heatmap"' in page
    count_queries.settle()
    before = count_queries.count
    assert user.client.get("/dashboard/productivity").status_code == 200
    assert [s for s in count_queries.statements[before:] if "card_layouts" in s] == []

    put_layout(user, {"productivity": cards(PROD, hidden=("heatmap",))})
    page = user.client.get("/dashboard/productivity").text
    assert 'id="productivity-heatmap"' not in page
    assert 'id="productivity-summary"' in page
    put_layout(user, {"productivity": cards(PROD)})
    assert 'id="productivity-heatmap"' in user.client.get("/dashboard/productivity").text


def test_my_productivity_offers_the_layout_link_without_javascript(user: Any) -> None:
    page = user.client.get("/dashboard/productivity").text
    assert '<a class="btn layout-edit" href="/settings#layout"' in page
    assert 'data-layout-page="productivity"' in page


# ---------------------------------------------------------------- the settings form (no JavaScript)


def test_settings_shows_the_dashboard_layout_section(user: Any) -> None:
    put_layout(user, {"home": cards(["week", *[n for n in HOME if n != "week"]], hidden=("today",))})
    page = html.unescape(user.client.get("/settings").text)
    assert 'id="layout"' in page and "Dashboard layout" in page
    assert page.index('id="layout-home-week"') < page.index('id="layout-home-timer"')
    assert '<input type="checkbox" name="home.visible" value="today"> Today' in page
    assert '<input type="checkbox" name="home.visible" value="week" checked> This week' in page
    assert 'name="move" value="home:week:-1" disabled' in page


def test_the_settings_form_saves_visibility_and_order(user: Any) -> None:
    r = post(user, "/settings/layout", {"home.order": HOME, "home.visible": [n for n in HOME if n != "entries"],
                                        "productivity.order": list(reversed(PROD)), "productivity.visible": PROD})
    assert (r.status_code, r.headers["location"]) == (303, "/settings?layout=saved#layout")
    assert get_layout(user) == {"productivity": cards(list(reversed(PROD))), "home": cards(HOME, hidden=("entries",))}
    assert "Layout saved." in user.client.get("/settings?layout=saved").text


def test_a_move_button_moves_the_card_and_saves_the_ticks_with_it(user: Any) -> None:
    r = post(user, "/settings/layout", {"home.order": HOME, "home.visible": ["timer", "week"],
                                        "move": "home:week:-1"})
    assert (r.status_code, r.headers["location"]) == (303, "/settings?layout=saved#layout-home-week")
    expected = ["timer", "week", "today", "recent_projects", "entries", "quick_entry"]
    assert get_layout(user)["home"] == cards(expected, hidden=tuple(n for n in expected if n not in ("timer", "week")))
    post(user, "/settings/layout", {"home.order": expected, "home.visible": expected, "move": "home:timer:-1"})
    assert get_layout(user)["home"] == cards(expected)  # the first card stays first


def test_reset_restores_the_default(user: Any) -> None:
    put_layout(user, {"home": cards(list(reversed(HOME)), hidden=("week",))})
    r = post(user, "/settings/layout", {"home.order": list(reversed(HOME)), "reset": "home"})
    assert (r.status_code, r.headers["location"]) == (303, "/settings?layout=reset#layout")
    assert get_layout(user) == DEFAULT


def test_a_forged_form_with_an_unknown_card_is_422_and_writes_nothing(user: Any) -> None:
    r = post(user, "/settings/layout", {"home.order": [*HOME, "calendar"], "home.visible": HOME})
    assert r.status_code == 422
    assert "unknown card" in html.unescape(r.text)
    assert get_layout(user) == DEFAULT


def test_the_settings_form_needs_a_session_and_the_csrf_token(user: Any, anon_client: Any) -> None:
    anon_client.cookies.set("momentum_csrf", "t")
    r = anon_client.post("/settings/layout", data={"_csrf_token": "t"}, follow_redirects=False)
    assert (r.status_code, r.headers["location"]) == (303, "/login?next=%2Fsettings%2Flayout")
    r = user.client.post("/settings/layout", data={"home.order": HOME}, follow_redirects=False)
    assert r.status_code == 403
    assert get_layout(user) == DEFAULT
