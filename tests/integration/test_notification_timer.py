"""Idle time and the forgotten timer (CONTRACT section 8): `POST /api/timer/idle` for each
action and its validation, the long-timer notice's actions on /notifications without
JavaScript, the settings section on /settings, and the minute sweep deriving the same
notices as the poll, once."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, update

from app.db.models import TimeEntry
from app.domain.notifications.config import NotifyConfig
from app.domain.notifications.sweep import sweep_once
from app.lib import clock
from tests.integration.helpers import db_all, db_run


@pytest.fixture()
def pin() -> Iterator[Any]:
    yield clock.pin
    clock.pin(None)


def timer_since(settings: Any, u: Any, minutes: int, **body: Any) -> dict[str, Any]:
    """A running timer started `minutes` ago (the start moved back in the database)."""
    r = u.api("POST", "/api/timer/start", json=body)
    assert r.status_code == 201, r.text
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=minutes)

    async def backdate(db: Any) -> None:
        await db.execute(update(TimeEntry).where(TimeEntry.user_id == u.id, TimeEntry.end_time.is_(None))
                         .values(start_time=start))

    db_run(settings, backdate)
    return {**r.json(), "start": start}


def entries(settings: Any, user_id: int) -> list[Any]:
    return db_all(settings, select(TimeEntry.start_time, TimeEntry.end_time, TimeEntry.project_id, TimeEntry.task_id,
                                   TimeEntry.notes, TimeEntry.billable)
                  .where(TimeEntry.user_id == user_id).order_by(TimeEntry.start_time))


def idle(u: Any, since: datetime, action: str) -> Any:
    return u.api("POST", "/api/timer/idle", json={"idle_since": since.isoformat(), "action": action})


def test_idle_keep_changes_nothing(settings: Any, user: Any) -> None:
    t = timer_since(settings, user, 60)
    r = idle(user, t["start"] + timedelta(minutes=20), "keep")
    assert r.status_code == 200, r.text
    assert r.json() == {"action": "keep", "stopped_entry_id": None, "active_timer_id": t["id"]}
    assert [row[1] for row in entries(settings, user.id)] == [None]


def test_idle_discard_stop_stops_at_idle_since(settings: Any, user: Any) -> None:
    t = timer_since(settings, user, 60)
    since = t["start"] + timedelta(minutes=20)
    r = idle(user, since, "discard_stop")
    assert r.status_code == 200, r.text
    assert r.json()["active_timer_id"] is None and r.json()["stopped_entry_id"] == t["id"]
    assert [(row[0], row[1]) for row in entries(settings, user.id)] == [(t["start"], since)]
    assert user.api("GET", "/api/timer").json() == {"active_timer": None}


def test_idle_discard_continue_stops_there_and_starts_a_copy_now(settings: Any, make_user: Any) -> None:
    u = make_user()
    project = u.api("POST", "/api/projects", json={"name": "Deep", "billable": True}).json()
    task = u.api("POST", "/api/tasks", json={"project_id": project["id"], "name": "Write"}).json()
    t = timer_since(settings, u, 90, project_id=project["id"], task_id=task["id"], notes="chapter 3", billable=False)
    since = t["start"] + timedelta(minutes=30)
    before = datetime.now(UTC).replace(microsecond=0)
    r = idle(u, since, "discard_continue")
    assert r.status_code == 200, r.text
    rows = entries(settings, u.id)
    assert len(rows) == 2
    assert rows[0] == (t["start"], since, project["id"], task["id"], "chapter 3", False)
    assert rows[1][1] is None and rows[1][0] >= before
    assert rows[1][2:] == (project["id"], task["id"], "chapter 3", False)
    assert r.json()["active_timer_id"] != t["id"]


def test_idle_since_the_start_discards_the_whole_timer(settings: Any, user: Any) -> None:
    t = timer_since(settings, user, 30)
    assert idle(user, t["start"], "discard_stop").status_code == 200
    assert entries(settings, user.id) == []


@pytest.mark.parametrize("case", ["future", "before-start", "bad-action", "naive"])
def test_idle_validation_is_422_naming_the_field(settings: Any, user: Any, case: str) -> None:
    t = timer_since(settings, user, 30)
    since = {"future": datetime.now(UTC) + timedelta(minutes=10),
             "before-start": t["start"] - timedelta(seconds=1)}.get(case, t["start"] + timedelta(minutes=5))
    body = {"idle_since": since.isoformat(), "action": "bad" if case == "bad-action" else "discard_stop"}
    if case == "naive":
        body["idle_since"] = since.replace(tzinfo=None).isoformat()
    r = user.api("POST", "/api/timer/idle", json=body)
    assert r.status_code == 422, r.text
    assert ("action" if case == "bad-action" else "idle_since") in r.json()["error"]
    assert [row[1] for row in entries(settings, user.id)] == [None]  # nothing written


def test_idle_without_a_running_timer_is_409(user: Any) -> None:
    r = idle(user, datetime.now(UTC) - timedelta(minutes=5), "keep")
    assert r.status_code == 409 and r.json()["ok"] is False


# ------------------------------------------------------------------ the long-timer notice, without JavaScript


def _form(u: Any, url: str, data: dict[str, str] | None = None) -> Any:
    return u.client.post(url, data={**(data or {}), "_csrf_token": u.csrf["X-CSRF-Token"]}, follow_redirects=False)


def test_long_timer_notice_offers_stop_now_stop_at_and_keep_going(settings: Any, make_user: Any) -> None:
    u = make_user(timezone="Europe/Berlin")
    t = timer_since(settings, u, 9 * 60)
    page = u.client.get("/notifications")
    assert page.status_code == 200
    assert "has been running for 8 h" in page.text
    assert f'action="/notifications/timer/{t["id"]}/stop"' in page.text
    assert "Stop now" in page.text and "Stop at this time" in page.text and "Keep going" in page.text
    # Stop at a local time (Berlin) an hour after the start.
    start_local = t["start"].astimezone(ZoneInfo("Europe/Berlin"))
    end_local = (start_local + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    r = _form(u, f"/notifications/timer/{t['id']}/stop", {"end_time": end_local})
    assert r.status_code == 303 and r.headers["location"] == "/notifications?done=stopped"
    assert entries(settings, u.id)[0][1] == (t["start"] + timedelta(hours=1)).replace(second=0)
    # The timer no longer runs: another stop says so instead of failing.
    r = _form(u, f"/notifications/timer/{t['id']}/stop")
    assert r.headers["location"] == "/notifications?done=not-running"


def test_mark_read_and_mark_all_read_without_javascript(settings: Any, make_user: Any) -> None:
    u = make_user()
    quiet = {"daily_summary": False, "daily_reminder": False}
    assert u.api("PATCH", "/api/me/notifications", json=quiet).status_code == 200
    timer_since(settings, u, 9 * 60)
    items = u.api("GET", "/api/notifications").json()["items"]
    assert len(items) == 1
    assert _form(u, f"/notifications/{items[0]['id']}/read").status_code == 303
    assert u.api("GET", "/api/notifications").json()["unread"] == 0
    assert _form(u, "/notifications/read-all").headers["location"] == "/notifications?done=all-read"
    bell = u.client.get("/notifications/bell")
    assert bell.status_code == 200 and 'data-unread="0"' in bell.text
    assert 'data-bell-poll="60"' in bell.text  # a timer runs: poll every minute


def test_settings_section_on_the_settings_page_saves_without_javascript(make_user: Any) -> None:
    u = make_user()
    page = u.client.get("/settings")
    assert page.status_code == 200
    assert 'action="/settings/notifications"' in page.text and 'name="reminder_time"' in page.text
    data = {"long_timer": "on", "long_timer_hours": "6", "reminder_time": "09:15", "summary_time": "17:30",
            "idle_minutes": "0", "daily_summary": "on", "next": "/settings?saved=1#notifications"}
    r = _form(u, "/settings/notifications", data)
    assert r.status_code == 303 and r.headers["location"] == "/settings?saved=1#notifications"
    body = u.api("GET", "/api/me/notifications").json()
    assert body["long_timer_hours"] == 6 and body["reminder_time"] == "09:15" and body["idle_minutes"] == 0
    assert body["daily_reminder"] is False and body["daily_summary"] is True and body["email"] is False
    bad = _form(u, "/settings/notifications", {**data, "reminder_time": "9 am"})
    assert bad.status_code == 422 and "reminder_time" in bad.text


def test_the_sweep_derives_what_the_poll_would_once(app: Any, portal: Any, settings: Any, make_user: Any,
                                                    pin: Any) -> None:
    u = make_user()
    t = timer_since(settings, u, 7 * 60)
    due = t["start"] + timedelta(hours=8)
    cfg = NotifyConfig(sweep_seconds=0)

    def sweep(now: datetime) -> None:
        portal.call(sweep_once, app.state["sessionmaker"], cfg, "UTC", now)

    sweep(due - timedelta(microseconds=1))
    assert [n for n in u.api("GET", "/api/notifications").json()["items"] if n["kind"] == "long_timer"] == []
    pin(due)
    sweep(due)
    sweep(due)
    u.client.get("/notifications/bell")
    found = [n for n in u.api("GET", "/api/notifications").json()["items"] if n["kind"] == "long_timer"]
    assert len(found) == 1


def test_the_bell_polls_again_when_the_next_notice_becomes_due(settings: Any, make_user: Any, pin: Any) -> None:
    u = make_user()
    quiet = {"daily_summary": False, "daily_reminder": False, "long_timer_hours": 8}
    assert u.api("PATCH", "/api/me/notifications", json=quiet).status_code == 200
    t = timer_since(settings, u, 60)
    pin(t["start"] + timedelta(hours=8) - timedelta(seconds=30))
    bell = u.client.get("/notifications/bell")
    assert 'data-bell-poll="31"' in bell.text  # not 60: the long-timer line is 30 s away
    pin(t["start"] + timedelta(hours=8))
    assert 'data-unread="1"' in u.client.get("/notifications/bell").text
