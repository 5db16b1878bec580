"""What Momentum writes when a user takes their data out (issue 5), as pure functions.

* entries.csv: one row per entry, `ENTRIES_CSV_HEADER`. Times appear twice, in the
  user's offset at that instant and in UTC (RFC 3339); `tags` is a JSON list so that a
  comma inside a tag survives; `billable` is `true`/`false`. The `momentum` importer reads
  this file back exactly (from the UTC columns).
* daily.csv: one row per local day, `DAILY_CSV_HEADER`; `projects` is a JSON object
  project name -> hours ("No project" for entries without one).
* backup.json: everything a user owns, versioned (`BACKUP_FORMAT`, `BACKUP_VERSION`),
  with database ids kept only as references inside the file. Written as a stream of
  JSON pieces; read whole (at most `MAX_BACKUP_BYTES`).

The generators take iterables and yield text/bytes chunks, so the server streams 25,000
entries in constant memory. Hours are rounded once, on output, to 2 decimals.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Final, Literal
from zoneinfo import ZoneInfo

import msgspec

from app.lib.time import local_date, local_day_start, split_by_day

__all__ = [
    "BACKUP_FORMAT",
    "BACKUP_VERSION",
    "DAILY_CSV_HEADER",
    "ENTRIES_CSV_HEADER",
    "MAX_BACKUP_BYTES",
    "NO_PROJECT",
    "BACKUP_SECTIONS",
    "Backup",
    "BackupEntry",
    "BackupError",
    "BackupGoal",
    "BackupGoalTarget",
    "BackupProject",
    "BackupTask",
    "BackupUser",
    "BackupWeeklyGoal",
    "BackupWriter",
    "DailyAccumulator",
    "DailyExportRow",
    "ExportEntry",
    "GoalDirection",
    "GoalMetric",
    "GoalPeriod",
    "TaskStatus",
    "backup_json_chunks",
    "daily_csv_rows",
    "daily_export_rows",
    "decode_backup",
    "entries_csv_rows",
    "format_local",
    "format_utc",
]

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

BACKUP_FORMAT: Final = "momentum-backup"
BACKUP_VERSION: Final = 1
MAX_BACKUP_BYTES: Final = 256 * 1024 * 1024  # read whole; ~1,000,000 entries fit

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


def entries_csv_rows(rows: Iterable[ExportEntry], zone: ZoneInfo, *, header: bool = True) -> Iterator[str]:
    """entries.csv as text chunks: the header first (unless `header=False`, for a stream
    written batch by batch), then up to 500 rows per chunk.

    Quoting follows the csv module (RFC 4180): notes with commas, quotes or line breaks
    come back intact. Momentum's importer reads the file back exactly.
    """
    out = _CsvChunks()
    if header:
        out.writer.writerow(ENTRIES_CSV_HEADER)
        yield out.take()
    pending = 0
    for e in rows:
        out.writer.writerow(
            (
                e.id,
                e.project or "",
                e.task or "",
                format_local(e.start, zone),
                format_local(e.end, zone),
                format_utc(e.start),
                format_utc(e.end),
                _seconds(e.end - e.start),
                "true" if e.billable else "false",
                e.notes,
                e.outcome,
                _tags_json(e.tags),
            )
        )
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
    return f"{seconds / 3600:.2f}"


def daily_csv_rows(days: Iterable[DailyExportRow], *, header: bool = True) -> Iterator[str]:
    """daily.csv as text chunks: the header first (unless `header=False`), then up to 500 days per chunk."""
    out = _CsvChunks()
    if header:
        out.writer.writerow(DAILY_CSV_HEADER)
        yield out.take()
    pending = 0
    for d in days:
        ordered = sorted(d.project_seconds.items(), key=lambda kv: (-kv[1], kv[0]))
        projects = {name: round(seconds / 3600, 2) for name, seconds in ordered}
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


# ---------------------------------------------------------------- backup.json


class BackupError(ValueError):
    """A backup file cannot be read; the message says why, for the user."""


# Constraints mirror the models and CONTRACT section 2, so a damaged or hand-edited
# backup is refused at decoding with a message naming the place ("at $.projects[3].name").
_Name = Annotated[str, msgspec.Meta(min_length=1, max_length=120)]
_LongName = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
_Color = Annotated[str, msgspec.Meta(pattern=r"^#[0-9a-fA-F]{6}$")]
_Weekday = Annotated[int, msgspec.Meta(ge=1, le=7)]
_Text = Annotated[str, msgspec.Meta(max_length=2000)]
TaskStatus = Literal["todo", "done"]
GoalMetric = Literal["hours", "tasks_completed", "deep_sessions", "billable_percent"]
GoalPeriod = Literal["daily", "weekly", "monthly"]
GoalDirection = Literal["at_least", "at_most"]


class BackupUser(msgspec.Struct, frozen=True):
    email: str
    timezone: str | None
    standard_hours_per_day: Annotated[float, msgspec.Meta(gt=0, le=24)] = 8.0
    working_days: list[_Weekday] = msgspec.field(default_factory=lambda: [1, 2, 3, 4, 5])
    streak_min_minutes: Annotated[int, msgspec.Meta(ge=0, le=1440)] = 0
    streak_skip_non_working: bool = False


class BackupProject(msgspec.Struct, frozen=True):
    id: int  # a reference inside the file, not kept on restore
    name: _Name
    color: _Color
    billable: bool = False
    archived: bool = False
    client: Annotated[str, msgspec.Meta(max_length=200)] | None = None


class BackupTask(msgspec.Struct, frozen=True):
    id: int
    project_id: int
    name: _LongName
    status: TaskStatus = "todo"
    completed_at: datetime | None = None


class BackupEntry(msgspec.Struct, frozen=True, gc=False):
    id: int
    project_id: int | None
    task_id: int | None
    start_time: datetime
    end_time: datetime | None  # None: the running timer
    billable: bool = False
    notes: _Text = ""
    outcome: _Text = ""
    tags: list[str] = msgspec.field(default_factory=list)


class BackupWeeklyGoal(msgspec.Struct, frozen=True):
    week_start: date  # a Monday
    target_hours: Annotated[float, msgspec.Meta(ge=0, le=168)]


class BackupGoalTarget(msgspec.Struct, frozen=True):
    effective_from: date
    target: Annotated[float, msgspec.Meta(gt=0, le=1_000_000)]


class BackupGoal(msgspec.Struct, frozen=True):
    id: int
    name: _Name
    metric: GoalMetric
    period: GoalPeriod
    direction: GoalDirection = "at_least"
    project_id: int | None = None
    targets: list[BackupGoalTarget] = msgspec.field(default_factory=list)


class Backup(msgspec.Struct, frozen=True):
    """backup.json, version 1. Keys are written in this order (format and version first)."""

    format: str
    version: int
    exported_at: datetime
    user: BackupUser
    projects: list[BackupProject] = msgspec.field(default_factory=list)
    tasks: list[BackupTask] = msgspec.field(default_factory=list)
    entries: list[BackupEntry] = msgspec.field(default_factory=list)
    weekly_goals: list[BackupWeeklyGoal] = msgspec.field(default_factory=list)
    goals: list[BackupGoal] = msgspec.field(default_factory=list)


class _BackupHead(msgspec.Struct):
    format: str = ""
    version: int = 0


_encoder: Final = msgspec.json.Encoder()
_CHUNK_BYTES: Final = 64 * 1024
BACKUP_SECTIONS: Final = ("projects", "tasks", "entries", "weekly_goals", "goals")


class BackupWriter:
    """Writes backup.json piece by piece, for a producer that gets its items in batches.

    `start()`, then for each of BACKUP_SECTIONS in order `section(name)`, any number of
    `items(batch)`, then `finish()`. Each call returns bytes to send; items are encoded
    into pieces of about 64 kB.
    """

    def __init__(self) -> None:
        self._sections = iter(BACKUP_SECTIONS)
        self._open = False
        self._first = True

    def start(self, *, exported_at: datetime, user: BackupUser) -> bytes:
        head = _encoder.encode(
            {"format": BACKUP_FORMAT, "version": BACKUP_VERSION, "exported_at": exported_at, "user": user}
        )
        return head[:-1]  # without the closing brace: the lists follow

    def section(self, name: str) -> bytes:
        expected = next(self._sections, None)
        if name != expected:
            raise ValueError(f"backup section {name!r} out of order (expected {expected!r})")
        prefix = b"]" if self._open else b""
        self._open, self._first = True, True
        return prefix + b',"' + name.encode() + b'":['

    def items(self, items: Iterable[msgspec.Struct]) -> Iterator[bytes]:
        buffer = bytearray()
        for item in items:
            if not self._first:
                buffer += b","
            self._first = False
            buffer += _encoder.encode(item)
            if len(buffer) >= _CHUNK_BYTES:
                yield bytes(buffer)
                buffer.clear()
        if buffer:
            yield bytes(buffer)

    def finish(self) -> bytes:
        out = b"]" if self._open else b""
        for name in self._sections:  # sections never opened are written empty
            out += b',"' + name.encode() + b'":[]'
        return out + b"}"


def backup_json_chunks(
    *,
    exported_at: datetime,
    user: BackupUser,
    projects: Iterable[BackupProject],
    tasks: Iterable[BackupTask],
    entries: Iterable[BackupEntry],
    weekly_goals: Iterable[BackupWeeklyGoal],
    goals: Iterable[BackupGoal],
) -> Iterator[bytes]:
    """backup.json as a stream of JSON pieces; each iterable is consumed once, in order.

    The result decodes as `Backup` (see `decode_backup`). Only the current piece is held
    in memory, so any number of entries can be streamed.
    """
    writer = BackupWriter()
    yield writer.start(exported_at=exported_at, user=user)
    sections: tuple[tuple[str, Iterable[msgspec.Struct]], ...] = (
        ("projects", projects),
        ("tasks", tasks),
        ("entries", entries),
        ("weekly_goals", weekly_goals),
        ("goals", goals),
    )
    for name, items in sections:
        yield writer.section(name)
        yield from writer.items(items)
    yield writer.finish()


def decode_backup(data: bytes) -> Backup:
    """Read a whole backup.json; raises BackupError naming the problem.

    Checks the format marker and version and that every id referenced inside the file
    (an entry's project and task, a task's project, a goal's project) is defined in it.
    """
    if len(data) > MAX_BACKUP_BYTES:
        raise BackupError(f"the backup is larger than {MAX_BACKUP_BYTES // (1 << 20)} MB")
    try:
        head = msgspec.json.decode(data, type=_BackupHead)
    except msgspec.ValidationError as exc:
        raise BackupError(f"not a Momentum backup: {exc}") from None
    except msgspec.DecodeError as exc:
        raise BackupError(f"the backup is not valid JSON: {exc}") from None
    if head.format != BACKUP_FORMAT:
        raise BackupError(f"not a Momentum backup (format is {head.format!r}, expected {BACKUP_FORMAT!r})")
    if head.version != BACKUP_VERSION:
        raise BackupError(
            f"backup version {head.version} is not supported (this Momentum reads version {BACKUP_VERSION})"
        )
    try:
        backup = msgspec.json.decode(data, type=Backup)
    except msgspec.ValidationError as exc:
        raise BackupError(f"the backup is damaged: {exc}") from None
    _check_references(backup)
    return backup


def _check_references(backup: Backup) -> None:
    projects = {p.id for p in backup.projects}
    tasks = {t.id: t.project_id for t in backup.tasks}
    if len(projects) != len(backup.projects):
        raise BackupError("the backup is damaged: two projects share an id")
    if len(tasks) != len(backup.tasks):
        raise BackupError("the backup is damaged: two tasks share an id")
    for t in backup.tasks:
        if t.project_id not in projects:
            raise BackupError(
                f"the backup is damaged: task {t.id} refers to a missing project {t.project_id}"
            )
    for e in backup.entries:
        if e.project_id is not None and e.project_id not in projects:
            raise BackupError(
                f"the backup is damaged: entry {e.id} refers to a missing project {e.project_id}"
            )
        if e.task_id is not None and e.task_id not in tasks:
            raise BackupError(f"the backup is damaged: entry {e.id} refers to a missing task {e.task_id}")
        if e.start_time.tzinfo is None or (e.end_time is not None and e.end_time.tzinfo is None):
            raise BackupError(f"the backup is damaged: entry {e.id} has a time without offset")
    for w in backup.weekly_goals:
        if w.week_start.weekday() != 0:
            raise BackupError(f"the backup is damaged: weekly goal {w.week_start} does not start on a Monday")
    for g in backup.goals:
        if g.project_id is not None and g.project_id not in projects:
            raise BackupError(
                f"the backup is damaged: goal {g.id} refers to a missing project {g.project_id}"
            )
