"""Budgets on projects and estimates on tasks through the API and the plain HTML forms
(issue 11, CONTRACT section 9; the fields and their bounds: docs/planning.md "Fields").

Every violation is a 400 (API) or a 422 re-render (form) naming the field, and nothing is
written; another user's project or task is a 404 on every route.
"""

from __future__ import annotations

import html
from datetime import UTC, datetime, time, timedelta
from typing import Any

import pytest

from tests.support import UserCtx


def post(u: UserCtx, url: str, data: dict[str, Any] | None = None) -> Any:
    """A plain HTML form post, as a browser without JavaScript sends it."""
    body = {**(data or {}), "_csrf_token": u.csrf["X-CSRF-Token"]}
    return u.client.post(url, data=body, follow_redirects=False)


def make_project(u: UserCtx, name: str = "Atlas", **body: Any) -> dict[str, Any]:
    r = u.api("POST", "/api/projects", json={"name": name, **body})
    assert r.status_code == 201, r.text
    return r.json()  # type: ignore[no-any-return]


def make_task(u: UserCtx, project_id: int, name: str = "Draft", **body: Any) -> dict[str, Any]:
    r = u.api("POST", "/api/tasks", json={"project_id": project_id, "name": name, **body})
    assert r.status_code == 201, r.text
    return r.json()  # type: ignore[no-any-return]


BUDGET = {
    "budget_hours": 120.5,
    "budget_period": "monthly",
    "hourly_rate": 85,
    "due_date": "2026-09-30",
    "budget_alerts": [100, 50, 80],
}

# (body, the error) — each refused with nothing written.
PROJECT_ERRORS = [
    ({"budget_hours": 0}, "budget_hours: must be greater than 0 (or empty for no budget)"),
    ({"budget_hours": -3}, "budget_hours: must be greater than 0 (or empty for no budget)"),
    ({"budget_hours": 1e300}, "budget_hours: must be at most 1000000"),
    ({"budget_period": "weekly"}, "budget_period: must be total or monthly"),
    ({"budget_period": ""}, "budget_period: must be total or monthly"),
    ({"hourly_rate": -0.01}, "hourly_rate: must be 0 or more (or empty for no rate)"),
    ({"due_date": "2026-02-30"}, "due_date: must be a date YYYY-MM-DD"),
    ({"due_date": "30/09/2026"}, "due_date: must be a date YYYY-MM-DD"),
    ({"due_date": "20260930"}, "due_date: must be a date YYYY-MM-DD"),
    ({"budget_alerts": []}, "budget_alerts: must be 1 to 5 whole numbers from 1 to 1000 (percent of the budget)"),
    ({"budget_alerts": [10, 20, 30, 40, 50, 60]},
     "budget_alerts: must be 1 to 5 whole numbers from 1 to 1000 (percent of the budget)"),
    ({"budget_alerts": [0, 80]}, "budget_alerts: must be 1 to 5 whole numbers from 1 to 1000 (percent of the budget)"),
    ({"budget_alerts": [80, 1001]},
     "budget_alerts: must be 1 to 5 whole numbers from 1 to 1000 (percent of the budget)"),
]


# ---------------------------------------------------------------- projects: API


def test_project_budget_round_trips_through_post_get_patch_and_list(user: UserCtx) -> None:
    p = make_project(user, **BUDGET)
    expected = {**BUDGET, "hourly_rate": 85.0, "budget_alerts": [50, 80, 100]}
    assert {k: p[k] for k in BUDGET} == expected
    assert {k: user.api("GET", f"/api/projects/{p['id']}").json()[k] for k in BUDGET} == expected
    listed = next(x for x in user.api("GET", "/api/projects").json() if x["id"] == p["id"])
    assert {k: listed[k] for k in BUDGET} == expected

    r = user.api("PATCH", f"/api/projects/{p['id']}", json={"budget_period": "total", "hourly_rate": 0})
    assert r.status_code == 200, r.text
    assert (r.json()["budget_period"], r.json()["hourly_rate"], r.json()["budget_hours"]) == ("total", 0.0, 120.5)

    # null clears the optional fields; the forecast follows at once.
    r = user.api("PATCH", f"/api/projects/{p['id']}",
                 json={"budget_hours": None, "hourly_rate": None, "due_date": None})
    assert r.status_code == 200, r.text
    assert (r.json()["budget_hours"], r.json()["hourly_rate"], r.json()["due_date"]) == (None, None, None)
    assert user.api("GET", f"/api/projects/{p['id']}/forecast").json()["status"] == "no_budget"


def test_a_new_project_without_budget_fields_gets_the_defaults(user: UserCtx) -> None:
    p = make_project(user)
    assert {k: p[k] for k in BUDGET} == {
        "budget_hours": None, "budget_period": "total", "hourly_rate": None, "due_date": None,
        "budget_alerts": [80, 100],
    }


@pytest.mark.parametrize(("body", "error"), PROJECT_ERRORS)
def test_project_create_refuses_each_bad_budget_field(user: UserCtx, body: dict[str, Any], error: str) -> None:
    r = user.api("POST", "/api/projects", json={"name": "Refused", **body})
    assert r.status_code == 400, r.text
    assert r.json() == {"ok": False, "error": error}
    assert user.api("GET", "/api/projects").json() == []


@pytest.mark.parametrize(("body", "error"), PROJECT_ERRORS)
def test_project_patch_refuses_each_bad_budget_field(user: UserCtx, body: dict[str, Any], error: str) -> None:
    p = make_project(user, **BUDGET)
    r = user.api("PATCH", f"/api/projects/{p['id']}", json={"name": "Renamed", **body})
    assert r.status_code == 400, r.text
    assert r.json() == {"ok": False, "error": error}
    after = user.api("GET", f"/api/projects/{p['id']}").json()
    assert after["name"] == "Atlas"  # nothing of the refused change was written
    assert {k: after[k] for k in BUDGET} == {k: p[k] for k in BUDGET}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"budget_hours": "ten"}, "budget_hours"),
        ({"budget_hours": True}, "budget_hours"),
        ({"hourly_rate": "fifty"}, "hourly_rate"),
        ({"budget_alerts": "80, 100"}, "budget_alerts"),
        ({"budget_alerts": [80.5]}, "budget_alerts"),
        ({"due_date": 20260930}, "due_date"),
    ],
)
def test_project_budget_fields_of_the_wrong_type_are_a_400_naming_the_field(
    user: UserCtx, body: dict[str, Any], field: str
) -> None:
    r = user.api("POST", "/api/projects", json={"name": "Typed", **body})
    assert r.status_code == 400, r.text
    assert r.json()["ok"] is False
    assert field in r.json()["error"]
    p = make_project(user)
    r = user.api("PATCH", f"/api/projects/{p['id']}", json=body)
    assert r.status_code == 400, r.text
    assert field in r.json()["error"]


def test_another_users_project_is_404_for_budget_changes(make_user: Any) -> None:
    owner, other = make_user(), make_user()
    p = make_project(owner, **BUDGET)
    r = other.api("PATCH", f"/api/projects/{p['id']}", json={"budget_hours": 5})
    assert r.status_code == 404
    assert r.json() == {"ok": False, "error": "project not found"}
    assert other.api("GET", f"/api/projects/{p['id']}").status_code == 404
    # the form is a 404 too, before any validation
    assert post(other, f"/projects/{p['id']}", {"name": "x", "budget_hours": "-1"}).status_code == 404
    assert owner.api("GET", f"/api/projects/{p['id']}").json()["budget_hours"] == 120.5


# ---------------------------------------------------------------- tasks: API

TASK_ERRORS = [
    ({"estimate_minutes": 0}, "estimate_minutes: must be greater than 0 (or empty for no estimate)"),
    ({"estimate_minutes": -30}, "estimate_minutes: must be greater than 0 (or empty for no estimate)"),
    ({"estimate_minutes": 1_000_001}, "estimate_minutes: must be at most 1000000"),
    ({"due_date": "2026-13-01"}, "due_date: must be a date YYYY-MM-DD"),
    ({"due_date": "tomorrow"}, "due_date: must be a date YYYY-MM-DD"),
]


def test_task_estimate_and_due_date_round_trip(user: UserCtx) -> None:
    p = make_project(user)
    t = make_task(user, p["id"], estimate_minutes=90, due_date="2026-04-01")
    assert (t["estimate_minutes"], t["due_date"]) == (90, "2026-04-01")
    listed = user.api("GET", "/api/tasks").json()
    assert [(x["estimate_minutes"], x["due_date"]) for x in listed] == [(90, "2026-04-01")]
    r = user.api("PATCH", f"/api/tasks/{t['id']}", json={"estimate_minutes": 45})
    assert r.status_code == 200, r.text
    assert (r.json()["estimate_minutes"], r.json()["due_date"]) == (45, "2026-04-01")
    r = user.api("PATCH", f"/api/tasks/{t['id']}", json={"estimate_minutes": None, "due_date": None})
    assert (r.json()["estimate_minutes"], r.json()["due_date"]) == (None, None)
    # the estimate route reads the user's own estimate
    make = user.api("PATCH", f"/api/tasks/{t['id']}", json={"estimate_minutes": 30})
    assert make.status_code == 200
    assert user.api("GET", f"/api/tasks/{t['id']}/estimate").json()["user_estimate_minutes"] == 30


@pytest.mark.parametrize(("body", "error"), TASK_ERRORS)
def test_task_create_and_patch_refuse_each_bad_field(user: UserCtx, body: dict[str, Any], error: str) -> None:
    p = make_project(user)
    r = user.api("POST", "/api/tasks", json={"project_id": p["id"], "name": "Refused", **body})
    assert r.status_code == 400, r.text
    assert r.json() == {"ok": False, "error": error}
    assert user.api("GET", "/api/tasks").json() == []
    t = make_task(user, p["id"], estimate_minutes=60, due_date="2026-04-01")
    r = user.api("PATCH", f"/api/tasks/{t['id']}", json={"name": "Renamed", **body})
    assert r.status_code == 400, r.text
    assert r.json() == {"ok": False, "error": error}
    after = user.api("GET", "/api/tasks").json()[0]
    assert (after["name"], after["estimate_minutes"], after["due_date"]) == ("Draft", 60, "2026-04-01")


@pytest.mark.parametrize("body", [{"estimate_minutes": 12.5}, {"estimate_minutes": "an hour"}, {"due_date": 1}])
def test_task_fields_of_the_wrong_type_are_a_400_naming_the_field(user: UserCtx, body: dict[str, Any]) -> None:
    p = make_project(user)
    r = user.api("POST", "/api/tasks", json={"project_id": p["id"], "name": "Typed", **body})
    assert r.status_code == 400, r.text
    assert next(iter(body)) in r.json()["error"]


def test_another_users_task_is_404_for_estimate_changes(make_user: Any) -> None:
    owner, other = make_user(), make_user()
    t = make_task(owner, make_project(owner)["id"], estimate_minutes=60)
    r = other.api("PATCH", f"/api/tasks/{t['id']}", json={"estimate_minutes": 5})
    assert r.status_code == 404
    assert r.json() == {"ok": False, "error": "task not found"}
    assert post(other, f"/tasks/{t['id']}", {"estimate_minutes": "-5"}).status_code == 404
    assert owner.api("GET", "/api/tasks").json()[0]["estimate_minutes"] == 60


# ---------------------------------------------------------------- the forms on /projects

FORM_BUDGET = {
    "budget_hours": "40",
    "budget_period": "total",
    "hourly_rate": "60.5",
    "due_date": "2026-10-01",
    "budget_alerts": "50, 90%, 100",
}

FORM_ERRORS = [
    ({"budget_hours": "0"}, "budget_hours", "must be greater than 0 (or empty for no budget)"),
    ({"budget_hours": "lots"}, "budget_hours", "must be a number"),
    ({"budget_hours": "inf"}, "budget_hours", "must be a finite number"),
    ({"budget_period": "yearly"}, "budget_period", "must be total or monthly"),
    ({"hourly_rate": "-5"}, "hourly_rate", "must be 0 or more (or empty for no rate)"),
    ({"due_date": "2026-02-29"}, "due_date", "must be a date YYYY-MM-DD"),
    ({"budget_alerts": ""}, "budget_alerts",
     "must be 1 to 5 whole numbers from 1 to 1000 (percent of the budget)"),
    ({"budget_alerts": "80, lots"}, "budget_alerts",
     "must be 1 to 5 whole numbers separated by commas, like 80, 100"),
    ({"budget_alerts": "0, 100"}, "budget_alerts",
     "must be 1 to 5 whole numbers from 1 to 1000 (percent of the budget)"),
]


def test_the_project_form_creates_a_budgeted_project(user: UserCtx) -> None:
    r = post(user, "/projects", {"name": "Form budget", "color": "#16a34a", **FORM_BUDGET})
    assert r.status_code == 303, r.text
    p = user.api("GET", "/api/projects").json()[0]
    assert {k: p[k] for k in BUDGET} == {
        "budget_hours": 40.0, "budget_period": "total", "hourly_rate": 60.5, "due_date": "2026-10-01",
        "budget_alerts": [50, 90, 100],
    }
    # the edit form shows the stored values, and empty boxes clear them
    page = html.unescape(user.browser().get("/projects").text)
    box = f'id="budget_hours-{p["id"]}" name="budget_hours" type="number" min="0" step="any" inputmode="decimal"'
    assert f'{box} value="40"' in page
    assert 'value="50, 90, 100"' in page
    r = post(user, f"/projects/{p['id']}", {"name": "Form budget", "color": "#16a34a", "budget_hours": "",
                                           "budget_period": "monthly", "hourly_rate": "", "due_date": "",
                                           "budget_alerts": "75"})
    assert r.status_code == 303, r.text
    p = user.api("GET", f"/api/projects/{p['id']}").json()
    assert {k: p[k] for k in BUDGET} == {
        "budget_hours": None, "budget_period": "monthly", "hourly_rate": None, "due_date": None,
        "budget_alerts": [75],
    }


def test_the_project_form_without_budget_boxes_keeps_the_budget(user: UserCtx) -> None:
    p = make_project(user, **BUDGET)
    r = post(user, f"/projects/{p['id']}", {"name": "Atlas 2", "color": "#16a34a"})
    assert r.status_code == 303
    after = user.api("GET", f"/api/projects/{p['id']}").json()
    assert after["name"] == "Atlas 2"
    assert {k: after[k] for k in BUDGET} == {k: p[k] for k in BUDGET}


@pytest.mark.parametrize(("data", "field", "message"), FORM_ERRORS)
def test_the_new_project_form_shows_each_error_at_its_field(
    user: UserCtx, data: dict[str, Any], field: str, message: str
) -> None:
    r = post(user, "/projects", {"name": "Refused", "color": "#16a34a", **{**FORM_BUDGET, **data}})
    assert r.status_code == 422
    page = html.unescape(r.text)
    assert f'<p class="field-error" id="{field}-error" role="alert">{message}</p>' in page
    assert f'id="{field}-new" name="{field}"' in page and "aria-invalid" in page
    assert 'value="Refused"' in page  # what was typed is kept
    assert user.api("GET", "/api/projects").json() == []


@pytest.mark.parametrize(("data", "field", "message"), FORM_ERRORS)
def test_the_project_edit_form_shows_each_error_and_keeps_the_values_typed(
    user: UserCtx, data: dict[str, Any], field: str, message: str
) -> None:
    p = make_project(user, **BUDGET)
    typed = {"name": "Atlas renamed", "color": "#16a34a", **{**FORM_BUDGET, **data}}
    r = post(user, f"/projects/{p['id']}", typed)
    assert r.status_code == 422
    page = html.unescape(r.text)
    # Above a multi-field form the error names its field in words (issue 9).
    from app.domain.tracking.validation import label

    assert f'<p class="field-error" role="alert">{label(field)}: {message}</p>' in page
    assert 'value="Atlas renamed"' in page
    assert f'id="{field}-{p["id"]}" name="{field}"' in page
    after = user.api("GET", f"/api/projects/{p['id']}").json()
    assert after["name"] == "Atlas"
    assert {k: after[k] for k in BUDGET} == {k: p[k] for k in BUDGET}


def test_the_task_forms_set_and_refuse_estimates_and_due_dates(user: UserCtx) -> None:
    p = make_project(user)
    r = post(user, "/tasks", {"project_id": str(p["id"]), "name": "Outline", "estimate_minutes": "90",
                              "due_date": "2026-05-04"})
    assert r.status_code == 303, r.text
    t = user.api("GET", "/api/tasks").json()[0]
    assert (t["name"], t["estimate_minutes"], t["due_date"]) == ("Outline", 90, "2026-05-04")
    page = html.unescape(user.browser().get("/projects").text)
    assert "est. 90 min" in page and "due 2026-05-04" in page

    for data, message in [
        ({"estimate_minutes": "0"}, "Estimate (minutes): must be greater than 0 (or empty for no estimate)"),
        ({"estimate_minutes": "1.5"}, "Estimate (minutes): must be a whole number"),
        ({"due_date": "05/04/2026"}, "Due date: must be a date YYYY-MM-DD"),
    ]:
        r = post(user, "/tasks", {"project_id": str(p["id"]), "name": "Refused", **data})
        assert r.status_code == 422, data
        page = html.unescape(r.text)
        assert message in page and 'value="Refused"' in page
        r = post(user, f"/tasks/{t['id']}", {"name": "Outline v2", **data})
        assert r.status_code == 422, data
        page = html.unescape(r.text)
        assert message in page and 'value="Outline v2"' in page
    assert [x["name"] for x in user.api("GET", "/api/tasks").json()] == ["Outline"]

    r = post(user, f"/tasks/{t['id']}", {"name": "Outline", "estimate_minutes": "", "due_date": "2026-06-01"})
    assert r.status_code == 303
    t = user.api("GET", "/api/tasks").json()[0]
    assert (t["estimate_minutes"], t["due_date"]) == (None, "2026-06-01")
    # the status toggle alone leaves the estimate alone
    assert post(user, f"/tasks/{t['id']}", {"status": "done"}).status_code == 303
    t = user.api("GET", "/api/tasks").json()[0]
    assert (t["status"], t["due_date"]) == ("done", "2026-06-01")


# ---------------------------------------------------------------- the Projects list's badges


def test_the_projects_list_links_each_project_and_shows_its_status(user: UserCtx) -> None:
    assert user.api("PATCH", "/api/me", json={"working_days": [1, 2, 3, 4, 5, 6, 7]}).status_code == 200
    plain = make_project(user, "Plain")
    over = make_project(user, "Over", budget_hours=1)
    risky = make_project(user, "Risky", budget_hours=10)  # no due date: at risk from 80 %
    fine = make_project(user, "Fine", budget_hours=100)
    yesterday = datetime.now(UTC).date() - timedelta(days=1)

    def entry(pid: int, hours: int) -> None:
        start = datetime.combine(yesterday, time(8), UTC)
        r = user.api("POST", "/api/entries", json={
            "project_id": pid, "start_time": start.isoformat(),
            "end_time": (start + timedelta(hours=hours)).isoformat()})
        assert r.status_code == 201, r.text

    entry(over["id"], 2)
    entry(risky["id"], 8)
    entry(fine["id"], 1)
    page = user.browser().get("/projects")
    assert page.status_code == 200
    for p, status in ((plain, "no_budget"), (over, "over"), (risky, "at_risk"), (fine, "on_track")):
        assert f'<a href="/projects/{p["id"]}" class="project-link">{p["name"]}</a>' in page.text
        assert f'data-testid="project-status-{p["id"]}" data-status="{status}"' in page.text
        assert user.api("GET", f"/api/projects/{p['id']}/forecast").json()["status"] == status
