"""Server-rendered pages and their plain-POST forms (CONTRACT sections 2 and 5)."""

from __future__ import annotations

import html
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from app.db.models import TimeEntry
from app.lib.time import get_zone, local_day_bounds
from tests.integration.helpers import db_scalar


def post(u: Any, url: str, data: dict[str, Any] | None = None, **kwargs: Any) -> Any:
    """A plain HTML form post, as a browser without JavaScript sends it."""
    body = {**(data or {}), "_csrf_token": u.csrf["X-CSRF-Token"]}
    return u.client.post(url, data=body, follow_redirects=False, **kwargs)


def text(r: Any) -> str:
    return html.unescape(r.text)


def field_error(name: str, message: str) -> str:
    return f'<p class="field-error" id="{name}-error" role="alert">{message}</p>'


def entries(u: Any) -> list[dict[str, Any]]:
    return u.api("GET", "/api/entries").json()["items"]  # type: ignore[no-any-return]


def project(u: Any, name: str = "Alpha", **body: Any) -> dict[str, Any]:
    r = u.api("POST", "/api/projects", json={"name": name, **body})
    assert r.status_code == 201, r.text
    return r.json()  # type: ignore[no-any-return]


def entry(u: Any, start: str = "2026-11-02T08:00:00Z", end: str = "2026-11-02T09:00:00Z", **body: Any) -> Any:
    r = u.api("POST", "/api/entries", json={"start_time": start, "end_time": end, **body})
    assert r.status_code == 201, r.text
    return r.json()


QUICK = {"start_time": "2026-11-02T09:00", "end_time": "2026-11-02T10:30", "notes": "wrote tests",
         "outcome": "12 tests", "tags": "qa, focus"}


# ---------------------------------------------------------------- pages render


def test_home_shows_the_timer_todays_entries_and_the_quick_entry_form(make_user: Any) -> None:
    u = make_user(timezone="Europe/Berlin")
    zone = get_zone("Europe/Berlin")
    now = datetime.now(UTC)
    day_start, _ = local_day_bounds(now.astimezone(zone).date(), zone)
    start = max(day_start, now - timedelta(minutes=10))
    entry(u, start.isoformat(), min(now, start + timedelta(minutes=1)).isoformat(), notes="today's note")
    entry(u, "2026-01-05T08:00:00Z", "2026-01-05T09:00:00Z", notes="an old note")
    r = u.client.get("/")
    assert r.status_code == 200
    page = text(r)
    assert '<section id="timer"' in page
    assert 'data-testid="timer-start"' in page
    assert '<form method="post" action="/entries"' in page
    assert 'id="today-entries"' in page
    assert "today's note" in page
    assert "an old note" not in page
    assert "times in Europe/Berlin" in page
    assert 'href="/dashboard/productivity"' in page and "My productivity" in page


def test_home_shows_a_running_timer_with_a_stop_button(user: Any) -> None:
    p = project(user, "Deep work")
    user.api("POST", "/api/timer/start", json={"project_id": p["id"], "notes": "thinking"})
    page = text(user.client.get("/"))
    assert 'data-testid="timer-stop"' in page
    assert 'data-testid="timer-start"' not in page
    assert "<strong>Deep work</strong>" in page
    assert "thinking" in page


def test_timer_partial_renders_the_panel_alone(user: Any) -> None:
    r = user.client.get("/partials/timer")
    assert r.status_code == 200
    assert r.text.lstrip().startswith('<section id="timer"')
    assert "<html" not in r.text


def test_entries_page_lists_entries_in_the_users_zone(make_user: Any) -> None:
    u = make_user(timezone="Asia/Kolkata")
    p = project(u, "Reading")
    entry(u, "2026-11-02T08:00:00Z", "2026-11-02T09:00:00Z", project_id=p["id"], notes="chapter one")
    r = u.client.get("/entries")
    assert r.status_code == 200
    page = text(r)
    assert 'id="entries-table"' in page
    # Start with its day (no "2026- / 11-02" wrapping on phones), end as a time of the same day.
    assert "<span>Mon 2 Nov 2026, 13:30</span>" in page and "<span>14:30</span>" in page
    assert "Reading" in page and "chapter one" in page


def test_entries_page_filters_by_local_dates_and_project(make_user: Any) -> None:
    u = make_user(timezone="America/New_York")
    p = project(u)
    entry(u, "2026-11-03T03:00:00Z", "2026-11-03T04:00:00Z", notes="late on the 2nd locally")
    entry(u, "2026-11-04T15:00:00Z", "2026-11-04T16:00:00Z", notes="on the 4th", project_id=p["id"])
    page = text(u.client.get("/entries?start=2026-11-02&end=2026-11-02"))
    assert "late on the 2nd locally" in page and "on the 4th" not in page
    page = text(u.client.get(f"/entries?project_id={p['id']}"))
    assert "on the 4th" in page and "late on the 2nd locally" not in page


def test_entries_page_with_a_bad_filter_is_422_with_the_message(user: Any) -> None:
    r = user.client.get("/entries?start=yesterday")
    assert r.status_code == 422
    assert "From must be a date like 2026-03-11" in text(r)


def test_entries_page_paginates_with_an_older_link(user: Any) -> None:
    for i in range(51):
        start = datetime(2026, 10, 1, tzinfo=UTC) + timedelta(hours=i)
        entry(user, start.isoformat(), (start + timedelta(minutes=30)).isoformat(), notes=f"n{i:02d}")
    page = text(user.client.get("/entries"))
    assert "Older entries" in page
    assert "n50" in page and "n00" not in page
    older = page.split('<a class="btn" href="', 1)[1].split('"', 1)[0]
    page2 = text(user.client.get(older))
    assert "n00" in page2 and "n50" not in page2


def test_entry_edit_page_shows_local_times_in_the_form(make_user: Any) -> None:
    u = make_user(timezone="Europe/Berlin")
    e = entry(u, "2026-11-02T08:00:00Z", "2026-11-02T09:15:00Z", notes="to edit", tags=["x", "y"])
    r = u.client.get(f"/entries/{e['id']}")
    assert r.status_code == 200
    page = text(r)
    assert 'name="start_time" type="datetime-local" value="2026-11-02T09:00"' in page
    assert 'name="end_time" type="datetime-local" value="2026-11-02T10:15"' in page
    assert ">to edit</textarea>" in page
    assert 'name="tags" type="text" value="x, y"' in page


def test_projects_page_lists_projects_tasks_and_entry_counts(user: Any) -> None:
    p = project(user, "Gardening")
    user.api("POST", "/api/tasks", json={"project_id": p["id"], "name": "Weed the beds"})
    entry(user, project_id=p["id"])
    r = user.client.get("/projects")
    assert r.status_code == 200
    page = text(r)
    assert f'id="project-{p["id"]}"' in page
    assert 'value="Gardening"' in page
    assert "Weed the beds" in page
    assert "1 entries" in page
    assert "Archive Gardening" in page  # it has entries: deleting archives


def test_settings_page_shows_the_current_settings(make_user: Any) -> None:
    u = make_user(timezone="Asia/Tokyo", hours=7.5)
    r = u.client.get("/settings")
    assert r.status_code == 200
    page = text(r)
    assert '<option value="Asia/Tokyo" selected>' in page
    assert 'name="standard_hours_per_day" type="number" value="7.5"' in page
    assert '<input type="checkbox" name="working_days" value="1" checked>' in page
    assert '<input type="checkbox" name="working_days" value="6">' in page


# ---------------------------------------------------------------- forms: success answers 303 and persists


def test_quick_entry_form_creates_the_entry_in_local_time(make_user: Any) -> None:
    u = make_user(timezone="Europe/Berlin")
    p = project(u, billable=True)
    r = post(u, "/entries", {**QUICK, "project_id": p["id"]})
    assert r.status_code == 303
    assert r.headers["location"] == "/"
    [e] = entries(u)
    assert {k: e[k] for k in ("project_id", "start_time", "end_time", "notes", "outcome", "tags", "billable")} == {
        "project_id": p["id"], "start_time": "2026-11-02T09:00:00+01:00", "end_time": "2026-11-02T10:30:00+01:00",
        "notes": "wrote tests", "outcome": "12 tests", "tags": ["qa", "focus"], "billable": True,
    }


def test_quick_entry_form_returns_to_a_local_next_page(user: Any) -> None:
    assert post(user, "/entries", {**QUICK, "next": "/entries"}).headers["location"] == "/entries"
    assert post(user, "/entries", {**QUICK, "start_time": "2026-11-03T09:00", "end_time": "2026-11-03T10:00",
                                   "next": "//evil.example"}).headers["location"] == "/"


def test_entry_edit_form_saves_the_changes(make_user: Any) -> None:
    u = make_user(timezone="Europe/Berlin")
    p = project(u, "Other")
    e = entry(u, billable=True, notes="before")
    r = post(u, f"/entries/{e['id']}", {"project_id": p["id"], "start_time": "2026-11-02T10:00",
                                       "end_time": "2026-11-02T12:00", "notes": "after", "outcome": "done",
                                       "tags": "a", "billable_present": "1"})
    assert r.status_code == 303
    assert r.headers["location"] == "/entries"
    after = u.api("GET", f"/api/entries/{e['id']}").json()
    assert {k: after[k] for k in ("project_id", "start_time", "end_time", "notes", "outcome", "tags", "billable")} == {
        "project_id": p["id"], "start_time": "2026-11-02T10:00:00+01:00", "end_time": "2026-11-02T12:00:00+01:00",
        "notes": "after", "outcome": "done", "tags": ["a"], "billable": False,
    }


def test_entry_delete_form_removes_it(user: Any) -> None:
    e = entry(user)
    r = post(user, f"/entries/{e['id']}/delete")
    assert (r.status_code, r.headers["location"]) == (303, "/entries")
    assert entries(user) == []


def test_project_create_form_adds_it(user: Any) -> None:
    r = post(user, "/projects", {"name": "Form project", "color": "#AA00CC", "billable": "on"})
    assert (r.status_code, r.headers["location"]) == (303, "/projects")
    [p] = user.api("GET", "/api/projects").json()
    assert (p["name"], p["color"], p["billable"], p["archived"]) == ("Form project", "#aa00cc", True, False)


def test_project_edit_form_saves_name_colour_and_flags(user: Any) -> None:
    p = project(user, "Old", billable=True)
    r = post(user, f"/projects/{p['id']}", {"name": "New", "color": "#101010", "archived": "on"})
    assert (r.status_code, r.headers["location"]) == (303, "/projects")
    after = user.api("GET", f"/api/projects/{p['id']}").json()
    assert (after["name"], after["color"], after["billable"], after["archived"]) == ("New", "#101010", False, True)


def test_project_delete_form_archives_a_project_with_entries(user: Any) -> None:
    p = project(user)
    entry(user, project_id=p["id"])
    assert post(user, f"/projects/{p['id']}/delete").status_code == 303
    assert user.api("GET", f"/api/projects/{p['id']}").json()["archived"] is True


def test_project_delete_form_deletes_a_project_without_entries(user: Any) -> None:
    p = project(user)
    assert post(user, f"/projects/{p['id']}/delete").status_code == 303
    assert user.api("GET", f"/api/projects/{p['id']}").status_code == 404


def test_task_forms_create_toggle_and_delete(user: Any) -> None:
    p = project(user)
    r = post(user, "/tasks", {"project_id": p["id"], "name": "Write intro"})
    # Back to the list with this project's Tasks section open (issue 9).
    assert (r.status_code, r.headers["location"]) == (303, f"/projects?tasks={p['id']}#project-{p['id']}")
    [t] = user.api("GET", "/api/tasks").json()
    assert (t["name"], t["status"]) == ("Write intro", "todo")

    assert post(user, f"/tasks/{t['id']}", {"status": "done"}).status_code == 303
    [t] = user.api("GET", "/api/tasks").json()
    assert t["status"] == "done" and t["completed_at"] is not None
    assert post(user, f"/tasks/{t['id']}", {"status": "todo"}).status_code == 303
    assert user.api("GET", "/api/tasks").json()[0]["status"] == "todo"

    assert post(user, f"/tasks/{t['id']}/delete").status_code == 303
    assert user.api("GET", "/api/tasks").json() == []


def test_timer_forms_start_and_stop_the_timer(user: Any) -> None:
    p = project(user)
    r = post(user, "/timer/start", {"project_id": p["id"], "notes": "from the form"})
    assert (r.status_code, r.headers["location"]) == (303, "/")
    active = user.api("GET", "/api/timer").json()["active_timer"]
    assert (active["project_id"], active["notes"]) == (p["id"], "from the form")

    r = post(user, "/timer/stop")
    assert (r.status_code, r.headers["location"]) == (303, "/")
    assert user.api("GET", "/api/timer").json() == {"active_timer": None}
    [e] = entries(user)
    assert (e["id"], e["notes"], e["end_time"] is not None) == (active["id"], "from the form", True)


def test_settings_form_saves_and_confirms(user: Any) -> None:
    r = post(user, "/settings", {"timezone": "Europe/Berlin", "standard_hours_per_day": "6.5",
                                 "working_days": ["1", "3", "5"], "streak_min_minutes": "15"})
    assert (r.status_code, r.headers["location"]) == (303, "/settings?saved=1")
    me = user.api("GET", "/api/me").json()
    assert (me["timezone"], me["standard_hours_per_day"], me["working_days"], me["streak_min_minutes"]) == (
        "Europe/Berlin", 6.5, [1, 3, 5], 15)
    assert "Settings saved." in user.client.get("/settings?saved=1").text


def test_every_settings_section_has_a_heading(user: Any) -> None:
    """Screen-reader users move by headings: each card of /settings is labelled by its own h2."""
    import re

    html = user.client.get("/settings").text
    cards = re.findall(r'<(?:section|form)[^>]*class="[^"]*\bcard\b[^"]*"[^>]*>', html)
    assert len(cards) >= 4
    for card in cards:
        match = re.search(r'aria-labelledby="([^"]+)"', card)
        if match is None:  # a card without a label must open with its heading
            start = html.index(card) + len(card)
            assert re.match(r"\s*<h2", html[start:]), card
        else:
            assert f'id="{match.group(1)}"' in html, card
    assert '<h2 id="time-title">Time and targets</h2>' in html


def test_settings_form_with_the_server_default_zone_clears_the_users_zone(make_user: Any, settings: Any) -> None:
    u = make_user(timezone="Europe/Berlin")
    r = post(u, "/settings", {"timezone": "", "standard_hours_per_day": "8", "working_days": ["1"]})
    assert r.status_code == 303
    me = u.api("GET", "/api/me").json()
    assert (me["timezone"], me["effective_timezone"]) == (None, settings.timezone)


# ---------------------------------------------------------------- forms: validation errors re-render with 422


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"end_time": "2026-11-02T09:00"}, "end_time", "End must be after start"),
        ({"end_time": "2026-11-02T08:00"}, "end_time", "End must be after start"),
        ({"start_time": ""}, "start_time", "Start is required"),
        ({"end_time": "half past ten"}, "end_time", "End must be a date and time like 2026-03-11 09:30"),
        ({"start_time": "2026-10-26T09:00", "end_time": "2026-11-02T09:01"}, "end_time",
         "An entry can last at most 7 days"),
        ({"notes": "n" * 2001}, "notes", "Notes must be at most 2000 characters"),
        ({"outcome": "o" * 2001}, "outcome", "Outcome must be at most 2000 characters"),
        ({"project_id": "987654321"}, "project_id", "That project does not exist"),
        ({"project_id": "abc"}, "project_id", "Project: choose one from the list"),
    ],
    ids=["end-equals-start", "end-before-start", "missing-start", "garbage-end", "over-7-days", "notes", "outcome",
         "unknown-project", "project-not-a-number"],
)
def test_quick_entry_error_rerenders_home_with_422_next_to_the_field(
    user: Any, changes: dict[str, str], field: str, message: str
) -> None:
    r = post(user, "/entries", {**QUICK, **changes})
    assert r.status_code == 422
    page = text(r)
    assert field_error(field, message) in page
    assert '<form method="post" action="/entries"' in page
    if field != "notes":
        assert 'value="wrote tests"' in page  # what the user typed is kept
    assert entries(user) == []


def test_quick_entry_ending_in_the_future_is_422(user: Any) -> None:
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    r = post(user, "/entries", {**QUICK, "start_time": (now - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
                                "end_time": (now + timedelta(minutes=10)).strftime("%Y-%m-%dT%H:%M")})
    assert r.status_code == 422
    assert field_error("end_time", "End cannot be more than 5 minutes in the future") in text(r)
    assert entries(user) == []


def test_quick_entry_with_another_users_project_is_422(make_user: Any) -> None:
    owner, intruder = make_user(), make_user()
    p = project(owner)
    r = post(intruder, "/entries", {**QUICK, "project_id": p["id"]})
    assert r.status_code == 422
    assert field_error("project_id", "That project does not exist") in text(r)
    assert entries(intruder) == [] and entries(owner) == []


def test_a_local_time_in_the_dst_gap_is_rejected_with_a_clear_message(make_user: Any) -> None:
    u = make_user(timezone="America/New_York")
    r = post(u, "/entries", {**QUICK, "start_time": "2026-03-08T02:30", "end_time": "2026-03-08T04:00"})
    assert r.status_code == 422
    assert field_error(
        "start_time",
        "2026-03-08 02:30 does not exist in America/New_York (the clocks skip it at a daylight-saving change)",
    ) in text(r)
    assert entries(u) == []
    r = post(u, "/entries", {**QUICK, "start_time": "2026-03-08T01:00", "end_time": "2026-03-08T02:15"})
    assert r.status_code == 422
    assert field_error(
        "end_time",
        "2026-03-08 02:15 does not exist in America/New_York (the clocks skip it at a daylight-saving change)",
    ) in text(r)
    assert entries(u) == []


def test_an_ambiguous_local_time_takes_its_first_occurrence(make_user: Any, settings: Any) -> None:
    u = make_user(timezone="America/New_York")
    r = post(u, "/entries", {**QUICK, "start_time": "2026-11-01T01:30", "end_time": "2026-11-01T03:00"})
    assert r.status_code == 303
    [e] = entries(u)
    assert e["start_time"] == "2026-11-01T01:30:00-04:00"  # EDT, the first 01:30
    assert e["end_time"] == "2026-11-01T03:00:00-05:00"
    assert e["duration_seconds"] == int(2.5 * 3600)
    stored = db_scalar(settings, select(TimeEntry.start_time).where(TimeEntry.id == e["id"]))
    assert stored == datetime(2026, 11, 1, 5, 30, tzinfo=UTC)


def test_entry_edit_error_rerenders_the_edit_page_with_422_and_changes_nothing(user: Any) -> None:
    e = entry(user, notes="unchanged")
    r = post(user, f"/entries/{e['id']}", {"start_time": "2026-11-02T10:00", "end_time": "2026-11-02T09:00",
                                          "notes": "attempt", "billable_present": "1"})
    assert r.status_code == 422
    page = text(r)
    assert field_error("end_time", "End must be after start") in page
    assert f'<form method="post" action="/entries/{e["id"]}"' in page
    assert ">attempt</textarea>" in page
    assert user.api("GET", f"/api/entries/{e['id']}").json() == e


def test_entry_edit_with_a_dst_gap_time_is_422(make_user: Any) -> None:
    u = make_user(timezone="America/New_York")
    e = entry(u, "2026-03-08T05:00:00Z", "2026-03-08T06:00:00Z")
    r = post(u, f"/entries/{e['id']}", {"start_time": "2026-03-08T00:30", "end_time": "2026-03-08T02:45",
                                       "billable_present": "1"})
    assert r.status_code == 422
    assert "2026-03-08 02:45 does not exist in America/New_York" in text(r)
    assert u.api("GET", f"/api/entries/{e['id']}").json() == e


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"name": "Taken"}, "name", "a project named 'Taken' already exists"),
        ({"name": ""}, "name", "must be 1 to 120 characters"),
        ({"name": "Fine", "color": "purple"}, "color", "must be a colour like #4f46e5"),
    ],
    ids=["duplicate", "empty", "colour"],
)
def test_project_create_error_rerenders_with_422_next_to_the_field(
    user: Any, data: dict[str, str], field: str, message: str
) -> None:
    project(user, "Taken")
    r = post(user, "/projects", data)
    assert r.status_code == 422
    assert field_error(field, message) in text(r)
    assert [p["name"] for p in user.api("GET", "/api/projects").json()] == ["Taken"]


def test_project_edit_error_is_shown_under_that_project(user: Any) -> None:
    project(user, "Taken")
    p = project(user, "Mine")
    r = post(user, f"/projects/{p['id']}", {"name": "taken", "color": p["color"]})
    assert r.status_code == 422
    page = text(r)
    own_block = page.split(f'id="project-{p["id"]}"', 1)[1].split("</li>", 1)[0]
    assert '<p class="field-error" role="alert">Name: a project named \'taken\' already exists</p>' in own_block
    assert user.api("GET", f"/api/projects/{p['id']}").json()["name"] == "Mine"


def test_task_create_error_is_422_with_the_message(user: Any) -> None:
    p = project(user)
    r = post(user, "/tasks", {"project_id": p["id"], "name": "  "})
    assert r.status_code == 422
    assert '<p class="flash flash-error" role="alert">Name: must be 1 to 200 characters</p>' in text(r)
    r = post(user, "/tasks", {"project_id": "", "name": "orphan"})
    assert r.status_code == 422
    assert "Project: is required" in text(r)
    assert user.api("GET", "/api/tasks").json() == []


def test_task_toggle_with_a_bad_status_is_422(user: Any) -> None:
    p = project(user)
    t = user.api("POST", "/api/tasks", json={"project_id": p["id"], "name": "x"}).json()
    r = post(user, f"/tasks/{t['id']}", {"status": "someday"})
    assert r.status_code == 422
    assert "Status: must be todo or done" in text(r)
    assert user.api("GET", "/api/tasks").json()[0]["status"] == "todo"


def test_timer_start_form_while_running_is_422_with_the_message(user: Any) -> None:
    user.api("POST", "/api/timer/start", json={"notes": "first"})
    r = post(user, "/timer/start", {"notes": "second"})
    assert r.status_code == 422
    assert '<p class="field-error" role="alert">a timer is already running</p>' in text(r)
    assert user.api("GET", "/api/timer").json()["active_timer"]["notes"] == "first"


def test_timer_stop_form_without_a_timer_is_422_with_the_message(user: Any) -> None:
    r = post(user, "/timer/stop")
    assert r.status_code == 422
    assert '<p class="field-error" role="alert">no timer is running</p>' in text(r)
    assert entries(user) == []


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"standard_hours_per_day": "lots"}, "standard_hours_per_day", "must be a number"),
        ({"standard_hours_per_day": "0"}, "standard_hours_per_day", "must be more than 0 and at most 24"),
        ({"standard_hours_per_day": "25"}, "standard_hours_per_day", "must be more than 0 and at most 24"),
        ({"timezone": "Mars/Base"}, "timezone", "'Mars/Base' is not an IANA time zone (e.g. Europe/Berlin)"),
        ({"streak_min_minutes": "ten"}, "streak_min_minutes", "must be a whole number of minutes"),
    ],
    ids=["hours-word", "hours-0", "hours-25", "timezone", "streak-word"],
)
def test_settings_error_rerenders_with_422_next_to_the_field_and_changes_nothing(
    make_user: Any, data: dict[str, str], field: str, message: str
) -> None:
    u = make_user(timezone="Europe/Berlin")
    before = u.api("GET", "/api/me").json()
    form = {"timezone": "Asia/Tokyo", "standard_hours_per_day": "6", "working_days": ["1"], **data}
    r = post(u, "/settings", form)
    assert r.status_code == 422
    assert field_error(field, message) in text(r)
    assert u.api("GET", "/api/me").json() == before


# ---------------------------------------------------------------- another user's objects, htmx


def test_another_users_entry_page_is_404(make_user: Any) -> None:
    owner, intruder = make_user(), make_user()
    e = entry(owner, notes="secret notes")
    r = intruder.client.get(f"/entries/{e['id']}")
    assert r.status_code == 404
    assert "secret notes" not in r.text
    assert "entry not found" in r.text
    assert intruder.client.get("/entries/987654321").status_code == 404


@pytest.mark.parametrize(
    ("url", "data"),
    [
        ("/entries/{entry}", {"start_time": "2026-11-02T10:00", "end_time": "2026-11-02T11:00", "notes": "mine"}),
        ("/entries/{entry}/delete", {}),
        ("/projects/{project}", {"name": "Mine now", "color": "#000000"}),
        ("/projects/{project}/delete", {}),
        ("/tasks/{task}", {"status": "done"}),
        ("/tasks/{task}/delete", {}),
    ],
    ids=["entry-edit", "entry-delete", "project-edit", "project-delete", "task-toggle", "task-delete"],
)
def test_forms_on_another_users_objects_are_404_and_change_nothing(
    make_user: Any, url: str, data: dict[str, str]
) -> None:
    owner, intruder = make_user(), make_user()
    p = project(owner, "Private")
    t = owner.api("POST", "/api/tasks", json={"project_id": p["id"], "name": "private task"}).json()
    e = entry(owner, project_id=p["id"], notes="private")
    before = (owner.api("GET", "/api/projects").json(), owner.api("GET", "/api/tasks").json(), entries(owner))
    r = post(intruder, url.format(entry=e["id"], project=p["id"], task=t["id"]), data)
    assert r.status_code == 404
    assert (owner.api("GET", "/api/projects").json(), owner.api("GET", "/api/tasks").json(), entries(owner)) == before


def test_htmx_form_post_with_a_validation_error_gets_422_and_the_form_fragment(user: Any) -> None:
    r = post(user, "/entries", {**QUICK, "end_time": "2026-11-02T08:00"},
             headers={"HX-Request": "true", "HX-Boosted": "true"})
    assert r.status_code == 422
    page = text(r)
    # htmx swaps #main (hx-select) on 422: it must carry the form with the error inline.
    main = page.split('<main id="main"', 1)[1]
    assert '<form method="post" action="/entries"' in main
    assert field_error("end_time", "End must be after start") in main
    assert entries(user) == []


def test_htmx_form_post_that_succeeds_is_a_303_htmx_follows(user: Any) -> None:
    r = post(user, "/entries", QUICK, headers={"HX-Request": "true", "HX-Boosted": "true"})
    assert (r.status_code, r.headers["location"]) == (303, "/")
    assert len(entries(user)) == 1
