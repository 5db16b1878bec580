"""Home's entries card: entries grouped by local day, with day totals attributed like every
figure (split at local midnight, DST-aware; CONTRACT section 4, "Attribution")."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from app.domain.workspace.home_cards import group_by_day

BERLIN = ZoneInfo("Europe/Berlin")


def local(y: int, m: int, d: int, h: int, mi: int = 0) -> datetime:
    return datetime(y, m, d, h, mi, tzinfo=BERLIN)


def test_groups_are_newest_day_first_with_items_in_the_given_order() -> None:
    rows = [
        (local(2026, 11, 30, 14), local(2026, 11, 30, 15), "b"),
        (local(2026, 11, 30, 9), local(2026, 11, 30, 9, 30), "a"),
        (local(2026, 11, 28, 9), local(2026, 11, 28, 11), "c"),
    ]
    groups = group_by_day(rows, BERLIN, date(2026, 11, 24), date(2026, 11, 30))
    assert [(g.day, g.total_seconds, g.entries) for g in groups] == [
        (date(2026, 11, 30), 5400, ["b", "a"]),
        (date(2026, 11, 28), 7200, ["c"]),
    ]


def test_an_entry_across_midnight_is_listed_on_its_start_day_and_split_between_both_totals() -> None:
    rows = [(local(2026, 11, 29, 23), local(2026, 11, 30, 1, 30), "late")]
    groups = group_by_day(rows, BERLIN, date(2026, 11, 24), date(2026, 11, 30))
    assert [(g.day, g.total_seconds, g.entries) for g in groups] == [
        (date(2026, 11, 30), 5400, []),
        (date(2026, 11, 29), 3600, ["late"]),
    ]


def test_days_outside_the_window_neither_list_nor_count() -> None:
    rows = [
        (local(2026, 11, 23, 23), local(2026, 11, 24, 2), "before the window"),
        (local(2026, 11, 20, 9), local(2026, 11, 20, 10), "far too old"),
    ]
    groups = group_by_day(rows, BERLIN, date(2026, 11, 24), date(2026, 11, 30))
    assert [(g.day, g.total_seconds, g.entries) for g in groups] == [(date(2026, 11, 24), 7200, [])]


def test_the_day_of_the_autumn_clock_change_counts_its_25_hours() -> None:
    # Europe/Berlin leaves summer time on 2026-10-25: midnight to midnight lasts 25 hours.
    start = datetime(2026, 10, 24, 22, 0, tzinfo=UTC)  # 00:00 local on the 25th
    end = datetime(2026, 10, 25, 23, 0, tzinfo=UTC)  # 00:00 local on the 26th
    groups = group_by_day([(start, end, "all day")], BERLIN, date(2026, 10, 19), date(2026, 10, 26))
    assert [(g.day, g.total_seconds, g.entries) for g in groups] == [(date(2026, 10, 25), 25 * 3600, ["all day"])]


def test_no_entries_no_groups() -> None:
    assert group_by_day([], BERLIN, date(2026, 11, 24), date(2026, 11, 30)) == []
