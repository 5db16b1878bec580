"""When each notice kind is due, as the pure function `due_notices` decides it
(docs/notifications.md): local times in the user's zone (DST gaps included), the next
moment to look again, and goals a running timer will reach."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from app.domain.goals.schemas import GoalProgress
from app.domain.notifications.kinds import DayFigures, RunningTimer, due_notices
from app.domain.notifications.prefs import DEFAULTS, from_stored

BERLIN = ZoneInfo("Europe/Berlin")
WEEKDAYS = (1, 2, 3, 4, 5)


def day(today: date, **kw: object) -> DayFigures:
    base: dict[str, object] = {"today": today, "tracked_hours": 0.0, "live_hours": 0.0, "entry_count": 0,
                               "goal_hours": 8.0}
    base.update(kw)
    return DayFigures(**base)  # type: ignore[arg-type]


def local(y: int, m: int, d: int, h: int, mi: int = 0, zone: ZoneInfo = BERLIN) -> datetime:
    return datetime(y, m, d, h, mi, tzinfo=zone).astimezone(UTC)


def kinds(notices: list[object]) -> list[str]:
    return [n.kind for n in notices]  # type: ignore[attr-defined]


def test_reminder_follows_the_users_zone_and_tells_when_to_look_again() -> None:
    monday = date(2026, 11, 16)
    before, next_check = due_notices(now=local(2026, 11, 16, 10, 59), zone_name="Europe/Berlin",
                                     working_days=WEEKDAYS, settings=DEFAULTS, day=day(monday), timer=None)
    assert before == []
    assert next_check == local(2026, 11, 16, 11, 0)  # the reminder time, 10:00 UTC
    due, _ = due_notices(now=local(2026, 11, 16, 11, 0), zone_name="Europe/Berlin", working_days=WEEKDAYS,
                         settings=DEFAULTS, day=day(monday), timer=None)
    assert kinds(due) == ["daily_reminder"] and due[0].key == "daily_reminder:2026-11-16"


def test_a_reminder_time_in_a_dst_gap_happens_at_the_end_of_the_gap() -> None:
    spring = date(2026, 3, 29)  # Berlin skips 02:00-03:00; a Sunday, so make it a working day
    settings = from_stored({"reminder_time": "02:30", "daily_summary": False})
    _, next_check = due_notices(now=local(2026, 3, 29, 1, 0), zone_name="Europe/Berlin",
                                working_days=(7,), settings=settings, day=day(spring), timer=None)
    assert next_check == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)  # 03:30 CEST
    due, _ = due_notices(now=datetime(2026, 3, 29, 1, 30, tzinfo=UTC), zone_name="Europe/Berlin",
                         working_days=(7,), settings=settings, day=day(spring), timer=None)
    assert kinds(due) == ["daily_reminder"]


def test_long_timer_line_is_the_next_check_until_it_passes() -> None:
    start = datetime(2026, 11, 16, 8, 0, tzinfo=UTC)
    timer = RunningTimer(entry_id=7, start=start)
    today = date(2026, 11, 16)
    settings = from_stored({"daily_reminder": False, "daily_summary": False, "long_timer_hours": 2.5})
    none, next_check = due_notices(now=start + timedelta(hours=1), zone_name="UTC", working_days=WEEKDAYS,
                                   settings=settings, day=day(today, live_hours=1.0), timer=timer)
    assert none == [] and next_check == start + timedelta(hours=2.5)
    due, _ = due_notices(now=start + timedelta(hours=2.5), zone_name="UTC", working_days=WEEKDAYS,
                         settings=settings, day=day(today, live_hours=2.5), timer=timer)
    assert [(n.kind, n.key) for n in due] == [("long_timer", "long_timer:7")]


def test_a_running_timer_sets_the_next_check_when_it_reaches_an_hours_goal() -> None:
    now = datetime(2026, 11, 16, 9, 0, tzinfo=UTC)
    goal = GoalProgress(id=3, name="Four hours", metric="hours", period="daily", direction="at_least",
                        project_id=None, period_start=date(2026, 11, 16), period_end=date(2026, 11, 16),
                        target=4.0, achieved=3.5, percent=88, status="on_track")
    settings = from_stored({"daily_reminder": False, "daily_summary": False, "long_timer": False})
    timer = RunningTimer(entry_id=1, start=now - timedelta(hours=1))
    _, next_check = due_notices(now=now, zone_name="UTC", working_days=WEEKDAYS, settings=settings,
                                day=day(date(2026, 11, 16), goals=[goal]), timer=timer)
    assert next_check == now + timedelta(minutes=30)
    reached = GoalProgress(**{**{f: getattr(goal, f) for f in goal.__struct_fields__}, "achieved": 4.0,
                              "status": "achieved"})
    due, _ = due_notices(now=now, zone_name="UTC", working_days=WEEKDAYS, settings=settings,
                         day=day(date(2026, 11, 16), goals=[reached]), timer=timer)
    assert [(n.kind, n.key) for n in due] == [("goal_achieved", "goal_achieved:3:2026-11-16")]


def test_streak_milestones_only_at_7_30_100_365() -> None:
    today = date(2026, 11, 16)
    settings = from_stored({"daily_reminder": False, "daily_summary": False})
    for streak, expected in ((6, []), (7, ["streak_milestone"]), (8, []), (30, ["streak_milestone"]),
                             (365, ["streak_milestone"])):
        due, _ = due_notices(now=datetime(2026, 11, 16, 12, tzinfo=UTC), zone_name="UTC", working_days=WEEKDAYS,
                             settings=settings, day=day(today, current_streak=streak, streak_anchor=today),
                             timer=None)
        assert kinds(due) == expected, streak
