"""Session insights (app/domain/productivity/sessions.py); rules in docs/insights.md."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from app.domain.accounts.schemas import UserPrefs
from app.domain.productivity.sessions import (
    BEST_MIN_SESSIONS,
    FRAGMENT_MIN_SESSIONS,
    LONG_MIN_SESSIONS,
    RECORD_MIN_SESSIONS,
    SessionInsights,
    compute_session_insights,
)
from app.domain.tracking.schemas import EntryRow

UTC_PREFS = UserPrefs(timezone="UTC")
NOW = datetime(2026, 3, 10, 12, tzinfo=UTC)  # Tuesday; a 7-day window is 03-04 .. 03-10


def at(text: str, zone: str = "UTC") -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(zone)).astimezone(UTC)


_ids = iter(range(1, 1_000_000))


def row(start: str, end: str | None, *, outcome: bool = False, zone: str = "UTC") -> EntryRow:
    return EntryRow(
        id=next(_ids),
        project_id=None,
        start=at(start, zone),
        end=None if end is None else at(end, zone),
        billable=False,
        has_outcome=outcome,
    )


def sessions(minutes: float, count: int, outcomes: int = 0) -> list[EntryRow]:
    """`count` sessions of `minutes`, a day apart from 03-04 09:00; the first `outcomes` have one."""
    rows = []
    for i in range(count):
        start = datetime(2026, 3, 4 + i % 7, 9, tzinfo=UTC) + timedelta(seconds=i)
        rows.append(
            EntryRow(
                id=next(_ids),
                project_id=None,
                start=start,
                end=start + timedelta(minutes=minutes),
                billable=False,
                has_outcome=i < outcomes,
            )
        )
    return rows


def insights(
    entries: list[EntryRow], period: int = 7, prefs: UserPrefs = UTC_PREFS, now: datetime = NOW
) -> SessionInsights:
    return compute_session_insights(entries=entries, prefs=prefs, now=now, period=period)


def kinds(result: SessionInsights) -> list[str]:
    return [o.kind for o in result.observations]


def by_key(result: SessionInsights) -> dict[str, tuple[int, float, int]]:
    return {b.key: (b.count, b.total_hours, b.outcome_share) for b in result.buckets}


# ---------------------------------------------------------------- empty and window


def test_no_data_gives_zero_counts_a_zero_matrix_and_no_observations() -> None:
    result = insights([])
    assert result.period == 7
    assert (result.start_date, result.end_date) == (date(2026, 3, 4), date(2026, 3, 10))
    assert (result.session_count, result.outcome_share, result.window_hours) == (0, 0, 0.0)
    assert [(b.key, b.label, b.min_minutes, b.max_minutes) for b in result.buckets] == [
        ("under_25", "Under 25 min", 0, 25),
        ("25_50", "25–50 min", 25, 50),
        ("50_90", "50–90 min", 50, 90),
        ("over_90", "Over 90 min", 90, None),
    ]
    assert all((b.count, b.total_hours, b.outcome_share) == (0, 0.0, 0) for b in result.buckets)
    assert result.hour_weekday == [[0.0] * 24 for _ in range(7)]
    assert result.observations == []


def test_period_is_clamped_to_1_through_90() -> None:
    assert insights([], period=0).period == 1
    assert insights([], period=0).start_date == date(2026, 3, 10)
    assert insights([], period=500).period == 90
    assert insights([], period=500).start_date == date(2025, 12, 11)


def test_unknown_zone_falls_back_to_utc_instead_of_raising() -> None:
    result = insights([row("2026-03-09T09:00", "2026-03-09T10:00")], prefs=UserPrefs(timezone="Mars/Base"))
    assert (result.session_count, result.hour_weekday[0][9]) == (1, 1.0)


def test_sessions_belong_to_the_window_they_start_in_and_the_timer_is_left_out() -> None:
    entries = [
        row("2026-03-03T23:00", "2026-03-04T01:00", outcome=True),  # starts before the window
        row("2026-03-10T11:00", "2026-03-11T01:00"),  # starts today: counted whole (14 h)
        row("2026-03-10T11:30", None),  # the running timer
        row("2026-03-05T10:00", "2026-03-05T10:00"),  # empty
        row("2026-03-05T10:00", "2026-03-05T09:00"),  # inverted
    ]
    result = insights(entries)
    assert result.session_count == 1
    assert by_key(result)["over_90"] == (1, 14.0, 0)
    # The matrix only holds the window's seconds: 1 h of the early entry, 13 h of today's.
    assert result.hour_weekday[2][0] == 1.0  # Wednesday 00:00-01:00
    assert result.hour_weekday[1][11:24] == [1.0] * 13  # Tuesday 11:00-24:00
    assert result.window_hours == 14.0


# ---------------------------------------------------------------- buckets


def test_bucket_boundaries_are_half_open_minutes() -> None:
    lengths = {
        "under_25": [timedelta(minutes=1), timedelta(minutes=25) - timedelta(microseconds=1)],
        "25_50": [timedelta(minutes=25), timedelta(minutes=50) - timedelta(microseconds=1)],
        "50_90": [timedelta(minutes=50), timedelta(minutes=90) - timedelta(microseconds=1)],
        "over_90": [timedelta(minutes=90), timedelta(hours=9)],
    }
    entries = []
    for i, length in enumerate(t for group in lengths.values() for t in group):
        start = datetime(2026, 3, 4 + i % 7, 8, tzinfo=UTC)
        entries.append(EntryRow(id=i, project_id=None, start=start, end=start + length, billable=False))
    result = insights(entries)
    assert {b.key: b.count for b in result.buckets} == {"under_25": 2, "25_50": 2, "50_90": 2, "over_90": 2}
    assert by_key(result)["25_50"] == (2, 1.25, 0)  # 25 min + 50 min - 1 us
    assert by_key(result)["over_90"] == (2, 10.5, 0)


def test_exactly_25_minutes_goes_to_25_50() -> None:
    result = insights([row("2026-03-05T09:00", "2026-03-05T09:25")])
    assert by_key(result) == {
        "under_25": (0, 0.0, 0),
        "25_50": (1, 0.42, 0),
        "50_90": (0, 0.0, 0),
        "over_90": (0, 0.0, 0),
    }


def test_outcome_shares_per_bucket_and_overall_round_half_up() -> None:
    entries = sessions(10, 3, outcomes=2) + sessions(60, 8, outcomes=1) + sessions(120, 1, outcomes=1)
    result = insights(entries)
    assert by_key(result) == {
        "under_25": (3, 0.5, 67),
        "25_50": (0, 0.0, 0),
        "50_90": (8, 8.0, 13),  # 12.5 % -> 13
        "over_90": (1, 2.0, 100),
    }
    assert (result.session_count, result.outcome_share) == (12, 33)  # 4 of 12


# ---------------------------------------------------------------- matrix


def test_matrix_splits_by_local_clock_hour_and_weekday() -> None:
    result = insights(
        [row("2026-03-04T09:30", "2026-03-04T11:15"), row("2026-03-08T23:30", "2026-03-09T00:30")]
    )
    assert result.hour_weekday[2][9:12] == [0.5, 1.0, 0.25]  # Wednesday
    assert result.hour_weekday[6][23] == 0.5  # Sunday
    assert result.hour_weekday[0][0] == 0.5  # Monday
    assert result.window_hours == 2.75
    assert sum(map(sum, result.hour_weekday)) == 2.75


def test_matrix_folds_the_repeated_autumn_hour_into_one_cell() -> None:
    # New York, Sunday 2026-11-01: 00:30 EDT .. 02:30 EST lasts 3 real hours.
    ny = UserPrefs(timezone="America/New_York")
    entry = row("2026-11-01T00:30", "2026-11-01T02:30", zone="America/New_York")
    assert entry.end is not None and entry.end - entry.start == timedelta(hours=3)
    result = insights([entry], prefs=ny, now=at("2026-11-02T12:00"))
    assert result.hour_weekday[6][0:3] == [0.5, 2.0, 0.5]
    assert result.window_hours == 3.0
    assert by_key(result)["over_90"] == (1, 3.0, 0)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(min_value=-24 * 12, max_value=24 * 9), st.integers(min_value=1, max_value=48)),
        max_size=12,
    ),
    st.integers(min_value=-5, max_value=120),
)
def test_matrix_adds_up_to_the_windows_tracked_hours(spans: list[tuple[int, int]], period: int) -> None:
    # Whole UTC quarter hours across the spring change in New York; the window's exact
    # seconds are computed independently here.
    zone = ZoneInfo("America/New_York")
    ny = UserPrefs(timezone="America/New_York")
    now = datetime(2026, 3, 10, 16, tzinfo=UTC)
    base = datetime(2026, 3, 1, 5, tzinfo=UTC)
    entries = [
        EntryRow(
            id=i,
            project_id=None,
            start=base + timedelta(minutes=15 * s),
            end=base + timedelta(minutes=15 * (s + n)),
            billable=False,
        )
        for i, (s, n) in enumerate(spans)
    ]
    result = insights(entries, period=period, prefs=ny, now=now)
    clamped = min(max(period, 1), 90)
    first = date(2026, 3, 10) - timedelta(days=clamped - 1)
    lo = datetime(first.year, first.month, first.day, tzinfo=zone).astimezone(UTC)
    hi = datetime(2026, 3, 11, tzinfo=zone).astimezone(UTC)
    expected = sum(
        (max(timedelta(0), min(e.end, hi) - max(e.start, lo)) for e in entries if e.end is not None),
        start=timedelta(0),
    ) / timedelta(hours=1)
    assert result.window_hours == expected
    assert sum(map(sum, result.hour_weekday)) == expected
    assert result.session_count == sum(1 for e in entries if lo <= e.start < hi)


# ---------------------------------------------------------------- observations


def test_long_sessions_fire_at_a_20_point_gap_with_5_sessions() -> None:
    # 5 long sessions without outcome, overall 4 of 20 = 20 %: a gap of exactly 20 points.
    at_threshold = sessions(120, LONG_MIN_SESSIONS) + sessions(30, 15, outcomes=4)
    result = insights(at_threshold)
    long = [o for o in result.observations if o.kind == "long_sessions"]
    assert [(o.value, o.text) for o in long] == [
        (
            0,
            "Sessions over 90 minutes end with an outcome only 0% of the time, against 20% overall. "
            "Try closing long blocks with a short note of what they produced, or splitting them.",
        )
    ]
    # Overall 4 of 21 = 19.05 %: below the gap.
    assert "long_sessions" not in kinds(insights(sessions(120, 5) + sessions(30, 16, outcomes=4)))
    # Only 4 long sessions (overall 4 of 19 = 21 %): too few.
    assert "long_sessions" not in kinds(insights(sessions(120, 4) + sessions(30, 15, outcomes=4)))


def test_best_length_needs_two_buckets_of_5_sessions_and_a_strict_winner() -> None:
    result = insights(sessions(30, BEST_MIN_SESSIONS, outcomes=3) + sessions(60, 5, outcomes=4))
    best = [o for o in result.observations if o.kind == "best_length"]
    assert [(o.value, o.text) for o in best] == [
        (
            80,
            "Your 50–90 minute sessions most often produce an outcome (80%). "
            "Try planning work in blocks of that length.",
        )
    ]
    # One bucket with 4 sessions: only one bucket qualifies.
    assert "best_length" not in kinds(insights(sessions(30, 5, outcomes=3) + sessions(60, 4, outcomes=4)))
    # A tie: no winner.
    assert "best_length" not in kinds(insights(sessions(30, 5, outcomes=4) + sessions(60, 5, outcomes=4)))
    # No outcomes at all: nothing works best.
    assert "best_length" not in kinds(insights(sessions(30, 5) + sessions(60, 5)))
    # The phrase follows the bucket.
    short_best = insights(sessions(10, 6, outcomes=3) + sessions(100, 5, outcomes=1))
    assert [o.text for o in short_best.observations if o.kind == "best_length"] == [
        "Your sessions under 25 minutes most often produce an outcome (50%). "
        "Try planning work in blocks of that length."
    ]


def test_fragmented_fires_at_40_percent_short_sessions_of_10() -> None:
    result = insights(sessions(10, 4, outcomes=4) + sessions(30, FRAGMENT_MIN_SESSIONS - 4, outcomes=6))
    assert [(o.kind, o.value, o.text) for o in result.observations] == [
        (
            "fragmented",
            40,
            "40% of your sessions are shorter than 25 minutes. "
            "Grouping small tasks into longer blocks can leave more room for focused work.",
        )
    ]
    # 3 of 10 short: below the share.
    assert "fragmented" not in kinds(insights(sessions(10, 3, outcomes=3) + sessions(30, 7, outcomes=7)))
    # 4 of 9 short (44 %): too few sessions.
    assert "fragmented" not in kinds(insights(sessions(10, 4, outcomes=4) + sessions(30, 5, outcomes=5)))


def test_record_outcomes_fires_below_30_percent_of_10_sessions() -> None:
    result = insights(sessions(30, RECORD_MIN_SESSIONS, outcomes=2))
    assert [(o.kind, o.value, o.text) for o in result.observations] == [
        (
            "record_outcomes",
            20,
            "Only 20% of your sessions record an outcome. "
            "Noting what each session produced makes these patterns more reliable.",
        )
    ]
    # Exactly 30 %: not below.
    assert "record_outcomes" not in kinds(insights(sessions(30, 10, outcomes=3)))
    # 9 sessions without any outcome: too few.
    assert "record_outcomes" not in kinds(insights(sessions(30, 9)))


def test_at_most_three_observations_in_rule_order() -> None:
    # Long 5 (0 %), short 6 (50 %): overall 3 of 11 = 27 %; every rule applies.
    result = insights(sessions(120, 5) + sessions(10, 6, outcomes=3))
    assert kinds(result) == ["long_sessions", "best_length", "fragmented"]
    assert [o.value for o in result.observations] == [0, 50, 55]
    assert LONG_MIN_SESSIONS == 5 and RECORD_MIN_SESSIONS == 10


def test_same_input_gives_the_same_answer() -> None:
    entries = sessions(120, 5) + sessions(10, 6, outcomes=3)
    assert insights(entries) == insights(list(reversed(entries)))


def test_entries_under_a_minute_are_not_sessions() -> None:
    """A 3-second run (a start/stop by mistake) is left out of every figure, so it cannot
    produce "1 session, 0.00 h" or an observation (docs/insights.md, MIN_SESSION)."""
    result = insights([
        row("2026-03-05T09:00:00", "2026-03-05T09:00:03"),
        row("2026-03-05T10:00:00", "2026-03-05T10:00:59.999999"),
    ])
    assert (result.session_count, result.window_hours, result.observations) == (0, 0.0, [])
    assert all(b.count == 0 for b in result.buckets)
    assert all(v == 0 for day in result.hour_weekday for v in day)
    result = insights([row("2026-03-05T09:00:00", "2026-03-05T09:01:00")])  # exactly a minute counts
    assert result.session_count == 1
