"""A payload cached while a timer runs is brought up to date by overlay_live, exactly.

docs/productivity.md ("Caching"): with a timer running the completed part of the payload
is cached and the live fields (active timer, today_live_hours, week_live_hours) are
re-derived per request. The overlay must equal a full recomputation at the later `now`.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import msgspec
import pytest

from app.domain.accounts.schemas import UserPrefs
from app.domain.productivity.figures import compute_stats, compute_stats_and_base
from app.domain.productivity.live import LiveBase, overlay_live
from app.domain.productivity.schemas import ActiveTimer
from app.domain.tracking.schemas import EntryRow

ZONE = "Europe/Berlin"


def _timer(start: datetime, now: datetime) -> ActiveTimer:
    return ActiveTimer(id=9, project_id=None, project_name=None, task_id=None, task_name=None,
                       start_time=start.isoformat(), elapsed_seconds=int((now - start).total_seconds()),
                       notes="", billable=False)


def _stats(entries: list[EntryRow], now: datetime, timer_start: datetime) -> object:
    return compute_stats(entries=entries, day_seconds_history={}, projects={}, prefs=UserPrefs(timezone=ZONE),
                         now=now, period=30, week_goal_hours=None, active_timer=_timer(timer_start, now))


@pytest.mark.parametrize(
    ("timer_start", "later"),
    [
        # Started this morning; read 3 h 17 min 5 s later.
        (datetime(2026, 3, 11, 7, 0, tzinfo=UTC), timedelta(hours=3, minutes=17, seconds=5)),
        # Started yesterday evening (crosses local midnight): only today's part is "today".
        (datetime(2026, 3, 10, 21, 30, tzinfo=UTC), timedelta(minutes=45, seconds=1)),
        # Started last Sunday (crosses the week boundary): the week part starts on Monday.
        (datetime(2026, 3, 8, 20, 0, tzinfo=UTC), timedelta(hours=1)),
    ],
)
def test_overlay_equals_a_full_recomputation_later_the_same_day(timer_start: datetime, later: timedelta) -> None:
    done = [
        EntryRow(1, None, datetime(2026, 3, 11, 5, 0, tzinfo=UTC), datetime(2026, 3, 11, 5, 7, 30, tzinfo=UTC), True),
        EntryRow(2, None, datetime(2026, 3, 9, 8, 0, tzinfo=UTC), datetime(2026, 3, 9, 9, 0, 1, tzinfo=UTC), False),
    ]
    entries = [*done, EntryRow(9, None, timer_start, None, False)]
    first = datetime(2026, 3, 11, 10, 0, 0, tzinfo=UTC)
    payload, base = compute_stats_and_base(entries=entries, day_seconds_history={}, projects={},
                                           prefs=UserPrefs(timezone=ZONE), now=first, period=30,
                                           week_goal_hours=None, active_timer=_timer(timer_start, first))
    assert base is not None
    assert overlay_live(base, first) == payload
    # Through the cache's encoding, as the service stores it.
    cached = msgspec.msgpack.Decoder(LiveBase).decode(msgspec.msgpack.Encoder().encode(base))
    now = first + later
    assert overlay_live(cached, now) == _stats(entries, now, timer_start)


def test_no_base_without_a_running_timer() -> None:
    now = datetime(2026, 3, 11, 10, 0, tzinfo=UTC)
    _, base = compute_stats_and_base(entries=[], day_seconds_history={}, projects={}, prefs=UserPrefs(timezone=ZONE),
                                     now=now, period=30, week_goal_hours=None, active_timer=None)
    assert base is None
