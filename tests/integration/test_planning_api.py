"""Planning through HTTP (issue 11, CONTRACT section 9): the forecast and estimate routes,
ownership, the OpenAPI documentation and the project page without JavaScript.

The user works every day of the week, so the figures do not depend on the weekday the
suite runs on; every entry has ended before the test starts. Exact rules and hand
computations of every case are in tests/unit/test_planning_*.py and docs/planning.md.
"""

from __future__ import annotations

import re
import sqlite3
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import Project, Task, User
from tests.integration.helpers import db_run
from tests.support import UserCtx

EVERY_DAY = [1, 2, 3, 4, 5, 6, 7]


def today() -> date:
    return datetime.now(UTC).date()


def at(day: date, hour: int, minute: int = 0) -> str:
    return datetime.combine(day, time(hour, minute), UTC).isoformat()


def make_project(user: UserCtx, name: str = "Atlas") -> int:
    r = user.api("POST", "/api/projects", json={"name": name})
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


def add_entry(user: UserCtx, start: str, end: str, **fields: Any) -> None:
    r = user.api("POST", "/api/entries", json={"start_time": start, "end_time": end, **fields})
    assert r.status_code == 201, r.text


def set_budget(settings: Any, project_id: int, **values: Any) -> None:
    """Budget fields written straight to the database; the owner's data version moves as
    every write through the unit of work moves it (cached forecasts are keyed by it)."""

    async def work(db: AsyncSession) -> None:
        await db.execute(update(Project).where(Project.id == project_id).values(**values))
        owner = select(Project.user_id).where(Project.id == project_id).scalar_subquery()
        await db.execute(update(User).where(User.id == owner).values(data_version=User.data_version + 1))

    db_run(settings, work)


def every_day(user: UserCtx) -> None:
    r = user.api("PATCH", "/api/me", json={"working_days": EVERY_DAY})
    assert r.status_code == 200, r.text


def history(user: UserCtx, settings: Any) -> int:
    """31 h: 10 h 400 days ago (summed by the database) and 7 billable hours on each of the last 3 days."""
    every_day(user)
    pid = make_project(user)
    old = today() - timedelta(days=400)
    add_entry(user, at(old, 8), at(old, 18), project_id=pid)
    for back in (3, 2, 1):
        day = today() - timedelta(days=back)
        add_entry(user, at(day, 10), at(day, 17), project_id=pid, billable=True)
    set_budget(settings, pid, budget_hours=40, hourly_rate=60, due_date=today() + timedelta(days=10))
    return pid


def test_forecast_gives_every_figure(make_user: Any, settings: Any) -> None:
    user = make_user()
    pid = history(user, settings)
    r = user.api("GET", f"/api/projects/{pid}/forecast")
    assert r.status_code == 200, r.text
    # used 31 of 40 → 9 left, 77.5 → 78 %; burn 21 h / 28 working days = 0.75; 10 working days
    # to the due date → projected 31 + 7.5 = 38.5, required 9 / 10 = 0.9; exhaustion after
    # ceil(9 / 0.75) = 12 days (after the due date) → on track; billable 21 h × 60 = 1260.
    assert r.json() == {
        "project_id": pid,
        "budget_hours": 40.0,
        "budget_period": "total",
        "period_start": (today() - timedelta(days=400)).isoformat(),
        "period_end": (today() + timedelta(days=10)).isoformat(),
        "used_hours": 31.0,
        "remaining_hours": 9.0,
        "used_percent": 78,
        "burn_hours_per_working_day": 0.75,
        "required_hours_per_working_day": 0.9,
        "projected_exhaustion_date": (today() + timedelta(days=12)).isoformat(),
        "projected_hours_at_end": 38.5,
        "billable_amount": 1260.0,
        "status": "on_track",
    }


def test_forecast_of_a_monthly_budget_and_of_a_project_without_budget(make_user: Any, settings: Any) -> None:
    user = make_user()
    every_day(user)
    pid = make_project(user)
    r = user.api("GET", f"/api/projects/{pid}/forecast")
    assert r.status_code == 200
    body = r.json()
    assert (body["status"], body["used_hours"], body["budget_period"], body["period_start"]) == (
        "no_budget", None, "total", None)
    set_budget(settings, pid, budget_hours=10, budget_period="monthly")
    body = user.api("GET", f"/api/projects/{pid}/forecast").json()
    first = today().replace(day=1)
    assert (body["period_start"], body["used_hours"], body["status"]) == (first.isoformat(), 0.0, "on_track")


def test_forecast_and_estimate_of_another_users_objects_are_404(make_user: Any, settings: Any) -> None:
    owner, other = make_user(), make_user()
    pid = history(owner, settings)
    task = owner.api("POST", "/api/tasks", json={"project_id": pid, "name": "Mine"}).json()
    for url in (f"/api/projects/{pid}/forecast", f"/api/tasks/{task['id']}/estimate"):
        r = other.api("GET", url)
        assert r.status_code == 404, url
        assert r.json()["ok"] is False
    assert other.api("GET", "/api/projects/999999999/forecast").status_code == 404
    assert other.api("GET", "/api/tasks/99999999999999999999/estimate").status_code == 404
    assert other.browser().get(f"/projects/{pid}").status_code == 404


def test_forecast_and_estimate_need_authentication(anon_client: Any) -> None:
    for url in ("/api/projects/1/forecast", "/api/tasks/1/estimate"):
        r = anon_client.get(url)
        assert r.status_code == 401
        assert r.json() == {"ok": False, "error": "authentication required"}


def _task(user: UserCtx, pid: int, name: str, minutes: int, *, done: bool) -> int:
    tid = int(user.api("POST", "/api/tasks", json={"project_id": pid, "name": name}).json()["id"])
    if minutes:
        day = today() - timedelta(days=2)
        add_entry(user, at(day, 6), (datetime.combine(day, time(6), UTC) + timedelta(minutes=minutes)).isoformat(),
                  project_id=pid, task_id=tid)
    if done:
        r = user.api("PATCH", f"/api/tasks/{tid}", json={"status": "done"})
        assert r.status_code == 200, r.text
    return tid


def test_estimate_from_the_projects_done_tasks(make_user: Any) -> None:
    user = make_user()
    pid = make_project(user)
    for i, minutes in enumerate((10, 20, 30, 40, 50)):
        _task(user, pid, f"Done {i}", minutes, done=True)
    tid = _task(user, pid, "Open", 5, done=False)
    r = user.api("GET", f"/api/tasks/{tid}/estimate")
    assert r.status_code == 200, r.text
    # Median of 10..50 = 30, 80th percentile rank 3.2 → 42; 30 − 5 = 25 to go.
    assert r.json() == {
        "task_id": tid,
        "tracked_minutes": 5.0,
        "user_estimate_minutes": None,
        "estimate_minutes": 30.0,
        "p80_minutes": 42.0,
        "sample_size": 5,
        "basis": "project",
        "calibration_ratio": None,
        "calibrated_minutes": None,
        "remaining_minutes": 25.0,
        "explanation": "Based on 5 done tasks in this project: half of them took at most 30.0 min, "
        "80% at most 42.0 min. 5.0 min tracked so far, about 25.0 min to go.",
    }


def test_estimate_without_history_has_no_basis(make_user: Any) -> None:
    user = make_user()
    pid = make_project(user)
    tid = _task(user, pid, "Alone", 0, done=False)
    body = user.api("GET", f"/api/tasks/{tid}/estimate").json()
    assert (body["basis"], body["estimate_minutes"], body["sample_size"]) == (None, None, 0)


def test_calibration_uses_the_stored_estimates(make_user: Any, settings: Any) -> None:
    user = make_user()
    pid = make_project(user)
    ids = [_task(user, pid, f"T{m}", m, done=True) for m in (30, 90, 100, 45, 120)]

    async def estimates(db: AsyncSession) -> None:
        for tid, estimate in zip(ids, (60, 60, 80, 30, 60), strict=True):
            await db.execute(update(Task).where(Task.id == tid).values(estimate_minutes=estimate))

    db_run(settings, estimates)
    tid = _task(user, pid, "Next", 0, done=False)
    db_run(settings, lambda db: db.execute(update(Task).where(Task.id == tid).values(estimate_minutes=60)))
    body = user.api("GET", f"/api/tasks/{tid}/estimate").json()
    # Ratios 0.5, 1.5, 1.25, 1.5, 2.0 → median 1.5; 60 × 1.5 = 90.
    assert (body["calibration_ratio"], body["calibrated_minutes"], body["user_estimate_minutes"]) == (1.5, 90.0, 60)


def test_openapi_documents_both_routes_with_their_errors(client: Any) -> None:
    spec = client.get("/schema/openapi.json").json()
    for path in ("/api/projects/{project_id}/forecast", "/api/tasks/{task_id}/estimate"):
        responses = spec["paths"][path]["get"]["responses"]
        assert {"200", "401", "404"} <= set(responses), path
        assert "application/json" in responses["404"]["content"]


def test_project_page_without_javascript_shows_the_forecast_figures(make_user: Any, settings: Any) -> None:
    user = make_user()
    pid = history(user, settings)
    r = user.browser().get(f"/projects/{pid}")
    assert r.status_code == 200, r.text
    html = r.text
    assert 'data-status="on_track"' in html
    for field, shown in (("used_hours", "31.00 h"), ("remaining_hours", "9.00 h"),
                         ("burn_hours_per_working_day", "0.75 h"), ("required_hours_per_working_day", "0.90 h"),
                         ("projected_hours_at_end", "38.50 h"), ("billable_amount", "1260.00")):
        assert re.search(rf'data-field="{field}">{re.escape(shown)}<', html), field
    assert (today() + timedelta(days=12)).isoformat() in html
    # The chart's data is a table too (no JavaScript needed), ending with the due date.
    assert f'<time datetime="{(today() + timedelta(days=10)).isoformat()}">' in html
    assert "<caption id=\"cumulative-caption\">" in html
    # No inline script: every <script> either loads a file or is JSON data.
    for tag in re.findall(r"<script[^>]*>", html):
        assert "src=" in tag or 'type="application/json"' in tag, tag


def test_a_total_budgets_sum_of_old_time_is_cached_even_at_history_version_0(
    make_user: Any, settings: Any, count_queries: Any
) -> None:
    """The sum before the tallied span is read once per history version; version 0 (a user
    whose old days never changed) is a version like any other (it was taken for "none",
    so every forecast summed the whole history: 16 ms instead of 5 on the benchmark)."""
    user = make_user()
    pid = history(user, settings)

    async def never_moved(db: AsyncSession) -> None:  # as after a bulk load: old days never edited
        await db.execute(update(User).where(User.id == user.id).values(history_version=0))

    db_run(settings, never_moved)
    assert user.api("GET", f"/api/projects/{pid}/forecast").status_code == 200
    count_queries.settle()
    before = count_queries.count
    second = user.api("GET", f"/api/projects/{pid}/forecast")
    assert second.status_code == 200
    sums = [s for s in count_queries.statements[before:] if "SUM(" in s.upper()]
    assert sums == [], sums


def _planning_statements(count_queries: Any, call: Any) -> list[str]:
    """The SQL a call runs, without the credential lookup (authentication's own business)."""
    count_queries.settle()
    before = len(count_queries.statements)
    call()
    count_queries.settle()
    return [
        s for s in count_queries.statements[before:]
        if "user_sessions" not in s and "api_tokens" not in s
    ]


@pytest.mark.parametrize("sqlite_busy", [False, True])
def test_a_forecast_reads_its_own_projects_entries_in_two_queries_and_none_when_warm(
    make_user: Any, settings: Any, count_queries: Any, app: Any, monkeypatch: Any, sqlite_busy: bool
) -> None:
    """Cold (after a write): the project with the history version, then the project's
    entries of the tallied span filtered by the database (never every project's); the old
    time's sum is cached. Warm: no query at all. Another project's hours change nothing.
    The same on the direct SQLite read (app/db/fastread.py) and on the asynchronous path it
    falls back to when SQLite answers busy (PostgreSQL's path too)."""
    user = make_user()
    pid = history(user, settings)
    other = make_project(user, "Other")
    for back in (3, 2, 1):
        day = today() - timedelta(days=back)
        add_entry(user, at(day, 18), at(day, 22), project_id=other, billable=True)
    expected = user.api("GET", f"/api/projects/{pid}/forecast").json()
    assert (expected["used_hours"], expected["billable_amount"]) == (31.0, 1260.0)
    reader = app.state.get("sqlite_reader")
    if sqlite_busy and reader is not None:

        def busy(statements: Any) -> Any:
            raise sqlite3.OperationalError("database is locked")

        monkeypatch.setattr(reader, "read", busy)

    every_day(user)  # a write: the cached forecast is stale, the cached old-time sum is not
    got: dict[str, Any] = {}
    cold = _planning_statements(
        count_queries, lambda: got.update(user.api("GET", f"/api/projects/{pid}/forecast").json())
    )
    assert got == expected
    assert len(cold) == 2, cold
    assert "projects" in cold[0] and "history_version" in cold[0], cold[0]
    assert "FROM time_entries" in cold[1] and "project_id = " in cold[1], cold[1]
    assert "SUM(" not in " ".join(cold).upper()

    warm = _planning_statements(count_queries, lambda: user.api("GET", f"/api/projects/{pid}/forecast"))
    assert warm == []


def test_a_cached_forecast_is_never_stale_after_a_write(make_user: Any, settings: Any) -> None:
    """Every write moves the data version that keys the cached forecast: the next call shows it."""
    user = make_user()
    pid = history(user, settings)
    url = f"/api/projects/{pid}/forecast"
    assert user.api("GET", url).json()["used_hours"] == 31.0
    assert user.api("GET", url).json()["used_hours"] == 31.0  # from the cache

    day = today() - timedelta(days=1)
    r = user.api("POST", "/api/entries", json={"start_time": at(day, 6), "end_time": at(day, 8), "project_id": pid})
    assert r.status_code == 201, r.text
    added = r.json()["id"]
    assert user.api("GET", url).json()["used_hours"] == 33.0

    r = user.api("PATCH", f"/api/projects/{pid}", json={"budget_hours": 66, "hourly_rate": None})
    assert r.status_code == 200, r.text
    body = user.api("GET", url).json()
    assert (body["budget_hours"], body["remaining_hours"], body["used_percent"], body["billable_amount"]) == (
        66.0, 33.0, 50, None)

    assert user.api("DELETE", f"/api/entries/{added}").status_code in (200, 204)
    assert user.api("GET", url).json()["used_hours"] == 31.0


def test_an_entry_starting_in_a_few_minutes_counts_from_its_start_cache_or_not(
    make_user: Any, settings: Any, monkeypatch: Any
) -> None:
    """Entries may start up to 5 minutes ahead (CONTRACT 2); until it starts, one is left
    out, and a forecast computed before its start is not cached for the rest of the day."""
    from app.domain.planning import controllers

    user = make_user()
    pid = history(user, settings)
    now = datetime.now(UTC).replace(microsecond=0)
    add_entry(user, (now + timedelta(minutes=3)).isoformat(), (now + timedelta(minutes=4)).isoformat(), project_id=pid)
    monkeypatch.setattr(controllers, "utcnow", lambda: now + timedelta(minutes=1))
    url = f"/api/projects/{pid}/forecast"
    assert user.api("GET", url).json()["used_hours"] == 31.0
    monkeypatch.setattr(controllers, "utcnow", lambda: now + timedelta(minutes=5))
    assert user.api("GET", url).json()["used_hours"] == 31.02  # 31 h + 1 min
