"""Properties of the exact splitting and of the stats sums, over random entries in random zones."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from app.domain.accounts.schemas import UserPrefs
from app.domain.productivity.figures import compute_stats
from app.domain.productivity.schemas import ProjectInfo
from app.domain.productivity.tally import load_start_date, tally
from app.domain.tracking.schemas import EntryRow
from app.lib.numbers import round_half_up_int
from app.lib.time import (
    US_PER_HOUR,
    US_PER_SECOND,
    LocalDays,
    get_zone,
    local_day_start,
    split_by_day,
    split_by_hour,
    to_micros,
)

ZONES = [
    "UTC",
    "Europe/Berlin",
    "America/New_York",
    "America/Santiago",
    "Asia/Kolkata",
    "Australia/Lord_Howe",
    "Pacific/Auckland",
    "Pacific/Chatham",
]

# instants around several DST transitions of the zones above (2024-2026)
_LO = datetime(2024, 1, 1, tzinfo=UTC)
_HI = datetime(2026, 6, 1, tzinfo=UTC)
# 2025 DST changes of those zones (US, EU, Santiago, Lord Howe, New Zealand and Chatham)
_TRANSITION_DAYS = ["03-09", "03-30", "04-06", "09-07", "09-28", "10-05", "10-26", "11-02"]
_anywhere = st.integers(0, to_micros(_HI) - to_micros(_LO)).map(lambda us: _LO + timedelta(microseconds=us))
_near_a_transition = st.builds(
    lambda day, us: datetime.fromisoformat(f"2025-{day}").replace(tzinfo=UTC) + timedelta(microseconds=us),
    st.sampled_from(_TRANSITION_DAYS),
    st.integers(-2 * 24 * 3600 * US_PER_SECOND, 2 * 24 * 3600 * US_PER_SECOND),
)
instants = st.one_of(_anywhere, _near_a_transition)
durations = st.integers(1, 3 * 24 * 3600 * US_PER_SECOND).map(lambda us: timedelta(microseconds=us))

PROJECTS = {i: ProjectInfo(id=i, name=f"Project {i}", color="#000000") for i in range(1, 13)}


def micros(seconds: float) -> int:
    # every piece is a whole number of microseconds below 2**53, so this is exact
    return round(seconds * US_PER_SECOND)


@given(zone=st.sampled_from(ZONES), start=instants, length=durations)
@settings(max_examples=300, deadline=None)
def test_split_by_day_pieces_sum_exactly_to_the_interval(
    zone: str, start: datetime, length: timedelta
) -> None:
    tz = get_zone(zone)
    pieces = list(split_by_day(start, start + length, tz))
    assert sum(micros(s) for _, s in pieces) == length // timedelta(microseconds=1)
    assert all(s > 0 for _, s in pieces)
    days = [d for d, _ in pieces]
    assert days == sorted(set(days))


@given(zone=st.sampled_from(ZONES), start=instants, length=durations)
@settings(max_examples=300, deadline=None)
def test_split_by_hour_pieces_sum_exactly_to_the_interval(
    zone: str, start: datetime, length: timedelta
) -> None:
    tz = get_zone(zone)
    pieces = list(split_by_hour(start, start + length, tz))
    assert sum(micros(s) for _, _, s in pieces) == length // timedelta(microseconds=1)
    assert all(0 <= h <= 23 and 0 < s <= 3600 for _, h, s in pieces)


@given(zone=st.sampled_from(ZONES), start=instants, length=durations)
@settings(max_examples=200, deadline=None)
def test_grid_splits_agree_with_split_by_day_and_split_by_hour(
    zone: str, start: datetime, length: timedelta
) -> None:
    tz = get_zone(zone)
    end = start + length
    first = start.astimezone(tz).date() - timedelta(days=1)
    last = end.astimezone(tz).date() + timedelta(days=1)
    days = LocalDays(tz, first, last)

    by_day = [0] * len(days)
    days.add_to(by_day, to_micros(start), to_micros(end))
    expected_day = [0] * len(days)
    for day, seconds in split_by_day(start, end, tz):
        expected_day[days.index(day)] += micros(seconds)
    assert by_day == expected_day

    by_hour = [0] * 24
    days.hours().add_to(by_hour, to_micros(start), to_micros(end))
    expected_hour = [0] * 24
    for _, hour, seconds in split_by_hour(start, end, tz):
        expected_hour[hour] += micros(seconds)
    assert by_hour == expected_hour


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[str, datetime, int, list[EntryRow]]:
    zone = draw(st.sampled_from(ZONES))
    now = draw(instants)
    period = draw(st.integers(1, 90))
    today = now.astimezone(get_zone(zone)).date()
    earliest = local_day_start(load_start_date(today, period), get_zone(zone)) - timedelta(days=2)
    span = to_micros(now) - to_micros(earliest)
    rows = []
    for i in range(draw(st.integers(0, 40))):
        begin = earliest + timedelta(microseconds=draw(st.integers(0, span)))
        length = draw(st.integers(1, 2 * 24 * 3600 * US_PER_SECOND))
        rows.append(
            EntryRow(
                id=i,
                project_id=draw(st.one_of(st.none(), st.integers(1, 12))),
                start=begin,
                end=begin + timedelta(microseconds=length),
                billable=draw(st.booleans()),
            )
        )
    return zone, now, period, rows


def _overlap_us(row: EntryRow, lo: datetime, hi: datetime) -> int:
    assert row.end is not None
    return max(0, to_micros(min(row.end, hi)) - to_micros(max(row.start, lo)))


@given(scenarios())
@settings(max_examples=150, deadline=None)
def test_daily_seconds_add_up_to_the_tracked_seconds_of_those_days(
    scenario: tuple[str, datetime, int, list[EntryRow]],
) -> None:
    zone, now, period, rows = scenario
    tz = get_zone(zone)
    today = now.astimezone(tz).date()
    t = tally(rows, zone, today, period, now)
    first = load_start_date(today, period)
    lo, hi = local_day_start(first, tz), local_day_start(today + timedelta(days=1), tz)

    assert sum(t.day_us) == sum(_overlap_us(row, lo, hi) for row in rows)

    expected: defaultdict[date, int] = defaultdict(int)
    for row in rows:
        assert row.end is not None
        for day, seconds in split_by_day(row.start, row.end, tz):
            if first <= day <= today:
                expected[day] += micros(seconds)
    assert {first + timedelta(days=i): us for i, us in enumerate(t.day_us) if us} == dict(expected)


@given(scenarios())
@settings(max_examples=150, deadline=None)
def test_projects_and_hour_distribution_add_up_to_the_window_total(
    scenario: tuple[str, datetime, int, list[EntryRow]],
) -> None:
    zone, now, period, rows = scenario
    tz = get_zone(zone)
    today = now.astimezone(tz).date()
    t = tally(rows, zone, today, period, now)
    window_lo = local_day_start(today - timedelta(days=period - 1), tz)
    window_hi = local_day_start(today + timedelta(days=1), tz)
    window_us = sum(_overlap_us(row, window_lo, window_hi) for row in rows)

    assert t.window_us == window_us
    assert sum(t.project_us.values()) == window_us
    assert sum(t.hour_us) == window_us

    payload = compute_stats(
        entries=rows,
        day_seconds_history={},
        projects=PROJECTS,
        prefs=UserPrefs(timezone=zone),
        now=now,
        period=period,
        week_goal_hours=None,
        active_timer=None,
    )
    items = payload.projects
    assert len(items) <= 9
    assert all(item.kind == "other" for item in items[8:])
    # the items' hours, in hundredths, add up to the half-up rounded window total
    assert sum(round(item.hours * 100) for item in items) == round_half_up_int(window_us, US_PER_HOUR // 100)
    assert sum(item.entry_count for item in items) == len(t.session_us)
    assert len(payload.focus.hour_distribution) == 24
    assert len(payload.daily_breakdown) == 14
    assert len(payload.heatmap) == 84
