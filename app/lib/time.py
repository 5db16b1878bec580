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

from bisect import bisect_right
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

__all__ = [
    "US_PER_HOUR",
    "US_PER_SECOND",
    "LocalDays",
    "LocalHours",
    "NonExistentLocalTimeError",
    "UTC",
    "all_timezones",
    "get_zone",
    "is_valid_timezone",
    "iso_monday",
    "local_date",
    "local_grid",
    "local_day_bounds",
    "local_day_start",
    "resolve_local",
    "split_by_day",
    "split_by_hour",
    "from_micros",
    "to_micros",
]

_QUARTER = timedelta(minutes=15)


class NonExistentLocalTimeError(ValueError):
    """A wall-clock time that falls into a DST gap (it never happened in that zone)."""

    def __init__(self, naive: datetime, zone: ZoneInfo) -> None:
        self.naive = naive
        self.zone = zone
        super().__init__(
            f"{naive:%Y-%m-%d %H:%M} does not exist in {zone.key} (the clocks skip it at a daylight-saving change)"
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


def get_zone_or_utc(name: str) -> ZoneInfo:
    """ZoneInfo by name, UTC for an unknown name (pure computations never raise)."""
    try:
        return get_zone(name)
    except ValueError:
        return get_zone("UTC")


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
        # A day skipped entirely (Pacific/Apia, 2011-12-30) has no length: nothing overlaps it.
        if seg_end > cursor:
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


# ---------------------------------------------------------------- exact grids
#
# The stats computation splits hundreds of entries across the same few hundred local
# days and hours. Rather than converting every entry between zones, it computes the
# UTC boundaries of those days and hours once, as integer microseconds since the
# epoch, and splits each entry with a binary search: exact integers, no float drift,
# no per-entry time zone arithmetic.

US_PER_SECOND = 1_000_000
US_PER_HOUR = 3600 * US_PER_SECOND
_US_PER_DAY = 24 * US_PER_HOUR
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_ONE_US = timedelta(microseconds=1)


def to_micros(instant: datetime) -> int:
    """Exact integer microseconds since the Unix epoch of an aware datetime."""
    if instant.tzinfo is None:
        raise ValueError("to_micros expects an aware datetime")
    return (instant - _EPOCH) // _ONE_US


def from_micros(micros: int) -> datetime:
    """The aware UTC datetime `micros` microseconds after the Unix epoch."""
    return _EPOCH + timedelta(microseconds=micros)


class LocalDays:
    """The consecutive local days `first`..`last` of `zone` as exact UTC boundaries.

    `bounds[i]` is `local_day_start(first + i)` in microseconds since the epoch and
    `bounds[-1]` is the end of `last`, so day i is the interval [bounds[i], bounds[i+1]).
    """

    __slots__ = ("bounds", "first", "last", "zone")

    def __init__(self, zone: ZoneInfo, first: date, last: date) -> None:
        if last < first:
            raise ValueError("LocalDays needs first <= last")
        self.zone = zone
        self.first = first
        self.last = last
        count = (last - first).days + 1
        self.bounds = [to_micros(local_day_start(first + timedelta(days=i), zone)) for i in range(count + 1)]

    def __len__(self) -> int:
        return len(self.bounds) - 1

    def index(self, day: date) -> int:
        """Position of `day` in the grid (may be out of range for a day outside it)."""
        return (day - self.first).days

    def index_at(self, micros: int) -> int:
        """Index of the day containing the instant: -1 before the grid, len(self) after it."""
        return bisect_right(self.bounds, micros) - 1

    def split(self, start: int, end: int) -> Iterator[tuple[int, int]]:
        """Yield (day index, microseconds) for the part of [start, end) inside the grid.

        The pieces add up exactly to the length of that part.
        """
        bounds = self.bounds
        lo = max(start, bounds[0])
        hi = min(end, bounds[-1])
        if lo >= hi:
            return
        i = bisect_right(bounds, lo) - 1
        while lo < hi:
            nxt = bounds[i + 1]
            seg_end = nxt if nxt < hi else hi
            if seg_end > lo:
                yield i, seg_end - lo
            lo = seg_end
            i += 1

    def add_to(self, totals: list[int], start: int, end: int) -> None:
        """Add each day's part of [start, end) to `totals[day index]` (like `split`, faster)."""
        bounds = self.bounds
        lo = start if start > bounds[0] else bounds[0]
        hi = end if end < bounds[-1] else bounds[-1]
        if lo >= hi:
            return
        i = bisect_right(bounds, lo) - 1
        while True:
            nxt = bounds[i + 1]
            if hi <= nxt:
                totals[i] += hi - lo
                return
            totals[i] += nxt - lo
            lo = nxt
            i += 1

    def hours(self, first_index: int = 0) -> LocalHours:
        """The local clock hours of days `first_index`..end of the grid."""
        return LocalHours(self, first_index)


@lru_cache(maxsize=256)
def local_grid(zone: ZoneInfo, first: date, last: date, hours_from: date) -> tuple[LocalDays, LocalHours]:
    """LocalDays first..last and the LocalHours of hours_from..last, memoised.

    Every stats call of every user in the same zone on the same day asks for the same
    grid; building it costs more than splitting a few hundred entries. Callers must
    not mutate the result.
    """
    days = LocalDays(zone, first, last)
    return days, days.hours(days.index(hours_from))


class LocalHours:
    """The local clock hours of a run of local days, as exact UTC boundaries.

    Piece k is [bounds[k], bounds[k+1]) with local hour `labels[k]`. On a regular
    24-hour day these are the 24 clock hours; on a day with a DST change they follow
    `split_by_hour`: the hour skipped in spring has no piece, and the repeated autumn
    hour has two pieces with the same label.
    """

    __slots__ = ("bounds", "labels")

    def __init__(self, days: LocalDays, first_index: int = 0) -> None:
        zone = days.zone
        day_bounds = days.bounds[first_index:]
        bounds: list[int] = []
        labels: list[int] = []
        if not day_bounds:
            raise ValueError("first_index is outside the grid")
        local_starts = [from_micros(b).astimezone(zone) for b in day_bounds]
        for i in range(len(day_bounds) - 1):
            start, end = day_bounds[i], day_bounds[i + 1]
            here, there = local_starts[i], local_starts[i + 1]
            regular = (
                end - start == _US_PER_DAY
                and here.hour == 0
                and here.minute == 0
                and here.utcoffset() == there.utcoffset()
            )
            if regular:
                bounds.extend(range(start, end, US_PER_HOUR))
                labels.extend(range(24))
            else:
                cursor = start
                for _, hour, seconds in split_by_hour(from_micros(start), from_micros(end), zone):
                    bounds.append(cursor)
                    labels.append(hour)
                    cursor += round(seconds * US_PER_SECOND)
        bounds.append(day_bounds[-1])
        self.bounds = bounds
        self.labels = labels

    def split(self, start: int, end: int) -> Iterator[tuple[int, int]]:
        """Yield (local hour 0-23, microseconds) for the part of [start, end) inside the grid."""
        bounds = self.bounds
        lo = max(start, bounds[0])
        hi = min(end, bounds[-1])
        if lo >= hi:
            return
        k = bisect_right(bounds, lo) - 1
        labels = self.labels
        while lo < hi:
            nxt = bounds[k + 1]
            seg_end = nxt if nxt < hi else hi
            yield labels[k], seg_end - lo
            lo = seg_end
            k += 1

    def add_to(self, totals: list[int], start: int, end: int) -> None:
        """Add each clock hour's part of [start, end) to `totals[local hour]` (like `split`, faster)."""
        bounds = self.bounds
        lo = start if start > bounds[0] else bounds[0]
        hi = end if end < bounds[-1] else bounds[-1]
        if lo >= hi:
            return
        labels = self.labels
        k = bisect_right(bounds, lo) - 1
        while True:
            nxt = bounds[k + 1]
            if hi <= nxt:
                totals[labels[k]] += hi - lo
                return
            totals[labels[k]] += nxt - lo
            lo = nxt
            k += 1
