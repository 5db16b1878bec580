"""When each notice kind is due (CONTRACT section 8), as pure functions of plain data.

`due_notices` takes what the derivation loaded (the day's figures from the shared
stats code, the running timer, the settings, `now`, the zone) and returns the notices
due now, each with the key that names its occurrence, plus the earliest later moment
at which a time-based notice can become due (so a poll before it derives nothing).
It reads no clock and no database. Budget thresholds are in `budget.py`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta

import msgspec

from app.domain.goals.schemas import GoalProgress
from app.domain.notifications.prefs import STREAK_MILESTONES, NotificationSettings
from app.lib.time import NonExistentLocalTimeError, get_zone_or_utc, local_day_start, resolve_local

__all__ = ["DayFigures", "Notice", "RunningTimer", "due_notices", "long_timer_due_at"]

_ONE_DAY = timedelta(days=1)
GOAL_RECHECK = timedelta(minutes=5)  # goals other than hours, with a timer running


class Notice(msgspec.Struct, frozen=True):
    kind: str
    key: str
    title: str
    body: str = ""
    action_url: str | None = None


class RunningTimer(msgspec.Struct, frozen=True):
    entry_id: int
    start: datetime
    project_id: int | None = None
    project_name: str | None = None


class DayFigures(msgspec.Struct, frozen=True):
    """Today's figures as the stats code computes them (CONTRACT 4)."""

    today: date
    tracked_hours: float  # completed time today
    live_hours: float  # with the running timer
    entry_count: int
    goal_hours: float  # the day's goal: standard hours on a working day, 0 otherwise
    top_project: str | None = None
    top_project_hours: float = 0.0
    current_streak: int = 0
    streak_anchor: date | None = None  # the last day of the run current_streak counts
    goals: Sequence[GoalProgress] = ()


def _h(hours: float) -> str:
    """Hours for a sentence: at most 2 decimals, no trailing zeros ("8", "6.5", "0.25")."""
    return f"{hours:.2f}".rstrip("0").rstrip(".")


def _at_local(day: date, clock: time, zone_name: str) -> datetime:
    """The instant a local wall-clock time happens on `day` (a time in a DST gap: the gap's end)."""
    zone = get_zone_or_utc(zone_name)
    try:
        return resolve_local(datetime.combine(day, clock), zone)
    except NonExistentLocalTimeError:
        return resolve_local(datetime.combine(day, clock) + timedelta(hours=1), zone)


def _next_daily(now: datetime, today: date, clock: time, zone_name: str) -> datetime:
    moment = _at_local(today, clock, zone_name)
    return moment if moment > now else _at_local(today + _ONE_DAY, clock, zone_name)


def long_timer_due_at(timer: RunningTimer, settings: NotificationSettings) -> datetime:
    return timer.start + timedelta(hours=settings.long_timer_hours)


def _long_timer(timer: RunningTimer, settings: NotificationSettings, zone_name: str) -> Notice:
    hours = settings.long_timer_hours
    started = timer.start.astimezone(get_zone_or_utc(zone_name))
    what = f" on {timer.project_name}" if timer.project_name else ""
    return Notice(
        kind="long_timer",
        key=f"long_timer:{timer.entry_id}",
        title=f"Your timer{what} has been running for {_h(hours)} h",
        body=f"Started {started:%Y-%m-%d %H:%M}. Stop it now, stop it at the time you stopped working, or keep going.",
        action_url=f"/notifications#long-timer-{timer.entry_id}",
    )


def _goal_notice(goal: GoalProgress) -> Notice | None:
    unit = {"hours": " h", "billable_percent": " %"}.get(goal.metric, "")
    achieved = _h(goal.achieved) if goal.metric == "hours" else f"{goal.achieved:g}"
    target = _h(goal.target) if goal.metric == "hours" else f"{goal.target:g}"
    if goal.direction == "at_least" and goal.status == "achieved":
        return Notice(
            kind="goal_achieved",
            key=f"goal_achieved:{goal.id}:{goal.period_start.isoformat()}",
            title=f"Goal achieved: {goal.name}",
            body=f"{achieved}{unit} of {target}{unit} this {_period_word(goal.period)}.",
            action_url="/goals",
        )
    if goal.direction == "at_most" and goal.status == "exceeded":
        return Notice(
            kind="goal_exceeded",
            key=f"goal_exceeded:{goal.id}:{goal.period_start.isoformat()}",
            title=f"Limit passed: {goal.name}",
            body=f"{achieved}{unit}, over the limit of {target}{unit} this {_period_word(goal.period)}.",
            action_url="/goals",
        )
    return None


def _period_word(period: str) -> str:
    return {"daily": "day", "weekly": "week", "monthly": "month"}.get(period, period)


def _goal_due_at(goal: GoalProgress, timer: RunningTimer, now: datetime) -> datetime | None:
    """When the running timer alone takes an hours goal over its line (None: not on its own)."""
    if goal.project_id is not None and goal.project_id != timer.project_id:
        return None
    if goal.metric == "hours":
        left = goal.target - goal.achieved
        if left < 0 or (left == 0 and goal.direction == "at_least"):
            return None
        return now + timedelta(seconds=max(60, math.ceil(left * 3600)))
    if goal.metric == "deep_sessions":
        return now + GOAL_RECHECK
    return None


def due_notices(
    *,
    now: datetime,
    zone_name: str,
    working_days: Sequence[int],
    settings: NotificationSettings,
    day: DayFigures,
    timer: RunningTimer | None,
) -> tuple[list[Notice], datetime]:
    """The notices due at `now` (at most one per occurrence key) and the next moment to look again."""
    notices: list[Notice] = []
    zone = get_zone_or_utc(zone_name)
    # A new local day starts new occurrences (reminder, summary, daily goals).
    candidates: list[datetime] = [local_day_start(day.today + _ONE_DAY, zone)]

    if timer is not None and settings.long_timer:
        due_at = long_timer_due_at(timer, settings)
        if now >= due_at:
            notices.append(_long_timer(timer, settings, zone_name))
        else:
            candidates.append(due_at)

    if settings.daily_reminder:
        moment = _at_local(day.today, settings.reminder_clock(), zone_name)
        if now >= moment:
            nothing = day.entry_count == 0 and day.tracked_hours == 0 and timer is None
            if day.today.isoweekday() in working_days and nothing:
                notices.append(
                    Notice(
                        kind="daily_reminder",
                        key=f"daily_reminder:{day.today.isoformat()}",
                        title="Nothing tracked yet today",
                        body=f"It is past {settings.reminder_time}. Start a timer or log what you did.",
                        action_url="/",
                    )
                )
        candidates.append(_next_daily(now, day.today, settings.reminder_clock(), zone_name))

    if settings.daily_summary:
        moment = _at_local(day.today, settings.summary_clock(), zone_name)
        if now >= moment and day.live_hours > 0:
            top = f" Top project: {day.top_project} ({_h(day.top_project_hours)} h)." if day.top_project else ""
            of_goal = f" of your {_h(day.goal_hours)} h goal" if day.goal_hours > 0 else ""
            notices.append(
                Notice(
                    kind="daily_summary",
                    key=f"daily_summary:{day.today.isoformat()}",
                    title=f"Today: {_h(day.live_hours)} h{of_goal}",
                    body=f"{_h(day.live_hours)} h tracked{of_goal}.{top}",
                    action_url="/dashboard/productivity?period=7",
                )
            )
        candidates.append(_next_daily(now, day.today, settings.summary_clock(), zone_name))

    for goal in day.goals:
        notice = _goal_notice(goal)
        if notice is not None:
            if settings.enabled(notice.kind):
                notices.append(notice)
        elif timer is not None:
            kind = "goal_achieved" if goal.direction == "at_least" else "goal_exceeded"
            at = _goal_due_at(goal, timer, now) if settings.enabled(kind) else None
            if at is not None:
                candidates.append(at)

    if settings.streak_milestone and day.current_streak in STREAK_MILESTONES and day.streak_anchor is not None:
        n = day.current_streak
        notices.append(
            Notice(
                kind="streak_milestone",
                key=f"streak_milestone:{n}:{day.streak_anchor.isoformat()}",
                title=f"{n}-day streak!",
                body=f"You have tracked time {n} days in a row.",
                action_url="/dashboard/productivity?period=30",
            )
        )

    return notices, min(candidates)
