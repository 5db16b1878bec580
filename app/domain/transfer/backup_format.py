"""backup.json (issue 5; docs/import-export.md): everything a user owns, versioned
(`BACKUP_FORMAT`, `BACKUP_VERSION`), with database ids kept only as references inside
the file. Written as a stream of JSON pieces; read whole (at most `MAX_BACKUP_BYTES`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date, datetime
from typing import Annotated, Final, Literal

import msgspec

BACKUP_FORMAT: Final = "momentum-backup"
BACKUP_VERSION: Final = 1
MAX_BACKUP_BYTES: Final = 256 * 1024 * 1024  # read whole; ~1,000,000 entries fit


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
