"""Home as a start page (issue 9; CONTRACT sections 3, 5 and 7), without JavaScript: the
cards, the timer's task picker and "I started earlier" (form and API), one-click starts,
entries grouped by day with totals and "continue", the week against the goal (the stats
API's figures), the quick entry focus, and the cards' own fragments."""

from __future__ import annotations

import html
import re
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from app.lib.time import iso_monday

HOME = ["timer", "today", "week", "recent_projects", "entries", "quick_entry"]


def post(u: Any, url: str, data: dict[str, Any] | None = None) -> Any:
    return u.client.post(url, data={**(data or {}), "_csrf_token": u.csrf["X-CSRF-Token"]}, follow_redirects=False)


def page(u: Any, url: str = "/") -> str:
    r = u.client.get(url)
    assert r.status_code == 200, r.text
    return html.unescape(r.text)


def api(u: Any, method: str, url: str, status: int = 200, **kwargs: Any) -> Any:
    r = u.api(method, url, **kwargs)
    assert r.status_code == status, r.text
    return r.json() if r.content else None


def project(u: Any, name: str, **body: Any) -> int:
    return int(api(u, "POST", "/api/projects", 201, json={"name": name, **body})["id"])


def task(u: Any, project_id: int, name: str) -> int:
    return int(api(u, "POST", "/api/tasks", 201, json={"project_id": project_id, "name": name})["id"])


def entry(u: Any, start: datetime, end: datetime, **body: Any) -> int:
    return int(api(u, "POST", "/api/entries", 201, json={
        "start_time": start.isoformat(), "end_time": end.isoformat(), **body})["id"])


def timer(u: Any) -> Any:
    return api(u, "GET", "/api/timer")["active_timer"]


def local_today(zone: str) -> date:
    return datetime.now(UTC).astimezone(ZoneInfo(zone)).date()


def at(day: date, hour: int, zone: str, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=ZoneInfo(zone))


# ---------------------------------------------------------------- the page and its cards


def test_home_without_javascript_shows_every_card_in_the_default_order(user: Any) -> None:
    text = page(user)
    ids = ["timer", "home-today", "home-week", "home-recent_projects", "home-entries", "home-quick_entry"]
    positions = [text.index(f'<section id="{i}"') for i in ids]
    assert positions == sorted(positions)
    assert re.findall(r'data-card="([a-z_]+)"', text) == HOME
    assert '<form method="post" action="/entries" id="quick-entry"' in text
    assert 'id="timer-toggle" data-testid="timer-start"' in text
    assert '<a class="btn layout-edit" href="/settings#layout"' in text  # the no-JS way to the layout
    for polled in ("today", "week"):
        assert f'hx-get="/home/cards/{polled}"' in text
    assert 'hx-get="/home/cards/timer"' not in text  # the idle timer form is never polled (typing would be lost)


def test_a_hidden_card_is_not_rendered_and_its_poll_url_is_absent(user: Any) -> None:
    order = ["week", "entries", "timer", "today", "recent_projects", "quick_entry"]
    api(user, "PUT", "/api/me/layout", json={"home": [{"name": n, "visible": n not in ("today", "quick_entry")}
                                                      for n in order]})
    text = page(user)
    assert re.findall(r'data-card="([a-z_]+)"', text) == ["week", "entries", "timer", "recent_projects"]
    assert 'id="home-today"' not in text and "/home/cards/today" not in text
    assert 'id="quick-entry"' not in text
    assert 'hx-get="/home/cards/week"' in text


def test_focus_quick_entry_focuses_the_form_and_shows_it_even_when_hidden(user: Any) -> None:
    assert "autofocus" not in page(user)
    text = page(user, "/?focus=quick-entry")
    assert re.search(r'<select id="f-project_id" name="project_id" autofocus>', text)
    api(user, "PUT", "/api/me/layout", json={"home": [{"name": n, "visible": n != "quick_entry"} for n in HOME]})
    assert 'id="quick-entry"' not in page(user)
    assert 'id="quick-entry"' in page(user, "/?focus=quick-entry")
    assert "autofocus" not in page(user, "/?focus=somewhere-else")


def test_the_week_card_shows_the_stats_apis_week_against_the_goal(make_user: Any) -> None:
    u = make_user(timezone="Europe/Berlin")
    today = local_today("Europe/Berlin")
    monday = iso_monday(today)
    entry(u, at(monday, 9, "Europe/Berlin"), at(monday, 10, "Europe/Berlin", 30))
    api(u, "PUT", f"/api/weekly-goals/{monday.isoformat()}", json={"target_hours": 12})
    summary = api(u, "GET", "/api/productivity/stats")["summary"]
    assert (summary["week_live_hours"], summary["week_goal_hours"]) == (1.5, 12.0)
    text = page(u)
    assert '<strong data-testid="week-hours" data-hours="1.5">1.5 h</strong>' in text
    assert '<span data-testid="week-goal" data-hours="12.0">12 h</span>' in text
    assert '<span data-testid="week-percent">13 %</span>' in text  # 1.5 of 12 h, half up
    assert "10.5 h to go" in text


def test_the_week_and_today_cards_count_the_running_timer_live(user: Any) -> None:
    api(user, "POST", "/api/timer/start", 201,
        json={"start_time": (datetime.now(UTC) - timedelta(minutes=30)).isoformat()})
    text = page(user, "/home/cards/week")
    shown = float(re.search(r'data-testid="week-hours" data-hours="([0-9.]+)"', text).group(1))  # type: ignore[union-attr]
    live = api(user, "GET", "/api/productivity/stats")["summary"]["week_live_hours"]
    # Started 30 minutes ago: 0.5 h live (less if this week began within the last 30 minutes).
    assert abs(shown - live) <= 0.01 and shown <= 0.51
    assert 'class="badge badge-live">Live' in text
    assert 'hx-trigger="every 60s' in text  # a running timer polls every minute


def test_card_fragments_are_one_root_with_their_own_polling(user: Any) -> None:
    for name, root in (("today", "home-today"), ("week", "home-week"), ("timer", "timer")):
        r = user.client.get(f"/home/cards/{name}")
        assert r.status_code == 200
        assert r.text.lstrip().startswith(f'<section id="{root}"')
        assert "<html" not in r.text
        assert "HX-Request" in r.headers["vary"]
    assert "every 300s" in user.client.get("/home/cards/week").text
    r = user.client.get("/home/cards/entries")
    assert r.status_code == 404
    assert user.client.get("/home/cards/nope").status_code == 404


def test_the_today_card_lists_todays_entries_and_total(make_user: Any) -> None:
    u = make_user(timezone="Asia/Tokyo")
    now = datetime.now(UTC)
    today = local_today("Asia/Tokyo")
    start = max(at(today, 0, "Asia/Tokyo"), now - timedelta(minutes=20))
    entry(u, start, start + timedelta(minutes=6), notes="today's note")
    entry(u, at(today - timedelta(days=3), 9, "Asia/Tokyo"), at(today - timedelta(days=3), 10, "Asia/Tokyo"),
          notes="three days ago")
    card = page(u, "/home/cards/today")
    assert 'id="today-entries"' in card and "today's note" in card and "three days ago" not in card
    assert '<strong data-testid="today-hours" data-hours="0.1">0.1 h</strong>' in card


# ---------------------------------------------------------------- entries grouped by day


def test_entries_are_grouped_by_day_with_totals_split_at_midnight(make_user: Any) -> None:
    zone = "America/New_York"
    u = make_user(timezone=zone)
    today = local_today(zone)
    d2, d3, d9 = (today - timedelta(days=n) for n in (2, 3, 9))
    p = project(u, "Writing")
    entry(u, at(d2, 9, zone), at(d2, 10, zone), project_id=p, notes="morning")
    entry(u, at(d3, 23, zone), at(d2, 1, zone), notes="late night")  # 1 h on each day
    entry(u, at(d3, 14, zone), at(d3, 14, zone, 30), notes="afternoon")
    entry(u, at(d9, 9, zone), at(d9, 10, zone), notes="too old")
    text = page(u)
    card = text[text.index('<section id="home-entries"'):text.index('<section id="home-quick_entry"')]
    assert re.findall(r'<details class="day-group" data-day="([0-9-]+)"', card) == [d2.isoformat(), d3.isoformat()]
    assert re.findall(r'data-seconds="(\d+)"', card) == ["7200", "5400"]  # 1 h + 1 h after midnight; 0.5 h + 1 h
    g2 = card[card.index(f'data-day="{d2.isoformat()}"'):card.index(f'data-day="{d3.isoformat()}"')]
    assert "morning" in g2 and "late night" not in g2  # listed on the day it started
    assert "late night" in card and "afternoon" in card and "too old" not in card
    assert card.count('data-testid="continue"') == 3


def test_continue_starts_a_timer_with_the_entrys_project_task_notes_and_billable(user: Any) -> None:
    p = project(user, "Client", billable=True)
    t = task(user, p, "Report")
    now = datetime.now(UTC)
    entry(user, now - timedelta(hours=2), now - timedelta(hours=1), project_id=p, task_id=t, notes="draft",
          billable=False)
    text = page(user)
    form = text[text.index('<form method="post" action="/timer/start" class="inline-form entry-action">'):]
    form = form[:form.index("</form>")]
    for field in (f'name="project_id" value="{p}"', f'name="task_id" value="{t}"', 'name="notes" value="draft"',
                  'name="switch" value="1"', 'name="billable_present"'):
        assert field in form
    assert 'name="billable" value="on"' not in form
    r = post(user, "/timer/start", {"project_id": str(p), "task_id": str(t), "notes": "draft",
                                    "billable_present": "1", "switch": "1"})
    assert (r.status_code, r.headers["location"]) == (303, "/")
    running = timer(user)
    assert (running["project_id"], running["task_id"], running["notes"], running["billable"]) == (p, t, "draft", False)


def test_a_one_click_start_stops_the_running_timer_first(user: Any) -> None:
    a, b = project(user, "A"), project(user, "B")
    api(user, "POST", "/api/timer/start", 201, json={"project_id": a, "notes": "first"})
    r = post(user, "/timer/start", {"project_id": str(b), "switch": "1"})
    assert r.status_code == 303
    assert timer(user)["project_id"] == b
    items = api(user, "GET", "/api/entries")["items"]
    assert [(i["project_id"], i["end_time"] is not None) for i in items] == [(b, False), (a, True)]
    # Without `switch`, a running timer is still a 422 with the message on Home.
    r = post(user, "/timer/start", {"project_id": str(a)})
    assert r.status_code == 422
    assert "a timer is already running" in html.unescape(r.text)


# ---------------------------------------------------------------- recent projects and the picker


def test_recent_projects_are_one_click_forms_most_recent_first_without_archived(user: Any) -> None:
    now = datetime.now(UTC)
    old, new, gone = project(user, "Older"), project(user, "Newer"), project(user, "Archived")
    project(user, "Never used")
    entry(user, now - timedelta(days=2), now - timedelta(days=2) + timedelta(hours=1), project_id=old)
    entry(user, now - timedelta(hours=3), now - timedelta(hours=2), project_id=new)
    entry(user, now - timedelta(hours=5), now - timedelta(hours=4), project_id=gone)
    api(user, "PATCH", f"/api/projects/{gone}", json={"archived": True})
    text = page(user)
    card = text[text.index('<section id="home-recent_projects"'):text.index('<section id="home-entries"')]
    assert re.findall(r'name="project_id" value="(\d+)"', card) == [str(new), str(old)]
    assert card.count('name="switch" value="1"') == 2
    assert "Never used" not in card and "Archived" not in card
    r = post(user, "/timer/start", {"project_id": str(old), "switch": "1"})
    assert r.status_code == 303 and timer(user)["project_id"] == old


def test_the_timer_offers_open_tasks_grouped_by_project(user: Any) -> None:
    p, q = project(user, "Alpha"), project(user, "Beta")
    t1, t2 = task(user, p, "Write"), task(user, q, "Review")
    done = task(user, p, "Finished")
    api(user, "PATCH", f"/api/tasks/{done}", json={"status": "done"})
    text = page(user)
    timer_card = text[text.index('<section id="timer"'):text.index('<section id="home-today"')]
    assert '<select id="f-timer-project" name="project_id" data-picker="project">' in timer_card
    assert '<optgroup label="Alpha">' in timer_card and '<optgroup label="Beta">' in timer_card
    assert f'<option value="{t1}" data-project="{p}">Write</option>' in timer_card
    assert f'<option value="{t2}" data-project="{q}">Review</option>' in timer_card
    assert "Finished" not in timer_card
    # A task alone is enough: the timer takes its project.
    assert post(user, "/timer/start", {"task_id": str(t2)}).status_code == 303
    assert (timer(user)["project_id"], timer(user)["task_name"]) == (q, "Review")


def test_a_task_of_another_project_is_422_on_home(user: Any) -> None:
    p, q = project(user, "Alpha"), project(user, "Beta")
    t = task(user, q, "Review")
    r = post(user, "/timer/start", {"project_id": str(p), "task_id": str(t)})
    assert r.status_code == 422
    assert '<p class="field-error" role="alert">The task belongs to another project</p>' in html.unescape(r.text)
    assert timer(user) is None


# ---------------------------------------------------------------- "I started earlier"


def test_the_form_starts_the_timer_minutes_ago(user: Any) -> None:
    before = datetime.now(UTC)
    assert post(user, "/timer/start", {"notes": "late", "minutes_ago": "20"}).status_code == 303
    start = datetime.fromisoformat(timer(user)["start_time"])
    assert before - timedelta(minutes=20, seconds=2) <= start <= datetime.now(UTC) - timedelta(minutes=20) + \
        timedelta(seconds=1)


def test_the_form_starts_the_timer_at_a_local_time(make_user: Any) -> None:
    u = make_user(timezone="Asia/Kolkata")
    started = (datetime.now(UTC) - timedelta(hours=2)).astimezone(ZoneInfo("Asia/Kolkata")).replace(
        second=0, microsecond=0)
    assert post(u, "/timer/start", {"started_at": started.strftime("%Y-%m-%dT%H:%M")}).status_code == 303
    assert datetime.fromisoformat(timer(u)["start_time"]) == started


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"minutes_ago": "soon"}, "Start time: minutes ago must be a whole number up to 10080 (7 days)"),
        ({"minutes_ago": "10081"}, "Start time: minutes ago must be a whole number up to 10080 (7 days)"),
        ({"started_at": "yesterday"}, "Start must be a date and time like 2026-03-11 09:30"),
        ({"started_at": "2099-01-01T09:00"}, "Start time: must not be in the future"),
        ({"started_at": "2026-01-01T09:00"}, "Start time: must be at most 7 days ago"),
    ],
    ids=["minutes-not-a-number", "minutes-over-7-days", "garbage-time", "future", "over-7-days-ago"],
)
def test_a_bad_past_start_in_the_form_is_422_on_home_and_starts_nothing(
    user: Any, data: dict[str, str], message: str
) -> None:
    r = post(user, "/timer/start", data)
    assert r.status_code == 422
    text = html.unescape(r.text)
    assert f'<p class="field-error" role="alert">{message}</p>' in text
    assert '<details class="started-earlier" open>' in text
    assert timer(user) is None


def test_the_api_starts_the_timer_in_the_past(make_user: Any) -> None:
    u = make_user(timezone="Europe/Berlin")
    start = (datetime.now(UTC) - timedelta(minutes=45)).replace(microsecond=0)
    out = api(u, "POST", "/api/timer/start", 201, json={"start_time": start.isoformat(), "notes": "earlier"})
    assert datetime.fromisoformat(out["start_time"]) == start
    assert out["start_time"].endswith(("+01:00", "+02:00"))  # in the user's offset
    assert 45 * 60 <= out["elapsed_seconds"] <= 45 * 60 + 5


@pytest.mark.parametrize(
    ("start", "status", "error"),
    [
        (timedelta(hours=-1), 422, "start_time: must not be in the future"),
        (timedelta(days=7, minutes=1), 422, "start_time: must be at most 7 days ago"),
    ],
    ids=["future", "over-7-days-ago"],
)
def test_the_api_refuses_a_bad_past_start_naming_the_field(
    user: Any, start: timedelta, status: int, error: str
) -> None:
    value = (datetime.now(UTC) - start).isoformat()
    r = user.api("POST", "/api/timer/start", json={"start_time": value})
    assert (r.status_code, r.json()) == (status, {"ok": False, "error": error})
    assert timer(user) is None


def test_the_api_refuses_a_naive_start_time(user: Any) -> None:
    r = user.api("POST", "/api/timer/start", json={"start_time": "2026-11-30T09:00:00"})
    assert r.status_code == 400
    assert r.json()["error"].startswith("start_time: must carry a UTC offset")


def test_a_start_a_few_seconds_ahead_counts_as_now(user: Any) -> None:
    value = (datetime.now(UTC) + timedelta(seconds=20)).isoformat()
    out = api(user, "POST", "/api/timer/start", 201, json={"start_time": value})
    assert datetime.fromisoformat(out["start_time"]) <= datetime.now(UTC)


# ---------------------------------------------------------------- authentication


def test_home_and_its_cards_need_a_session(anon_client: Any) -> None:
    for url in ("/", "/home/cards/week", "/?focus=quick-entry"):
        r = anon_client.get(url, follow_redirects=False)
        assert r.status_code == 303
        assert r.headers["location"].startswith("/login?next=")
    r = anon_client.get("/home/cards/week", headers={"HX-Request": "true", "HX-Current-URL": "http://t/"},
                        follow_redirects=False)
    assert r.headers["hx-redirect"] == "/login?next=%2F"
