"""Time entries through the JSON API: create, list, filter, paginate, get, patch, delete (CONTRACT sections 2, 3)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

NOT_FOUND = {"ok": False, "error": "entry not found"}
ENTRY_KEYS = {"id", "project_id", "project_name", "task_id", "start_time", "end_time", "duration_seconds",
              "billable", "notes", "outcome", "tags"}


def iso(value: datetime) -> str:
    return value.isoformat()


def project(u: Any, name: str = "Work", **body: Any) -> dict[str, Any]:
    r = u.api("POST", "/api/projects", json={"name": name, **body})
    assert r.status_code == 201, r.text
    return r.json()  # type: ignore[no-any-return]


def task(u: Any, project_id: int, name: str = "Task") -> dict[str, Any]:
    r = u.api("POST", "/api/tasks", json={"project_id": project_id, "name": name})
    assert r.status_code == 201, r.text
    return r.json()  # type: ignore[no-any-return]


def entry(u: Any, start: str = "2026-11-02T09:00:00Z", end: str = "2026-11-02T10:00:00Z", **body: Any) -> Any:
    r = u.api("POST", "/api/entries", json={"start_time": start, "end_time": end, **body})
    assert r.status_code == 201, r.text
    return r.json()


def listed(u: Any, query: str = "") -> list[int]:
    r = u.api("GET", f"/api/entries{query}")
    assert r.status_code == 200, r.text
    return [e["id"] for e in r.json()["items"]]


# ---------------------------------------------------------------- create


def test_create_entry_returns_201_with_the_entry_in_the_users_offset(make_user: Any) -> None:
    u = make_user(timezone="Europe/Berlin")
    p = project(u, "Writing", billable=True)
    t = task(u, p["id"], "Chapter 3")
    r = u.api("POST", "/api/entries", json={
        "project_id": p["id"], "task_id": t["id"], "start_time": "2026-11-02T08:15:00Z",
        "end_time": "2026-11-02T10:00:30+01:00", "notes": "first draft", "outcome": "2,000 words",
        "tags": ["focus", " deep ", "focus", ""],
    })
    assert r.status_code == 201
    body = r.json()
    assert body == {
        "id": body["id"],
        "project_id": p["id"],
        "project_name": "Writing",
        "task_id": t["id"],
        "start_time": "2026-11-02T09:15:00+01:00",
        "end_time": "2026-11-02T10:00:30+01:00",
        "duration_seconds": 2730,
        "billable": True,  # the project's default
        "notes": "first draft",
        "outcome": "2,000 words",
        "tags": ["focus", "deep"],
    }


def test_entry_datetimes_follow_the_users_offset_across_dst(make_user: Any) -> None:
    u = make_user(timezone="America/New_York")
    summer = entry(u, "2026-07-01T13:00:00Z", "2026-07-01T14:00:00Z")
    winter = entry(u, "2026-01-05T13:00:00Z", "2026-01-05T14:00:00Z")
    assert (summer["start_time"], summer["end_time"]) == ("2026-07-01T09:00:00-04:00", "2026-07-01T10:00:00-04:00")
    assert (winter["start_time"], winter["end_time"]) == ("2026-01-05T08:00:00-05:00", "2026-01-05T09:00:00-05:00")


def test_entry_of_a_user_without_a_zone_uses_the_application_zone(make_user: Any) -> None:
    u = make_user(timezone=None)
    e = entry(u, "2026-11-02T09:00:00+05:30", "2026-11-02T10:00:00+05:30")
    assert (e["start_time"], e["end_time"]) == ("2026-11-02T03:30:00+00:00", "2026-11-02T04:30:00+00:00")


def test_create_entry_defaults(user: Any) -> None:
    e = entry(user)
    assert {k: e[k] for k in ("project_id", "project_name", "task_id", "billable", "notes", "outcome", "tags")} == {
        "project_id": None, "project_name": None, "task_id": None, "billable": False, "notes": "", "outcome": "",
        "tags": [],
    }
    assert set(e) == ENTRY_KEYS


def test_explicit_billable_overrides_the_projects_default(user: Any) -> None:
    p = project(user, billable=True)
    assert entry(user, project_id=p["id"], billable=False)["billable"] is False


def test_a_task_alone_implies_its_project(user: Any) -> None:
    p = project(user)
    t = task(user, p["id"])
    e = entry(user, task_id=t["id"])
    assert (e["project_id"], e["project_name"], e["task_id"]) == (p["id"], "Work", t["id"])


def test_an_entry_of_exactly_7_days_is_accepted(user: Any) -> None:
    e = entry(user, "2026-11-01T00:00:00Z", "2026-11-08T00:00:00Z")
    assert e["duration_seconds"] == 7 * 24 * 3600


def test_notes_and_outcome_of_2000_characters_are_accepted(user: Any) -> None:
    e = entry(user, notes="n" * 2000, outcome="o" * 2000)
    assert (len(e["notes"]), len(e["outcome"])) == (2000, 2000)


def test_an_end_4_minutes_in_the_future_is_accepted(user: Any) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    e = entry(user, iso(now - timedelta(hours=1)), iso(now + timedelta(minutes=4)))
    assert e["duration_seconds"] == 3840


def _future(minutes: int) -> str:
    return iso(datetime.now(UTC) + timedelta(minutes=minutes))


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ({"end_time": "2026-11-02T09:00:00Z"}, "end_time: End must be after start"),
        ({"end_time": "2026-11-02T08:00:00Z"}, "end_time: End must be after start"),
        ({"start_time": "2026-11-01T00:00:00Z", "end_time": "2026-11-08T00:00:01Z"},
         "end_time: An entry can last at most 7 days"),
        ({"start_time": "2026-11-02T09:00:00", "end_time": "2026-11-02T10:00:00Z"},
         "start_time: must carry a UTC offset (RFC 3339, e.g. 2026-03-11T09:00:00+01:00)"),
        ({"end_time": "2026-11-02T10:00:00"},
         "end_time: must carry a UTC offset (RFC 3339, e.g. 2026-03-11T09:00:00+01:00)"),
        ({"notes": "n" * 2001}, "notes: Notes must be at most 2000 characters"),
        ({"outcome": "o" * 2001}, "outcome: Outcome must be at most 2000 characters"),
        ({"project_id": 987654321}, "project_id: That project does not exist"),
        ({"task_id": 987654321}, "task_id: That task does not exist"),
        ({"tags": ["t" * 41]}, "tags[0]: Expected `str` of length <= 40"),
        ({"tags": [f"t{i}" for i in range(21)]}, "tags: Expected `array` of length <= 20"),
        ({"start_time": "yesterday"}, "start_time: Invalid RFC3339 encoded datetime"),
        ({"user_id": 1}, "data: Object contains unknown field `user_id`"),
    ],
    ids=["end-equals-start", "end-before-start", "over-7-days", "naive-start", "naive-end", "notes-2001",
         "outcome-2001", "unknown-project", "unknown-task", "long-tag", "too-many-tags", "not-a-datetime",
         "unknown-field"],
)
def test_create_entry_validation_error_is_400_naming_the_field_and_writes_nothing(
    user: Any, body: dict[str, Any], error: str
) -> None:
    payload = {"start_time": "2026-11-02T09:00:00Z", "end_time": "2026-11-02T10:00:00Z", **body}
    r = user.api("POST", "/api/entries", json=payload)
    assert r.status_code == 400
    assert r.json() == {"ok": False, "error": error}
    assert listed(user) == []


def test_an_end_more_than_5_minutes_in_the_future_is_400(user: Any) -> None:
    r = user.api("POST", "/api/entries", json={"start_time": _future(-60), "end_time": _future(6)})
    assert r.status_code == 400
    assert r.json() == {"ok": False, "error": "end_time: End cannot be more than 5 minutes in the future"}
    assert listed(user) == []


def test_another_users_project_or_task_is_400_naming_the_field(make_user: Any) -> None:
    owner, intruder = make_user(), make_user()
    p = project(owner)
    t = task(owner, p["id"])
    base = {"start_time": "2026-11-02T09:00:00Z", "end_time": "2026-11-02T10:00:00Z"}
    r = intruder.api("POST", "/api/entries", json={**base, "project_id": p["id"]})
    assert (r.status_code, r.json()) == (400, {"ok": False, "error": "project_id: That project does not exist"})
    r = intruder.api("POST", "/api/entries", json={**base, "task_id": t["id"]})
    assert (r.status_code, r.json()) == (400, {"ok": False, "error": "task_id: That task does not exist"})
    assert listed(intruder) == []
    assert listed(owner) == []


def test_a_task_of_another_project_is_400_naming_task_id(user: Any) -> None:
    p1, p2 = project(user, "One"), project(user, "Two")
    t = task(user, p1["id"])
    r = user.api("POST", "/api/entries", json={"start_time": "2026-11-02T09:00:00Z",
                                                "end_time": "2026-11-02T10:00:00Z",
                                                "project_id": p2["id"], "task_id": t["id"]})
    assert r.status_code == 400
    assert r.json() == {"ok": False, "error": "task_id: The task belongs to another project"}


# ---------------------------------------------------------------- list, filter, paginate


def test_list_entries_is_newest_first_and_only_the_callers(make_user: Any) -> None:
    u, other = make_user(), make_user()
    a = entry(u, "2026-11-02T09:00:00Z", "2026-11-02T10:00:00Z")
    b = entry(u, "2026-11-04T09:00:00Z", "2026-11-04T10:00:00Z")
    c = entry(u, "2026-11-03T09:00:00Z", "2026-11-03T10:00:00Z")
    entry(other, "2026-11-05T09:00:00Z", "2026-11-05T10:00:00Z")
    r = u.api("GET", "/api/entries")
    assert r.status_code == 200
    body = r.json()
    assert [e["id"] for e in body["items"]] == [b["id"], c["id"], a["id"]]
    assert body["next_cursor"] is None
    assert body["items"][0] == b


def test_list_entries_filters_by_overlap_with_start_and_end(user: Any) -> None:
    early = entry(user, "2026-11-02T08:00:00Z", "2026-11-02T09:30:00Z")  # overlaps the start
    inside = entry(user, "2026-11-02T10:00:00Z", "2026-11-02T11:00:00Z")
    late = entry(user, "2026-11-02T11:30:00Z", "2026-11-02T13:00:00Z")  # overlaps the end
    entry(user, "2026-11-02T06:00:00Z", "2026-11-02T09:00:00Z")  # ends exactly at start: out
    entry(user, "2026-11-02T12:00:00+01:00", "2026-11-02T12:30:00+01:00")  # 11:00Z-11:30Z: in
    entry(user, "2026-11-02T12:00:00Z", "2026-11-02T12:30:00Z")  # starts exactly at end: out
    ids = listed(user, "?start=2026-11-02T09:00:00Z&end=2026-11-02T12:00:00Z")
    assert ids[0] == late["id"]
    assert ids[-2:] == [inside["id"], early["id"]]
    assert len(ids) == 4
    assert listed(user, "?start=2026-11-02T10:00:00%2B01:00&end=2026-11-02T10:30:00%2B01:00") == [early["id"]]
    # An unencoded "+" arrives as a space; it still means the offset.
    assert listed(user, "?start=2026-11-02T10:00:00+01:00&end=2026-11-02T10:30:00+01:00") == [early["id"]]


def test_a_running_timer_is_listed_as_an_entry_without_an_end(user: Any) -> None:
    done = entry(user)
    timer = user.api("POST", "/api/timer/start", json={"notes": "live"}).json()
    items = user.api("GET", "/api/entries").json()["items"]
    assert [e["id"] for e in items] == [timer["id"], done["id"]]
    assert {k: items[0][k] for k in ("end_time", "duration_seconds", "notes")} == {
        "end_time": None, "duration_seconds": None, "notes": "live"}
    assert set(items[0]) == ENTRY_KEYS


def test_list_entries_filters_by_project(user: Any) -> None:
    p1, p2 = project(user, "One"), project(user, "Two")
    e1 = entry(user, project_id=p1["id"])
    entry(user, "2026-11-03T09:00:00Z", "2026-11-03T10:00:00Z", project_id=p2["id"])
    entry(user, "2026-11-04T09:00:00Z", "2026-11-04T10:00:00Z")
    assert listed(user, f"?project_id={p1['id']}") == [e1["id"]]


def test_cursor_pagination_walks_every_entry_once_newest_first(user: Any) -> None:
    made = [entry(user, f"2026-11-0{d}T09:00:00Z", f"2026-11-0{d}T10:00:00Z")["id"] for d in range(1, 6)]
    # Two entries sharing a start time are ordered by id.
    made.append(entry(user, "2026-11-03T09:00:00Z", "2026-11-03T09:30:00Z")["id"])
    pages: list[list[int]] = []
    cursor = None
    while True:
        query = "?limit=2" + (f"&cursor={cursor}" if cursor else "")
        body = user.api("GET", f"/api/entries{query}").json()
        pages.append([e["id"] for e in body["items"]])
        cursor = body["next_cursor"]
        if cursor is None:
            break
    e1, e2, e3, e4, e5, e3b = made
    assert pages == [[e5, e4], [e3b, e3], [e2, e1]]


def test_cursor_pagination_keeps_sub_second_start_times_apart(user: Any) -> None:
    starts = ["2026-11-02T09:00:00.000001Z", "2026-11-02T09:00:00.5Z", "2026-11-02T09:00:00.999999Z",
              "2026-11-02T09:00:01Z"]
    made = [entry(user, s, "2026-11-02T10:00:00Z")["id"] for s in starts]
    seen: list[int] = []
    cursor = None
    for _ in range(4):
        body = user.api("GET", "/api/entries?limit=1" + (f"&cursor={cursor}" if cursor else "")).json()
        seen += [e["id"] for e in body["items"]]
        cursor = body["next_cursor"]
    assert seen == list(reversed(made))
    assert cursor is None


def test_the_last_full_page_has_no_cursor(user: Any) -> None:
    for d in (1, 2):
        entry(user, f"2026-11-0{d}T09:00:00Z", f"2026-11-0{d}T10:00:00Z")
    assert user.api("GET", "/api/entries?limit=2").json()["next_cursor"] is None
    assert user.api("GET", "/api/entries?limit=1").json()["next_cursor"] is not None


@pytest.mark.parametrize(
    ("query", "error"),
    [
        ("?limit=0", "limit: must be between 1 and 500"),
        ("?limit=501", "limit: must be between 1 and 500"),
        ("?limit=many", "limit: Expected `int`, got `str`"),
        ("?cursor=not-a-cursor", "cursor: is not a valid cursor"),
        ("?start=2026-11-02T09:00:00", "start: must carry a UTC offset (RFC 3339, e.g. 2026-03-11T09:00:00+01:00)"),
        ("?end=tomorrow", "end: must be an RFC 3339 datetime with an offset"),
        ("?start=2026-11-02T10:00:00Z&end=2026-11-02T09:00:00Z", "end: To must be after From"),
    ],
    ids=["limit-0", "limit-501", "limit-word", "cursor", "naive-start", "bad-end", "end-before-start"],
)
def test_list_entries_rejects_bad_query_parameters_with_400(user: Any, query: str, error: str) -> None:
    r = user.api("GET", f"/api/entries{query}")
    assert r.status_code == 400
    assert r.json() == {"ok": False, "error": error}


def test_limit_500_is_allowed(user: Any) -> None:
    assert user.api("GET", "/api/entries?limit=500").status_code == 200


# ---------------------------------------------------------------- get, patch, delete


def test_get_entry_returns_it(make_user: Any) -> None:
    u = make_user(timezone="Asia/Kolkata")
    e = entry(u, notes="hello")
    r = u.api("GET", f"/api/entries/{e['id']}")
    assert r.status_code == 200
    assert r.json() == e
    assert r.json()["start_time"] == "2026-11-02T14:30:00+05:30"


def test_patch_entry_changes_only_the_given_fields(user: Any) -> None:
    p = project(user)
    e = entry(user, notes="before", tags=["a"])
    r = user.api("PATCH", f"/api/entries/{e['id']}", json={"notes": "after", "project_id": p["id"],
                                                          "end_time": "2026-11-02T11:00:00Z"})
    assert r.status_code == 200
    body = r.json()
    assert body == {**e, "notes": "after", "project_id": p["id"], "project_name": "Work",
                    "end_time": "2026-11-02T11:00:00+00:00", "duration_seconds": 7200}
    assert user.api("GET", f"/api/entries/{e['id']}").json() == body


def test_patch_entry_to_another_project_drops_a_task_of_the_old_one(user: Any) -> None:
    p1, p2 = project(user, "One"), project(user, "Two")
    t = task(user, p1["id"])
    e = entry(user, task_id=t["id"])
    r = user.api("PATCH", f"/api/entries/{e['id']}", json={"project_id": p2["id"]})
    assert (r.json()["project_id"], r.json()["task_id"]) == (p2["id"], None)


def test_patch_entry_can_clear_the_project(user: Any) -> None:
    e = entry(user, project_id=project(user)["id"])
    r = user.api("PATCH", f"/api/entries/{e['id']}", json={"project_id": None})
    assert (r.status_code, r.json()["project_id"], r.json()["project_name"]) == (200, None, None)


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ({"end_time": "2026-11-02T08:59:00Z"}, "end_time: End must be after start"),
        ({"start_time": "2026-11-02T10:00:00Z"}, "end_time: End must be after start"),
        ({"start_time": "2026-10-26T09:59:59Z"}, "end_time: An entry can last at most 7 days"),
        ({"end_time": None}, "end_time: A completed entry cannot be made running again"),
        ({"start_time": "2026-11-02T08:00:00"},
         "start_time: must carry a UTC offset (RFC 3339, e.g. 2026-03-11T09:00:00+01:00)"),
        ({"notes": "n" * 2001}, "notes: Notes must be at most 2000 characters"),
        ({"outcome": "o" * 2001}, "outcome: Outcome must be at most 2000 characters"),
        ({"project_id": 987654321}, "project_id: That project does not exist"),
        ({"task_id": 987654321}, "task_id: That task does not exist"),
        ({"id": 5}, "data: Object contains unknown field `id`"),
    ],
    ids=["end-before-start", "start-at-end", "over-7-days", "reopen", "naive", "notes", "outcome",
         "project", "task", "unknown-field"],
)
def test_patch_entry_validation_error_is_400_naming_the_field_and_changes_nothing(
    user: Any, body: dict[str, Any], error: str
) -> None:
    e = entry(user, notes="keep")
    r = user.api("PATCH", f"/api/entries/{e['id']}", json=body)
    assert r.status_code == 400
    assert r.json() == {"ok": False, "error": error}
    assert user.api("GET", f"/api/entries/{e['id']}").json() == e


def test_patch_entry_to_end_more_than_5_minutes_in_the_future_is_400(user: Any) -> None:
    e = entry(user, _future(-120), _future(-60))
    r = user.api("PATCH", f"/api/entries/{e['id']}", json={"end_time": _future(6)})
    assert r.status_code == 400
    assert r.json() == {"ok": False, "error": "end_time: End cannot be more than 5 minutes in the future"}
    assert user.api("GET", f"/api/entries/{e['id']}").json() == e


def test_patch_entry_with_another_users_project_is_400(make_user: Any) -> None:
    owner, intruder = make_user(), make_user()
    theirs = project(owner)
    e = entry(intruder)
    r = intruder.api("PATCH", f"/api/entries/{e['id']}", json={"project_id": theirs["id"]})
    assert (r.status_code, r.json()) == (400, {"ok": False, "error": "project_id: That project does not exist"})
    assert intruder.api("GET", f"/api/entries/{e['id']}").json() == e


def test_delete_entry_removes_it_with_204(user: Any) -> None:
    e = entry(user)
    r = user.api("DELETE", f"/api/entries/{e['id']}")
    assert r.status_code == 204
    assert r.content == b""
    assert user.api("GET", f"/api/entries/{e['id']}").status_code == 404
    assert listed(user) == []


@pytest.mark.parametrize(
    ("method", "body"), [("GET", None), ("PATCH", {"notes": "mine now"}), ("DELETE", None)],
)
def test_another_users_entry_is_404_exactly_like_a_missing_one(
    make_user: Any, method: str, body: dict[str, Any] | None
) -> None:
    owner, intruder = make_user(), make_user()
    e = entry(owner, notes="private")
    r = intruder.api(method, f"/api/entries/{e['id']}", json=body)
    missing = intruder.api(method, "/api/entries/987654321", json=body)
    assert r.status_code == missing.status_code == 404
    assert r.json() == missing.json() == NOT_FOUND
    assert owner.api("GET", f"/api/entries/{e['id']}").json() == e
