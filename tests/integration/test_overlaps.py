"""Overlapping and long entries (CONTRACT section 2; issue 9): saved with `warnings`
through the API, a second click in the forms, marked on the Entries list, and refused
with a 409 naming the other entry when the user's `refuse_overlaps` setting is on."""

from __future__ import annotations

import html
from datetime import datetime, timedelta
from typing import Any

from tests.integration.test_pages import entries, entry, post, project, text


def test_an_overlapping_entry_is_saved_with_a_warning_naming_the_other(user: Any) -> None:
    first = entry(user, "2026-11-02T08:00:00Z", "2026-11-02T09:00:00Z")
    assert "warnings" not in first  # nothing to warn about: the plain entry object
    r = user.api("POST", "/api/entries", json={"start_time": "2026-11-02T08:30:00Z",
                                               "end_time": "2026-11-02T09:30:00Z"})
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["warnings"] == [{"kind": "overlap", "entry_id": first["id"]}]
    assert len(entries(user)) == 2


def test_touching_entries_do_not_overlap(user: Any) -> None:
    entry(user, "2026-11-02T08:00:00Z", "2026-11-02T09:00:00Z")
    body = entry(user, "2026-11-02T09:00:00Z", "2026-11-02T10:00:00Z")
    assert "warnings" not in body


def test_an_entry_over_12_hours_warns_long(user: Any) -> None:
    body = entry(user, "2026-11-02T06:00:00Z", "2026-11-02T18:30:00Z")
    assert body["warnings"] == [{"kind": "long"}]
    assert "warnings" not in entry(user, "2026-11-03T06:00:00Z", "2026-11-03T18:00:00Z")  # exactly 12 h


def test_an_edit_into_an_overlap_warns_and_never_counts_itself(user: Any) -> None:
    a = entry(user, "2026-11-02T08:00:00Z", "2026-11-02T09:00:00Z")
    b = entry(user, "2026-11-02T10:00:00Z", "2026-11-02T11:00:00Z")
    r = user.api("PATCH", f"/api/entries/{b['id']}", json={"notes": "only notes"})
    assert "warnings" not in r.json()
    r = user.api("PATCH", f"/api/entries/{b['id']}", json={"start_time": "2026-11-02T08:45:00Z"})
    assert r.status_code == 200
    assert r.json()["warnings"] == [{"kind": "overlap", "entry_id": a["id"]}]


def test_refuse_overlaps_setting_makes_an_overlap_a_409_naming_the_other(user: Any) -> None:
    a = entry(user, "2026-11-02T08:00:00Z", "2026-11-02T09:00:00Z")
    r = user.api("PATCH", "/api/me", json={"refuse_overlaps": True})
    assert r.status_code == 200 and r.json()["refuse_overlaps"] is True
    r = user.api("POST", "/api/entries", json={"start_time": "2026-11-02T08:30:00Z",
                                               "end_time": "2026-11-02T09:30:00Z"})
    assert r.status_code == 409
    assert r.json()["ok"] is False and f"entry {a['id']}" in r.json()["error"]
    assert len(entries(user)) == 1
    b = entry(user, "2026-11-02T10:00:00Z", "2026-11-02T11:00:00Z")
    r = user.api("PATCH", f"/api/entries/{b['id']}", json={"start_time": "2026-11-02T08:59:00Z"})
    assert r.status_code == 409
    # The form says the same, next to the form, and writes nothing.
    r = post(user, "/entries", {"start_time": "2026-11-02T08:30", "end_time": "2026-11-02T08:45"})
    assert r.status_code == 422
    assert f"(entry {a['id']})" in text(r)
    assert 'data-testid="save-anyway"' not in r.text
    assert len(entries(user)) == 2


def test_the_form_asks_for_a_second_click_naming_the_overlapping_entry(make_user: Any) -> None:
    u = make_user(timezone="UTC")
    p = project(u, "Website")
    entry(u, "2026-11-02T08:00:00Z", "2026-11-02T09:00:00Z", project_id=p["id"])
    form = {"start_time": "2026-11-02T08:30", "end_time": "2026-11-02T10:00", "notes": "pairing"}
    r = post(u, "/entries", form)
    assert r.status_code == 422
    page = text(r)
    assert "It overlaps the entry Mon 2 Nov 08:00–09:00 (Website)." in page
    assert 'data-testid="save-anyway"' in r.text and 'name="confirm" value="1"' in r.text
    assert 'value="pairing"' in r.text  # the values typed are kept for the second click
    assert len(entries(u)) == 1
    r = post(u, "/entries", {**form, "confirm": "1"})
    assert r.status_code == 303
    assert len(entries(u)) == 2


def test_a_long_entry_in_the_form_also_needs_the_second_click(user: Any) -> None:
    form = {"start_time": "2026-11-02T01:00", "end_time": "2026-11-02T14:00"}
    r = post(user, "/entries", form)
    assert r.status_code == 422 and "It lasts more than 12 hours." in text(r)
    assert entries(user) == []
    assert post(user, "/entries", {**form, "confirm": "1"}).status_code == 303
    assert len(entries(user)) == 1


def test_the_edit_form_warns_too(user: Any) -> None:
    entry(user, "2026-11-02T08:00:00Z", "2026-11-02T09:00:00Z")
    b = entry(user, "2026-11-02T10:00:00Z", "2026-11-02T11:00:00Z")
    form = {"start_time": "2026-11-02T08:30", "end_time": "2026-11-02T11:00", "billable_present": "1"}
    r = post(user, f"/entries/{b['id']}", form)
    assert r.status_code == 422 and "It overlaps the entry" in text(r)
    assert user.api("GET", f"/api/entries/{b['id']}").json()["start_time"].startswith("2026-11-02T10:00")
    assert post(user, f"/entries/{b['id']}", {**form, "confirm": "1"}).status_code == 303
    assert user.api("GET", f"/api/entries/{b['id']}").json()["start_time"].startswith("2026-11-02T08:30")


def test_the_entries_list_marks_overlapping_entries(user: Any) -> None:
    a = entry(user, "2026-11-02T08:00:00Z", "2026-11-02T09:00:00Z")
    b = entry(user, "2026-11-02T08:30:00Z", "2026-11-02T09:30:00Z")
    c = entry(user, "2026-11-02T11:00:00Z", "2026-11-02T12:00:00Z")
    page = html.unescape(user.client.get("/entries").text)
    assert f'<tr id="entry-{a["id"]}" class="is-overlap" data-overlaps="{b["id"]}">' in page
    assert f'<tr id="entry-{b["id"]}" class="is-overlap" data-overlaps="{a["id"]}">' in page
    assert f'<tr id="entry-{c["id"]}">' in page
    assert 'id="overlap-note"' in page


def test_a_running_timer_counts_as_an_overlap(user: Any) -> None:
    r = user.api("POST", "/api/timer/start", json={})
    assert r.status_code == 201
    timer = r.json()
    began = datetime.fromisoformat(timer["start_time"])
    body = entry(user, (began - timedelta(minutes=30)).isoformat(), (began + timedelta(seconds=30)).isoformat())
    assert body["warnings"] == [{"kind": "overlap", "entry_id": timer["id"]}]
