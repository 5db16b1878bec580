"""The import's building blocks (docs/import-export.md): its result types, the catalog
that matches or creates projects and tasks by name, and the entry writer that drops
duplicates and inserts entries 1,000 at a time in the import's one transaction.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from datetime import datetime
from typing import Any, Final, Protocol

import msgspec
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import Project, Task, TimeEntry
from app.domain.tracking import projects as project_svc
from app.domain.tracking import validation as checks
from app.domain.transfer.parsing import (
    MAX_ROW_ERRORS,
    ImportFileError,
)
from app.lib.errors import ValidationError
from app.lib.time import to_micros

BATCH_SIZE: Final = 1000
_LOOKUP_CHUNK: Final = 500  # bound parameters per IN (...) query
_REFRESH_LIMIT: Final = 2000  # above this many new entries, rebuild the whole rollup
_COLOR_RE: Final = re.compile(r"^#[0-9a-fA-F]{6}$")


class UserLike(Protocol):
    @property
    def id(self) -> int: ...

    @property
    def timezone(self) -> str | None: ...


class ImportRowError(msgspec.Struct, frozen=True):
    row: int
    error: str  # "row N: <column> ..." (or "entry N: ..." for a backup)


class ImportResult(msgspec.Struct):
    """The outcome of an import. `created` counts entries written (or, in a dry run, that
    would be); when a row error stopped a real import it is 0 and `written` is false."""

    format: str
    created: int
    duplicates: int
    errors: list[ImportRowError]
    projects_created: int = 0
    tasks_created: int = 0
    weekly_goals_created: int = 0
    goals_created: int = 0
    settings_restored: bool = False
    dry_run: bool = False
    written: bool = False


class ImportProgress(msgspec.Struct, frozen=True):
    rows: int  # rows read so far
    bytes_read: int  # of the file, for a progress bar against the upload size


class Candidate(msgspec.Struct, gc=False):
    """One entry about to be written, references resolved."""

    row: int
    start: datetime
    end: datetime | None
    project_id: int | None
    task_id: int | None
    billable: bool
    notes: str
    outcome: str
    tags: list[str]


def _entry_key(start: datetime, end: datetime | None, project_id: int | None, notes: str) -> bytes:
    """Duplicate identity: same start, end, project and notes (a digest keeps the set small)."""
    head = f"{to_micros(start)}|{to_micros(end) if end else ''}|{project_id or ''}|".encode()
    return hashlib.blake2b(head + notes.encode("utf-8", "surrogatepass"), digest_size=16).digest()


# ---------------------------------------------------------------- projects and tasks


class Catalog:
    """The user's projects and tasks by lower-cased name; creates what is missing.

    In a dry run nothing is written: a project or task that would be created gets a
    negative stand-in id, which is enough to count it and to detect duplicates.
    """

    def __init__(self, session: AsyncSession, user_id: int, *, dry_run: bool, now: datetime) -> None:
        self._db = session
        self._user_id = user_id
        self._dry_run = dry_run
        self._now = now
        self._stand_in = 0
        self.projects: dict[str, int] = {}
        self.tasks: dict[tuple[int, str], int] = {}
        self.colors: list[str] = []
        self.projects_created = 0
        self.tasks_created = 0

    async def load(self) -> None:
        rows = await self._db.execute(
            select(Project.id, Project.name, Project.color).where(Project.user_id == self._user_id)
        )
        for pid, name, color in rows:
            self.projects.setdefault(name.strip().casefold(), pid)
            self.colors.append(color)
        tasks = await self._db.execute(
            select(Task.id, Task.project_id, Task.name).where(Task.user_id == self._user_id)
        )
        for tid, pid, name in tasks:
            self.tasks.setdefault((pid, name.strip().casefold()), tid)

    def _next_stand_in(self) -> int:
        self._stand_in -= 1
        return self._stand_in

    def _next_color(self) -> str:
        used = set(self.colors)
        free = [c for c in project_svc.PALETTE if c not in used]
        return free[0] if free else project_svc.PALETTE[len(self.colors) % len(project_svc.PALETTE)]

    async def project(
        self,
        name: str,
        *,
        client: str | None = None,
        color: str | None = None,
        billable: bool = False,
        archived: bool = False,
    ) -> int:
        name = name.strip()
        key = name.casefold()
        found = self.projects.get(key)
        if found is not None:
            return found
        color = color.lower() if color and _COLOR_RE.match(color) else self._next_color()
        self.colors.append(color)
        self.projects_created += 1
        if self._dry_run:
            pid = self._next_stand_in()
        else:
            project = Project(
                user_id=self._user_id,
                name=name,
                color=color,
                billable=billable,
                archived=archived,
                client=client,
            )
            self._db.add(project)
            await self._db.flush()
            pid = project.id
        self.projects[key] = pid
        return pid

    async def task(
        self, project_id: int, name: str, *, status: str = "todo", completed_at: datetime | None = None
    ) -> int:
        name = name.strip()
        key = (project_id, name.casefold())
        found = self.tasks.get(key)
        if found is not None:
            return found
        self.tasks_created += 1
        if self._dry_run:
            tid = self._next_stand_in()
        else:
            done = status == "done"
            task = Task(
                user_id=self._user_id,
                project_id=project_id,
                name=name,
                status="done" if done else "todo",
                completed_at=(completed_at or self._now) if done else None,
            )
            self._db.add(task)
            await self._db.flush()
            tid = task.id
        self.tasks[key] = tid
        return tid


# ---------------------------------------------------------------- the writer


class EntryWriter:
    """Checks candidates (rules, duplicates) and inserts them in batches."""

    def __init__(
        self, session: AsyncSession, user_id: int, *, dry_run: bool, skip_bad_rows: bool, now: datetime
    ) -> None:
        self._db = session
        self._user_id = user_id
        self._dry_run = dry_run
        self._skip = skip_bad_rows
        self._now = now
        self._pending: list[Candidate] = []
        self._seen: set[bytes] = set()
        self.errors: list[ImportRowError] = []
        self.created = 0
        self.duplicates = 0
        self.intervals: list[tuple[datetime, datetime | None]] = []
        self.many = False  # more new entries than _REFRESH_LIMIT: rebuild the rollup whole
        self.running_exists = False

    @property
    def doomed(self) -> bool:
        """A real import without skip_bad_rows has met an error: it will write nothing."""
        return bool(self.errors) and not self._skip

    def error(self, row: int, message: str) -> None:
        self.errors.append(ImportRowError(row, message))
        if len(self.errors) >= MAX_ROW_ERRORS:
            raise ImportFileError(f"too many bad rows; stopped at row {row}")

    def admit(
        self, row: int, label: str, start: datetime, end: datetime | None, tags: Iterable[str]
    ) -> list[str] | None:
        """The rules the parser cannot know (CONTRACT section 2): nothing in the future,
        tags short and few. Returns the cleaned tags, or None after recording the error
        (checked before projects are resolved, so a rejected row creates no project)."""
        limit = self._now + checks.FUTURE_SLACK
        problem: str | None = None
        if start > limit:
            problem = "start is in the future"
        elif end is not None and end > limit:
            problem = "end is in the future"
        else:
            try:
                return checks.clean_tags(list(tags))
            except ValidationError as exc:
                problem = f"Tags: {exc.message}"
        self.error(row, f"{label} {row}: {problem}")
        return None

    async def add(self, candidate: Candidate) -> None:
        self._pending.append(candidate)
        if len(self._pending) >= BATCH_SIZE:
            await self.flush()

    async def flush(self) -> None:
        batch, self._pending = self._pending, []
        if not batch:
            return
        existing = await self._existing_keys(batch)
        values: list[dict[str, Any]] = []
        for c in batch:
            key = _entry_key(c.start, c.end, c.project_id, c.notes)
            if key in existing or key in self._seen:
                self.duplicates += 1
                continue
            self._seen.add(key)
            if c.end is None:
                if self.running_exists:
                    self.duplicates += 1  # only one timer may run; the account already has one
                    continue
                self.running_exists = True
            self.created += 1
            if self._dry_run or self.doomed:
                continue
            values.append(
                {
                    "user_id": self._user_id,
                    "project_id": c.project_id,
                    "task_id": c.task_id,
                    "start_time": c.start,
                    "end_time": c.end,
                    "billable": c.billable,
                    "notes": c.notes,
                    "outcome": c.outcome,
                    "tags": c.tags,
                    "created_at": self._now,
                    "updated_at": self._now,
                }
            )
            if not self.many:
                self.intervals.append((c.start, c.end))
                if len(self.intervals) > _REFRESH_LIMIT:
                    self.many, self.intervals = True, []
        if values:
            await self._db.execute(insert(TimeEntry), values)

    async def _existing_keys(self, batch: list[Candidate]) -> set[bytes]:
        starts = sorted({c.start for c in batch})
        keys: set[bytes] = set()
        for i in range(0, len(starts), _LOOKUP_CHUNK):
            rows = await self._db.execute(
                select(TimeEntry.start_time, TimeEntry.end_time, TimeEntry.project_id, TimeEntry.notes).where(
                    TimeEntry.user_id == self._user_id,
                    TimeEntry.start_time.in_(starts[i : i + _LOOKUP_CHUNK]),
                )
            )
            keys.update(_entry_key(s, e, p, n or "") for s, e, p, n in rows)
        return keys
