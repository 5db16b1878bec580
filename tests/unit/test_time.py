"""app.lib.time: local days, DST and exact splitting."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from app.lib.time import (
    US_PER_HOUR,
    LocalDays,
    NonExistentLocalTimeError,
    from_micros,
    get_zone,
    iso_monday,
    local_date,
    local_day_bounds,
    local_day_start,
    local_grid,
    resolve_local,
    split_by_day,
    split_by_hour,
    to_micros,
)


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


# ---------------------------------------------------------------- zones and local times


def test_get_zone_rejects_an_unknown_name() -> None:
    with pytest.raises(ValueError, match="unknown time zone"):
        get_zone("Mars/Olympus_Mons")


def test_resolve_local_rejects_a_time_in_the_spring_forward_gap() -> None:
    zone = get_zone("America/New_York")
    with pytest.raises(
        NonExistentLocalTimeError, match="2025-03-09 02:30 does not exist in America/New_York"
    ):
        resolve_local(datetime(2025, 3, 9, 2, 30), zone)


def test_resolve_local_takes_the_first_occurrence_of_an_ambiguous_time() -> None:
    zone = get_zone("America/New_York")
    # 01:30 happens twice on 2025-11-02: first at EDT (-4), then at EST (-5).
    assert resolve_local(datetime(2025, 11, 2, 1, 30), zone) == utc("2025-11-02 05:30")


def test_resolve_local_converts_an_ordinary_time_to_utc() -> None:
    assert resolve_local(datetime(2025, 7, 1, 9, 0), get_zone("Asia/Kolkata")) == utc("2025-07-01 03:30")


def test_resolve_local_refuses_an_aware_datetime() -> None:
    with pytest.raises(ValueError, match="naive"):
        resolve_local(utc("2025-07-01 09:00"), get_zone("UTC"))


def test_local_date_of_an_instant_depends_on_the_zone() -> None:
    instant = utc("2025-11-05 20:00")
    assert local_date(instant, get_zone("Pacific/Auckland")) == date(2025, 11, 6)
    assert local_date(instant, get_zone("America/Los_Angeles")) == date(2025, 11, 5)


def test_iso_monday_is_the_monday_of_the_same_iso_week() -> None:
    assert iso_monday(date(2025, 11, 9)) == date(2025, 11, 3)
    assert iso_monday(date(2025, 11, 3)) == date(2025, 11, 3)


# ---------------------------------------------------------------- local day bounds


def test_spring_forward_day_in_new_york_lasts_23_hours() -> None:
    start, end = local_day_bounds(date(2025, 3, 9), get_zone("America/New_York"))
    assert (start, end) == (utc("2025-03-09 05:00"), utc("2025-03-10 04:00"))
    assert end - start == timedelta(hours=23)


def test_fall_back_day_in_berlin_lasts_25_hours() -> None:
    start, end = local_day_bounds(date(2025, 10, 26), get_zone("Europe/Berlin"))
    assert (start, end) == (utc("2025-10-25 22:00"), utc("2025-10-26 23:00"))
    assert end - start == timedelta(hours=25)


def test_lord_howe_days_shift_by_half_an_hour() -> None:
    zone = get_zone("Australia/Lord_Howe")
    spring_start, spring_end = local_day_bounds(date(2025, 10, 5), zone)
    autumn_start, autumn_end = local_day_bounds(date(2025, 4, 6), zone)
    assert spring_end - spring_start == timedelta(hours=23, minutes=30)
    assert autumn_end - autumn_start == timedelta(hours=24, minutes=30)


def test_a_day_whose_midnight_is_skipped_starts_when_the_clocks_jump() -> None:
    # America/Santiago springs forward at 00:00 -> 01:00 on 2025-09-07.
    zone = get_zone("America/Santiago")
    start, end = local_day_bounds(date(2025, 9, 7), zone)
    assert start == utc("2025-09-07 04:00")
    assert start.astimezone(zone).strftime("%H:%M %z") == "01:00 -0300"
    assert end - start == timedelta(hours=23)
    assert local_day_start(date(2025, 9, 6), zone) == utc("2025-09-06 04:00")


def test_a_day_that_never_happened_is_empty() -> None:
    # Pacific/Apia skipped 2011-12-30 entirely when it crossed the date line.
    start, end = local_day_bounds(date(2011, 12, 30), get_zone("Pacific/Apia"))
    assert start == end


# ---------------------------------------------------------------- splitting


def test_split_by_day_gives_each_side_of_local_midnight_its_part() -> None:
    zone = get_zone("Europe/Berlin")
    start = resolve_local(datetime(2025, 11, 3, 23, 0), zone)
    end = resolve_local(datetime(2025, 11, 4, 1, 0), zone)
    assert list(split_by_day(start, end, zone)) == [(date(2025, 11, 3), 3600.0), (date(2025, 11, 4), 3600.0)]


def test_split_by_day_of_an_empty_or_inverted_interval_yields_nothing() -> None:
    zone = get_zone("UTC")
    instant = utc("2025-11-03 10:00")
    assert list(split_by_day(instant, instant, zone)) == []
    assert list(split_by_day(instant, instant - timedelta(hours=1), zone)) == []


def test_split_by_day_skips_a_day_that_never_happened() -> None:
    zone = get_zone("Pacific/Apia")
    start = resolve_local(datetime(2011, 12, 29, 23, 0), zone)
    end = resolve_local(datetime(2011, 12, 31, 1, 0), zone)
    assert list(split_by_day(start, end, zone)) == [
        (date(2011, 12, 29), 3600.0),
        (date(2011, 12, 31), 3600.0),
    ]


def test_split_by_hour_has_no_piece_for_the_skipped_spring_hour() -> None:
    zone = get_zone("America/New_York")
    start = resolve_local(datetime(2025, 3, 9, 1, 30), zone)
    end = resolve_local(datetime(2025, 3, 9, 3, 30), zone)
    assert [(h, s) for _, h, s in split_by_hour(start, end, zone)] == [(1, 1800.0), (3, 1800.0)]


def test_split_by_hour_reports_both_occurrences_of_the_repeated_autumn_hour_as_the_same_hour() -> None:
    zone = get_zone("Europe/Berlin")
    start = resolve_local(datetime(2025, 10, 26, 1, 30), zone)
    end = utc("2025-10-26 02:30")  # 03:30 CET, after both 02:00-03:00 hours
    assert [(h, s) for _, h, s in split_by_hour(start, end, zone)] == [
        (1, 1800.0),
        (2, 3600.0),
        (2, 3600.0),
        (3, 1800.0),
    ]


def test_split_by_hour_follows_half_hour_offsets() -> None:
    zone = get_zone("Asia/Kolkata")
    # 09:45-11:15 IST
    pieces = list(split_by_hour(utc("2025-07-01 04:15"), utc("2025-07-01 05:45"), zone))
    assert [(h, s) for _, h, s in pieces] == [(9, 900.0), (10, 3600.0), (11, 900.0)]


def test_split_by_hour_across_a_30_minute_dst_shift() -> None:
    zone = get_zone("Australia/Lord_Howe")
    # 2025-10-05: 02:00 (+10:30) jumps to 02:30 (+11).
    start = resolve_local(datetime(2025, 10, 5, 1, 0), zone)
    end = resolve_local(datetime(2025, 10, 5, 4, 0), zone)
    assert [(h, s) for _, h, s in split_by_hour(start, end, zone)] == [(1, 3600.0), (2, 1800.0), (3, 3600.0)]


# ---------------------------------------------------------------- exact grids


def test_micros_round_trip_exactly() -> None:
    instant = datetime(2025, 3, 9, 6, 59, 59, 999_999, tzinfo=UTC)
    assert to_micros(instant) == 1_741_503_599_999_999
    assert from_micros(to_micros(instant)) == instant


def test_to_micros_refuses_a_naive_datetime() -> None:
    with pytest.raises(ValueError, match="aware"):
        to_micros(datetime(2025, 1, 1))


def test_local_days_bounds_are_the_local_day_starts() -> None:
    zone = get_zone("Europe/Berlin")
    days = LocalDays(zone, date(2025, 10, 25), date(2025, 10, 27))
    assert len(days) == 3
    assert [from_micros(b) for b in days.bounds] == [
        utc("2025-10-24 22:00"),
        utc("2025-10-25 22:00"),
        utc("2025-10-26 23:00"),
        utc("2025-10-27 23:00"),
    ]
    assert days.index(date(2025, 10, 26)) == 1
    assert days.index_at(to_micros(utc("2025-10-26 22:59"))) == 1
    assert days.index_at(to_micros(utc("2025-10-24 21:59"))) == -1
    assert days.index_at(to_micros(utc("2025-10-27 23:00"))) == 3


def test_local_days_split_clips_to_the_grid_and_adds_up() -> None:
    zone = get_zone("Europe/Berlin")
    days = LocalDays(zone, date(2025, 10, 25), date(2025, 10, 26))
    start = to_micros(utc("2025-10-24 21:00"))  # one hour before the grid
    end = to_micros(utc("2025-10-26 01:00"))
    assert list(days.split(start, end)) == [(0, 24 * US_PER_HOUR), (1, 3 * US_PER_HOUR)]
    totals = [0, 0]
    days.add_to(totals, start, end)
    assert totals == [24 * US_PER_HOUR, 3 * US_PER_HOUR]


def test_local_hours_of_a_25_hour_day_repeat_hour_2() -> None:
    zone = get_zone("Europe/Berlin")
    hours = LocalDays(zone, date(2025, 10, 26), date(2025, 10, 26)).hours()
    assert hours.labels == [0, 1, 2, 2, *range(3, 24)]
    totals = [0] * 24
    hours.add_to(totals, hours.bounds[0], hours.bounds[-1])
    assert totals[2] == 2 * US_PER_HOUR
    assert sum(totals) == 25 * US_PER_HOUR


def test_local_hours_of_a_day_starting_after_a_midnight_gap_begin_at_1() -> None:
    zone = get_zone("America/Santiago")
    hours = LocalDays(zone, date(2025, 9, 7), date(2025, 9, 7)).hours()
    assert hours.labels == list(range(1, 24))


def test_local_grid_is_memoised() -> None:
    zone = get_zone("Asia/Kolkata")
    first = local_grid(zone, date(2025, 1, 1), date(2025, 1, 31), date(2025, 1, 10))
    assert local_grid(zone, date(2025, 1, 1), date(2025, 1, 31), date(2025, 1, 10)) is first
    assert first[1].bounds[0] == first[0].bounds[9]
