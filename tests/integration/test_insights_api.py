"""GET /api/insights/sessions (issue 4, docs/insights.md) through HTTP: the shape, the
length buckets with exact counts, outcome shares, the hour x weekday matrix, the
observations, period validation and authentication."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.support import UserCtx

ZONE = "America/Chicago"
# (days before today, local start hour, minutes, has an outcome)
SESSIONS = (
    (2, 8, 10, False),
    (2, 9, 25, True),
    (2, 10, 49, False),
    (2, 14, 50, True),
    (1, 8, 89, True),
    (1, 11, 90, False),
    (1, 14, 120, False),
)


def local_today() -> date:
    return datetime.now(UTC).astimezone(ZoneInfo(ZONE)).date()


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), ZoneInfo(ZONE))


def entry(user: UserCtx, start: datetime, minutes: int, outcome: str = "") -> None:
    end = start + timedelta(minutes=minutes)
    r = user.api("POST", "/api/entries", json={"start_time": start.isoformat(), "end_time": end.isoformat(),
                                                "outcome": outcome})
    assert r.status_code == 201, r.text


def sessions(user: UserCtx, period: Any = None) -> dict[str, Any]:
    params = {} if period is None else {"period": period}
    r = user.api("GET", "/api/insights/sessions", params=params)
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


def hours(minutes: int) -> float:
    return float((Decimal(minutes) / 60).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def seed(user: UserCtx) -> date:
    today = local_today()
    for back, hour, minutes, outcome in SESSIONS:
        entry(user, at(today - timedelta(days=back), hour), minutes, "shipped it" if outcome else "")
    return today


@pytest.fixture()
def user(make_user: Any) -> UserCtx:
    return make_user(timezone=ZONE)  # type: ignore[no-any-return]


def test_sessions_payload_has_the_documented_shape(user: UserCtx) -> None:
    body = sessions(user)
    today = local_today()
    assert body == {
        "period": 30, "start_date": (today - timedelta(days=29)).isoformat(), "end_date": today.isoformat(),
        "session_count": 0, "outcome_share": 0, "window_hours": 0.0,
        "buckets": [
            {"key": "under_25", "label": "Under 25 min", "min_minutes": 0, "max_minutes": 25, "count": 0,
             "total_hours": 0.0, "outcome_share": 0},
            {"key": "25_50", "label": "25–50 min", "min_minutes": 25, "max_minutes": 50, "count": 0,
             "total_hours": 0.0, "outcome_share": 0},
            {"key": "50_90", "label": "50–90 min", "min_minutes": 50, "max_minutes": 90, "count": 0,
             "total_hours": 0.0, "outcome_share": 0},
            {"key": "over_90", "label": "Over 90 min", "min_minutes": 90, "max_minutes": None, "count": 0,
             "total_hours": 0.0, "outcome_share": 0},
        ],
        "hour_weekday": [[0.0] * 24 for _ in range(7)],
        "observations": [],
    }


def test_buckets_count_sessions_by_length_with_exact_boundaries(user: UserCtx) -> None:
    seed(user)
    body = sessions(user, 7)
    assert [(b["key"], b["count"], b["total_hours"], b["outcome_share"]) for b in body["buckets"]] == [
        ("under_25", 1, hours(10), 0),  # 10
        ("25_50", 2, hours(25 + 49), 50),  # 25 (with outcome), 49
        ("50_90", 2, hours(50 + 89), 100),  # 50, 89 (both with outcome)
        ("over_90", 2, hours(90 + 120), 0),  # 90, 120
    ]
    assert [b["total_hours"] for b in body["buckets"]] == [0.17, 1.23, 2.32, 3.5]
    assert (body["session_count"], body["outcome_share"]) == (7, 43)  # 3 of 7
    assert body["window_hours"] == 7.22  # 433 minutes
    assert body["observations"] == []


def test_the_hour_weekday_matrix_splits_seconds_by_local_hour_and_sums_to_the_window(user: UserCtx) -> None:
    today = seed(user)
    body = sessions(user, 7)
    minutes = [[0] * 24 for _ in range(7)]
    for back, hour, length, _ in SESSIONS:
        weekday = (today - timedelta(days=back)).weekday()
        clock = hour * 60
        while length:
            part = min(length, 60 - clock % 60)
            minutes[weekday][clock // 60] += part
            clock, length = clock + part, length - part
    assert body["hour_weekday"] == [[hours(m) for m in row] for row in minutes]
    assert len(body["hour_weekday"]) == 7 and all(len(row) == 24 for row in body["hour_weekday"])
    assert round(sum(map(sum, body["hour_weekday"])), 2) == body["window_hours"] == 7.22


def test_the_window_takes_sessions_by_start_and_hours_by_overlap(user: UserCtx) -> None:
    today = seed(user)
    entry(user, at(today - timedelta(days=10), 10), 30, "old outcome")  # outside a 7-day window
    edge = today - timedelta(days=7)  # the evening before the 7-day window begins
    entry(user, at(edge, 23, 30), 60)  # 30 minutes inside the window

    week = sessions(user, 7)
    assert (week["session_count"], week["window_hours"]) == (7, 7.72)
    first_day = today - timedelta(days=6)
    assert week["start_date"] == first_day.isoformat()
    assert week["hour_weekday"][first_day.weekday()][0] == 0.5
    assert [b["count"] for b in week["buckets"]] == [1, 2, 2, 2]

    month = sessions(user, 30)
    assert [b["count"] for b in month["buckets"]] == [1, 3, 3, 2]
    assert (month["session_count"], month["outcome_share"]) == (9, 44)  # 4 of 9
    assert month["window_hours"] == hours(433 + 30 + 60)


def test_the_running_timer_is_left_out(user: UserCtx) -> None:
    seed(user)
    before = sessions(user, 7)
    r = user.api("POST", "/api/timer/start", json={"notes": "running"})
    assert r.status_code == 201, r.text
    assert sessions(user, 7) == before


def test_many_short_sessions_without_outcomes_give_two_observations(user: UserCtx) -> None:
    today = local_today()
    for i in range(10):
        entry(user, at(today - timedelta(days=1 + i % 3), 6 + i), 10)
    body = sessions(user, 7)
    assert (body["session_count"], body["outcome_share"]) == (10, 0)
    assert body["observations"] == [
        {"kind": "fragmented", "value": 100,
         "text": "100% of your sessions are shorter than 25 minutes. Grouping small tasks into longer blocks can "
                 "leave more room for focused work."},
        {"kind": "record_outcomes", "value": 0,
         "text": "Only 0% of your sessions record an outcome. Noting what each session produced makes these "
                 "patterns more reliable."},
    ]


@pytest.mark.parametrize(("raw", "period"), [("500", 90), ("90", 90), ("0", 1), ("-4", 1), ("7", 7), (" 12 ", 12),
                                             ("", 30)])
def test_the_period_is_clamped_to_1_to_90_and_echoed(user: UserCtx, raw: str, period: int) -> None:
    body = sessions(user, raw)
    today = local_today()
    assert body["period"] == period
    assert (body["start_date"], body["end_date"]) == (
        (today - timedelta(days=period - 1)).isoformat(), today.isoformat())


@pytest.mark.parametrize("raw", ["abc", "7.5", "1e3"])
def test_a_period_that_is_not_an_integer_is_400(user: UserCtx, raw: str) -> None:
    r = user.api("GET", "/api/insights/sessions", params={"period": raw})
    assert r.status_code == 400, r.text
    assert r.json() == {"ok": False, "error": "period: must be an integer number of days"}


def test_sessions_need_authentication(anon_client: Any) -> None:
    r = anon_client.get("/api/insights/sessions", params={"period": 7})
    assert r.status_code == 401
    assert r.json() == {"ok": False, "error": "authentication required"}


def test_another_users_sessions_are_not_counted(user: UserCtx, make_user: Any) -> None:
    seed(user)
    other = make_user(timezone=ZONE)
    assert sessions(other, 7)["session_count"] == 0
    assert sessions(user, 7)["session_count"] == 7
