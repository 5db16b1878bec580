"""GET /api/productivity/stats over HTTP (CONTRACT.md section 4, issues 3 and 4).

The exact figures of every rule are pinned by tests/unit; here the API is checked
end to end: shape, period handling, errors, figures of entries written through the
API in a non-UTC zone, freshness after every kind of write, and the cache (served
without a single SQL statement, bypassed while a timer runs, bounded cold cost).
"""

from __future__ import annotations

import re
import time as clock
import uuid
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from app.settings import Settings
from tests.integration.helpers import db_run
from tests.support import UserCtx

STATS = "/api/productivity/stats"

SUMMARY_KEYS = {
    "today_hours", "today_goal_hours", "week_hours", "week_goal_hours", "week_goal_percent",
    "billable_percent_week", "top_project_week", "active_timer", "today_live_hours", "week_live_hours",
}
DAILY_KEYS = {"date", "hours", "billable_hours", "entry_count", "goal_hours"}
STREAK_KEYS = {"current_streak", "longest_streak", "tracked_days_this_month", "total_days_this_month"}
FOCUS_KEYS = {
    "avg_session_length_minutes", "longest_session_hours", "entries_per_day", "most_productive_hour",
    "most_productive_day", "hour_distribution",
}
PROJECT_KEYS = {"project_id", "kind", "name", "color", "hours", "billable_hours", "entry_count", "percent"}
HEATMAP_KEYS = {"date", "hours", "level"}
INSIGHT_KEYS = {"kind", "text", "value"}
TIMER_KEYS = {
    "id", "project_id", "project_name", "task_id", "task_name", "start_time", "elapsed_seconds", "notes", "billable",
}
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


# ------------------------------------------------------------------ helpers


def local_now(zone: str) -> datetime:
    return datetime.now(ZoneInfo(zone))


def away_from_midnight(zone: str, before: int = 120, after: int = 120) -> None:
    """Sleep past local midnight when a test would straddle it (its 'today' must not move)."""
    now = local_now(zone)
    since = (now - now.replace(hour=0, minute=0, second=0, microsecond=0)).total_seconds()
    until = 86400 - since
    if until < before:
        clock.sleep(until + after)
    elif since < after:
        clock.sleep(after - since)


def at(day: date, hour: int, minute: int, zone: str) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=ZoneInfo(zone))


def iso(instant: datetime) -> str:
    return instant.isoformat()


def stats(u: UserCtx, query: str = "") -> dict[str, Any]:
    r = u.api("GET", STATS + query)
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def add_entry(u: UserCtx, start: datetime, end: datetime, **fields: Any) -> dict[str, Any]:
    r = u.api("POST", "/api/entries", json={"start_time": iso(start), "end_time": iso(end), **fields})
    assert r.status_code == 201, r.text
    body: dict[str, Any] = r.json()
    return body


def add_project(u: UserCtx, name: str, **fields: Any) -> dict[str, Any]:
    r = u.api("POST", "/api/projects", json={"name": name, **fields})
    assert r.status_code == 201, r.text
    body: dict[str, Any] = r.json()
    return body


def goal_hours(day: date) -> float:
    return 8.0 if day.isoweekday() <= 5 else 0.0


def demo_user(settings: Settings, new_client: Any, *, years: float, timezone: str = "Europe/Berlin") -> UserCtx:
    """A user with a generated history (app.cli_demo.seed_demo), an API token and a signed-in client."""
    from app.cli_demo import seed_demo
    from app.domain.accounts.sessions import create_session
    from app.domain.accounts.tokens import create_token
    from app.lib.signing import session_csrf_token, sign

    email = f"demo-{uuid.uuid4().hex[:10]}@example.com"
    password = "correct horse battery"

    async def work(db: AsyncSession) -> tuple[int, str, str]:
        user_id, _ = await seed_demo(db, email=email, password=password, years=years, seed=7, zone_name=timezone)
        _, token = await create_token(db, user_id, "tests")
        raw = await create_session(db, user_id)
        return user_id, token, raw

    user_id, token, raw = db_run(settings, work)
    c = new_client()
    c.cookies.set("momentum_session", sign(settings.secret_key, raw))
    c.cookies.set("momentum_csrf", session_csrf_token(settings.secret_key, raw))
    return UserCtx(user_id, email, password, token, raw, c, timezone)


# ------------------------------------------------------------------ shape, period, errors


def test_stats_payload_has_exactly_the_contract_shape(make_user: Any) -> None:
    u = make_user(timezone="Europe/Berlin")
    away_from_midnight("Europe/Berlin")
    project = add_project(u, "Shape")
    end = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=1)
    add_entry(u, end - timedelta(minutes=30), end, project_id=project["id"])
    assert u.api("POST", "/api/timer/start", json={"notes": "shape"}).status_code == 201

    body = stats(u)

    assert set(body) == {"ok", "period", "summary", "daily_breakdown", "streak", "focus", "projects", "heatmap",
                         "insights", "goals"}
    assert body["ok"] is True
    assert body["period"] == 30
    assert set(body["summary"]) == SUMMARY_KEYS
    assert set(body["summary"]["active_timer"]) == TIMER_KEYS
    assert set(body["summary"]["top_project_week"]) == {"project_id", "name", "hours"}
    assert len(body["daily_breakdown"]) == 14
    assert all(set(d) == DAILY_KEYS for d in body["daily_breakdown"])
    assert set(body["streak"]) == STREAK_KEYS
    assert set(body["focus"]) == FOCUS_KEYS
    assert len(body["focus"]["hour_distribution"]) == 24
    assert body["projects"] and all(set(p) == PROJECT_KEYS for p in body["projects"])
    assert len(body["heatmap"]) == 84
    assert all(set(c) == HEATMAP_KEYS for c in body["heatmap"])
    assert all(set(i) == INSIGHT_KEYS for i in body["insights"])
    assert len(body["insights"]) <= 4
    assert body["goals"] == []


@pytest.mark.parametrize(
    ("query", "expected"),
    [("", 30), ("?period=", 30), ("?period=7", 7), ("?period=90", 90), ("?period=0", 1), ("?period=500", 90),
     ("?period=-3", 1), ("?period=1", 1)],
)
def test_period_defaults_to_30_and_is_clamped_and_echoed(user: UserCtx, query: str, expected: int) -> None:
    assert stats(user, query)["period"] == expected


@pytest.mark.parametrize("raw", ["abc", "7.5", "1e2", "ten"])
def test_period_that_is_not_an_integer_is_a_400(user: UserCtx, raw: str) -> None:
    r = user.api("GET", f"{STATS}?period={raw}")
    assert r.status_code == 400
    body = r.json()
    assert body["ok"] is False
    assert isinstance(body["error"], str) and "period" in body["error"]


def test_stats_without_authentication_is_a_401_json(anon_client: Any) -> None:
    r = anon_client.get(STATS)
    assert r.status_code == 401
    assert r.json() == {"ok": False, "error": "authentication required"}


def test_stats_with_a_session_cookie_needs_no_token(user: UserCtx) -> None:
    r = user.client.get(STATS)
    assert r.status_code == 200
    assert r.json()["ok"] is True


def test_unexpected_failure_is_a_500_json(make_user: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    u = make_user()

    def boom(**_: Any) -> Any:
        raise RuntimeError("computation exploded")

    monkeypatch.setattr("app.domain.productivity.services.compute_stats_and_base", boom)
    r = u.api("GET", STATS)
    assert r.status_code == 500
    body = r.json()
    assert body["ok"] is False
    assert isinstance(body["error"], str) and body["error"]
    assert "exploded" not in body["error"]  # internals do not leak


# ------------------------------------------------------------------ figures


def test_user_without_data_gets_zeros_nulls_and_empty_lists(make_user: Any) -> None:
    u = make_user(timezone="Pacific/Auckland")
    away_from_midnight("Pacific/Auckland")
    today = local_now("Pacific/Auckland").date()
    body = stats(u)

    assert body["summary"] == {
        "today_hours": 0, "today_goal_hours": goal_hours(today), "week_hours": 0, "week_goal_hours": 40,
        "week_goal_percent": 0, "billable_percent_week": 0, "top_project_week": None, "active_timer": None,
        "today_live_hours": 0, "week_live_hours": 0,
    }
    assert body["daily_breakdown"] == [
        {"date": (today - timedelta(days=13 - i)).isoformat(), "hours": 0, "billable_hours": 0, "entry_count": 0,
         "goal_hours": goal_hours(today - timedelta(days=13 - i))}
        for i in range(14)
    ]
    assert body["streak"] == {"current_streak": 0, "longest_streak": 0, "tracked_days_this_month": 0,
                              "total_days_this_month": today.day}
    assert body["focus"] == {
        "avg_session_length_minutes": 0, "longest_session_hours": 0, "entries_per_day": 0,
        "most_productive_hour": None, "most_productive_day": None, "hour_distribution": [0] * 24,
    }
    assert body["projects"] == []
    assert body["heatmap"] == [
        {"date": (today - timedelta(days=83 - i)).isoformat(), "hours": 0, "level": 0} for i in range(84)
    ]
    assert body["insights"] == []
    assert body["goals"] == []


def test_entries_in_berlin_give_exact_figures_across_local_midnight(make_user: Any) -> None:
    zone = "Europe/Berlin"
    u = make_user(timezone=zone)
    away_from_midnight(zone)
    now = local_now(zone)
    today = now.date()
    yesterday = today - timedelta(days=1)
    midnight = at(today, 0, 0, zone)
    # Today's part of the crossing entry: up to 1 h, whole minutes, never in the future.
    minutes = min(60, int((now - midnight).total_seconds() // 60) - 1)
    x = minutes * 60
    alpha = add_project(u, "Alpha", color="#112233", billable=True)

    # A: yesterday 19:30 -> today 00:mm, billable, Alpha: 4.5 h yesterday, x s today.
    add_entry(u, at(yesterday, 19, 30, zone), midnight + timedelta(seconds=x), project_id=alpha["id"], billable=True)
    # B: three days ago 09:00-10:00, no project, not billable.
    add_entry(u, at(today - timedelta(days=3), 9, 0, zone), at(today - timedelta(days=3), 10, 0, zone),
              billable=False)
    # C: five days ago 09:15-10:00, Alpha, not billable.
    add_entry(u, at(today - timedelta(days=5), 9, 15, zone), at(today - timedelta(days=5), 10, 0, zone),
              project_id=alpha["id"], billable=False)

    body = stats(u)
    h = x / 3600
    days = {today: (h, h, 0), yesterday: (4.5, 4.5, 1), today - timedelta(days=3): (1.0, 0.0, 1),
            today - timedelta(days=5): (0.75, 0.0, 1)}

    # daily_breakdown: the crossing entry is split at local midnight; it counts (entry_count) on its start day.
    expected_daily = []
    for i in range(14):
        d = today - timedelta(days=13 - i)
        hours, billable, count = days.get(d, (0.0, 0.0, 0))
        expected_daily.append({"date": d.isoformat(), "hours": round(hours, 2), "billable_hours": round(billable, 2),
                               "entry_count": count, "goal_hours": goal_hours(d)})
    assert body["daily_breakdown"] == expected_daily

    s = body["summary"]
    assert s["today_hours"] == round(h, 2)
    assert s["today_live_hours"] == round(h, 2)
    assert s["today_goal_hours"] == goal_hours(today)
    monday = today - timedelta(days=today.weekday())
    week = sum(v[0] for d, v in days.items() if d >= monday)
    week_billable = sum(v[1] for d, v in days.items() if d >= monday)
    week_alpha = sum(v[0] for d, v in days.items() if d >= monday and d != today - timedelta(days=3))
    assert s["week_hours"] == round(week, 2)
    assert s["week_live_hours"] == round(week, 2)
    assert s["week_goal_hours"] == 40
    assert s["week_goal_percent"] == round(100 * week / 40)
    assert s["billable_percent_week"] == round(100 * week_billable / week)
    assert s["top_project_week"] == {"project_id": alpha["id"], "name": "Alpha", "hours": round(week_alpha, 2)}
    assert s["active_timer"] is None

    total = 6.25 + h
    alpha_hours = 5.25 + h
    assert body["projects"] == [
        {"project_id": alpha["id"], "kind": "project", "name": "Alpha", "color": "#112233",
         "hours": round(alpha_hours, 2), "billable_hours": round(4.5 + h, 2), "entry_count": 2,
         "percent": round(100 * alpha_hours / total)},
        {"project_id": None, "kind": "none", "name": "No project", "color": body["projects"][1]["color"],
         "hours": 1.0, "billable_hours": 0.0, "entry_count": 1, "percent": round(100 * 1.0 / total)},
    ]
    assert re.fullmatch(r"#[0-9a-fA-F]{6}", body["projects"][1]["color"])
    assert body["projects"][1]["color"].lower() != "#112233"

    heat = {c["date"]: c for c in body["heatmap"]}
    assert heat[today.isoformat()] == {"date": today.isoformat(), "hours": round(h, 2), "level": 1}
    assert heat[yesterday.isoformat()] == {"date": yesterday.isoformat(), "hours": 4.5, "level": 3}  # 4 <= 4.5 < 6
    assert heat[(today - timedelta(days=2)).isoformat()]["level"] == 0
    assert heat[(today - timedelta(days=3)).isoformat()]["level"] == 1
    assert body["heatmap"][-1]["date"] == today.isoformat()
    assert body["heatmap"][0]["date"] == (today - timedelta(days=83)).isoformat()

    f = body["focus"]
    assert f["longest_session_hours"] == round(4.5 + h, 2)
    assert f["avg_session_length_minutes"] == round((270 + minutes + 60 + 45) / 3, 1)
    assert f["entries_per_day"] == 0.75  # 3 entries start in the window, on 4 active days
    assert f["most_productive_hour"] == 9  # 1 h three days ago + 45 min five days ago
    assert f["most_productive_day"] == WEEKDAYS[yesterday.weekday()]
    expected_hours = [0.0] * 24
    expected_hours[0] = round(h, 2)
    expected_hours[9] = 1.75
    expected_hours[19] = 0.5
    for hour in (20, 21, 22, 23):
        expected_hours[hour] = 1.0
    assert f["hour_distribution"] == expected_hours

    active = [d for d in days if days[d][0] > 0]
    assert body["streak"] == {
        "current_streak": 2, "longest_streak": 2,
        "tracked_days_this_month": sum(1 for d in active if d.month == today.month and d.year == today.year),
        "total_days_this_month": today.day,
    }
    kinds = [i["kind"] for i in body["insights"]]
    assert "peak_hour" in kinds and "top_project" in kinds
    assert kinds.index("peak_hour") < kinds.index("top_project")
    assert next(i for i in body["insights"] if i["kind"] == "peak_hour")["value"] == 9
    assert next(i for i in body["insights"] if i["kind"] == "top_project")["value"] == round(100 * alpha_hours / total)


def test_window_follows_the_period(make_user: Any) -> None:
    u = make_user(timezone="UTC")
    away_from_midnight("UTC")
    today = local_now("UTC").date()
    add_entry(u, at(today - timedelta(days=10), 9, 0, "UTC"), at(today - timedelta(days=10), 11, 0, "UTC"))
    assert stats(u, "?period=7")["projects"] == []
    assert stats(u, "?period=7")["focus"]["most_productive_hour"] is None
    eleven = stats(u, "?period=11")
    assert [p["hours"] for p in eleven["projects"]] == [2.0]
    assert eleven["focus"]["most_productive_hour"] == 9


# ------------------------------------------------------------------ freshness after writes


def warm(u: UserCtx, count_queries: Any, query: str = "") -> dict[str, Any]:
    """Call twice; the second call must come from the cache (so a later fresh figure proves invalidation).

    A cached call makes exactly one query: the credential joined with its user, which also
    reads the data version the cache key is derived from (CONTRACT section 6)."""
    first = stats(u, query)
    count_queries.settle()
    before = count_queries.count
    again = stats(u, query)
    assert count_queries.count == before + 1, "the repeated call was not served from the cache"
    assert again == first
    return first


def test_patching_an_entry_shows_at_once(make_user: Any, count_queries: Any) -> None:
    u = make_user(timezone="UTC")
    away_from_midnight("UTC")
    day = local_now("UTC").date() - timedelta(days=2)
    entry = add_entry(u, at(day, 9, 0, "UTC"), at(day, 10, 0, "UTC"))
    assert warm(u, count_queries)["daily_breakdown"][-3]["hours"] == 1.0

    r = u.api("PATCH", f"/api/entries/{entry['id']}", json={"end_time": iso(at(day, 11, 30, "UTC"))})
    assert r.status_code == 200, r.text
    assert stats(u)["daily_breakdown"][-3]["hours"] == 2.5


def test_deleting_an_entry_shows_at_once(make_user: Any, count_queries: Any) -> None:
    u = make_user(timezone="UTC")
    away_from_midnight("UTC")
    day = local_now("UTC").date() - timedelta(days=2)
    entry = add_entry(u, at(day, 9, 0, "UTC"), at(day, 10, 0, "UTC"))
    assert warm(u, count_queries)["daily_breakdown"][-3]["hours"] == 1.0

    assert u.api("DELETE", f"/api/entries/{entry['id']}").status_code == 204
    body = stats(u)
    assert body["daily_breakdown"][-3]["hours"] == 0
    assert body["projects"] == []


def test_changing_the_time_zone_shows_at_once(make_user: Any, count_queries: Any) -> None:
    u = make_user(timezone="UTC")
    away_from_midnight("UTC")
    # A zone whose local date is UTC's right now, so that only the data version (not the
    # date in the cache key) can make the next call fresh.
    if datetime.now(UTC).hour < 17:
        target, peak, shares = "Asia/Kolkata", 15, {15: 0.5, 16: 0.5}  # 10:00 UTC = 15:30 IST
    else:
        target, peak, shares = "America/Sao_Paulo", 7, {7: 1.0}  # 10:00 UTC = 07:00 BRT
    assert local_now(target).date() == local_now("UTC").date()
    day = local_now("UTC").date() - timedelta(days=3)
    add_entry(u, at(day, 10, 0, "UTC"), at(day, 11, 0, "UTC"))
    assert warm(u, count_queries)["focus"]["most_productive_hour"] == 10

    r = u.api("PATCH", "/api/me", json={"timezone": target})
    assert r.status_code == 200, r.text
    focus = stats(u)["focus"]
    assert focus["most_productive_hour"] == peak
    assert {h: v for h, v in enumerate(focus["hour_distribution"]) if v} == shares


def test_changing_standard_hours_shows_at_once(make_user: Any, count_queries: Any) -> None:
    u = make_user(timezone="UTC")
    assert warm(u, count_queries)["summary"]["week_goal_hours"] == 40
    assert u.api("PATCH", "/api/me", json={"standard_hours_per_day": 6}).status_code == 200
    assert stats(u)["summary"]["week_goal_hours"] == 30


def test_putting_a_weekly_goal_shows_at_once(make_user: Any, count_queries: Any) -> None:
    u = make_user(timezone="America/New_York")
    away_from_midnight("America/New_York")
    today = local_now("America/New_York").date()
    monday = today - timedelta(days=today.weekday())
    assert warm(u, count_queries)["summary"]["week_goal_hours"] == 40

    r = u.api("PUT", f"/api/weekly-goals/{monday.isoformat()}", json={"target_hours": 12.5})
    assert r.status_code == 200, r.text
    assert stats(u)["summary"]["week_goal_hours"] == 12.5


def test_renaming_a_project_shows_at_once(make_user: Any, count_queries: Any) -> None:
    u = make_user(timezone="UTC")
    away_from_midnight("UTC")
    day = local_now("UTC").date() - timedelta(days=1)
    project = add_project(u, "Old name")
    add_entry(u, at(day, 9, 0, "UTC"), at(day, 10, 0, "UTC"), project_id=project["id"])
    assert [p["name"] for p in warm(u, count_queries)["projects"]] == ["Old name"]

    r = u.api("PATCH", f"/api/projects/{project['id']}", json={"name": "New name"})
    assert r.status_code == 200, r.text
    assert [p["name"] for p in stats(u)["projects"]] == ["New name"]


def test_creating_an_entry_and_a_goal_show_at_once(make_user: Any, count_queries: Any) -> None:
    u = make_user(timezone="UTC")
    away_from_midnight("UTC")
    day = local_now("UTC").date() - timedelta(days=1)
    assert warm(u, count_queries, "?period=7")["goals"] == []

    add_entry(u, at(day, 9, 0, "UTC"), at(day, 12, 0, "UTC"))
    assert stats(u, "?period=7")["daily_breakdown"][-2]["hours"] == 3.0
    warm(u, count_queries, "?period=7")

    r = u.api("POST", "/api/goals", json={"name": "Focus", "metric": "hours", "target": 20, "period": "weekly"})
    assert r.status_code == 201, r.text
    goals = stats(u, "?period=7")["goals"]
    assert [(g["id"], g["name"], g["metric"], g["target"]) for g in goals] == [(r.json()["id"], "Focus", "hours", 20)]


# ------------------------------------------------------------------ cache


def test_repeated_call_is_served_without_touching_the_database(make_user: Any, count_queries: Any) -> None:
    u = make_user(timezone="Europe/Berlin")
    end = datetime.now(UTC).replace(microsecond=0) - timedelta(days=1)
    add_entry(u, end - timedelta(hours=1), end)

    count_queries.settle()
    before = count_queries.count
    first = u.api("GET", STATS + "?period=14")
    cold = count_queries.count - before
    count_queries.settle()
    before = count_queries.count
    second = u.api("GET", STATS + "?period=14")
    warm_count = count_queries.count - before

    assert cold > 1
    assert warm_count == 1  # only the credential + user row (with the data version), one query
    assert second.json() == first.json()
    # The cache is per period: another period is computed afresh.
    count_queries.settle()
    before = count_queries.count
    assert stats(u, "?period=7")["period"] == 7
    assert count_queries.count > before


def test_a_cold_call_reads_its_inputs_in_one_statement(make_user: Any, count_queries: Any) -> None:
    """After a write, the figures' inputs (projects, week goal, goals, completed tasks, the
    history version of the cached streak summary and the window's entries) come in one
    round trip, on SQLite and on PostgreSQL (the entries as one JSON array). The credential's
    own read is not counted here."""
    u = make_user(timezone="Europe/Berlin")
    end = datetime.now(UTC).replace(microsecond=0) - timedelta(days=1)
    add_entry(u, end - timedelta(hours=1), end)
    goal = {"name": "Focus", "metric": "hours", "target": 20, "period": "weekly"}
    assert u.api("POST", "/api/goals", json=goal).status_code == 201
    first = stats(u, "?period=14")  # the streak summary is cached from here on
    assert u.api("PATCH", "/api/me", json={"standard_hours_per_day": 8}).status_code == 200

    count_queries.settle()
    before = count_queries.count
    again = stats(u, "?period=14")
    reads = [s for s in count_queries.statements[before:] if not re.search(r"api_tokens|user_sessions", s)]

    assert len(reads) == 1, reads
    assert again == first


def test_each_stats_call_asks_the_cache_once(app: Any, make_user: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """A warm call asks for the payload alone; the first call after a write (a new version:
    most likely a miss) asks for the payload, its live part and the streak summary in one
    round trip, and the payload it computes is stored for the next call (after its
    response, on the JSON API). docs/productivity.md, "Caching"."""
    from app.lib import cache as cache_lib

    asked: list[list[str]] = []
    real_one, real_many = cache_lib.get_bytes, cache_lib.get_many_bytes

    async def one(key: str) -> bytes | None:
        asked.append([key])
        return await real_one(key)

    async def many(keys: Any) -> list[bytes | None]:
        asked.append(list(keys))
        return await real_many(keys)

    monkeypatch.setattr(cache_lib, "get_bytes", one)
    monkeypatch.setattr(cache_lib, "get_many_bytes", many)
    u = make_user(timezone="Europe/Berlin")
    end = datetime.now(UTC).replace(microsecond=0) - timedelta(days=1)
    add_entry(u, end - timedelta(hours=1), end)
    first = stats(u, "?period=30")

    def stats_reads() -> list[list[str]]:
        return [keys for keys in asked if keys[0].startswith("stats:")]

    asked.clear()
    assert stats(u, "?period=30") == first
    assert len(stats_reads()) == 1 and len(stats_reads()[0]) == 1  # warm: the payload alone

    assert u.api("PATCH", "/api/me", json={"standard_hours_per_day": 7}).status_code == 200
    asked.clear()
    after_write = stats(u, "?period=30")
    reads = stats_reads()
    assert len(reads) == 1, reads
    # The payload, its live part and (where the inputs are read at the driver's level) the streak summary.
    fast = app.state.get("sqlite_reader") or app.state.get("pg_reader")
    assert reads[0][1] == reads[0][0].removesuffix(":gz") + ":live" and len(reads[0]) == (3 if fast else 2)
    assert all(key.startswith("hist:") for key in reads[0][2:]), reads

    asked.clear()
    assert stats(u, "?period=30") == after_write  # stored by the call before
    assert [len(keys) for keys in stats_reads()] == [1]


def test_a_summary_asked_for_under_another_history_version_is_not_used(
    app: Any, portal: Any, make_user: Any, settings: Settings
) -> None:
    """A cold call asks the cache for the streak summary together with the live part, under
    the history version read with the credential. When the version its own snapshot reads
    differs (an old day changed in between), that answer is not used: here a wrong summary
    planted under the credential's version must not reach the figures."""
    import msgspec

    from app.domain.accounts.user_lookup import user_for_credential
    from app.domain.productivity import queries
    from app.domain.productivity.services import ProductivityService
    from app.domain.productivity.streak import HistorySummary
    from app.lib import cache as cache_lib

    u = make_user(timezone="Europe/Berlin")
    end = datetime.now(UTC).replace(microsecond=0) - timedelta(days=1)
    for days_back in (0, 120, 121, 122):
        add_entry(u, end - timedelta(days=days_back, hours=1), end - timedelta(days=days_back))
    right = stats(u, "?period=30")  # caches the summary under the current history version
    assert u.api("PATCH", "/api/me", json={"standard_hours_per_day": 8}).status_code == 200  # the figures go stale

    state = app.state
    reader = state.get("sqlite_reader") or state.get("pg_reader")
    user = portal.call(user_for_credential, "t", u.token, state["sessionmaker"], state["credential_reader"])
    assert user is not None and user.history_version is not None
    stale = msgspec.structs.replace(user, history_version=user.history_version + 1000)
    service = ProductivityService(state["sessionmaker"], settings.timezone, reader)
    now = datetime.now(UTC)
    planted = queries.history_key(stale.cache_id, stale.history_version, stale.prefs(service.default_zone), now)
    assert planted is not None
    wrong = msgspec.msgpack.encode(HistorySummary(longest=999, tail=()))
    portal.call(cache_lib.set_bytes, planted, wrong, 60)

    result = portal.call(service.stats, stale, 30, now)

    assert msgspec.to_builtins(result.decoded())["streak"] == right["streak"]
    assert right["streak"]["longest_streak"] >= 3


def test_every_period_shares_the_cached_streak_summary(make_user: Any, count_queries: Any) -> None:
    """Windows of 85..90 days start earlier than the others, yet no period reads the whole
    day_totals rollup again once one has cached the summary: it is cached before the
    earliest load start of any period, and each period adds the days up to its own."""
    u = make_user(timezone="Europe/Berlin")
    end = datetime.now(UTC).replace(microsecond=0) - timedelta(days=1)
    for days_back in (0, 86, 87, 88, 120):
        add_entry(u, end - timedelta(days=days_back, hours=1), end - timedelta(days=days_back))
    stats(u, "?period=30")
    count_queries.settle()
    before = count_queries.count
    for period in (1, 84, 85, 88, 90):
        assert stats(u, f"?period={period}")["period"] == period
    rollup_reads = [s for s in count_queries.statements[before:] if s.lstrip().upper().startswith("SELECT DAY")]
    assert rollup_reads == [], rollup_reads


def test_while_a_timer_runs_only_the_live_fields_are_derived_per_call(make_user: Any, count_queries: Any) -> None:
    u = make_user(timezone="Europe/Berlin")
    end = datetime.now(UTC).replace(microsecond=0) - timedelta(days=1)
    add_entry(u, end - timedelta(hours=1), end)
    started = u.api("POST", "/api/timer/start", json={"notes": "live"})
    assert started.status_code == 201, started.text

    def entry_reads() -> int:
        return sum("time_entries" in q for q in count_queries.statements)

    before = entry_reads()
    first = stats(u)
    after_first = entry_reads()
    clock.sleep(1.1)
    second = stats(u)
    after_second = entry_reads()

    assert after_first - before > 0
    # The completed part is cached; the live fields are re-derived for the new `now`
    # without reading entries again (docs/productivity.md, "Caching").
    assert after_second - after_first == 0
    for body in (first, second):
        s = body["summary"]
        assert s["active_timer"] is not None
        assert s["active_timer"]["id"] == started.json()["id"]
        assert s["active_timer"]["notes"] == "live"
        assert s["today_live_hours"] >= s["today_hours"]
        assert s["week_live_hours"] >= s["week_hours"]
    assert second["summary"]["active_timer"]["elapsed_seconds"] > first["summary"]["active_timer"]["elapsed_seconds"]

    # Stopping is a write: the next call is fresh (no timer) and is cached again.
    stopped = u.api("POST", "/api/timer/stop", json={})
    assert stopped.status_code == 200, stopped.text
    assert stats(u)["summary"]["active_timer"] is None
    count_queries.settle()
    before = count_queries.count
    assert stats(u)["summary"]["active_timer"] is None
    assert count_queries.count == before + 1  # the credential lookup only


def test_live_hours_include_the_running_timer(make_user: Any, count_queries: Any) -> None:
    u = make_user(timezone="UTC")
    away_from_midnight("UTC", before=600)
    assert u.api("POST", "/api/timer/start", json={}).status_code == 201
    clock.sleep(2)
    s = stats(u)["summary"]
    elapsed = s["active_timer"]["elapsed_seconds"]
    assert elapsed >= 2
    assert s["today_hours"] == 0 and s["week_hours"] == 0
    assert s["today_live_hours"] == pytest.approx(elapsed / 3600, abs=0.006)
    assert s["week_live_hours"] == s["today_live_hours"]


def test_cold_call_costs_the_same_queries_whatever_the_history_length(
    settings: Settings, new_client: Any, make_user: Any, count_queries: Any
) -> None:
    small = make_user(timezone="Europe/Berlin")
    end = datetime.now(UTC).replace(microsecond=0) - timedelta(days=1)
    add_entry(small, end - timedelta(hours=1), end)
    big = demo_user(settings, new_client, years=2, timezone="Europe/Berlin")
    entries = big.api("GET", "/api/entries?limit=500").json()["items"]
    assert len(entries) == 500  # a long history indeed

    def cold_cost(u: UserCtx) -> int:
        assert u.api("GET", "/api/me").status_code == 200  # authentication cached, so only stats are counted
        count_queries.settle()
        before = count_queries.count
        body = stats(u, "?period=90")
        assert body["heatmap"]
        return int(count_queries.count - before)

    small_cost = cold_cost(small)
    big_cost = cold_cost(big)
    assert small_cost > 0
    assert big_cost == small_cost
    assert small_cost <= 6  # goals, entries of the window, projects, day rollup, weekly goal


# ------------------------------------------------------------------ several instances


def test_a_write_on_one_instance_makes_the_next_stats_on_another_fresh(
    settings: Settings, make_user: Any, new_client: Any, portal: Any
) -> None:
    from app.asgi import create_app
    from tests.support import _OnPortal

    other_app = create_app(settings)
    # Started like a server on the session's loop (its lifespan also disposes its engine).
    with _OnPortal(other_app, portal):
        u = make_user(timezone="UTC")
        away_from_midnight("UTC")
        day = local_now("UTC").date() - timedelta(days=1)
        other = new_client(other_app)

        def stats_on_other() -> dict[str, Any]:
            r = other.get(STATS, headers=u.bearer)
            assert r.status_code == 200, r.text
            body: dict[str, Any] = r.json()
            return body

        assert stats_on_other()["daily_breakdown"][-2]["hours"] == 0
        assert stats_on_other()["daily_breakdown"][-2]["hours"] == 0  # now cached on the other instance

        add_entry(u, at(day, 8, 0, "UTC"), at(day, 9, 45, "UTC"))  # written through the first instance
        assert stats_on_other()["daily_breakdown"][-2]["hours"] == 1.75

        # And the other way round: a write on the other instance, read on the first.
        assert stats(u)["daily_breakdown"][-2]["hours"] == 1.75
        r = other.post("/api/entries", headers=u.bearer, json={
            "start_time": iso(at(day, 13, 0, "UTC")), "end_time": iso(at(day, 14, 0, "UTC"))})
        assert r.status_code == 201, r.text
        assert stats(u)["daily_breakdown"][-2]["hours"] == 2.75
