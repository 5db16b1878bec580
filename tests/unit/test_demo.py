"""The demo-history generator: deterministic, realistic, and never an invalid entry."""

from __future__ import annotations

import re
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo

import pytest

from app.domain.tracking import demo
from app.domain.tracking.demo import DemoData, generate_demo

NOW = datetime(2026, 3, 11, 15, 30, tzinfo=UTC)
BERLIN = "Europe/Berlin"
NEW_YORK = "America/New_York"


def _today(zone_name: str, now: datetime = NOW) -> date:
    return now.astimezone(ZoneInfo(zone_name)).date()


@cache
def _demo(seed: int = 7, years: float = 3, zone_name: str = BERLIN) -> DemoData:
    return generate_demo(seed=seed, years=years, zone_name=zone_name, today=_today(zone_name), now=NOW)


def test_same_seed_gives_identical_history() -> None:
    first = generate_demo(seed=11, years=1, zone_name=BERLIN, today=_today(BERLIN), now=NOW)
    second = generate_demo(seed=11, years=1, zone_name=BERLIN, today=_today(BERLIN), now=NOW)
    assert first == second


def test_different_seed_gives_different_history() -> None:
    assert _demo(seed=1, years=1).entries != _demo(seed=2, years=1).entries


@pytest.mark.parametrize("zone_name", [BERLIN, NEW_YORK, "Australia/Lord_Howe", "America/Santiago"])
def test_entries_are_valid_ordered_and_never_overlap(zone_name: str) -> None:
    entries = _demo(zone_name=zone_name).entries
    for entry in entries:
        assert entry.start.utcoffset() == timedelta(0)
        assert entry.end > entry.start
        assert timedelta(minutes=10) <= entry.end - entry.start <= timedelta(hours=4)
        assert entry.end <= NOW
    for earlier, later in zip(entries, entries[1:], strict=False):
        assert earlier.end <= later.start


def test_history_spans_the_requested_years_and_reaches_today() -> None:
    entries = _demo(years=3).entries
    zone = ZoneInfo(BERLIN)
    first_day = entries[0].start.astimezone(zone).date()
    assert _today(BERLIN) - timedelta(days=round(3 * 365.25)) <= first_day <= date(2023, 3, 31)
    assert entries[-1].end > NOW - timedelta(days=7)


def test_about_2500_entries_per_year() -> None:
    count = len(_demo(years=3).entries)
    assert 2_100 * 3 <= count <= 2_900 * 3


def test_some_entries_cross_local_midnight() -> None:
    zone = ZoneInfo(BERLIN)
    crossing = [
        e for e in _demo().entries if e.start.astimezone(zone).date() != e.end.astimezone(zone).date()
    ]
    assert 3 * 3 <= len(crossing) <= 3 * 40


def test_projects_have_distinct_valid_colours_and_a_billable_mix() -> None:
    for seed in range(20):
        projects = _demo(seed=seed, years=1).projects
        assert 6 <= len(projects) <= 10
        assert [p.key for p in projects] == list(range(1, len(projects) + 1))
        assert all(re.fullmatch(r"#[0-9a-f]{6}", p.color) for p in projects)
        assert len({p.color for p in projects}) == len(projects)
        assert len({p.name for p in projects}) == len(projects)
        assert {p.billable for p in projects} == {True, False}
        assert 1 <= sum(p.archived for p in projects) <= 2


def test_archived_projects_hold_only_older_work() -> None:
    data = _demo()
    archived = {p.key for p in data.projects if p.archived}
    last_archived = max(e.end for e in data.entries if e.project_key in archived)
    assert last_archived < NOW - timedelta(days=365)


def test_entries_mostly_follow_their_projects_billable_default() -> None:
    data = _demo()
    default = {p.key: p.billable for p in data.projects}
    with_project = [e for e in data.entries if e.project_key is not None]
    exceptions = sum(e.billable != default[e.project_key] for e in with_project if e.project_key is not None)
    assert 0 < exceptions < 0.12 * len(with_project)
    assert {e.billable for e in data.entries} == {True, False}


def test_some_entries_have_no_project() -> None:
    entries = _demo().entries
    share = sum(e.project_key is None for e in entries) / len(entries)
    assert 0.01 < share < 0.12


def test_outcomes_on_roughly_40_percent_favouring_medium_sessions() -> None:
    entries = _demo().entries
    assert 0.25 <= sum(bool(e.outcome) for e in entries) / len(entries) <= 0.55

    def share(low: int, high: int) -> float:
        group = [e for e in entries if timedelta(minutes=low) <= e.end - e.start < timedelta(minutes=high)]
        return sum(bool(e.outcome) for e in group) / len(group)

    assert share(50, 90) > share(10, 50)
    assert share(50, 90) > share(120, 241)


def test_most_entries_have_notes_and_tags_come_from_a_small_set() -> None:
    entries = _demo().entries
    assert sum(bool(e.notes) for e in entries) / len(entries) > 0.7
    tags = {tag for e in entries for tag in e.tags}
    assert 3 <= len(tags) <= 12
    assert all(e.tags == tuple(sorted(set(e.tags))) for e in entries)


def test_weekends_are_present_but_rare() -> None:
    zone = ZoneInfo(BERLIN)
    active_days = {e.start.astimezone(zone).date() for e in _demo().entries}
    weekend = [d for d in active_days if d.weekday() >= 5]
    weekdays = [d for d in active_days if d.weekday() < 5]
    # About one weekend day in six over ~312 weekend days; almost every working day.
    assert 25 <= len(weekend) <= 90
    assert len(weekdays) > 8 * len(weekend)


def test_working_days_have_4_to_30_entries_starting_in_the_morning() -> None:
    zone = ZoneInfo(BERLIN)
    by_day: dict[date, list[datetime]] = {}
    for e in _demo().entries:
        local = e.start.astimezone(zone)
        if local.weekday() < 5:
            by_day.setdefault(local.date(), []).append(local)
    full_days = [starts for d, starts in by_day.items() if d != _today(BERLIN)]
    first_hours = Counter(min(starts).hour for starts in full_days)
    assert sum(first_hours[h] for h in (7, 8, 9, 10)) / len(full_days) > 0.95
    mean = sum(len(s) for s in full_days) / len(full_days)
    assert 7 <= mean <= 13


def test_vacation_weeks_leave_gaps_of_at_least_a_week() -> None:
    zone = ZoneInfo(BERLIN)
    days = sorted({e.start.astimezone(zone).date() for e in _demo().entries})
    long_gaps = [b - a for a, b in zip(days, days[1:], strict=False) if b - a >= timedelta(days=8)]
    assert 3 <= len(long_gaps) <= 3 * 4


def test_tasks_belong_to_projects_and_done_ones_completed_within_history() -> None:
    data = _demo()
    keys = {p.key for p in data.projects}
    tasks = {t.key: t for t in data.tasks}
    assert {t.project_key for t in data.tasks} == keys
    assert {t.status for t in data.tasks} == {"todo", "done"}
    start = data.entries[0].start - timedelta(days=1)
    for task in data.tasks:
        assert (task.status == "done") == (task.completed_at is not None)
        if task.completed_at is not None:
            assert start <= task.completed_at <= NOW
    for entry in data.entries:
        if entry.task_key is not None:
            task = tasks[entry.task_key]
            assert task.project_key == entry.project_key
            assert task.completed_at is None or task.completed_at > entry.end


def test_work_follows_local_wall_clock_across_dst_in_new_york() -> None:
    zone = ZoneInfo(NEW_YORK)
    first_hours: dict[int, Counter[int]] = {1: Counter(), 7: Counter()}
    by_day: dict[date, datetime] = {}
    for e in _demo(zone_name=NEW_YORK).entries:
        local = e.start.astimezone(zone)
        if local.weekday() < 5 and local.hour >= 5:
            by_day[local.date()] = min(by_day.get(local.date(), local), local)
    for day, first in by_day.items():
        if day.month in first_hours:
            first_hours[day.month][first.hour] += 1
    # Winter (UTC-5) and summer (UTC-4) days both start at 7-10 local time.
    for counter in first_hours.values():
        assert sum(counter[h] for h in (7, 8, 9, 10)) == sum(counter.values()) > 20


def test_wall_times_in_a_dst_gap_are_skipped_and_ambiguous_ones_take_the_first() -> None:
    zone = ZoneInfo(NEW_YORK)
    assert demo._wall_to_utc(datetime(2025, 3, 9, 2, 30), zone) is None
    assert demo._wall_to_utc(datetime(2025, 3, 9, 3, 0), zone) == datetime(2025, 3, 9, 7, 0, tzinfo=UTC)
    assert demo._wall_to_utc(datetime(2025, 11, 2, 1, 30), zone) == datetime(2025, 11, 2, 5, 30, tzinfo=UTC)


def test_planned_sessions_ending_in_a_dst_gap_are_dropped(monkeypatch: pytest.MonkeyPatch) -> None:
    hour = 3600
    # Every day: 01:30-02:30 (the spring gap in New York) and 03:00-04:00.
    monkeypatch.setattr(
        demo,
        "_day_sessions",
        lambda rng, day, days_off: [(90 * 60, 150 * 60, True), (3 * hour, 4 * hour, True)],
    )
    now = datetime(2025, 3, 12, 12, 0, tzinfo=UTC)
    data = generate_demo(seed=1, years=0.02, zone_name=NEW_YORK, today=date(2025, 3, 12), now=now)
    zone = ZoneInfo(NEW_YORK)
    per_day = Counter(e.start.astimezone(zone).date() for e in data.entries)
    assert per_day[date(2025, 3, 8)] == 2
    assert per_day[date(2025, 3, 9)] == 1
    assert per_day[date(2025, 3, 10)] == 2
    (kept,) = [e for e in data.entries if e.start.astimezone(zone).date() == date(2025, 3, 9)]
    assert (kept.start, kept.end) == (
        datetime(2025, 3, 9, 7, tzinfo=UTC),
        datetime(2025, 3, 9, 8, tzinfo=UTC),
    )


def test_nothing_ends_after_now_on_the_last_day() -> None:
    now = datetime(2026, 3, 11, 11, 0, tzinfo=UTC)  # 12:00 in Berlin, mid-morning session
    data = generate_demo(seed=3, years=0.5, zone_name=BERLIN, today=_today(BERLIN, now), now=now)
    assert max(e.end for e in data.entries) <= now


def test_bad_arguments_are_rejected() -> None:
    with pytest.raises(ValueError, match="aware"):
        generate_demo(seed=1, years=1, zone_name=BERLIN, today=date(2026, 3, 11), now=datetime(2026, 3, 11))
    with pytest.raises(ValueError, match="years"):
        generate_demo(seed=1, years=0, zone_name=BERLIN, today=date(2026, 3, 11), now=NOW)
    with pytest.raises(ValueError, match="time zone"):
        generate_demo(seed=1, years=1, zone_name="Mars/Olympus", today=date(2026, 3, 11), now=NOW)
