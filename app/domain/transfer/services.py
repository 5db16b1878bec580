"""Import and export against the database (issue 5).

Import (`ImportService.run_import`): the parsed rows of a file (see parsers.py) become
entries of one user in ONE transaction. Projects are matched by name, ignoring case, or
created (the file's client name goes into the project's `client`); tasks likewise within
their project. A row is a duplicate when the user already has an entry, in the database
or earlier in the same file, with the same start, end, project and notes: re-importing a
file creates nothing. A row error makes the whole import write nothing, unless the user
chose to skip bad rows; a dry run never writes. Entries are inserted 1,000 at a time, so
memory stays flat for 100,000 rows. A Momentum backup (JSON) is restored whole: settings
(into an account without projects and entries), projects with their colours, tasks,
entries (with a running timer), weekly goals and goals with their target history.

The service owns its transaction: it commits on success (and makes the user's cached
figures stale) and rolls back otherwise. Call it with a session that has nothing pending.

Export: `export_entry_batches` reads entries with a server-side cursor (`yield_per`) and
the stream helpers turn the batches into entries.csv, daily.csv and backup.json pieces in
constant memory. A streamed response outlives the request's `db_session` (the plugin
closes it when the response starts), so give them a session of their own.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import AsyncIterator, Callable, Iterable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import IO, Any, Final, Protocol, cast
from zoneinfo import ZoneInfo

import msgspec
from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from app.db.models import Goal, GoalTarget, Project, Task, TimeEntry, User, WeeklyTimeGoal
from app.domain.accounts import services as accounts
from app.domain.tracking import rollups
from app.domain.tracking import services as tracking
from app.domain.transfer.formats import (
    Backup,
    BackupEntry,
    BackupGoal,
    BackupGoalTarget,
    BackupProject,
    BackupTask,
    BackupUser,
    BackupWeeklyGoal,
    BackupWriter,
    DailyAccumulator,
    ExportEntry,
    GoalDirection,
    GoalMetric,
    GoalPeriod,
    TaskStatus,
    daily_csv_rows,
    entries_csv_rows,
)
from app.domain.transfer.parsers import (
    MAX_ROW_ERRORS,
    ImportFileError,
    ParsedRow,
    RowError,
    parse_file,
)
from app.lib.errors import ValidationError
from app.lib.time import get_zone, local_day_start, to_micros

__all__ = [
    "BATCH_SIZE",
    "ImportProgress",
    "ImportResult",
    "ImportRowError",
    "ImportService",
    "backup_json_stream",
    "daily_csv_stream",
    "entries_csv_stream",
    "export_entry_batches",
    "run_import_file",
]

BATCH_SIZE: Final = 1000
_LOOKUP_CHUNK: Final = 500  # bound parameters per IN (...) query
_REFRESH_LIMIT: Final = 2000  # above this many new entries, rebuild the whole rollup
_COLOR_RE: Final = re.compile(r"^#[0-9a-fA-F]{6}$")


class _UserLike(Protocol):
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


class _Candidate(msgspec.Struct, gc=False):
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


class _Catalog:
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
        free = [c for c in tracking.PALETTE if c not in used]
        return free[0] if free else tracking.PALETTE[len(self.colors) % len(tracking.PALETTE)]

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


class _EntryWriter:
    """Checks candidates (rules, duplicates) and inserts them in batches."""

    def __init__(
        self, session: AsyncSession, user_id: int, *, dry_run: bool, skip_bad_rows: bool, now: datetime
    ) -> None:
        self._db = session
        self._user_id = user_id
        self._dry_run = dry_run
        self._skip = skip_bad_rows
        self._now = now
        self._pending: list[_Candidate] = []
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
        limit = self._now + tracking.FUTURE_SLACK
        problem: str | None = None
        if start > limit:
            problem = "start is in the future"
        elif end is not None and end > limit:
            problem = "end is in the future"
        else:
            try:
                return tracking.clean_tags(list(tags))
            except ValidationError as exc:
                problem = f"Tags: {exc.message}"
        self.error(row, f"{label} {row}: {problem}")
        return None

    async def add(self, candidate: _Candidate) -> None:
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

    async def _existing_keys(self, batch: list[_Candidate]) -> set[bytes]:
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


# ---------------------------------------------------------------- the service


class ImportService:
    """Imports a file for one user (see the module docstring)."""

    async def run_import(
        self,
        session: AsyncSession,
        user: _UserLike,
        stream: IO[bytes],
        fmt: str,
        zone: ZoneInfo,
        dry_run: bool,
        skip_bad_rows: bool,
        *,
        default_zone: str = "UTC",
        now: datetime | None = None,
        on_progress: Callable[[ImportProgress], None] | None = None,
    ) -> ImportResult:
        """Import `stream` (format `fmt`, local times read in `zone`) for `user`.

        `default_zone` is MOMENTUM_TIMEZONE, the user's zone when they have none (it
        decides the local days of the rollup). Raises ValidationError (field "file") for
        a file that cannot be imported at all; row problems are in `ImportResult.errors`.
        """
        now = now or tracking.utcnow()
        try:
            parsed = parse_file(stream, fmt=fmt, zone=zone)
        except ImportFileError as exc:
            raise ValidationError(exc.message, field="file") from None
        catalog = _Catalog(session, user.id, dry_run=dry_run, now=now)
        writer = _EntryWriter(session, user.id, dry_run=dry_run, skip_bad_rows=skip_bad_rows, now=now)
        result = ImportResult(format=parsed.format, created=0, duplicates=0, errors=[], dry_run=dry_run)
        try:
            await catalog.load()
            writer.running_exists = await tracking.running_entry(session, user.id) is not None
            if parsed.backup is not None:
                await self._restore(session, user, parsed.backup, catalog, writer, result, now)
            else:
                rows = 0
                for item in parsed:
                    rows += 1
                    if rows % BATCH_SIZE == 0 and on_progress is not None:
                        on_progress(ImportProgress(rows, parsed.bytes_read))
                    if isinstance(item, RowError):
                        writer.error(item.row, item.error)
                        continue
                    tags = writer.admit(item.row, "row", item.start, item.end, item.tags)
                    if tags is not None:
                        await writer.add(await self._candidate(item, tags, catalog))
                if on_progress is not None:
                    on_progress(ImportProgress(rows, parsed.bytes_read))
            await writer.flush()
        except ImportFileError as exc:
            await session.rollback()
            raise ValidationError(exc.message, field="file") from None
        except BaseException:
            await session.rollback()
            raise

        result.created = writer.created
        result.duplicates = writer.duplicates
        result.errors = writer.errors
        result.projects_created = catalog.projects_created
        result.tasks_created = catalog.tasks_created
        if dry_run or writer.doomed:
            await session.rollback()
            if not dry_run:  # nothing was written: report nothing as created
                result.created = result.projects_created = result.tasks_created = 0
                result.weekly_goals_created = result.goals_created = 0
                result.settings_restored = False
            return result

        zone_name = await self._user_zone(session, user, default_zone)
        if writer.many or result.settings_restored:
            await rollups.rebuild_all(session, user.id, zone_name)
        elif writer.intervals:
            await rollups.refresh_days(session, user.id, zone_name, writer.intervals)
        await tracking.commit_and_refresh(session, user.id)
        if result.settings_restored:
            await accounts.forget_user(user.id)
        result.written = True
        return result

    @staticmethod
    async def _user_zone(session: AsyncSession, user: _UserLike, default_zone: str) -> str:
        # Read again: restoring a backup may have just set the zone.
        stored = await session.scalar(select(User.timezone).where(User.id == user.id))
        return stored or default_zone

    @staticmethod
    async def _candidate(row: ParsedRow, tags: list[str], catalog: _Catalog) -> _Candidate:
        project_id = task_id = None
        if row.project:
            project_id = await catalog.project(row.project, client=row.client)
            if row.task:
                task_id = await catalog.task(project_id, row.task)
        # A task without a project has nowhere to live in Momentum: the entry keeps its notes.
        return _Candidate(
            row=row.row,
            start=row.start,
            end=row.end,
            project_id=project_id,
            task_id=task_id,
            billable=row.billable,
            notes=row.description,
            outcome=row.outcome,
            tags=tags,
        )

    async def _restore(
        self,
        session: AsyncSession,
        user: _UserLike,
        backup: Backup,
        catalog: _Catalog,
        writer: _EntryWriter,
        result: ImportResult,
        now: datetime,
    ) -> None:
        """A backup, restored whole. Settings only go into an account without projects and entries."""
        fresh = not catalog.projects and not await session.scalar(
            select(func.count()).select_from(TimeEntry).where(TimeEntry.user_id == user.id)
        )
        if fresh:
            result.settings_restored = True
            if not writer.doomed and not result.dry_run:
                b = backup.user
                try:
                    await accounts.update_settings(
                        session,
                        user.id,
                        timezone=b.timezone,
                        standard_hours_per_day=b.standard_hours_per_day,
                        working_days=b.working_days,
                        streak_min_minutes=b.streak_min_minutes,
                        streak_skip_non_working=b.streak_skip_non_working,
                    )
                except ValidationError as exc:
                    raise ImportFileError(f"the backup's settings are invalid: {exc}") from None

        project_ids: dict[int, int] = {}
        for p in backup.projects:
            project_ids[p.id] = await catalog.project(
                p.name, client=p.client, color=p.color, billable=p.billable, archived=p.archived
            )
        task_ids: dict[int, int] = {}
        for t in backup.tasks:
            task_ids[t.id] = await catalog.task(
                project_ids[t.project_id], t.name, status=t.status, completed_at=t.completed_at
            )
        for n, e in enumerate(backup.entries, start=1):
            problem = _backup_entry_problem(e)
            if problem is not None:
                writer.error(n, f"entry {n}: {problem}")
                continue
            tags = writer.admit(n, "entry", e.start_time, e.end_time, e.tags)
            if tags is None:
                continue
            await writer.add(
                _Candidate(
                    row=n,
                    start=e.start_time.astimezone(UTC),
                    end=e.end_time.astimezone(UTC) if e.end_time else None,
                    project_id=project_ids[e.project_id] if e.project_id is not None else None,
                    task_id=task_ids[e.task_id] if e.task_id is not None else None,
                    billable=e.billable,
                    notes=e.notes,
                    outcome=e.outcome,
                    tags=tags,
                )
            )
        result.weekly_goals_created = await self._restore_weekly_goals(
            session, user.id, backup.weekly_goals, write=not (result.dry_run or writer.doomed)
        )
        result.goals_created = await self._restore_goals(
            session, user.id, backup.goals, project_ids, write=not (result.dry_run or writer.doomed)
        )

    @staticmethod
    async def _restore_weekly_goals(
        session: AsyncSession, user_id: int, goals: list[BackupWeeklyGoal], *, write: bool
    ) -> int:
        existing = set(
            await session.scalars(select(WeeklyTimeGoal.week_start).where(WeeklyTimeGoal.user_id == user_id))
        )
        created = 0
        for g in goals:
            if g.week_start in existing or g.week_start.weekday() != 0 or not 0 <= g.target_hours <= 168:
                continue
            existing.add(g.week_start)
            created += 1
            if write:
                session.add(
                    WeeklyTimeGoal(user_id=user_id, week_start=g.week_start, target_hours=g.target_hours)
                )
        if write and created:
            await session.flush()
        return created

    @staticmethod
    async def _restore_goals(
        session: AsyncSession,
        user_id: int,
        goals: list[BackupGoal],
        project_ids: dict[int, int],
        *,
        write: bool,
    ) -> int:
        """Goals not already present (same name, metric, period and project) are created."""
        rows = await session.execute(
            select(Goal.name, Goal.metric, Goal.period, Goal.project_id).where(Goal.user_id == user_id)
        )
        existing = {(name.strip().casefold(), m, p, pid) for name, m, p, pid in rows}
        created = 0
        for g in goals:
            project_id = project_ids[g.project_id] if g.project_id is not None else None
            key = (g.name.strip().casefold(), g.metric, g.period, project_id)
            if key in existing:
                continue
            existing.add(key)
            created += 1
            if not write:
                continue
            goal = Goal(
                user_id=user_id,
                name=g.name.strip(),
                metric=g.metric,
                period=g.period,
                direction=g.direction,
                project_id=project_id,
            )
            session.add(goal)
            await session.flush()
            for t in g.targets:
                session.add(GoalTarget(goal_id=goal.id, effective_from=t.effective_from, target=t.target))
        if write and created:
            await session.flush()
        return created


def _backup_entry_problem(e: BackupEntry) -> str | None:
    if e.end_time is not None:
        if e.end_time <= e.start_time:
            return "end is before start" if e.end_time < e.start_time else "end equals start"
        if e.end_time - e.start_time > tracking.MAX_ENTRY:
            return "the entry lasts more than 7 days"
    for what, value in (("notes", e.notes), ("outcome", e.outcome)):
        if len(value) > tracking.MAX_TEXT:
            return f"{what} is longer than {tracking.MAX_TEXT} characters ({len(value)})"
    return None


async def run_import_file(
    session: AsyncSession,
    user: _UserLike,
    path: Path,
    *,
    fmt: str,
    zone_name: str,
    dry_run: bool,
    skip_bad_rows: bool,
    default_zone: str | None = None,
) -> ImportResult:
    """`momentum import FILE`: run_import on a file on disk, local times read in `zone_name`."""
    if default_zone is None:
        from app.settings import get_settings

        default_zone = get_settings().timezone
    with path.open("rb") as stream:
        return await ImportService().run_import(
            session,
            user,
            stream,
            fmt,
            get_zone(zone_name),
            dry_run,
            skip_bad_rows,
            default_zone=default_zone,
        )


# ---------------------------------------------------------------- export


def day_range_bounds(
    first_day: date | None, last_day: date | None, zone: ZoneInfo
) -> tuple[datetime | None, datetime | None]:
    """[start of first_day, end of last_day) in UTC; None leaves that side open."""
    start = local_day_start(first_day, zone) if first_day is not None else None
    end = local_day_start(last_day + timedelta(days=1), zone) if last_day is not None else None
    return start, end


async def export_entry_batches(
    session: AsyncSession,
    user_id: int,
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    overlapping: bool = False,
    batch_size: int = BATCH_SIZE,
) -> AsyncIterator[list[ExportEntry]]:
    """The user's completed entries in start order, `batch_size` at a time, via a
    server-side cursor (constant memory).

    By default entries that START in [start, end) (so consecutive ranges never repeat
    an entry); `overlapping=True` takes every entry that overlaps the range (daily.csv).
    """
    task = aliased(Task)
    query = (
        select(
            TimeEntry.id,
            Project.name,
            task.name,
            TimeEntry.start_time,
            TimeEntry.end_time,
            TimeEntry.billable,
            TimeEntry.notes,
            TimeEntry.outcome,
            TimeEntry.tags,
        )
        .outerjoin(Project, Project.id == TimeEntry.project_id)
        .outerjoin(task, task.id == TimeEntry.task_id)
        .where(TimeEntry.user_id == user_id, TimeEntry.end_time.is_not(None))
        .order_by(TimeEntry.start_time, TimeEntry.id)
        .execution_options(yield_per=batch_size)
    )
    if overlapping:
        if start is not None:
            query = query.where(TimeEntry.end_time > start)
        if end is not None:
            query = query.where(TimeEntry.start_time < end)
    else:
        if start is not None:
            query = query.where(TimeEntry.start_time >= start)
        if end is not None:
            query = query.where(TimeEntry.start_time < end)
    result = await session.stream(query)
    async for partition in result.partitions(batch_size):
        yield [
            ExportEntry(
                id=eid,
                project=project,
                task=task_name,
                start=s,
                end=e,
                billable=bool(billable),
                notes=notes or "",
                outcome=outcome or "",
                tags=tuple(tags or ()),
            )
            for eid, project, task_name, s, e, billable, notes, outcome, tags in partition
            if e is not None  # the query excludes the running timer; this tells the type checker
        ]


async def entries_csv_stream(
    session: AsyncSession,
    user_id: int,
    zone: ZoneInfo,
    *,
    first_day: date | None = None,
    last_day: date | None = None,
) -> AsyncIterator[str]:
    """entries.csv for the entries starting on local days first_day..last_day (inclusive)."""
    start, end = day_range_bounds(first_day, last_day, zone)
    yield "".join(entries_csv_rows((), zone))
    async for batch in export_entry_batches(session, user_id, start=start, end=end):
        yield "".join(entries_csv_rows(batch, zone, header=False))


async def daily_csv_stream(
    session: AsyncSession,
    user_id: int,
    zone: ZoneInfo,
    *,
    first_day: date,
    last_day: date,
    standard_hours_per_day: float,
    working_days: Iterable[int],
) -> AsyncIterator[str]:
    """daily.csv: one row per local day first_day..last_day, empty days included."""
    days = DailyAccumulator(
        zone=zone,
        first_day=first_day,
        last_day=last_day,
        standard_hours_per_day=standard_hours_per_day,
        working_days=working_days,
    )
    yield "".join(daily_csv_rows(()))
    async for batch in export_entry_batches(
        session, user_id, start=days.range_start, end=days.range_end, overlapping=True
    ):
        finished = [row for entry in batch for row in days.add(entry)]
        if finished:
            yield "".join(daily_csv_rows(finished, header=False))
    yield "".join(daily_csv_rows(days.finish(), header=False))


async def backup_json_stream(
    session: AsyncSession, user_id: int, *, now: datetime | None = None
) -> AsyncIterator[bytes]:
    """backup.json: everything the user owns (see formats.Backup), entries streamed."""
    user = await session.get(User, user_id)
    if user is None:
        raise ValidationError("no such user", field="user")
    writer = BackupWriter()
    yield writer.start(
        exported_at=now or tracking.utcnow(),
        user=BackupUser(
            email=user.email,
            timezone=user.timezone,
            standard_hours_per_day=user.standard_hours_per_day,
            working_days=list(user.working_days or []),
            streak_min_minutes=user.streak_min_minutes or 0,
            streak_skip_non_working=bool(user.streak_skip_non_working),
        ),
    )
    projects = await session.scalars(select(Project).where(Project.user_id == user_id).order_by(Project.id))
    yield writer.section("projects")
    for piece in writer.items(
        BackupProject(
            id=p.id, name=p.name, color=p.color, billable=p.billable, archived=p.archived, client=p.client
        )
        for p in projects
    ):
        yield piece
    tasks = await session.scalars(select(Task).where(Task.user_id == user_id).order_by(Task.id))
    yield writer.section("tasks")
    for piece in writer.items(
        BackupTask(
            id=t.id,
            project_id=t.project_id,
            name=t.name,
            status=cast(TaskStatus, t.status),  # the tasks table's check constraint guarantees it
            completed_at=t.completed_at,
        )
        for t in tasks
    ):
        yield piece

    yield writer.section("entries")
    entries = await session.stream(
        select(
            TimeEntry.id,
            TimeEntry.project_id,
            TimeEntry.task_id,
            TimeEntry.start_time,
            TimeEntry.end_time,
            TimeEntry.billable,
            TimeEntry.notes,
            TimeEntry.outcome,
            TimeEntry.tags,
        )
        .where(TimeEntry.user_id == user_id)
        .order_by(TimeEntry.start_time, TimeEntry.id)
        .execution_options(yield_per=BATCH_SIZE)
    )
    async for partition in entries.partitions(BATCH_SIZE):
        for piece in writer.items(
            BackupEntry(
                id=eid,
                project_id=pid,
                task_id=tid,
                start_time=s,
                end_time=e,
                billable=bool(billable),
                notes=notes or "",
                outcome=outcome or "",
                tags=list(tags or []),
            )
            for eid, pid, tid, s, e, billable, notes, outcome, tags in partition
        ):
            yield piece

    weekly = await session.scalars(
        select(WeeklyTimeGoal).where(WeeklyTimeGoal.user_id == user_id).order_by(WeeklyTimeGoal.week_start)
    )
    yield writer.section("weekly_goals")
    for piece in writer.items(
        BackupWeeklyGoal(week_start=w.week_start, target_hours=w.target_hours) for w in weekly
    ):
        yield piece

    goals = list(await session.scalars(select(Goal).where(Goal.user_id == user_id).order_by(Goal.id)))
    targets: dict[int, list[BackupGoalTarget]] = {g.id: [] for g in goals}
    if goals:
        rows = await session.execute(
            select(GoalTarget.goal_id, GoalTarget.effective_from, GoalTarget.target)
            .where(GoalTarget.goal_id.in_(list(targets)))
            .order_by(GoalTarget.goal_id, GoalTarget.effective_from)
        )
        for gid, effective_from, target in rows:
            targets[gid].append(BackupGoalTarget(effective_from=effective_from, target=target))
    yield writer.section("goals")
    for piece in writer.items(
        BackupGoal(
            id=g.id,
            name=g.name,
            metric=cast(GoalMetric, g.metric),  # guaranteed by the goals table's check constraints
            period=cast(GoalPeriod, g.period),
            direction=cast(GoalDirection, g.direction),
            project_id=g.project_id,
            targets=targets[g.id],
        )
        for g in goals
    ):
        yield piece
    yield writer.finish()
