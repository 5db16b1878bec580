"""Projects and tasks through the JSON API (CONTRACT sections 2 and 3)."""

from __future__ import annotations

from typing import Any

import pytest

from app.domain.tracking.projects import PALETTE

NOT_FOUND_PROJECT = {"ok": False, "error": "project not found"}
NOT_FOUND_TASK = {"ok": False, "error": "task not found"}


def make_project(u: Any, **body: Any) -> dict[str, Any]:
    r = u.api("POST", "/api/projects", json={"name": "Project", **body})
    assert r.status_code == 201, r.text
    return r.json()  # type: ignore[no-any-return]


def make_task(u: Any, project_id: int, name: str = "Task") -> dict[str, Any]:
    r = u.api("POST", "/api/tasks", json={"project_id": project_id, "name": name})
    assert r.status_code == 201, r.text
    return r.json()  # type: ignore[no-any-return]


def make_entry(u: Any, **body: Any) -> dict[str, Any]:
    payload = {"start_time": "2026-11-02T09:00:00Z", "end_time": "2026-11-02T10:00:00Z", **body}
    r = u.api("POST", "/api/entries", json=payload)
    assert r.status_code == 201, r.text
    return r.json()  # type: ignore[no-any-return]


# ---------------------------------------------------------------- projects


def test_create_project_returns_201_with_defaults_and_the_first_palette_colour(user: Any) -> None:
    r = user.api("POST", "/api/projects", json={"name": "  Writing  "})
    assert r.status_code == 201
    body = r.json()
    assert body == {
        "id": body["id"],
        "name": "Writing",
        "color": PALETTE[0],
        "billable": False,
        "archived": False,
        "client": None,
        "budget_hours": None,
        "budget_period": "total",
        "hourly_rate": None,
        "due_date": None,
        "budget_alerts": [80, 100],
        "entry_count": 0,
    }


def test_new_projects_take_the_next_unused_palette_colour(user: Any) -> None:
    make_project(user, name="A")
    assert make_project(user, name="B")["color"] == PALETTE[1]
    assert make_project(user, name="C", color="#123ABC")["color"] == "#123abc"
    assert make_project(user, name="D")["color"] == PALETTE[2]


def test_create_project_keeps_billable_archived_and_colour(user: Any) -> None:
    body = make_project(user, name="Client X", color="#00ff00", billable=True, archived=True)
    assert (body["color"], body["billable"], body["archived"]) == ("#00ff00", True, True)


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ({"name": ""}, "name: must be 1 to 120 characters"),
        ({"name": "   "}, "name: must be 1 to 120 characters"),
        ({"name": "x" * 121}, "name: must be 1 to 120 characters"),
        ({"name": "Ok", "color": "red"}, "color: must be a colour like #4f46e5"),
        ({"name": "Ok", "color": "#12345"}, "color: must be a colour like #4f46e5"),
        ({"name": "Ok", "colour": "#123456"}, "data: Object contains unknown field `colour`"),
        ({"color": "#123456"}, "data: Object missing required field `name`"),
    ],
    ids=["empty", "blank", "too-long", "colour-word", "colour-short", "unknown-field", "missing-name"],
)
def test_create_project_validation_error_is_400_naming_the_field(
    user: Any, body: dict[str, Any], error: str
) -> None:
    r = user.api("POST", "/api/projects", json=body)
    assert r.status_code == 400
    assert r.json() == {"ok": False, "error": error}
    assert user.api("GET", "/api/projects").json() == []


def test_project_name_of_120_characters_is_accepted(user: Any) -> None:
    assert make_project(user, name="x" * 120)["name"] == "x" * 120


def test_project_names_are_unique_per_user_ignoring_case(make_user: Any) -> None:
    a, b = make_user(), make_user()
    make_project(a, name="Deep Work")
    r = a.api("POST", "/api/projects", json={"name": "deep work"})
    assert r.status_code == 400
    assert r.json() == {"ok": False, "error": "name: a project named 'deep work' already exists"}
    # Another user may use the same name.
    assert make_project(b, name="Deep Work")["name"] == "Deep Work"


def test_list_projects_shows_only_the_callers_with_entry_counts_archived_last(make_user: Any) -> None:
    u, other = make_user(), make_user()
    beta = make_project(u, name="beta")
    alpha = make_project(u, name="Alpha")
    old = make_project(u, name="Aardvark", archived=True)
    make_project(other, name="Theirs")
    make_entry(u, project_id=beta["id"])
    make_entry(u, project_id=beta["id"], start_time="2026-11-03T09:00:00Z", end_time="2026-11-03T09:30:00Z")
    r = u.api("GET", "/api/projects")
    assert r.status_code == 200
    assert [(p["id"], p["entry_count"]) for p in r.json()] == [(alpha["id"], 0), (beta["id"], 2), (old["id"], 0)]


def test_get_project_returns_it(user: Any) -> None:
    p = make_project(user, name="Reading", billable=True)
    r = user.api("GET", f"/api/projects/{p['id']}")
    assert r.status_code == 200
    assert {k: r.json()[k] for k in ("id", "name", "color", "billable", "archived")} == {
        "id": p["id"], "name": "Reading", "color": p["color"], "billable": True, "archived": False,
    }


def test_patch_project_changes_only_the_given_fields(user: Any) -> None:
    p = make_project(user, name="Old", color="#111111")
    r = user.api("PATCH", f"/api/projects/{p['id']}", json={"name": "New", "billable": True})
    assert r.status_code == 200
    assert (r.json()["name"], r.json()["color"], r.json()["billable"], r.json()["archived"]) == (
        "New", "#111111", True, False)
    r = user.api("PATCH", f"/api/projects/{p['id']}", json={"archived": True, "color": "#ABCDEF"})
    assert (r.json()["name"], r.json()["color"], r.json()["archived"]) == ("New", "#abcdef", True)
    assert user.api("GET", f"/api/projects/{p['id']}").json()["archived"] is True


def test_patch_project_may_keep_its_own_name_in_another_case(user: Any) -> None:
    p = make_project(user, name="Case")
    r = user.api("PATCH", f"/api/projects/{p['id']}", json={"name": "CASE"})
    assert r.status_code == 200
    assert r.json()["name"] == "CASE"


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ({"name": "Taken"}, "name: a project named 'Taken' already exists"),
        ({"name": ""}, "name: must be 1 to 120 characters"),
        ({"color": "blue"}, "color: must be a colour like #4f46e5"),
        ({"owner": 1}, "data: Object contains unknown field `owner`"),
    ],
    ids=["duplicate", "empty", "colour", "unknown-field"],
)
def test_patch_project_validation_error_is_400_and_changes_nothing(
    user: Any, body: dict[str, Any], error: str
) -> None:
    make_project(user, name="Taken")
    p = make_project(user, name="Mine")
    r = user.api("PATCH", f"/api/projects/{p['id']}", json=body)
    assert r.status_code == 400
    assert r.json() == {"ok": False, "error": error}
    after = user.api("GET", f"/api/projects/{p['id']}").json()
    assert (after["name"], after["color"]) == ("Mine", p["color"])


def test_delete_project_without_entries_removes_it_with_204(user: Any) -> None:
    p = make_project(user)
    r = user.api("DELETE", f"/api/projects/{p['id']}")
    assert r.status_code == 204
    assert r.content == b""
    assert user.api("GET", f"/api/projects/{p['id']}").status_code == 404
    assert user.api("GET", "/api/projects").json() == []


def test_delete_project_with_entries_archives_it_and_keeps_the_entries(user: Any) -> None:
    p = make_project(user)
    e = make_entry(user, project_id=p["id"])
    r = user.api("DELETE", f"/api/projects/{p['id']}")
    assert r.status_code == 200
    assert r.json()["archived"] is True
    assert user.api("GET", f"/api/projects/{p['id']}").json()["archived"] is True
    entry = user.api("GET", f"/api/entries/{e['id']}").json()
    assert (entry["project_id"], entry["project_name"]) == (p["id"], "Project")


@pytest.mark.parametrize(
    ("method", "body"), [("GET", None), ("PATCH", {"name": "Stolen"}), ("DELETE", None)],
)
def test_another_users_project_is_404_exactly_like_a_missing_one(
    make_user: Any, method: str, body: dict[str, Any] | None
) -> None:
    owner, intruder = make_user(), make_user()
    p = make_project(owner, name="Private")
    r = intruder.api(method, f"/api/projects/{p['id']}", json=body)
    missing = intruder.api(method, "/api/projects/987654321", json=body)
    assert r.status_code == missing.status_code == 404
    assert r.json() == missing.json() == NOT_FOUND_PROJECT
    after = owner.api("GET", f"/api/projects/{p['id']}")
    assert after.status_code == 200
    assert (after.json()["name"], after.json()["archived"]) == ("Private", False)


# ---------------------------------------------------------------- tasks


def test_create_task_returns_201_as_todo(user: Any) -> None:
    p = make_project(user)
    r = user.api("POST", "/api/tasks", json={"project_id": p["id"], "name": " Draft chapter "})
    assert r.status_code == 201
    body = r.json()
    assert body == {"id": body["id"], "project_id": p["id"], "name": "Draft chapter", "status": "todo",
                    "completed_at": None, "estimate_minutes": None, "due_date": None}


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ({"name": ""}, "name: must be 1 to 200 characters"),
        ({"name": "x" * 201}, "name: must be 1 to 200 characters"),
        ({"name": "Ok", "project_id": 987654321}, "project_id: That project does not exist"),
        ({"name": "Ok", "project_id": None}, "project_id: Expected `int`, got `null`"),
        ({"name": "Ok", "status": "done"}, "data: Object contains unknown field `status`"),
    ],
    ids=["empty", "too-long", "unknown-project", "null-project", "unknown-field"],
)
def test_create_task_validation_error_is_400_naming_the_field(
    user: Any, body: dict[str, Any], error: str
) -> None:
    p = make_project(user)
    r = user.api("POST", "/api/tasks", json={"project_id": p["id"], **body})
    assert r.status_code == 400
    assert r.json() == {"ok": False, "error": error}
    assert user.api("GET", "/api/tasks").json() == []


def test_create_task_in_another_users_project_is_400_naming_project_id(make_user: Any) -> None:
    owner, intruder = make_user(), make_user()
    p = make_project(owner)
    r = intruder.api("POST", "/api/tasks", json={"project_id": p["id"], "name": "Sneaky"})
    assert r.status_code == 400
    assert r.json() == {"ok": False, "error": "project_id: That project does not exist"}
    assert owner.api("GET", "/api/tasks").json() == []


def test_list_tasks_filters_by_project_and_status(make_user: Any) -> None:
    u, other = make_user(), make_user()
    p1, p2 = make_project(u, name="One"), make_project(u, name="Two")
    t1, t2, t3 = make_task(u, p1["id"], "a"), make_task(u, p1["id"], "b"), make_task(u, p2["id"], "c")
    make_task(other, make_project(other)["id"], "theirs")
    u.api("PATCH", f"/api/tasks/{t2['id']}", json={"status": "done"})

    def ids(query: str) -> list[int]:
        r = u.api("GET", f"/api/tasks{query}")
        assert r.status_code == 200
        return [t["id"] for t in r.json()]

    assert sorted(ids("")) == sorted([t1["id"], t2["id"], t3["id"]])
    assert sorted(ids(f"?project_id={p1['id']}")) == sorted([t1["id"], t2["id"]])
    assert ids("?status=done") == [t2["id"]]
    assert sorted(ids("?status=todo")) == sorted([t1["id"], t3["id"]])
    r = u.api("GET", "/api/tasks?status=later")
    assert r.status_code == 400
    assert r.json() == {"ok": False, "error": "status: must be todo or done"}


def test_patch_task_to_done_sets_completed_at_and_back_to_todo_clears_it(user: Any) -> None:
    t = make_task(user, make_project(user)["id"])
    r = user.api("PATCH", f"/api/tasks/{t['id']}", json={"status": "done"})
    assert r.status_code == 200
    assert r.json()["status"] == "done"
    assert r.json()["completed_at"] is not None
    r = user.api("PATCH", f"/api/tasks/{t['id']}", json={"status": "todo"})
    assert (r.json()["status"], r.json()["completed_at"]) == ("todo", None)


def test_patch_task_renames_it(user: Any) -> None:
    t = make_task(user, make_project(user)["id"], "old")
    r = user.api("PATCH", f"/api/tasks/{t['id']}", json={"name": "new"})
    assert (r.status_code, r.json()["name"], r.json()["status"]) == (200, "new", "todo")


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ({"status": "later"}, "status: must be todo or done"),
        ({"name": ""}, "name: must be 1 to 200 characters"),
        ({"project_id": 1}, "data: Object contains unknown field `project_id`"),
    ],
    ids=["status", "name", "unknown-field"],
)
def test_patch_task_validation_error_is_400_and_changes_nothing(
    user: Any, body: dict[str, Any], error: str
) -> None:
    t = make_task(user, make_project(user)["id"], "keep")
    r = user.api("PATCH", f"/api/tasks/{t['id']}", json=body)
    assert r.status_code == 400
    assert r.json() == {"ok": False, "error": error}
    assert [(x["name"], x["status"]) for x in user.api("GET", "/api/tasks").json()] == [("keep", "todo")]


def test_delete_task_removes_it_and_detaches_its_entries(user: Any) -> None:
    p = make_project(user)
    t = make_task(user, p["id"])
    e = make_entry(user, task_id=t["id"])
    assert (e["project_id"], e["task_id"]) == (p["id"], t["id"])
    r = user.api("DELETE", f"/api/tasks/{t['id']}")
    assert r.status_code == 204
    assert user.api("GET", "/api/tasks").json() == []
    entry = user.api("GET", f"/api/entries/{e['id']}").json()
    assert (entry["project_id"], entry["task_id"]) == (p["id"], None)


@pytest.mark.parametrize(("method", "body"), [("PATCH", {"status": "done"}), ("DELETE", None)])
def test_another_users_task_is_404_exactly_like_a_missing_one(
    make_user: Any, method: str, body: dict[str, Any] | None
) -> None:
    owner, intruder = make_user(), make_user()
    t = make_task(owner, make_project(owner)["id"], "private")
    r = intruder.api(method, f"/api/tasks/{t['id']}", json=body)
    missing = intruder.api(method, "/api/tasks/987654321", json=body)
    assert r.status_code == missing.status_code == 404
    assert r.json() == missing.json() == NOT_FOUND_TASK
    assert [(x["id"], x["status"]) for x in owner.api("GET", "/api/tasks").json()] == [(t["id"], "todo")]
