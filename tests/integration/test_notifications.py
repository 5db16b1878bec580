"""Notification kinds (CONTRACT section 8) with a pinned clock: each is due exactly at its
threshold and not a microsecond before, exists once however often it is polled, and can
be switched off. docs/notifications.md describes every rule."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from app.lib import clock

TINY = timedelta(microseconds=1)


@pytest.fixture()
def pin() -> Iterator[Any]:
    yield clock.pin
    clock.pin(None)


def past_working_day(back: int = 3) -> date:
    day = datetime.now(UTC).date() - timedelta(days=back)
    while day.isoweekday() > 5:
        day -= timedelta(days=1)
    return day


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)


def poll(u: Any) -> None:
    r = u.client.get("/notifications/bell")
    assert r.status_code == 200, r.text


def notices(u: Any, kind: str | None = None) -> list[dict[str, Any]]:
    r = u.api("GET", "/api/notifications")
    assert r.status_code == 200, r.text
    return [n for n in r.json()["items"] if kind is None or n["kind"] == kind]


def add_entry(u: Any, start: datetime, end: datetime, **extra: Any) -> dict[str, Any]:
    r = u.api("POST", "/api/entries", json={"start_time": start.isoformat(), "end_time": end.isoformat(), **extra})
    assert r.status_code == 201, r.text
    return r.json()  # type: ignore[no-any-return]


def switch(u: Any, **changes: Any) -> dict[str, Any]:
    r = u.api("PATCH", "/api/me/notifications", json=changes)
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


def only(u: Any, *kinds: str) -> None:
    """Switch every kind off except `kinds` (isolates one rule per test)."""
    all_kinds = ["long_timer", "daily_reminder", "daily_summary", "goal_achieved", "goal_exceeded",
                 "streak_milestone", "budget_threshold"]
    switch(u, **{k: k in kinds for k in all_kinds})


# ------------------------------------------------------------------ settings


def test_settings_defaults_and_patch(user: Any) -> None:
    r = user.api("GET", "/api/me/notifications")
    assert r.status_code == 200
    body = r.json()
    assert body["long_timer_hours"] == 8 and body["reminder_time"] == "11:00" and body["summary_time"] == "18:00"
    assert body["idle_minutes"] == 10
    assert all(body[k] for k in ("long_timer", "daily_reminder", "daily_summary", "goal_achieved", "goal_exceeded",
                                 "streak_milestone", "budget_threshold"))
    assert switch(user, long_timer_hours=2.5, reminder_time="09:30", idle_minutes=0)["reminder_time"] == "09:30"
    again = user.api("GET", "/api/me/notifications").json()
    assert again["long_timer_hours"] == 2.5 and again["idle_minutes"] == 0 and again["summary_time"] == "18:00"


@pytest.mark.parametrize(
    ("field", "value"),
    [("long_timer_hours", 0), ("long_timer_hours", 500), ("reminder_time", "25:00"), ("summary_time", "6pm"),
     ("idle_minutes", -1), ("idle_minutes", 100000)],
)
def test_settings_validation_is_422_naming_the_field(user: Any, field: str, value: Any) -> None:
    r = user.api("PATCH", "/api/me/notifications", json={field: value})
    assert r.status_code == 422, r.text
    assert r.json()["ok"] is False and field in r.json()["error"]


# ------------------------------------------------------------------ kinds


def test_long_timer_due_exactly_at_the_threshold_once_per_timer(make_user: Any, pin: Any) -> None:
    u = make_user()
    only(u, "long_timer")
    switch(u, long_timer_hours=8)
    timer = u.api("POST", "/api/timer/start", json={}).json()
    start = datetime.fromisoformat(timer["start_time"])
    pin(start + timedelta(hours=8) - TINY)
    poll(u)
    assert notices(u, "long_timer") == []
    pin(start + timedelta(hours=8))
    for _ in range(3):
        poll(u)
    found = notices(u, "long_timer")
    assert len(found) == 1
    assert found[0]["title"].endswith("has been running for 8 h") and found[0]["read"] is False
    assert found[0]["action_url"] == f"/notifications#long-timer-{timer['id']}"  # its actions
    pin(start + timedelta(hours=9))
    poll(u)
    assert len(notices(u, "long_timer")) == 1


def test_daily_reminder_on_a_working_day_past_its_time_with_nothing_tracked(make_user: Any, pin: Any) -> None:
    u = make_user()
    only(u, "daily_reminder")
    day = past_working_day()
    pin(at(day, 11) - TINY)
    poll(u)
    assert notices(u, "daily_reminder") == []
    pin(at(day, 11))
    poll(u)
    poll(u)
    assert [n["title"] for n in notices(u, "daily_reminder")] == ["Nothing tracked yet today"]
    # Another user who tracked something that day gets none.
    v = make_user()
    only(v, "daily_reminder")
    add_entry(v, at(day, 8), at(day, 9))
    pin(at(day, 12))
    poll(v)
    assert notices(v, "daily_reminder") == []


def test_daily_reminder_not_on_a_non_working_day(make_user: Any, pin: Any) -> None:
    u = make_user()
    only(u, "daily_reminder")
    day = datetime.now(UTC).date() - timedelta(days=3)
    while day.isoweekday() != 6:
        day -= timedelta(days=1)
    pin(at(day, 15))
    poll(u)
    assert notices(u, "daily_reminder") == []


def test_daily_summary_past_its_time_with_hours_goal_and_top_project(make_user: Any, pin: Any) -> None:
    u = make_user()
    only(u, "daily_summary")
    day = past_working_day()
    project = u.api("POST", "/api/projects", json={"name": "Atlas"}).json()
    add_entry(u, at(day, 9), at(day, 11, 30), project_id=project["id"])
    add_entry(u, at(day, 13), at(day, 14))
    pin(at(day, 18) - TINY)
    poll(u)
    assert notices(u, "daily_summary") == []
    pin(at(day, 18))
    poll(u)
    poll(u)
    found = notices(u, "daily_summary")
    assert len(found) == 1
    assert found[0]["title"] == "Today: 3.5 h of your 8 h goal"
    assert "Top project: Atlas (2.5 h)" in found[0]["body"]


def test_goal_achieved_when_the_target_is_reached_exactly(make_user: Any, pin: Any) -> None:
    u = make_user()
    only(u, "goal_achieved")
    day = past_working_day()
    r = u.api("POST", "/api/goals", json={"name": "Two hours", "metric": "hours", "target": 2, "period": "daily"})
    assert r.status_code == 201, r.text
    pin(at(day, 20))
    add_entry(u, at(day, 9), at(day, 10, 59))
    poll(u)
    assert notices(u, "goal_achieved") == []
    add_entry(u, at(day, 10, 59), at(day, 11))
    poll(u)
    poll(u)
    found = notices(u, "goal_achieved")
    assert [n["title"] for n in found] == ["Goal achieved: Two hours"]
    assert found[0]["action_url"] == "/goals"


def test_goal_exceeded_once_the_limit_is_passed(make_user: Any, pin: Any) -> None:
    u = make_user()
    only(u, "goal_exceeded")
    day = past_working_day()
    body = {"name": "Meetings cap", "metric": "hours", "target": 1, "period": "daily", "direction": "at_most"}
    assert u.api("POST", "/api/goals", json=body).status_code == 201
    pin(at(day, 20))
    add_entry(u, at(day, 9), at(day, 10))
    poll(u)
    assert notices(u, "goal_exceeded") == []  # at the limit is within it
    add_entry(u, at(day, 10), at(day, 10, 1))
    poll(u)
    add_entry(u, at(day, 11), at(day, 11, 30))
    poll(u)
    assert [n["title"] for n in notices(u, "goal_exceeded")] == ["Limit passed: Meetings cap"]


def test_streak_milestone_at_seven_days(make_user: Any, pin: Any) -> None:
    u = make_user()
    only(u, "streak_milestone")
    last = datetime.now(UTC).date() - timedelta(days=2)
    days = [last - timedelta(days=i) for i in range(6, -1, -1)]
    for day in days[:6]:
        add_entry(u, at(day, 9), at(day, 10))
    pin(at(last, 20))
    poll(u)
    assert notices(u, "streak_milestone") == []  # 6 days
    add_entry(u, at(last, 9), at(last, 10))
    poll(u)
    pin(at(last + timedelta(days=1), 8))  # the next morning the streak still counts 7
    poll(u)
    assert [n["title"] for n in notices(u, "streak_milestone")] == ["7-day streak!"]


def test_budget_threshold_once_and_again_after_a_drop_and_a_new_crossing(make_user: Any, pin: Any) -> None:
    u = make_user()
    only(u, "budget_threshold")
    project = u.api("POST", "/api/projects", json={"name": "Fixed bid", "budget_hours": 10}).json()
    day = past_working_day(5)
    pin(at(datetime.now(UTC).date(), 0) + timedelta(hours=1))
    first = add_entry(u, at(day, 0), at(day, 7, 59), project_id=project["id"])
    poll(u)
    assert notices(u, "budget_threshold") == []
    second = add_entry(u, at(day, 7, 59), at(day, 8), project_id=project["id"])  # exactly 28,800 s = 80 %
    poll(u)
    poll(u)
    found = notices(u, "budget_threshold")
    assert [n["title"] for n in found] == ["Fixed bid reached 80 % of its budget"]
    assert found[0]["action_url"] == f"/projects/{project['id']}"
    # A drop below 80 % and a new crossing notify again; staying above does not.
    assert u.api("DELETE", f"/api/entries/{second['id']}").status_code == 204
    poll(u)
    add_entry(u, at(day, 7, 59), at(day, 8), project_id=project["id"])
    poll(u)
    add_entry(u, at(day, 9), at(day, 9, 30), project_id=project["id"])
    poll(u)
    assert len(notices(u, "budget_threshold")) == 2
    add_entry(u, at(day, 10), at(day, 12), project_id=project["id"])  # 10.5 h: 100 %
    poll(u)
    titles = [n["title"] for n in notices(u, "budget_threshold")]
    assert titles.count("Fixed bid reached 100 % of its budget") == 1
    assert first["id"]


def test_switched_off_kinds_never_appear(make_user: Any, pin: Any) -> None:
    u = make_user()
    only(u)
    day = past_working_day()
    add_entry(u, at(day, 9), at(day, 10))
    pin(at(day, 23))
    poll(u)
    assert notices(u) == []
    switch(u, daily_summary=True)
    poll(u)
    assert [n["kind"] for n in notices(u)] == ["daily_summary"]


# ------------------------------------------------------------------ reading


def test_list_mark_read_and_read_all(make_user: Any, pin: Any) -> None:
    u = make_user()
    only(u, "daily_reminder", "daily_summary")
    day = past_working_day(4)
    pin(at(day, 12))
    poll(u)  # the reminder: nothing tracked by 12:00
    add_entry(u, at(day, 13), at(day, 14))
    pin(at(day, 19))
    body = u.api("GET", "/api/notifications").json()
    assert body["unread"] == 2
    assert [n["kind"] for n in body["items"]] == ["daily_summary", "daily_reminder"]  # newest first
    assert set(body["items"][0]) == {"id", "kind", "title", "body", "created_at", "read", "action_url"}
    first = body["items"][0]["id"]
    r = u.api("POST", f"/api/notifications/{first}/read")
    assert r.status_code == 200 and r.json()["read"] is True
    assert u.api("GET", "/api/notifications").json()["unread"] == 1
    other = make_user()
    assert other.api("POST", f"/api/notifications/{first}/read").status_code == 404
    assert u.api("POST", "/api/notifications/read-all").status_code == 200
    assert u.api("GET", "/api/notifications").json()["unread"] == 0


def test_a_poll_with_nothing_due_costs_one_query(make_user: Any, count_queries: Any, pin: Any) -> None:
    u = make_user()
    day = past_working_day()
    pin(at(day, 9))
    poll(u)  # the first poll derives and records when to look again
    poll(u)
    count_queries.settle()
    before = count_queries.count
    poll(u)
    statements = count_queries.statements[before:]
    # One to authenticate the caller (every request), one for the bell.
    assert count_queries.count - before == 2, statements
