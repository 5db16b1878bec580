"""/dashboard/productivity and its fragments over HTTP (CONTRACT.md section 5, issues 3 and 4).

HTML is parsed with the standard library into a small element tree, so the
assertions name elements and attributes rather than matching markup text.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from typing import Any
from urllib.parse import quote

import pytest

from app.settings import Settings
from tests.integration.test_productivity_api import add_entry, demo_user, stats
from tests.support import UserCtx

PAGE = "/dashboard/productivity"
FRAGMENTS = ("summary", "daily", "projects", "focus", "heatmap", "insights", "goals", "sessions")
HTMX = {"HX-Request": "true"}
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


# ------------------------------------------------------------------ a tiny element tree


class Node:
    def __init__(self, tag: str, attrs: dict[str, str], parent: Node | None) -> None:
        self.tag = tag
        self.attrs = attrs
        self.parent = parent
        self.children: list[Node] = []
        self.text = ""

    def iter(self) -> Iterator[Node]:
        for child in self.children:
            yield child
            yield from child.iter()

    def find_all(self, tag: str | None = None, cls: str | None = None, **attrs: str) -> list[Node]:
        out = []
        for n in self.iter():
            if tag and n.tag != tag:
                continue
            if cls and cls not in n.attrs.get("class", "").split():
                continue
            if any(n.attrs.get(k.replace("_", "-")) != v for k, v in attrs.items()):
                continue
            out.append(n)
        return out

    def by_id(self, ident: str) -> Node:
        found = [n for n in self.iter() if n.attrs.get("id") == ident]
        assert len(found) == 1, f"{len(found)} elements with id {ident!r}"
        return found[0]

    def all_text(self) -> str:
        return self.text + "".join(c.all_text() for c in self.children)


class _TreeBuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#document", {}, None)
        self.current = self.root
        self.stray_text = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, {k: v or "" for k, v in attrs}, self.current)
        self.current.children.append(node)
        if tag not in VOID:
            self.current = node

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.current.children.append(Node(tag, {k: v or "" for k, v in attrs}, self.current))

    def handle_endtag(self, tag: str) -> None:
        node: Node | None = self.current
        while node is not None and node.tag != tag:
            node = node.parent
        if node is not None and node.parent is not None:
            self.current = node.parent

    def handle_data(self, data: str) -> None:
        self.current.text += data
        if self.current is self.root:
            self.stray_text += data


def parse(html: str) -> _TreeBuilder:
    builder = _TreeBuilder()
    builder.feed(html)
    builder.close()
    return builder


# ------------------------------------------------------------------ helpers


@pytest.fixture(scope="module")
def demo(settings: Settings, portal: Any, app: Any) -> Iterator[UserCtx]:
    """One demo user (1 year of history) shared by the read-only tests of this module."""
    from tests.support import SharedLoopClient

    opened: list[SharedLoopClient] = []

    def factory(asgi_app: Any = None) -> SharedLoopClient:
        c = SharedLoopClient(asgi_app or app, portal)
        c.__enter__()
        opened.append(c)
        return c

    yield demo_user(settings, factory, years=1, timezone="Europe/Berlin")
    for c in opened:
        c.__exit__(None, None, None)


def get_page(u: UserCtx, query: str = "") -> Any:
    r = u.client.get(PAGE + query)
    assert r.status_code == 200, r.text
    return r


def get_fragment(u: UserCtx, name: str, query: str = "", headers: dict[str, str] | None = None) -> Any:
    r = u.client.get(f"{PAGE}/fragments/{name}{query}", headers=HTMX if headers is None else headers)
    assert r.status_code == 200, r.text
    return r


def fragment_root(html: str, name: str) -> Node:
    """The one root element of a fragment response."""
    tree = parse(html)
    assert "<html" not in html.lower() and "<!doctype" not in html.lower()
    assert "<body" not in html.lower()
    roots = tree.root.children
    assert len(roots) == 1, f"{len(roots)} root elements: {[r.tag for r in roots]}"
    assert tree.stray_text.strip() == ""
    root = roots[0]
    assert root.attrs.get("id") == f"productivity-{name}"
    return root


def metrics(node: Node) -> dict[str, str]:
    return {n.attrs["data-metric"]: n.attrs["data-value"] for n in node.iter() if "data-metric" in n.attrs}


def heatmap_label(cell: dict[str, Any]) -> str:
    return f"{cell['date']}: {cell['hours']:.2f} h"


# ------------------------------------------------------------------ the page


def test_page_renders_with_data_for_the_demo_user(demo: UserCtx) -> None:
    r = get_page(demo)
    tree = parse(r.text).root
    assert "My productivity" in tree.by_id("main").all_text()
    for name in FRAGMENTS:
        tree.by_id(f"productivity-{name}")
    assert tree.by_id("chart-daily").tag == "canvas"
    assert tree.by_id("chart-projects").tag == "canvas"
    assert len(tree.find_all("script", cls="chart-data")) == 2
    assert len(tree.find_all(cls="heatmap-cell")) == 84
    # The sidebar link is the current page.
    link = [a for a in tree.find_all("a") if a.attrs.get("href") == PAGE]
    assert link and link[0].attrs.get("aria-current") == "page" and link[0].all_text() == "My productivity"
    # The period selector offers 7, 14, 30 and 90 days, 30 chosen.
    select = tree.by_id("period-select")
    options = select.find_all("option")
    assert [o.attrs["value"] for o in options] == ["7", "14", "30", "90"]
    assert [o.attrs["value"] for o in options if "selected" in o.attrs] == ["30"]
    # Demo history has sessions: the session panel shows its table, not its empty state.
    assert tree.by_id("productivity-sessions").find_all("table", data_testid="session-buckets")


def test_first_paint_figures_equal_the_api(demo: UserCtx) -> None:
    tree = parse(get_page(demo).text).root
    api = stats(demo)
    s, streak, focus = api["summary"], api["streak"], api["focus"]

    cards = metrics(tree.by_id("productivity-summary"))
    assert float(cards["today_live_hours"]) == s["today_live_hours"]
    assert float(cards["week_live_hours"]) == s["week_live_hours"]
    assert float(cards["week_goal_hours"]) == s["week_goal_hours"]
    assert int(cards["week_goal_percent"]) == s["week_goal_percent"]
    assert int(cards["billable_percent_week"]) == s["billable_percent_week"]
    assert int(cards["current_streak"]) == streak["current_streak"]
    assert int(cards["longest_streak"]) == streak["longest_streak"]
    assert float(cards["avg_session_length_minutes"]) == focus["avg_session_length_minutes"]
    if s["today_goal_hours"] > 0:
        assert float(cards["today_goal_hours"]) == s["today_goal_hours"]
    if s["top_project_week"] is not None:
        assert int(cards["top_project_week"]) == s["top_project_week"]["project_id"]
    assert streak["longest_streak"] > 0  # a year of demo history is not empty

    panel = metrics(tree.by_id("productivity-focus"))
    assert panel["most_productive_day"] == (focus["most_productive_day"] or "")
    assert float(panel["longest_session_hours"]) == focus["longest_session_hours"]
    assert float(panel["entries_per_day"]) == focus["entries_per_day"]
    assert int(panel["tracked_days_this_month"]) == streak["tracked_days_this_month"]

    labels = [c.attrs["aria-label"] for c in tree.find_all(cls="heatmap-cell")]
    assert labels == [heatmap_label(c) for c in api["heatmap"]]

    # The chart data on the page is the API's.
    daily = next(n for n in tree.find_all("script", cls="chart-data") if n.attrs["data-chart"] == "daily")
    data = json.loads(daily.all_text())
    assert data["hours"] == [d["hours"] for d in api["daily_breakdown"]]
    assert data["goal_hours"] == [d["goal_hours"] for d in api["daily_breakdown"]]
    projects = next(n for n in tree.find_all("script", cls="chart-data") if n.attrs["data-chart"] == "projects")
    pdata = json.loads(projects.all_text())
    assert pdata["labels"] == [p["name"] for p in api["projects"]]
    assert pdata["hours"] == [p["hours"] for p in api["projects"]]


def test_page_renders_an_empty_state_for_a_new_user(user: UserCtx) -> None:
    tree = parse(get_page(user).text).root
    summary = tree.by_id("productivity-summary")
    assert "No entries yet" in summary.all_text()
    hrefs = {a.attrs.get("href") for a in summary.find_all("a")}
    assert {"/", "/import"} <= hrefs
    assert len(tree.find_all(cls="heatmap-cell")) == 84
    for name in FRAGMENTS:
        tree.by_id(f"productivity-{name}")
    assert "No goals yet" in tree.by_id("productivity-goals").all_text()
    cards = metrics(summary)
    assert float(cards["today_live_hours"]) == 0
    assert int(cards["current_streak"]) == 0


def test_page_echoes_the_period(user: UserCtx) -> None:
    tree = parse(get_page(user, "?period=7").text).root
    assert tree.by_id("productivity-daily").attrs["hx-get"] == f"{PAGE}/fragments/daily?period=7"
    select = tree.by_id("period-select")
    assert [o.attrs["value"] for o in select.find_all("option") if "selected" in o.attrs] == ["7"]
    # A period off the list is still shown and chosen (clamped like the API).
    tree = parse(get_page(user, "?period=500").text).root
    assert [o.attrs["value"] for o in tree.by_id("period-select").find_all("option") if "selected" in o.attrs] == [
        "90"]


def test_page_and_fragments_vary_on_hx_request(user: UserCtx) -> None:
    assert "HX-Request" in get_page(user).headers.get("vary", "")
    for name in FRAGMENTS:
        assert "HX-Request" in get_fragment(user, name).headers.get("vary", ""), name


# ------------------------------------------------------------------ fragments


@pytest.mark.parametrize("name", FRAGMENTS)
def test_fragment_returns_only_itself_polling_every_5_minutes_when_idle(demo: UserCtx, name: str) -> None:
    root = fragment_root(get_fragment(demo, name).text, name)
    assert root.attrs["hx-get"] == f"{PAGE}/fragments/{name}?period=30"
    assert "every 300s" in root.attrs["hx-trigger"]
    assert "every 60s" not in root.attrs["hx-trigger"]
    assert root.attrs["data-poll-seconds"] == "300"
    assert root.attrs["hx-swap"] == "outerHTML"
    assert root.attrs["hx-target"] == "this"


@pytest.mark.parametrize("name", FRAGMENTS)
def test_fragment_renders_for_an_empty_user(user: UserCtx, name: str) -> None:
    root = fragment_root(get_fragment(user, name, "?period=14").text, name)
    assert root.attrs["hx-get"] == f"{PAGE}/fragments/{name}?period=14"


def test_fragment_without_the_htmx_header_is_the_same_fragment(user: UserCtx) -> None:
    root = fragment_root(get_fragment(user, "summary", headers={}).text, "summary")
    assert root.attrs["data-poll-seconds"] == "300"


def test_fragments_poll_every_minute_while_a_timer_runs(make_user: Any) -> None:
    u = make_user(timezone="Europe/Berlin")
    assert u.api("POST", "/api/timer/start", json={"notes": "polling"}).status_code == 201
    for name in FRAGMENTS:
        root = fragment_root(get_fragment(u, name, "?period=7").text, name)
        assert "every 60s" in root.attrs["hx-trigger"], name
        assert "every 300s" not in root.attrs["hx-trigger"], name
        assert root.attrs["data-poll-seconds"] == "60", name
        assert root.attrs["hx-get"] == f"{PAGE}/fragments/{name}?period=7"
    summary = parse(get_fragment(u, "summary").text).root
    assert "Timer running" in summary.all_text()
    # The full page carries the same interval on every fragment.
    tree = parse(get_page(u).text).root
    for name in FRAGMENTS:
        assert tree.by_id(f"productivity-{name}").attrs["data-poll-seconds"] == "60", name

    assert u.api("POST", "/api/timer/stop", json={}).status_code == 200
    root = fragment_root(get_fragment(u, "summary").text, "summary")
    assert root.attrs["data-poll-seconds"] == "300"
    assert "every 300s" in root.attrs["hx-trigger"]


def test_unknown_fragment_is_a_404(user: UserCtx) -> None:
    r = user.client.get(f"{PAGE}/fragments/nope", headers=HTMX)
    assert r.status_code == 404
    r = user.client.get(f"{PAGE}/fragments/summary.html", headers=HTMX)
    assert r.status_code == 404


def test_heatmap_fragment_has_84_labelled_cells_equal_to_the_api(make_user: Any) -> None:
    u = make_user(timezone="Asia/Kolkata")
    end = datetime.now(UTC).replace(microsecond=0) - timedelta(days=4)
    add_entry(u, end - timedelta(minutes=94, seconds=12), end)  # 1.57 h
    root = fragment_root(get_fragment(u, "heatmap").text, "heatmap")
    cells = root.find_all(cls="heatmap-cell")
    api = stats(u)["heatmap"]
    assert len(cells) == 84
    assert all(re.fullmatch(r"\d{4}-\d{2}-\d{2}: \d+\.\d{2} h", c.attrs["aria-label"]) for c in cells)
    assert [c.attrs["aria-label"] for c in cells] == [heatmap_label(c) for c in api]
    assert [c.attrs["data-date"] for c in cells] == [c["date"] for c in api]
    assert [c.attrs["class"].split() for c in cells] == [["heatmap-cell", f"level-{c['level']}"] for c in api]
    tracked = [c for c in api if c["hours"] > 0]
    assert len(tracked) in (1, 2)  # one day, or two if the entry crosses local midnight
    assert sum(c["hours"] for c in tracked) == pytest.approx(1.57, abs=0.011)


def test_goals_fragment_shows_goal_progress(make_user: Any) -> None:
    u = make_user(timezone="UTC")
    r = u.api("POST", "/api/goals", json={"name": "Deep work", "metric": "hours", "target": 10, "period": "weekly"})
    assert r.status_code == 201, r.text
    root = fragment_root(get_fragment(u, "goals").text, "goals")
    items = root.find_all("li", cls="goal")
    assert [i.attrs["data-goal-id"] for i in items] == [str(r.json()["id"])]
    assert "Deep work" in items[0].all_text()
    api_goal = stats(u)["goals"][0]
    assert items[0].find_all(cls="badge")[0].attrs["data-status"] == api_goal["status"]


# ------------------------------------------------------------------ authentication


def test_page_requires_login(anon_client: Any) -> None:
    r = anon_client.get(PAGE + "?period=7", follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"] == "/login?next=" + quote(PAGE + "?period=7", safe="")


def test_fragment_requires_login_with_a_redirect(anon_client: Any) -> None:
    r = anon_client.get(f"{PAGE}/fragments/summary", follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"] == "/login?next=" + quote(f"{PAGE}/fragments/summary", safe="")


def test_htmx_fragment_request_without_a_session_gets_hx_redirect(anon_client: Any) -> None:
    r = anon_client.get(f"{PAGE}/fragments/daily?period=7", headers=HTMX, follow_redirects=False)
    assert r.status_code == 200
    assert r.headers["HX-Redirect"].startswith("/login?next=")
    assert r.text == ""  # nothing for htmx to swap into the page
