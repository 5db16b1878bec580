"""The live timer through the JSON API (CONTRACT sections 2 and 3)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from app.db.models import TimeEntry
from tests.integration.helpers import db_scalar

TIMER_KEYS = {"id", "project_id", "project_name", "task_id", "task_name", "start_time", "elapsed_seconds", "notes",
              "billable"}


def running_count(settings: Any, user_id: int) -> int:
    return int(db_scalar(settings, select(func.count()).select_from(TimeEntry).where(
        TimeEntry.user_id == user_id, TimeEntry.end_time.is_(None))))


def test_status_without_a_running_timer_is_null(user: Any) -> None:
    r = user.api("GET", "/api/timer")
    assert r.status_code == 200
    assert r.json() == {"active_timer": None}


def test_start_returns_201_with_the_timer_in_the_users_offset(make_user: Any) -> None:
    u = make_user(timezone="Asia/Kolkata")
    p = u.api("POST", "/api/projects", json={"name": "Focus", "billable": True}).json()
    t = u.api("POST", "/api/tasks", json={"project_id": p["id"], "name": "Review"}).json()
    before = datetime.now(UTC).replace(microsecond=0)
    r = u.api("POST", "/api/timer/start", json={"project_id": p["id"], "task_id": t["id"], "notes": "PR 42"})
    after = datetime.now(UTC)
    assert r.status_code == 201
    body = r.json()
    assert set(body) == TIMER_KEYS
    assert {k: body[k] for k in ("project_id", "project_name", "task_id", "task_name", "notes", "billable")} == {
        "project_id": p["id"], "project_name": "Focus", "task_id": t["id"], "task_name": "Review", "notes": "PR 42",
        "billable": True,
    }
    start = datetime.fromisoformat(body["start_time"])
    assert start.utcoffset() == timedelta(hours=5, minutes=30)
    assert before <= start <= after
    assert body["elapsed_seconds"] in (0, 1)


def test_start_without_a_body_starts_a_plain_timer(user: Any) -> None:
    r = user.api("POST", "/api/timer/start")
    assert r.status_code == 201
    assert (r.json()["project_id"], r.json()["notes"], r.json()["billable"]) == (None, "", False)


def test_a_second_start_is_409_and_keeps_the_first_timer(user: Any, settings: Any) -> None:
    first = user.api("POST", "/api/timer/start", json={"notes": "first"}).json()
    r = user.api("POST", "/api/timer/start", json={"notes": "second"})
    assert r.status_code == 409
    assert r.json() == {"ok": False, "error": "a timer is already running"}
    active = user.api("GET", "/api/timer").json()["active_timer"]
    assert (active["id"], active["notes"]) == (first["id"], "first")
    assert running_count(settings, user.id) == 1


def test_status_reports_the_running_timer(user: Any) -> None:
    started = user.api("POST", "/api/timer/start", json={"notes": "reading"}).json()
    r = user.api("GET", "/api/timer")
    assert r.status_code == 200
    active = r.json()["active_timer"]
    assert {k: active[k] for k in ("id", "start_time", "notes")} == {
        "id": started["id"], "start_time": started["start_time"], "notes": "reading"}
    assert active["elapsed_seconds"] >= 0


def test_stop_returns_200_with_the_completed_entry(user: Any) -> None:
    started = user.api("POST", "/api/timer/start", json={"notes": "writing"}).json()
    end = datetime.fromisoformat(started["start_time"]) + timedelta(seconds=90)
    r = user.api("POST", "/api/timer/stop", json={"end_time": end.isoformat()})
    assert r.status_code == 200
    body = r.json()
    assert body == {
        "id": started["id"], "project_id": None, "project_name": None, "task_id": None,
        "start_time": started["start_time"], "end_time": end.astimezone(UTC).isoformat(),
        "duration_seconds": 90, "billable": False, "notes": "writing", "outcome": "", "tags": [],
    }
    assert user.api("GET", "/api/timer").json() == {"active_timer": None}
    assert user.api("GET", f"/api/entries/{started['id']}").json() == body


def test_stop_without_a_body_ends_the_timer_now(user: Any) -> None:
    started = user.api("POST", "/api/timer/start").json()
    # A stop in the same second as the start would be a zero-length entry (refused).
    start = datetime.fromisoformat(started["start_time"])
    while datetime.now(UTC) <= start + timedelta(seconds=1):
        threading.Event().wait(0.05)
    r = user.api("POST", "/api/timer/stop")
    assert r.status_code == 200
    end = datetime.fromisoformat(r.json()["end_time"])
    assert start < end <= datetime.now(UTC)
    assert r.json()["duration_seconds"] >= 1


def test_stop_with_an_end_before_the_start_is_400_and_the_timer_keeps_running(user: Any) -> None:
    started = user.api("POST", "/api/timer/start").json()
    before = (datetime.fromisoformat(started["start_time"]) - timedelta(minutes=1)).isoformat()
    r = user.api("POST", "/api/timer/stop", json={"end_time": before})
    assert r.status_code == 400
    assert r.json() == {"ok": False, "error": "end_time: End must be after the timer's start"}
    assert user.api("GET", "/api/timer").json()["active_timer"]["id"] == started["id"]


def test_stop_with_a_naive_end_time_is_400(user: Any) -> None:
    user.api("POST", "/api/timer/start")
    r = user.api("POST", "/api/timer/stop", json={"end_time": "2026-11-21T10:00:00"})
    assert r.status_code == 400
    assert r.json() == {"ok": False,
                        "error": "end_time: must carry a UTC offset (RFC 3339, e.g. 2026-03-11T09:00:00+01:00)"}
    assert user.api("GET", "/api/timer").json()["active_timer"] is not None


def test_stop_with_an_end_more_than_5_minutes_ahead_is_400(user: Any) -> None:
    user.api("POST", "/api/timer/start")
    end = (datetime.now(UTC) + timedelta(minutes=6)).isoformat()
    r = user.api("POST", "/api/timer/stop", json={"end_time": end})
    assert r.status_code == 400
    assert r.json() == {"ok": False, "error": "end_time: End cannot be more than 5 minutes in the future"}


def test_stop_when_no_timer_runs_is_409(user: Any) -> None:
    r = user.api("POST", "/api/timer/stop")
    assert r.status_code == 409
    assert r.json() == {"ok": False, "error": "no timer is running"}


def test_start_with_another_users_project_is_400_naming_project_id(make_user: Any, settings: Any) -> None:
    owner, intruder = make_user(), make_user()
    p = owner.api("POST", "/api/projects", json={"name": "Theirs"}).json()
    r = intruder.api("POST", "/api/timer/start", json={"project_id": p["id"]})
    assert r.status_code == 400
    assert r.json() == {"ok": False, "error": "project_id: That project does not exist"}
    assert running_count(settings, intruder.id) == 0


def test_start_with_notes_over_2000_characters_is_400(user: Any, settings: Any) -> None:
    r = user.api("POST", "/api/timer/start", json={"notes": "n" * 2001})
    assert r.status_code == 400
    assert r.json() == {"ok": False, "error": "notes: Notes must be at most 2000 characters"}
    assert running_count(settings, user.id) == 0


def test_timers_of_different_users_are_independent(make_user: Any) -> None:
    a, b = make_user(), make_user()
    assert a.api("POST", "/api/timer/start").status_code == 201
    assert b.api("POST", "/api/timer/start").status_code == 201
    assert b.api("GET", "/api/timer").json()["active_timer"]["id"] != a.api("GET", "/api/timer").json()[
        "active_timer"]["id"]


def test_fifty_concurrent_starts_leave_exactly_one_running_timer(
    user: Any, settings: Any, new_client: Any
) -> None:
    clients = [new_client() for _ in range(50)]
    barrier = threading.Barrier(50)

    def start(c: Any) -> int:
        barrier.wait()
        return int(c.post("/api/timer/start", headers=user.bearer).status_code)

    with ThreadPoolExecutor(max_workers=50) as pool:
        statuses = list(pool.map(start, clients))

    assert sorted(statuses) == [201] + [409] * 49
    assert running_count(settings, user.id) == 1
    assert user.api("GET", "/api/timer").json()["active_timer"] is not None


def test_stop_warns_of_an_overlap_and_of_a_long_entry(user: Any) -> None:
    """A completed timer is a created entry: overlaps and entries over 12 hours are saved,
    never silent (CONTRACT section 2) — the stop answer carries the warnings."""
    now = datetime.now(UTC).replace(microsecond=0)
    start = now - timedelta(hours=13)
    started = user.api("POST", "/api/timer/start", json={"start_time": start.isoformat()})
    assert started.status_code == 201, started.text
    other = user.api("POST", "/api/entries", json={
        "start_time": (now - timedelta(hours=2)).isoformat(), "end_time": (now - timedelta(hours=1)).isoformat(),
    })
    assert other.status_code == 201, other.text
    r = user.api("POST", "/api/timer/stop", json={"end_time": now.isoformat()})
    assert r.status_code == 200
    assert r.json()["warnings"] == [{"kind": "overlap", "entry_id": other.json()["id"]}, {"kind": "long"}]
    assert r.json()["duration_seconds"] == 13 * 3600
    # (A short stop that overlaps nothing has no `warnings` key: the test of the plain stop above.)

