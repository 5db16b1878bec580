"""Goals through HTTP (issue 4): every /api/goals route, progress with exact values for each
metric, validation errors, ownership, target history, the stats payload and the /goals page.

Entries are placed in weeks that have ended (two weeks ago and last week), so every
verdict is final and the figures do not depend on the hour the suite runs.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select, update

from app.db.models import Goal, GoalTarget
from tests.integration.helpers import db_run, db_scalar
from tests.support import UserCtx

ZONE = "Europe/Berlin"
HOURS_GOAL = {"name": "Hours", "metric": "hours", "target": 10, "period": "weekly"}


# ---------------------------------------------------------------- helpers


def local_today(zone: str = ZONE) -> date:
    return datetime.now(UTC).astimezone(ZoneInfo(zone)).date()


def this_monday(zone: str = ZONE) -> date:
    today = local_today(zone)
    return today - timedelta(days=today.weekday())


def at(day: date, hour: int, minute: int = 0, zone: str = ZONE) -> datetime:
    return datetime.combine(day, time(hour, minute), ZoneInfo(zone))


def entry(user: UserCtx, start: datetime, end: datetime, **fields: Any) -> None:
    r = user.api("POST", "/api/entries", json={"start_time": start.isoformat(), "end_time": end.isoformat(),
                                                **fields})
    assert r.status_code == 201, r.text


def project(user: UserCtx, name: str) -> int:
    r = user.api("POST", "/api/projects", json={"name": name})
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


def create_goal(user: UserCtx, **body: Any) -> dict[str, Any]:
    r = user.api("POST", "/api/goals", json=body)
    assert r.status_code == 201, r.text
    return r.json()  # type: ignore[no-any-return]


def progress(user: UserCtx, day: date | None = None) -> list[dict[str, Any]]:
    params = {"date": day.isoformat()} if day else {}
    r = user.api("GET", "/api/goals/progress", params=params)
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


def figures(item: dict[str, Any]) -> tuple[Any, ...]:
    return (item["name"], item["period_start"], item["period_end"], item["target"], item["achieved"],
            item["percent"], item["status"])


def stats(user: UserCtx) -> dict[str, Any]:
    r = user.api("GET", "/api/productivity/stats")
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


# ---------------------------------------------------------------- CRUD


def test_create_returns_the_goal_with_its_current_target(make_user: Any) -> None:
    user = make_user(timezone=ZONE)
    pid = project(user, "Client")
    r = user.api("POST", "/api/goals", json={"name": "  Client time ", "metric": "hours", "target": 12.5,
                                              "period": "monthly", "direction": "at_most", "project_id": pid})
    assert r.status_code == 201, r.text
    goal = r.json()
    created = datetime.fromisoformat(goal.pop("created_at"))
    assert goal == {"id": goal["id"], "name": "Client time", "metric": "hours", "target": 12.5,
                    "period": "monthly", "direction": "at_most", "project_id": pid}
    assert created.utcoffset() == datetime.now(ZoneInfo(ZONE)).utcoffset()
    assert abs((datetime.now(UTC) - created).total_seconds()) < 60


def test_direction_defaults_to_at_least_and_project_to_none(make_user: Any) -> None:
    user = make_user(timezone=ZONE)
    goal = create_goal(user, **HOURS_GOAL)
    assert (goal["direction"], goal["project_id"]) == ("at_least", None)


def test_list_and_get_return_the_callers_goals(make_user: Any) -> None:
    user = make_user(timezone=ZONE)
    first = create_goal(user, **HOURS_GOAL)
    second = create_goal(user, name="Deep", metric="deep_sessions", target=3, period="daily")
    r = user.api("GET", "/api/goals")
    assert r.status_code == 200, r.text
    assert r.json() == [first, second]
    r = user.api("GET", f"/api/goals/{second['id']}")
    assert r.status_code == 200 and r.json() == second


def test_patch_changes_the_fields_given_and_keeps_the_others(make_user: Any) -> None:
    user = make_user(timezone=ZONE)
    pid = project(user, "Client")
    goal = create_goal(user, **HOURS_GOAL)
    r = user.api("PATCH", f"/api/goals/{goal['id']}", json={"name": "Client hours", "target": 15,
                                                             "project_id": pid, "direction": "at_most"})
    assert r.status_code == 200, r.text
    assert r.json() == {**goal, "name": "Client hours", "target": 15.0, "project_id": pid, "direction": "at_most"}
    r = user.api("PATCH", f"/api/goals/{goal['id']}", json={"project_id": None})
    assert r.status_code == 200 and r.json()["project_id"] is None
    assert user.api("GET", f"/api/goals/{goal['id']}").json() == {**r.json()}


def test_patch_of_metric_or_period_starts_a_new_target_history(make_user: Any, settings: Any) -> None:
    user = make_user(timezone=ZONE)
    goal = create_goal(user, **HOURS_GOAL)
    r = user.api("PATCH", f"/api/goals/{goal['id']}", json={"metric": "deep_sessions", "target": 4,
                                                             "period": "daily"})
    assert r.status_code == 200, r.text
    assert (r.json()["metric"], r.json()["period"], r.json()["target"]) == ("deep_sessions", "daily", 4.0)
    rows = db_scalar(settings, select(func.count()).select_from(GoalTarget).where(GoalTarget.goal_id == goal["id"]))
    assert rows == 1


def test_delete_removes_the_goal(make_user: Any, settings: Any) -> None:
    user = make_user(timezone=ZONE)
    goal = create_goal(user, **HOURS_GOAL)
    r = user.api("DELETE", f"/api/goals/{goal['id']}")
    assert r.status_code == 204, r.text
    assert user.api("GET", f"/api/goals/{goal['id']}").status_code == 404
    assert user.api("GET", "/api/goals").json() == []
    assert db_scalar(settings, select(func.count()).select_from(GoalTarget)
                     .where(GoalTarget.goal_id == goal["id"])) == 0


# ---------------------------------------------------------------- progress, exact values


def test_hours_and_billable_percent_progress_for_a_past_week(make_user: Any) -> None:
    user = make_user(timezone=ZONE)
    client = project(user, "Client")
    w0 = this_monday() - timedelta(days=14)
    entry(user, at(w0, 9), at(w0, 12, 30), project_id=client, billable=True)  # 3.5 h
    entry(user, at(w0 + timedelta(days=2), 10), at(w0 + timedelta(days=2), 11, 15), billable=False)  # 1.25 h
    # Sunday 23:00 to Monday 01:00: one hour in each week.
    entry(user, at(w0 + timedelta(days=6), 23), at(w0 + timedelta(days=7), 1), project_id=client, billable=True)
    create_goal(user, **HOURS_GOAL)
    create_goal(user, name="Client", metric="hours", target=4, period="weekly", project_id=client)
    create_goal(user, name="Short days", metric="hours", target=3, period="daily", direction="at_most")
    create_goal(user, name="Billable 80", metric="billable_percent", target=80, period="weekly")
    create_goal(user, name="Billable 75", metric="billable_percent", target=75, period="weekly")
    week = (w0.isoformat(), (w0 + timedelta(days=6)).isoformat())

    got = progress(user, w0)
    assert [figures(p) for p in got] == [
        ("Hours", *week, 10.0, 5.75, 58, "behind"),
        ("Client", *week, 4.0, 4.5, 113, "achieved"),
        ("Short days", w0.isoformat(), w0.isoformat(), 3.0, 3.5, 117, "exceeded"),
        ("Billable 80", *week, 80.0, 78.26, 98, "behind"),
        ("Billable 75", *week, 75.0, 78.26, 104, "achieved"),
    ]
    assert got[1]["project_id"] == client and got[2]["direction"] == "at_most"
    assert [(p["metric"], p["period"]) for p in got] == [
        ("hours", "weekly"), ("hours", "weekly"), ("hours", "daily"), ("billable_percent", "weekly"),
        ("billable_percent", "weekly")]

    wednesday = progress(user, w0 + timedelta(days=2))
    assert figures(wednesday[2])[3:] == (3.0, 1.25, 42, "within")
    next_week = progress(user, w0 + timedelta(days=7))
    assert [(p["achieved"], p["percent"], p["status"]) for p in next_week] == [
        (1.0, 10, "behind"), (1.0, 25, "behind"), (1.0, 33, "within"), (100.0, 125, "achieved"),
        (100.0, 133, "achieved")]


def test_deep_sessions_count_entries_of_at_least_50_minutes_starting_in_the_period(make_user: Any) -> None:
    user = make_user(timezone=ZONE)
    w0 = this_monday() - timedelta(days=14)
    tue = w0 + timedelta(days=1)
    for hour, minutes in ((8, 49), (10, 50), (12, 89), (15, 120)):
        entry(user, at(tue, hour), at(tue, hour) + timedelta(minutes=minutes))
    sunday = w0 + timedelta(days=6)
    entry(user, at(sunday, 23, 30), at(sunday, 23, 30) + timedelta(minutes=60))  # ends in the next week
    create_goal(user, name="Daily deep", metric="deep_sessions", target=2, period="daily")
    create_goal(user, name="Weekly deep", metric="deep_sessions", target=5, period="weekly")

    assert [figures(p)[3:] for p in progress(user, tue)] == [(2.0, 3.0, 150, "achieved"), (5.0, 4.0, 80, "behind")]
    assert [figures(p)[3:] for p in progress(user, w0 + timedelta(days=7))] == [
        (2.0, 0.0, 0, "behind"), (5.0, 0.0, 0, "behind")]


def test_tasks_completed_counts_tasks_marked_done_in_the_period(make_user: Any) -> None:
    user = make_user(timezone=ZONE)
    work, home = project(user, "Work"), project(user, "Home")
    tasks = [user.api("POST", "/api/tasks", json={"project_id": pid, "name": name}).json()
             for pid, name in ((work, "a"), (work, "b"), (home, "c"), (work, "d"))]
    create_goal(user, name="Done today", metric="tasks_completed", target=2, period="daily")
    create_goal(user, name="Work tasks", metric="tasks_completed", target=3, period="weekly", project_id=work)
    create_goal(user, name="At most one", metric="tasks_completed", target=1, period="monthly",
                direction="at_most")
    done_at: list[datetime] = []
    for task in tasks[:3]:
        r = user.api("PATCH", f"/api/tasks/{task['id']}", json={"status": "done"})
        assert r.status_code == 200, r.text
        assert r.json()["status"] == "done"
        done_at.append(datetime.fromisoformat(r.json()["completed_at"]))
    day = done_at[-1].astimezone(ZoneInfo(ZONE)).date()
    assert done_at[0].astimezone(ZoneInfo(ZONE)).date() == day

    got = progress(user, day)
    assert [(p["name"], p["target"], p["achieved"], p["percent"], p["status"]) for p in got[::2]] == [
        ("Done today", 2.0, 3.0, 150, "achieved"), ("At most one", 1.0, 3.0, 300, "exceeded")]
    assert (got[1]["achieved"], got[1]["percent"]) == (2.0, 67)

    assert user.api("PATCH", f"/api/tasks/{tasks[0]['id']}", json={"status": "todo"}).status_code == 200
    assert [p["achieved"] for p in progress(user, day)] == [2.0, 1.0, 2.0]
    assert [p["achieved"] for p in progress(user, day - timedelta(days=40))] == [0.0, 0.0, 0.0]


def test_progress_without_a_date_is_for_today(make_user: Any) -> None:
    user = make_user(timezone=ZONE)
    create_goal(user, name="Month", metric="hours", target=100, period="monthly", direction="at_most")
    [item] = progress(user)
    today = local_today()
    assert item["period_start"] == today.replace(day=1).isoformat()
    assert (item["achieved"], item["percent"], item["status"]) == (0.0, 0, "within")


def test_progress_with_an_invalid_date_is_400(make_user: Any) -> None:
    user = make_user(timezone=ZONE)
    for value in ("2026-02-30", "yesterday", "21.11.2026"):
        r = user.api("GET", "/api/goals/progress", params={"date": value})
        assert r.status_code == 400, r.text
        assert r.json() == {"ok": False, "error": "date: must be a date YYYY-MM-DD"}


def test_progress_of_a_user_without_goals_is_an_empty_list(make_user: Any) -> None:
    assert progress(make_user(timezone=ZONE)) == []


# ---------------------------------------------------------------- target history


def test_editing_a_target_keeps_the_target_of_earlier_periods(make_user: Any, settings: Any) -> None:
    user = make_user(timezone=ZONE)
    monday = this_monday()
    earlier = monday - timedelta(days=14)
    for offset in range(3):  # 12 hours in the earlier week
        day = earlier + timedelta(days=offset)
        entry(user, at(day, 8), at(day, 12))
    goal = create_goal(user, **HOURS_GOAL)

    async def created_weeks_ago(db: Any) -> None:
        await db.execute(update(GoalTarget).where(GoalTarget.goal_id == goal["id"])
                         .values(effective_from=monday - timedelta(days=21)))

    db_run(settings, created_weeks_ago)
    r = user.api("PATCH", f"/api/goals/{goal['id']}", json={"target": 20})
    assert r.status_code == 200, r.text
    assert r.json()["target"] == 20.0

    [past] = progress(user, earlier + timedelta(days=3))
    assert (past["target"], past["achieved"], past["percent"], past["status"]) == (10.0, 12.0, 120, "achieved")
    [now] = progress(user, local_today())
    assert (now["period_start"], now["target"]) == (monday.isoformat(), 20.0)
    assert user.api("GET", f"/api/goals/{goal['id']}").json()["target"] == 20.0
    history = db_run(settings, lambda db: _targets(db, goal["id"]))
    assert history == [(monday - timedelta(days=21), 10.0), (monday, 20.0)]

    r = user.api("PATCH", f"/api/goals/{goal['id']}", json={"target": 25})  # same period: replaced
    assert r.status_code == 200, r.text
    assert db_run(settings, lambda db: _targets(db, goal["id"])) == [(monday - timedelta(days=21), 10.0),
                                                                    (monday, 25.0)]
    assert progress(user, earlier)[0]["target"] == 10.0


async def _targets(db: Any, goal_id: int) -> list[tuple[date, float]]:
    rows = await db.execute(select(GoalTarget.effective_from, GoalTarget.target)
                            .where(GoalTarget.goal_id == goal_id).order_by(GoalTarget.effective_from))
    return [(d, float(t)) for d, t in rows]


# ---------------------------------------------------------------- the stats payload


def test_stats_payload_lists_the_goals_with_the_same_progress(make_user: Any) -> None:
    user = make_user(timezone=ZONE)
    pid = project(user, "Work")
    task = user.api("POST", "/api/tasks", json={"project_id": pid, "name": "t"}).json()
    assert user.api("PATCH", f"/api/tasks/{task['id']}", json={"status": "done"}).status_code == 200
    create_goal(user, name="Limit", metric="hours", target=5, period="weekly", direction="at_most")
    create_goal(user, name="One task", metric="tasks_completed", target=1, period="daily")
    payload = stats(user)
    assert payload["goals"] == progress(user)
    assert [(g["name"], g["status"]) for g in payload["goals"]] == [("Limit", "within"), ("One task", "achieved")]


def test_an_edit_shows_in_the_very_next_stats_call(make_user: Any) -> None:
    user = make_user(timezone=ZONE)
    goal = create_goal(user, name="Limit", metric="hours", target=5, period="weekly", direction="at_most")
    assert [g["target"] for g in stats(user)["goals"]] == [5.0]
    assert [g["target"] for g in stats(user)["goals"]] == [5.0]  # served from the cache
    assert user.api("PATCH", f"/api/goals/{goal['id']}", json={"target": 8, "name": "Cap"}).status_code == 200
    assert [(g["name"], g["target"]) for g in stats(user)["goals"]] == [("Cap", 8.0)]
    create_goal(user, name="Second", metric="deep_sessions", target=1, period="daily", direction="at_most")
    assert [g["name"] for g in stats(user)["goals"]] == ["Cap", "Second"]
    assert user.api("DELETE", f"/api/goals/{goal['id']}").status_code == 204
    assert [g["name"] for g in stats(user)["goals"]] == ["Second"]


# ---------------------------------------------------------------- validation


BASE = {"name": "G", "metric": "hours", "target": 5, "period": "weekly"}


@pytest.mark.parametrize(("body", "error"), [
    ({**BASE, "name": "   "}, "data: name: must not be blank"),
    ({**BASE, "name": ""}, "name: Expected `str` of length >= 1"),
    ({**BASE, "name": "x" * 121}, "name: Expected `str` of length <= 120"),
    ({k: v for k, v in BASE.items() if k != "name"}, "data: Object missing required field `name`"),
    ({**BASE, "metric": "lines"}, "metric: Invalid enum value 'lines'"),
    ({**BASE, "period": "yearly"}, "period: Invalid enum value 'yearly'"),
    ({**BASE, "direction": "around"}, "direction: Invalid enum value 'around'"),
    ({**BASE, "target": 0}, "target: Expected `float` > 0.0"),
    ({**BASE, "target": -3}, "target: Expected `float` > 0.0"),
    ({**BASE, "target": "five"}, "target: Expected `float`, got `str`"),
    ({**BASE, "metric": "billable_percent", "target": 100.5},
     "data: target: a billable_percent target must be at most 100"),
    ({**BASE, "metric": "tasks_completed", "target": 2.5},
     "data: target: a tasks_completed target must be a whole number"),
    ({**BASE, "metric": "deep_sessions", "target": 1.5},
     "data: target: a deep_sessions target must be a whole number"),
    ({**BASE, "colour": "red"}, "data: Object contains unknown field `colour`"),
    ({**BASE, "project_id": 2_000_000_000}, "project_id: no such project"),
])
def test_create_validation_errors_are_400_naming_the_field(
    make_user: Any, settings: Any, body: dict[str, Any], error: str
) -> None:
    user = make_user(timezone=ZONE)
    r = user.api("POST", "/api/goals", json=body)
    assert r.status_code == 400, r.text
    assert r.json() == {"ok": False, "error": error}
    assert db_scalar(settings, select(func.count()).select_from(Goal).where(Goal.user_id == user.id)) == 0


def test_a_goal_on_another_users_project_is_refused(make_user: Any, settings: Any) -> None:
    user, other = make_user(timezone=ZONE), make_user()
    theirs = project(other, "Theirs")
    r = user.api("POST", "/api/goals", json={**BASE, "project_id": theirs})
    assert r.status_code == 400 and r.json() == {"ok": False, "error": "project_id: no such project"}
    goal = create_goal(user, **BASE)
    r = user.api("PATCH", f"/api/goals/{goal['id']}", json={"project_id": theirs})
    assert r.status_code == 400 and r.json() == {"ok": False, "error": "project_id: no such project"}
    assert user.api("GET", f"/api/goals/{goal['id']}").json() == goal


@pytest.mark.parametrize(("create", "patch", "error"), [
    ({"metric": "billable_percent", "target": 50}, {"target": 150},
     "target: a billable_percent target must be at most 100"),
    ({"metric": "hours", "target": 2.5}, {"metric": "deep_sessions"},
     "target: a deep_sessions target must be a whole number"),
    ({}, {"target": 0}, "target: Expected `float` > 0.0"),
    ({}, {"name": " "}, "data: name: must not be blank"),
    ({}, {"period": "hourly"}, "period: Invalid enum value 'hourly'"),
    ({}, {"direction": "sideways"}, "direction: Invalid enum value 'sideways'"),
    ({}, {"foo": 1}, "data: Object contains unknown field `foo`"),
])
def test_patch_validation_errors_are_400_and_change_nothing(
    make_user: Any, create: dict[str, Any], patch: dict[str, Any], error: str
) -> None:
    user = make_user(timezone=ZONE)
    goal = create_goal(user, **{**BASE, **create})
    r = user.api("PATCH", f"/api/goals/{goal['id']}", json=patch)
    assert r.status_code == 400, r.text
    assert r.json() == {"ok": False, "error": error}
    assert user.api("GET", f"/api/goals/{goal['id']}").json() == goal


# ---------------------------------------------------------------- ownership and auth


def test_another_users_goal_is_404_everywhere(make_user: Any) -> None:
    owner, other = make_user(timezone=ZONE), make_user()
    goal = create_goal(owner, **HOURS_GOAL)
    not_found = {"ok": False, "error": "goal not found"}
    for method, body in (("GET", None), ("PATCH", {"target": 1}), ("DELETE", None)):
        r = other.api(method, f"/api/goals/{goal['id']}", json=body)
        assert r.status_code == 404, (method, r.text)
        assert r.json() == not_found
    assert other.api("GET", "/api/goals").json() == []
    assert progress(other) == []
    assert owner.api("GET", f"/api/goals/{goal['id']}").json() == goal
    r = owner.api("GET", "/api/goals/987654321")
    assert r.status_code == 404 and r.json() == not_found


@pytest.mark.parametrize(("method", "url"), [
    ("GET", "/api/goals"), ("POST", "/api/goals"), ("GET", "/api/goals/1"), ("PATCH", "/api/goals/1"),
    ("DELETE", "/api/goals/1"), ("GET", "/api/goals/progress"),
])
def test_goals_routes_need_authentication(anon_client: Any, method: str, url: str) -> None:
    r = anon_client.request(method, url, json=BASE if method in ("POST", "PATCH") else None)
    assert r.status_code == 401
    assert r.json() == {"ok": False, "error": "authentication required"}


# ---------------------------------------------------------------- the /goals page


def test_goals_page_form_creates_a_goal_with_a_plain_post(make_user: Any) -> None:
    user = make_user(timezone=ZONE)
    pid = project(user, "Client")
    r = user.client.post("/goals", data={"_csrf_token": user.csrf["X-CSRF-Token"], "name": "Weekly client",
                                         "metric": "hours", "target": "7.5", "period": "weekly",
                                         "direction": "at_most", "project_id": str(pid)},
                         follow_redirects=False)
    assert r.status_code == 303, r.text
    assert r.headers["location"] == "/goals"
    [goal] = user.api("GET", "/api/goals").json()
    assert (goal["name"], goal["metric"], goal["target"], goal["period"], goal["direction"], goal["project_id"]) == (
        "Weekly client", "hours", 7.5, "weekly", "at_most", pid)
    page = user.client.get("/goals")
    assert page.status_code == 200
    assert f'id="goal-{goal["id"]}"' in page.text and "Weekly client" in page.text
    assert "Within limit" in page.text


@pytest.mark.parametrize(("fields", "message"), [
    ({"name": ""}, "must be 1 to 120 characters"),
    ({"target": "lots"}, "must be a number"),
    ({"target": "0"}, "must be greater than 0"),
    ({"metric": "lines"}, "must be one of hours, tasks_completed, deep_sessions, billable_percent"),
    ({"period": "yearly"}, "must be one of daily, weekly, monthly"),
    ({"metric": "billable_percent", "target": "120"}, "a billable_percent target must be at most 100"),
    ({"project_id": "abc"}, "is not a valid choice"),
])
def test_goals_page_shows_validation_errors_with_422(
    make_user: Any, settings: Any, fields: dict[str, str], message: str
) -> None:
    user = make_user(timezone=ZONE)
    form = {"_csrf_token": user.csrf["X-CSRF-Token"], "name": "G", "metric": "hours", "target": "3",
            "period": "weekly", "direction": "at_least", **fields}
    r = user.client.post("/goals", data=form, follow_redirects=False)
    assert r.status_code == 422, r.text
    assert 'class="field-error"' in r.text and message in r.text
    assert 'id="goal-form"' in r.text
    assert db_scalar(settings, select(func.count()).select_from(Goal).where(Goal.user_id == user.id)) == 0


def test_goals_page_post_without_the_csrf_token_is_refused(make_user: Any, settings: Any) -> None:
    user = make_user(timezone=ZONE)
    r = user.client.post("/goals", data={"name": "G", "metric": "hours", "target": "3", "period": "weekly"},
                         follow_redirects=False)
    assert r.status_code == 403
    assert db_scalar(settings, select(func.count()).select_from(Goal).where(Goal.user_id == user.id)) == 0


def test_goals_page_edits_and_deletes_with_plain_posts(make_user: Any) -> None:
    user, other = make_user(timezone=ZONE), make_user()
    goal = create_goal(user, **HOURS_GOAL)
    token = {"_csrf_token": user.csrf["X-CSRF-Token"]}
    r = user.client.post(f"/goals/{goal['id']}", data={**token, "name": "Renamed", "target": "12"},
                         follow_redirects=False)
    assert (r.status_code, r.headers.get("location")) == (303, "/goals")
    got = user.api("GET", f"/api/goals/{goal['id']}").json()
    assert (got["name"], got["target"]) == ("Renamed", 12.0)
    r = user.client.post(f"/goals/{goal['id']}", data={**token, "target": "-1"}, follow_redirects=False)
    assert r.status_code == 422 and "Target: must be greater than 0" in r.text  # the field in words (issue 9)
    r = other.client.post(f"/goals/{goal['id']}/delete", data={"_csrf_token": other.csrf["X-CSRF-Token"]},
                          follow_redirects=False)
    assert r.status_code == 404
    r = user.client.post(f"/goals/{goal['id']}/delete", data=token, follow_redirects=False)
    assert (r.status_code, r.headers.get("location")) == (303, "/goals")
    assert user.api("GET", "/api/goals").json() == []
