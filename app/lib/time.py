"""The one place that knows local days, DST and splitting of time intervals.

Every figure in CONTRACT.md section 4 is built from these helpers:

* a local day D is the interval [D 00:00, D+1 00:00) in the user's zone, so it lasts
  23, 24 or 25 hours (or anything in between for zones with 30-minute shifts);
* an interval is split exactly, to the microsecond, across every local day and every
  local clock hour it overlaps; both occurrences of a repeated autumn hour fold into
  that hour's bucket.

All functions take aware datetimes (any offset) and return aware UTC datetimes.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

__all__ = [
    "NonExistentLocalTimeError",
    "UTC",
    "all_timezones",
    "get_zone",
    "is_valid_timezone",
    "iso_monday",
    "local_date",
    "local_day_bounds",
    "local_day_start",
    "resolve_local",
    "split_by_day",
    "split_by_hour",
]

_QUARTER = timedelta(minutes=15)


class NonExistentLocalTimeError(ValueError):
    """A wall-clock time that falls into a DST gap (it never happened in that zone)."""

    def __init__(self, naive: datetime, zone: ZoneInfo) -> None:
        self.naive = naive
        self.zone = zone
        super().__init__(
            f"{naive:%Y-%m-%d %H:%M} does not exist in {zone.key} "
            "(the clocks skip it at a daylight-saving change)"
        )


@lru_cache(maxsize=1024)
def get_zone(name: str) -> ZoneInfo:
    """ZoneInfo by IANA name; raises ValueError for an unknown name."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone: {name!r}") from exc


@lru_cache(maxsize=1)
def all_timezones() -> tuple[str, ...]:
    """The IANA zone names users may choose from, sorted."""
    return tuple(sorted(z for z in available_timezones() if "/" in z or z == "UTC"))


def is_valid_timezone(name: str) -> bool:
    return name in _zone_set()


@lru_cache(maxsize=1)
def _zone_set() -> frozenset[str]:
    return frozenset(all_timezones())


def _exists(naive: datetime, zone: ZoneInfo) -> bool:
    aware = naive.replace(tzinfo=zone, fold=0)
    return aware.astimezone(UTC).astimezone(zone).replace(tzinfo=None) == naive


def resolve_local(naive: datetime, zone: ZoneInfo) -> datetime:
    """Turn a wall-clock time in `zone` into an aware UTC datetime.

    A time in a DST gap raises NonExistentLocalTimeError; an ambiguous time (the
    repeated autumn hour) takes its first occurrence (CONTRACT section 2).
    """
    if naive.tzinfo is not None:
        raise ValueError("resolve_local expects a naive wall-clock datetime")
    if not _exists(naive, zone):
        raise NonExistentLocalTimeError(naive, zone)
    return naive.replace(tzinfo=zone, fold=0).astimezone(UTC)


def local_day_start(day: date, zone: ZoneInfo) -> datetime:
    """The first instant (UTC) whose local date in `zone` is `day`.

    Normally local midnight; where midnight falls in a DST gap (e.g. America/Santiago)
    it is the instant the clocks jump forward.
    """
    naive = datetime(day.year, day.month, day.day)
    while not _exists(naive, zone):
        naive += _QUARTER
    return naive.replace(tzinfo=zone, fold=0).astimezone(UTC)


def local_day_bounds(day: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """[start, end) of local day `day` in UTC."""
    return local_day_start(day, zone), local_day_start(day + timedelta(days=1), zone)


def local_date(instant: datetime, zone: ZoneInfo) -> date:
    return instant.astimezone(zone).date()


def iso_monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def split_by_day(start: datetime, end: datetime, zone: ZoneInfo) -> Iterator[tuple[date, float]]:
    """Yield (local date, seconds) for every local day that [start, end) overlaps.

    The seconds add up exactly to (end - start); an empty or inverted interval yields nothing.
    """
    if end <= start:
        return
    day = local_date(start, zone)
    cursor = start.astimezone(UTC)
    end = end.astimezone(UTC)
    while cursor < end:
        nxt = local_day_start(day + timedelta(days=1), zone)
        seg_end = nxt if nxt < end else end
        yield day, (seg_end - cursor).total_seconds()
        cursor = seg_end
        day += timedelta(days=1)


def split_by_hour(start: datetime, end: datetime, zone: ZoneInfo) -> Iterator[tuple[date, int, float]]:
    """Yield (local date, local clock hour 0-23, seconds) for every piece of [start, end).

    Pieces follow local clock hours: a boundary is wherever the local hour changes,
    including at DST transitions. Both occurrences of a repeated hour are reported with
    the same hour number. Seconds add up exactly to (end - start).
    """
    if end <= start:
        return
    cursor = start.astimezone(UTC)
    end = end.astimezone(UTC)
    while cursor < end:
        local = cursor.astimezone(zone)
        into_hour = timedelta(minutes=local.minute, seconds=local.second, microseconds=local.microsecond)
        candidate = cursor + (timedelta(hours=1) - into_hour)
        seg_end = candidate if candidate < end else end
        # An offset change inside the piece (a DST transition) may move the local hour
        # earlier than `candidate`; transitions sit on the 15-minute UTC grid.
        offset = local.utcoffset()
        probe = seg_end - timedelta(microseconds=1)
        if probe.astimezone(zone).utcoffset() != offset:
            grid = _next_quarter(cursor)
            while grid < seg_end and grid.astimezone(zone).utcoffset() == offset:
                grid += _QUARTER
            seg_end = min(grid, seg_end)
        yield local.date(), local.hour, (seg_end - cursor).total_seconds()
        cursor = seg_end


def _next_quarter(instant: datetime) -> datetime:
    base = instant.replace(minute=(instant.minute // 15) * 15, second=0, microsecond=0)
    return base + _QUARTER
