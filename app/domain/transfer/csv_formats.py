"""The two CSV files a user takes out (issue 5; docs/import-export.md), as pure functions.

* entries.csv: one row per entry, `ENTRIES_CSV_HEADER`. Times appear twice, in the
  user's offset at that instant and in UTC (RFC 3339); `tags` is a JSON list so that a
  comma inside a tag survives; `billable` is `true`/`false`. The `momentum` importer reads
  this file back exactly (from the UTC columns).
* daily.csv: one row per local day, `DAILY_CSV_HEADER`; `projects` is a JSON object
  project name -> hours ("No project" for entries without one).

The generators take iterables and yield text chunks, so the server streams 25,000
entries in constant memory. Hours are rounded once, on output, to 2 decimals.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Final
from zoneinfo import ZoneInfo

import msgspec

from app.domain.transfer.formulas import neutralise
from app.lib.numbers import hours_text, seconds_to_micros, to_hours
from app.lib.time import local_date, local_day_start, split_by_day

ENTRIES_CSV_HEADER: Final = (
    "id",
    "project",
    "task",
    "start_local",
    "end_local",
    "start_utc",
    "end_utc",
    "duration_seconds",
    "billable",
    "notes",
    "outcome",
    "tags",
)
DAILY_CSV_HEADER: Final = ("date", "hours", "billable_hours", "entries", "goal_hours", "projects")
NO_PROJECT: Final = "No project"


_ROWS_PER_CHUNK: Final = 500


# ---------------------------------------------------------------- entries.csv


class ExportEntry(msgspec.Struct, frozen=True, gc=False):
    """One completed entry as the exports need it (names resolved, datetimes aware)."""

    id: int
    project: str | None
    task: str | None
    start: datetime
    end: datetime
    billable: bool
    notes: str = ""
    outcome: str = ""
    tags: tuple[str, ...] = ()


def format_local(instant: datetime, zone: ZoneInfo) -> str:
    """RFC 3339 in the zone's offset at that instant, e.g. 2026-03-02T09:00:00-05:00."""
    return instant.astimezone(zone).isoformat()


def format_utc(instant: datetime) -> str:
    """RFC 3339 in UTC with a Z, e.g. 2026-03-02T14:00:00Z."""
    return instant.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _seconds(delta: timedelta) -> str:
    """Whole seconds as an integer; a sub-second remainder keeps its microseconds."""
    if delta.microseconds == 0:
        return str(delta.days * 86_400 + delta.seconds)
    return f"{delta.total_seconds():.6f}".rstrip("0")


def _tags_json(tags: Iterable[str]) -> str:
    return json.dumps(list(tags), ensure_ascii=False, separators=(",", ":"))


class _CsvChunks:
    """A csv.writer over a buffer that hands out what was written, in chunks."""

    def __init__(self) -> None:
        self._buffer = io.StringIO()
        self.writer = csv.writer(self._buffer, lineterminator="\r\n")

    def take(self) -> str:
        text = self._buffer.getvalue()
        self._buffer.seek(0)
        self._buffer.truncate()
        return text


def entries_csv_row(e: ExportEntry, zone: ZoneInfo) -> tuple[object, ...]:
    """One entry's cells for csv.writer, in ENTRIES_CSV_HEADER's order."""
    return (
        e.id,
        neutralise(e.project or ""),
        neutralise(e.task or ""),
        format_local(e.start, zone),
        format_local(e.end, zone),
        format_utc(e.start),
        format_utc(e.end),
        _seconds(e.end - e.start),
        "true" if e.billable else "false",
        neutralise(e.notes),
        neutralise(e.outcome),
        _tags_json(e.tags),
    )


def entries_csv_rows(rows: Iterable[ExportEntry], zone: ZoneInfo, *, header: bool = True) -> Iterator[str]:
    """entries.csv as text chunks: the header first (unless `header=False`, for a stream
    written batch by batch), then up to 500 rows per chunk.

    Quoting follows the csv module (RFC 4180): notes with commas, quotes or line breaks
    come back intact. Text cells that a spreadsheet would run as a formula get a leading
    `'` (app/domain/transfer/formulas.py); Momentum's importer removes it, so it still
    reads the file back exactly. `tags` is a JSON list and starts with `[`.
    """
    out = _CsvChunks()
    if header:
        out.writer.writerow(ENTRIES_CSV_HEADER)
        yield out.take()
    pending = 0
    for e in rows:
        out.writer.writerow(entries_csv_row(e, zone))
        pending += 1
        if pending == _ROWS_PER_CHUNK:
            yield out.take()
            pending = 0
    if pending:
        yield out.take()


# ---------------------------------------------------------------- daily.csv


class DailyExportRow(msgspec.Struct, frozen=True):
    """One local day's totals in exact seconds (rounded only when written)."""

    date: date
    seconds: float
    billable_seconds: float
    entries: int  # completed entries starting that day
    goal_hours: float
    project_seconds: dict[str, float] = {}  # project name (or NO_PROJECT) -> seconds


def _hours(seconds: float) -> str:
    return hours_text(seconds)


def daily_csv_rows(days: Iterable[DailyExportRow], *, header: bool = True) -> Iterator[str]:
    """daily.csv as text chunks: the header first (unless `header=False`), then up to 500 days per chunk."""
    out = _CsvChunks()
    if header:
        out.writer.writerow(DAILY_CSV_HEADER)
        yield out.take()
    pending = 0
    for d in days:
        ordered = sorted(d.project_seconds.items(), key=lambda kv: (-kv[1], kv[0]))
        projects = {name: to_hours(seconds_to_micros(seconds)) for name, seconds in ordered}
        out.writer.writerow(
            (
                d.date.isoformat(),
                _hours(d.seconds),
                _hours(d.billable_seconds),
                d.entries,
                f"{d.goal_hours:.2f}",
                json.dumps(projects, ensure_ascii=False, separators=(",", ":")),
            )
        )
        pending += 1
        if pending == _ROWS_PER_CHUNK:
            yield out.take()
            pending = 0
    if pending:
        yield out.take()


class _DayTotals:
    __slots__ = ("billable", "entries", "projects", "seconds")

    def __init__(self) -> None:
        self.seconds = 0.0
        self.billable = 0.0
        self.entries = 0
        self.projects: dict[str, float] = {}


class DailyAccumulator:
    """Turns entries, fed in start order, into DailyExportRow for first_day..last_day.

    Seconds are split across local days as in CONTRACT section 4 (Attribution) and
    clipped to the range; `entries` counts entries starting that day; `goal_hours` is
    the standard day on a working day, else 0. A day is handed out as soon as no later
    entry can reach it, so only the days one entry spans are held at once: constant
    memory for any number of entries. `add` and `finish` return the finished days.
    """

    def __init__(
        self,
        *,
        zone: ZoneInfo,
        first_day: date,
        last_day: date,
        standard_hours_per_day: float,
        working_days: Iterable[int],
    ) -> None:
        self._zone = zone
        self._last_day = last_day
        self._standard = standard_hours_per_day
        self._workdays = frozenset(working_days)
        self._open: dict[date, _DayTotals] = {}
        self._day = first_day  # the next day to hand out
        self._range_start = local_day_start(first_day, zone)
        self._range_end = local_day_start(last_day + timedelta(days=1), zone)

    @property
    def range_start(self) -> datetime:
        return self._range_start

    @property
    def range_end(self) -> datetime:
        return self._range_end

    def add(self, entry: ExportEntry) -> list[DailyExportRow]:
        start, end = max(entry.start, self._range_start), min(entry.end, self._range_end)
        if start >= end:
            return []
        done = self._emit(local_date(start, self._zone) - timedelta(days=1))
        name = entry.project if entry.project is not None else NO_PROJECT
        if entry.start >= self._range_start:
            self._open.setdefault(local_date(entry.start, self._zone), _DayTotals()).entries += 1
        for day, seconds in split_by_day(start, end, self._zone):
            totals = self._open.setdefault(day, _DayTotals())
            totals.seconds += seconds
            if entry.billable:
                totals.billable += seconds
            totals.projects[name] = totals.projects.get(name, 0.0) + seconds
        return done

    def finish(self) -> list[DailyExportRow]:
        return self._emit(self._last_day)

    def _emit(self, through: date) -> list[DailyExportRow]:
        done: list[DailyExportRow] = []
        while self._day <= through and self._day <= self._last_day:
            day = self._day
            totals = self._open.pop(day, None) or _DayTotals()
            done.append(
                DailyExportRow(
                    date=day,
                    seconds=totals.seconds,
                    billable_seconds=totals.billable,
                    entries=totals.entries,
                    goal_hours=self._standard if day.isoweekday() in self._workdays else 0.0,
                    project_seconds=totals.projects,
                )
            )
            self._day = day + timedelta(days=1)
        return done


def daily_export_rows(
    entries: Iterable[ExportEntry],
    *,
    zone: ZoneInfo,
    first_day: date,
    last_day: date,
    standard_hours_per_day: float,
    working_days: Iterable[int],
) -> Iterator[DailyExportRow]:
    """Every local day first_day..last_day (inclusive), oldest first (see DailyAccumulator).

    `entries` must be sorted by start and hold every completed entry overlapping the range.
    """
    days = DailyAccumulator(
        zone=zone,
        first_day=first_day,
        last_day=last_day,
        standard_hours_per_day=standard_hours_per_day,
        working_days=working_days,
    )
    for entry in entries:
        yield from days.add(entry)
    yield from days.finish()
