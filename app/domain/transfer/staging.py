"""A CSV import that shares the database (docs/import-export.md, "Imports that share the
database"; issue 12 part 5).

1. The rows are read, checked and de-duplicated in memory (within the file) and against
   the user's committed entries, chunk by chunk — under the user's import lock
   (transfer/jobs.py), so two imports of one file never both count a row as new.
2. Each chunk of `CHUNK_ROWS` rows is written to `import_staging` in a short transaction
   of its own (a few tens of milliseconds of the SQLite write lock), with the job's
   heartbeat. Nobody reads staging rows: the user sees nothing yet.
3. One final unit of work (app/db/uow.py: the per-user lock, the data version, freshness)
   creates the missing projects and tasks, copies the staged rows into `time_entries` with
   one `INSERT … SELECT` (which skips any row that meanwhile became a duplicate), adds
   the imported seconds to the `day_totals` rollup, and marks the job done. All or
   nothing: before that commit nothing is visible, after it everything is.
4. The staging rows are deleted afterwards in short transactions; a crash leaves them to
   the reaper (jobs.reap).

Times travel as integer microseconds (UTC) and are turned into the column's own format
by the database in the final statement, so the final transaction does no per-row Python
work. A dry run does steps 1 only.

The statements of steps 2 and 3 are in staging_sql.py; what step 1 tallies (the names,
the seconds per local day, the counts) in staging_tally.py.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from datetime import datetime
from typing import Any, Final

import msgspec
from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.db import rollups
from app.db.config import writing
from app.db.models import ImportStagingRef, Project, Task, TimeEntry, User
from app.db.uow import Work, write
from app.domain.tracking import validation as checks
from app.domain.transfer import jobs
from app.domain.transfer.parsing import MAX_ROW_ERRORS, ImportFileError, ParsedFile, RowError
from app.domain.transfer.staging_sql import REFS, copy_staged, stage
from app.domain.transfer.staging_tally import Days, Names, Stats
from app.domain.transfer.writer import Catalog, ImportProgress, ImportResult, ImportRowError
from app.lib.errors import ValidationError
from app.lib.time import from_micros, to_micros

CHUNK_ROWS: Final = 5000  # rows per staging transaction
PROGRESS_EVERY: Final = 1000
DbKey = tuple[int, int, int | None, str]  # start µs, end µs, project id, notes


class CsvImport:
    """One CSV import of one user (see the module docstring)."""

    def __init__(
        self,
        maker: async_sessionmaker[AsyncSession],
        user_id: int,
        *,
        job_id: int | None,
        dry_run: bool,
        skip_bad_rows: bool,
        now: datetime,
        rollup_zone: str,
        on_progress: Callable[[ImportProgress], None] | None = None,
        apply_rules: bool = False,
    ) -> None:
        self._maker = maker
        self._user_id = user_id
        self._job_id = job_id
        self._dry_run = dry_run
        self._skip = skip_bad_rows
        self._now = now
        self._limit = now + checks.FUTURE_SLACK
        self._on_progress = on_progress
        self._apply_rules = apply_rules
        self._names = Names()
        self._existing_projects: dict[str, int] = {}
        self._existing_tasks: dict[tuple[int, str], int] = {}
        self._seen: set[tuple[int, int, int | None, str]] = set()
        self._tags: dict[tuple[str, ...], str | None] = {}  # raw tags -> JSON, None when invalid
        self._days = Days(rollup_zone)
        self._stats = Stats()
        self._pending: list[dict[str, Any]] = []
        self._pending_keys: list[tuple[DbKey | None, int, int]] = []  # db key, start µs, end µs
        self._version = 0  # the user's data version when the duplicate checks began

    @property
    def doomed(self) -> bool:
        return bool(self._stats.errors) and not self._skip

    # ------------------------------------------------------------ reading and staging

    async def load(self) -> None:
        async with self._maker() as db:
            self._version = int(
                await db.scalar(select(User.data_version).where(User.id == self._user_id)) or 0
            )
            for pid, name in await db.execute(
                select(Project.id, Project.name).where(Project.user_id == self._user_id)
            ):
                self._existing_projects.setdefault(name.strip().casefold(), pid)
            for tid, pid, name in await db.execute(
                select(Task.id, Task.project_id, Task.name).where(Task.user_id == self._user_id)
            ):
                self._existing_tasks.setdefault((pid, name.strip().casefold()), tid)

    def _error(self, row: int, message: str) -> None:
        self._stats.errors.append(ImportRowError(row, message))
        if len(self._stats.errors) >= MAX_ROW_ERRORS:
            raise ImportFileError(f"too many bad rows; stopped at row {row}")

    def _tags_json(self, row: int, tags: tuple[str, ...]) -> str | None:
        cached = self._tags.get(tags, "")
        if cached != "":
            return cached
        try:
            value: str | None = json.dumps(checks.clean_tags(list(tags)), ensure_ascii=False, separators=(",", ":"))
        except ValidationError as exc:
            value = None
            self._tags[tags] = None
            self._error(row, f"row {row}: Tags: {exc.message}")
            return None
        self._tags[tags] = value
        return value

    async def read(self, parsed: ParsedFile) -> None:
        """Steps 1 and 2: every row of the file checked, de-duplicated and staged."""
        stats = self._stats
        names = self._names
        for item in parsed:
            stats.rows += 1
            if stats.rows % PROGRESS_EVERY == 0:
                if self._on_progress is not None:
                    self._on_progress(ImportProgress(stats.rows, parsed.bytes_read))
                await asyncio.sleep(0)  # let other requests run between slices of parsing
            if isinstance(item, RowError):
                self._error(item.row, item.error)
                continue
            n = item.row
            start, end = item.start, item.end
            if start > self._limit:
                self._error(n, f"row {n}: start is in the future")
                continue
            if end > self._limit:
                self._error(n, f"row {n}: end is in the future")
                continue
            tags = self._tags_json(n, item.tags) if item.tags else "[]"
            if tags is None:
                continue
            start_us, end_us = to_micros(start), to_micros(end)
            if start_us < 0:
                self._error(n, f"row {n}: start is before 1970")
                continue
            project_key = task_key = None
            if item.project:
                project_key = names.project(item.project, item.client)
                if item.task:
                    task_key = names.task(project_key, item.task)
            notes = item.description
            file_key = (start_us, end_us, project_key, notes)
            if file_key in self._seen:
                stats.duplicates += 1
                continue
            self._seen.add(file_key)
            db_key: DbKey | None
            if project_key is None:
                db_key = (start_us, end_us, None, notes)
            else:
                pid = self._existing_projects.get(names.project_rows[project_key][0].casefold())
                db_key = (start_us, end_us, pid, notes) if pid is not None else None  # a new project: no match
            self._pending_keys.append((db_key, start_us, end_us))
            self._pending.append(
                {
                    "job_id": self._job_id,
                    "row": n,
                    "start_us": start_us,
                    "end_us": end_us,
                    "project_key": project_key,
                    "task_key": task_key,
                    "billable": item.billable,
                    "notes": notes,
                    "outcome": item.outcome,
                    "tags": tags,
                    "_start": start,
                    "_end": end,
                }
            )
            if len(self._pending) >= CHUNK_ROWS:
                await self._flush(parsed.bytes_read)
        await self._flush(parsed.bytes_read)
        if self._on_progress is not None:
            self._on_progress(ImportProgress(stats.rows, parsed.bytes_read))

    async def _committed_keys(self, lo_us: int, hi_us: int) -> set[DbKey]:
        """The user's committed entries starting in [lo, hi], as duplicate keys."""
        async with self._maker() as db:
            rows = await db.execute(
                select(TimeEntry.start_time, TimeEntry.end_time, TimeEntry.project_id, TimeEntry.notes).where(
                    TimeEntry.user_id == self._user_id,
                    TimeEntry.start_time >= from_micros(lo_us),
                    TimeEntry.start_time <= from_micros(hi_us),
                    TimeEntry.end_time.is_not(None),
                )
            )
            return {(to_micros(s), to_micros(e), p, n or "") for s, e, p, n in rows if e is not None}

    async def _flush(self, bytes_read: int) -> None:
        batch, keys = self._pending, self._pending_keys
        self._pending, self._pending_keys = [], []
        if not batch:
            return
        stats = self._stats
        starts = [k[1] for k in keys]
        committed = await self._committed_keys(min(starts), max(starts))
        values: list[dict[str, Any]] = []
        for row, (db_key, start_us, end_us) in zip(batch, keys, strict=True):
            if db_key is not None and db_key in committed:
                stats.duplicates += 1
                continue
            stats.created += 1
            start, end = row.pop("_start"), row.pop("_end")
            self._days.add(start, end, start_us, end_us)
            stats.min_us = start_us if stats.min_us is None else min(stats.min_us, start_us)
            stats.max_us = end_us if stats.max_us is None else max(stats.max_us, end_us)
            values.append(row)
        if self._dry_run or self.doomed or self._job_id is None:
            return
        with writing():
            async with self._maker() as db:
                if values:
                    await stage(db, values)
                await jobs.heartbeat(db, self._job_id, rows=stats.rows, bytes_read=bytes_read)
                await db.commit()  # a short transaction per chunk (see the module docstring)

    # ------------------------------------------------------------ the result

    def result(self, fmt: str) -> ImportResult:
        stats = self._stats
        projects_new = sum(1 for name, _ in self._names.project_rows if name.casefold() not in self._existing_projects)
        tasks_new = 0
        for project_key, name in self._names.task_rows:
            pid = self._existing_projects.get(self._names.project_rows[project_key][0].casefold())
            if pid is None or (pid, name.casefold()) not in self._existing_tasks:
                tasks_new += 1
        result = ImportResult(
            format=fmt,
            created=stats.created,
            duplicates=stats.duplicates,
            errors=stats.errors,
            projects_created=projects_new,
            tasks_created=tasks_new,
            dry_run=self._dry_run,
        )
        if self.doomed and not self._dry_run:
            result.created = result.projects_created = result.tasks_created = 0
        return result

    # ------------------------------------------------------------ step 3: publish

    async def publish(self, db: AsyncSession, result: ImportResult) -> ImportResult:
        """The final unit of work; returns the result as committed."""
        assert self._job_id is not None
        job_id = self._job_id
        encoder = msgspec.json.Encoder()

        async def work(w: Work) -> ImportResult:
            out = msgspec.structs.replace(result, written=True)
            catalog = Catalog(w.db, self._user_id, dry_run=False, now=self._now)
            await catalog.load()
            refs: list[dict[str, Any]] = []
            created_before = len(catalog.projects)
            project_ids: list[int] = []
            for key, (name, client) in enumerate(self._names.project_rows):
                pid = await catalog.project(name, client=client)
                project_ids.append(pid)
                refs.append({"job_id": job_id, "kind": "p", "key": key, "ref_id": pid})
            for key, (project_key, name) in enumerate(self._names.task_rows):
                tid = await catalog.task(project_ids[project_key], name)
                refs.append({"job_id": job_id, "kind": "t", "key": key, "ref_id": tid})
            out.projects_created = len(catalog.projects) - created_before
            out.tasks_created = catalog.tasks_created
            await w.db.execute(delete(ImportStagingRef).where(ImportStagingRef.job_id == job_id))
            if refs:
                conn = await w.db.connection()
                await conn.execute(REFS.insert(), refs)
            # No other write of the user since the duplicate checks (the version moved only
            # by this unit): nothing new to check against, so the copy skips the probe.
            recheck = w.data_version != self._version + 1
            last_id = await w.db.scalar(select(func.max(TimeEntry.id)).where(TimeEntry.user_id == self._user_id))
            inserted = await copy_staged(w.db, job_id, self._user_id, self._now, recheck=recheck)
            if self._apply_rules and inserted:
                # Asked for: every imported entry is "saved" for the rules (docs/rules.md);
                # under the user's lock, this user's ids above the old maximum are this copy's.
                new_ids = await w.db.scalars(
                    select(TimeEntry.id)
                    .where(TimeEntry.user_id == self._user_id, TimeEntry.id > (last_id or 0))
                    .order_by(TimeEntry.id)
                )
                for entry_id in new_ids:
                    w.emit("entry_saved", entry_id=entry_id, imported=True)
            days = self._days
            if inserted == result.created and days.exact and days.zone_name == w.zone_name:
                await rollups.add_seconds(w.db, self._user_id, days.seconds, today=w.now)
            elif self._stats.min_us is not None and self._stats.max_us is not None:
                w.touched(from_micros(self._stats.min_us), from_micros(self._stats.max_us))
            out.created = inserted
            out.duplicates = result.duplicates + (result.created - inserted)
            await jobs.mark_done(w.db, job_id, encoder.encode(out).decode())
            return out

        return await write(db, self._user_id, work, source="import", now=self._now)
