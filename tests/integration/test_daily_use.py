"""Daily use (issue 9): Deleted · Undo, "Added … to <day>", archived projects in filters,
"Without project", Unarchive, the Tasks section kept open, errors in user wording, the
import without a file, the export form's empty default."""

from __future__ import annotations

import html
import re
from typing import Any

from tests.integration.test_pages import entries, entry, post, project, text


def follow(u: Any, r: Any) -> str:
    """The page a 303 leads to, as the browser shows it (the flash cookie rides along)."""
    assert r.status_code == 303, r.text
    return html.unescape(u.client.get(r.headers["location"]).text)


def undo_id(page: str) -> int:
    found = re.search(r'action="/undo/(\d+)"', page)
    assert found, "no Undo form on the page"
    return int(found.group(1))


# ---------------------------------------------------------------- Deleted · Undo


def test_deleting_an_entry_shows_deleted_undo_and_undo_restores_it_exactly(user: Any) -> None:
    p = project(user, "Website")
    t = user.api("POST", "/api/tasks", json={"project_id": p["id"], "name": "Header"}).json()
    e = entry(user, "2026-11-02T08:00:00Z", "2026-11-02T09:30:00Z", project_id=p["id"], task_id=t["id"],
              notes="layout", outcome="new header", tags=["css", "focus"], billable=True)
    page = follow(user, post(user, f"/entries/{e['id']}/delete", {"next": "/entries"}))
    assert entries(user) == []
    assert "Deleted 1:30 of Mon 2 Nov 08:00" in page and 'data-testid="undo"' in page
    assert 'data-flash-seconds="10"' in page  # static/js/flash.js hides it after 10 s
    # The message is shown once.
    assert 'id="flash"' not in user.client.get("/entries").text
    r = post(user, f"/undo/{undo_id(page)}")
    assert r.status_code == 303
    assert "Entry restored" in follow(user, r)
    [back] = entries(user)
    assert back == e  # same id, project, task, times, notes, outcome, tags, billable


def test_an_undo_works_once_and_only_for_its_owner(make_user: Any) -> None:
    owner, other = make_user(), make_user()
    e = entry(owner)
    page = follow(owner, post(owner, f"/entries/{e['id']}/delete"))
    snapshot = undo_id(page)
    assert post(other, f"/undo/{snapshot}").status_code == 404
    assert post(owner, f"/undo/{snapshot}").status_code == 303
    assert post(owner, f"/undo/{snapshot}").status_code == 404
    assert len(entries(owner)) == 1 and entries(other) == []


def test_the_json_api_names_the_undo_in_a_link_header(user: Any) -> None:
    e = entry(user, tags=["a"])
    r = user.api("DELETE", f"/api/entries/{e['id']}")
    assert r.status_code == 204
    link = r.headers["link"]
    assert link.endswith('>; rel="undo"') and link.startswith("</api/undo/")
    target = link[1:link.index(">")]
    r = user.api("POST", target)
    assert r.status_code == 200
    assert r.json() == {"ok": True, "kind": "entry", "id": e["id"]}
    assert user.api("GET", f"/api/entries/{e['id']}").json() == e
    assert user.api("POST", target).status_code == 404


def test_deleting_a_project_offers_undo_with_its_tasks_and_goals(user: Any) -> None:
    p = project(user, "Lonely", color="#123456", billable=True)
    t = user.api("POST", "/api/tasks", json={"project_id": p["id"], "name": "Plan"}).json()
    g = user.api("POST", "/api/goals", json={"name": "Ship", "metric": "hours", "target": 3, "period": "weekly",
                                             "direction": "at_least", "project_id": p["id"]})
    assert g.status_code == 201, g.text
    page = follow(user, post(user, f"/projects/{p['id']}/delete"))
    assert "Deleted Lonely" in page
    assert user.api("GET", f"/api/projects/{p['id']}").status_code == 404
    assert post(user, f"/undo/{undo_id(page)}").status_code == 303
    assert user.api("GET", f"/api/projects/{p['id']}").json() == {**p, "entry_count": None}  # GET omits the count
    assert user.api("GET", "/api/tasks").json() == [t]
    assert [x["id"] for x in user.api("GET", "/api/goals").json()] == [g.json()["id"]]


def test_a_project_with_entries_is_archived_and_undo_unarchives_it(user: Any) -> None:
    p = project(user, "Busy")
    entry(user, project_id=p["id"])
    page = follow(user, post(user, f"/projects/{p['id']}/delete"))
    assert "Archived Busy" in page
    assert user.api("GET", f"/api/projects/{p['id']}").json()["archived"] is True
    assert post(user, f"/undo/{undo_id(page)}").status_code == 303
    assert user.api("GET", f"/api/projects/{p['id']}").json()["archived"] is False


# ---------------------------------------------------------------- "Added … to <day>"


def test_adding_an_entry_for_another_day_says_where_it_went(make_user: Any) -> None:
    u = make_user(timezone="Europe/Berlin")
    r = post(u, "/entries", {"start_time": "2026-11-24T09:00", "end_time": "2026-11-24T10:30", "next": "/"})
    page = follow(u, r)
    assert "Added 1:30 to Tue 24 Nov" in page
    assert 'href="/entries?start=2026-11-24&end=2026-11-24"' in page


# ---------------------------------------------------------------- projects: archived, without, unarchive, tasks


def test_archived_projects_are_in_the_filter_and_the_goal_form_grouped(user: Any) -> None:
    live = project(user, "Live")
    old = project(user, "Old")
    user.api("PATCH", f"/api/projects/{old['id']}", json={"archived": True})
    for url in ("/entries", "/goals"):
        page = user.client.get(url).text
        group = page[page.index('<optgroup label="Archived">'):]
        assert f'<option value="{old["id"]}">Old</option>' in group[:group.index("</optgroup>")], url
        assert f'<option value="{live["id"]}"' in page
    entry(user, project_id=old["id"], notes="old work")
    page = user.client.get(f"/entries?project_id={old['id']}").text
    assert "old work" in page and f'<option value="{old["id"]}" selected>Old</option>' in page


def test_without_project_filter_differs_from_all_projects(user: Any) -> None:
    p = project(user)
    entry(user, "2026-11-02T08:00:00Z", "2026-11-02T09:00:00Z", project_id=p["id"], notes="with")
    entry(user, "2026-11-02T10:00:00Z", "2026-11-02T11:00:00Z", notes="without")
    every = user.client.get("/entries?project_id=").text
    assert "with" in every and "without" in every
    page = user.client.get("/entries?project_id=none").text
    assert ">without<" in page and ">with<" not in page
    assert '<option value="none" selected>Without project</option>' in page
    assert '<option value="">All projects</option>' in page


def test_an_archived_project_shows_unarchive_not_archive(user: Any) -> None:
    p = project(user, "Shelved")
    entry(user, project_id=p["id"])
    user.api("PATCH", f"/api/projects/{p['id']}", json={"archived": True})
    page = html.unescape(user.client.get("/projects").text)
    assert "Unarchive Shelved" in page and "Archive Shelved" not in page
    r = post(user, f"/projects/{p['id']}/unarchive")
    assert "Unarchived Shelved" in follow(user, r)
    assert user.api("GET", f"/api/projects/{p['id']}").json()["archived"] is False
    assert "Archive Shelved" in html.unescape(user.client.get("/projects").text)


def test_adding_or_ticking_a_task_keeps_the_tasks_section_open(user: Any) -> None:
    p = project(user, "Tasks")
    r = post(user, "/tasks", {"project_id": p["id"], "name": "First"})
    assert r.headers["location"] == f"/projects?tasks={p['id']}#project-{p['id']}"
    page = user.client.get(r.headers["location"]).text
    card = page[page.index(f'id="project-{p["id"]}"'):]
    assert '<details class="tasks" open>' in card
    other = project(user, "Closed")
    page = user.client.get(r.headers["location"]).text
    assert '<details class="tasks">' in page[page.index(f'id="project-{other["id"]}"'):]  # only that one opens
    [t] = user.api("GET", "/api/tasks").json()
    r = post(user, f"/tasks/{t['id']}", {"status": "done"})
    assert r.headers["location"] == f"/projects?tasks={p['id']}#project-{p['id']}"
    assert '<details class="tasks" open>' in user.client.get(r.headers["location"]).text


# ---------------------------------------------------------------- wording


def test_errors_use_user_wording_on_forms_and_in_the_api(user: Any) -> None:
    r = post(user, "/entries", {"start_time": "2026-11-02T10:00", "end_time": "2026-11-02T09:00"})
    assert r.status_code == 422
    assert '<p class="field-error" id="end_time-error" role="alert">End must be after start</p>' in text(r)
    assert "start_time" not in re.sub(r'(id|name|for|aria-describedby)="[^"]*"', "", text(r)).split("<main")[1]
    r = user.api("POST", "/api/entries", json={"start_time": "2026-11-02T10:00:00Z",
                                               "end_time": "2026-11-02T09:00:00Z"})
    # The API keeps the field's name in front (CONTRACT section 3: a message naming the field).
    assert r.json() == {"ok": False, "error": "end_time: End must be after start"}


# ---------------------------------------------------------------- import and export


def test_import_without_a_file_via_htmx_is_a_422_fragment_naming_the_field(user: Any) -> None:
    token = user.csrf["X-CSRF-Token"]
    r = user.client.post("/import", files={"file": ("", b"", "application/octet-stream")},
                         data={"_csrf_token": token, "format": "auto", "timezone": "UTC"},
                         headers={"HX-Request": "true"})
    assert r.status_code == 422
    body = r.text.strip()
    assert body.startswith('<p class="flash flash-error" role="alert" id="import-error" data-field="file">')
    assert "Export file: choose a file to import" in body
    assert "<html" not in body and "<form" not in body  # never a copy of the page
    # Without JavaScript the page comes back with the error next to the field.
    r = user.client.post("/import", files={"file": ("", b"", "application/octet-stream")},
                         data={"_csrf_token": token, "format": "auto", "timezone": "UTC"})
    assert r.status_code == 422 and 'id="file-error"' in r.text


def test_the_export_form_is_empty_by_default_and_empty_means_everything(user: Any) -> None:
    page = user.client.get("/export").text
    start = re.search(r'<input id="f-start"[^>]*>', page)
    end = re.search(r'<input id="f-end"[^>]*>', page)
    assert start and end and "value=" not in start.group(0) and "value=" not in end.group(0)
    entry(user, "2024-01-02T08:00:00Z", "2024-01-02T09:00:00Z", notes="long ago")
    entry(user, "2026-11-02T08:00:00Z", "2026-11-02T09:00:00Z", notes="recent")
    csv = user.api("GET", "/api/export/entries.csv?start=&end=").text
    assert "long ago" in csv and "recent" in csv
