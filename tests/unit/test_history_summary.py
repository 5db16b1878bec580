"""The cached streak summary of old days gives exactly the figures of the full history."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from app.domain.accounts.schemas import UserPrefs
from app.domain.productivity.figures import compute_stats
from app.domain.productivity.streak import extend_summary, summarize_history
from app.domain.productivity.tally import load_start_date

NOW = datetime(2026, 11, 21, 15, 0, tzinfo=UTC)
TODAY = NOW.date()


def _payload(history: dict[date, float], prefs: UserPrefs, with_summary: bool) -> object:
    before = load_start_date(TODAY, 30)
    return compute_stats(
        entries=[], day_seconds_history={} if with_summary else history, projects={}, prefs=prefs, now=NOW,
        period=30, week_goal_hours=None, active_timer=None,
        history_summary=summarize_history(history, before, prefs) if with_summary else None,
    ).streak


@settings(max_examples=150, deadline=None)
@given(
    days=st.dictionaries(st.integers(min_value=84, max_value=900), st.sampled_from([60.0, 1200.0, 3600.0, 30000.0]),
                         max_size=300),
    min_minutes=st.sampled_from([0, 15, 30]),
    skip=st.booleans(),
    working=st.sampled_from([(1, 2, 3, 4, 5), (1, 2, 3, 4, 5, 6, 7), (2, 4)]),
)
def test_summary_gives_the_same_streak_figures_as_the_full_history(
    days: dict[int, float], min_minutes: int, skip: bool, working: tuple[int, ...]
) -> None:
    history = {TODAY - timedelta(days=n): s for n, s in days.items()}
    prefs = UserPrefs(timezone="UTC", working_days=working, streak_min_minutes=min_minutes,
                      streak_skip_non_working=skip)
    assert _payload(history, prefs, True) == _payload(history, prefs, False)


def test_longest_run_of_old_days_is_kept_in_the_summary() -> None:
    start = TODAY - timedelta(days=400)
    history = {start + timedelta(days=i): 3600.0 for i in range(12)}
    summary = summarize_history(history, load_start_date(TODAY, 30), UserPrefs(timezone="UTC"))
    assert summary.longest == 12
    assert summary.tail == tuple(start + timedelta(days=i) for i in range(12))


def test_a_run_crossing_from_old_days_into_the_window_counts_whole() -> None:
    from app.domain.tracking.schemas import EntryRow

    before = load_start_date(TODAY, 30)
    history = {before - timedelta(days=i): 3600.0 for i in range(1, 6)}  # 5 old days right before the window
    entries = [
        EntryRow(i, None, datetime.combine(before + timedelta(days=i), datetime.min.time(), UTC) + timedelta(hours=9),
                 datetime.combine(before + timedelta(days=i), datetime.min.time(), UTC) + timedelta(hours=10), False)
        for i in range((TODAY - before).days + 1)
    ]
    prefs = UserPrefs(timezone="UTC")
    full = compute_stats(entries=entries, day_seconds_history=history, projects={}, prefs=prefs, now=NOW, period=30,
                         week_goal_hours=None, active_timer=None).streak
    summed = compute_stats(entries=entries, day_seconds_history={}, projects={}, prefs=prefs, now=NOW, period=30,
                           week_goal_hours=None, active_timer=None,
                           history_summary=summarize_history(history, before, prefs)).streak
    days_in_window = (TODAY - before).days + 1
    assert full.current_streak == summed.current_streak == 5 + days_in_window
    assert full.longest_streak == summed.longest_streak == 5 + days_in_window


def test_a_summary_extended_by_the_days_in_between_equals_the_summary_of_the_whole_history() -> None:
    """Every period shares the summary before the earliest load start; its own load start
    adds the days in between (extend_summary) — whatever the streak rules."""
    rng = random.Random(8)
    start = date(2026, 1, 1)
    for _ in range(2000):
        prefs = UserPrefs(
            timezone="UTC",
            working_days=tuple(sorted(rng.sample(range(1, 8), rng.randint(0, 7)))),
            streak_min_minutes=rng.choice([0, 0, 30]),
            streak_skip_non_working=rng.random() < 0.5,
        )
        history = {
            start + timedelta(days=i): rng.choice([0.0, 1.0, 600.0, 1800.0, 3600.0])
            for i in range(rng.randint(0, 60))
            if rng.random() < 0.7
        }
        before = start + timedelta(days=rng.randint(0, 70))
        anchor = before - timedelta(days=rng.randint(0, 10))
        between = {day: seconds for day, seconds in history.items() if anchor <= day < before}
        extended = extend_summary(summarize_history(history, anchor, prefs), between, before, prefs)
        assert extended == summarize_history(history, before, prefs), (prefs, anchor, before)
