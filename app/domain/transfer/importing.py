"""Import (`ImportService.run_import`; docs/import-export.md): the parsed rows of a file
(see parsing/) become entries of one user, all or nothing. Projects are matched by name,
ignoring case, or created (the file's client name goes into the project's `client`);
tasks likewise within their project. A row is a duplicate when the user already has an
entry, in the database or earlier in the same file, with the same start, end, project and
notes: re-importing a file creates nothing. A row error makes the whole import write
nothing, unless the user chose to skip bad rows; a dry run never writes.

Every import runs as a job holding the user's import lock (jobs.py). A CSV file is staged
in short transactions and published by one final unit of work (staging.py), so a 100,000-
row import never holds the database's write lock for long. A Momentum backup (JSON) is
restored whole by backup.py in one unit of work.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import IO
from zoneinfo import ZoneInfo

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.db import rollups
from app.db.models import ImportJob, User
from app.db.uow import Work, write
from app.domain.tracking import timer as timer_svc
from app.domain.tracking import validation as checks
from app.domain.transfer import jobs
from app.domain.transfer.backup import restore_backup
from app.domain.transfer.parsing import ImportFileError, ParsedFile, parse_file
from app.domain.transfer.staging import CsvImport
from app.domain.transfer.writer import (
    Catalog,
    EntryWriter,
    ImportProgress,
    ImportResult,
    UserLike,
)
from app.lib.errors import ValidationError
from app.lib.time import get_zone

_encoder = msgspec.json.Encoder()


class _NothingWritten(Exception):
    """Ends a backup restore's unit of work without a commit (a dry run, row errors)."""

    def __init__(self, result: ImportResult) -> None:
        super().__init__("nothing written")
        self.result = result


class ImportService:
    """Imports a file for one user (see the module docstring)."""

    async def run_import(
        self,
        session: AsyncSession,
        user: UserLike,
        stream: IO[bytes],
        fmt: str,
        zone: ZoneInfo,
        dry_run: bool,
        skip_bad_rows: bool,
        *,
        default_zone: str = "UTC",
        now: datetime | None = None,
        on_progress: Callable[[ImportProgress], None] | None = None,
        job: ImportJob | None = None,
        apply_rules: bool = False,
    ) -> ImportResult:
        """Import `stream` (format `fmt`, local times read in `zone`) for `user`.

        `default_zone` is MOMENTUM_TIMEZONE, the user's zone when they have none (it
        decides the local days of the rollup). `job`: the job (and so the import lock)
        the caller already holds; without one the import takes its own. Raises
        ValidationError (field "file") for a file that cannot be imported at all, and
        jobs.ImportBusyError when another import of the user keeps running; row problems
        are in `ImportResult.errors`.
        """
        now = now or checks.utcnow()
        if session.in_transaction():
            await session.rollback()  # hold no lock or snapshot while staging
        assert session.bind is not None
        maker = async_sessionmaker(session.bind, expire_on_commit=False)
        own = job is None
        if job is None:
            job = await jobs.acquire(maker, user.id)
        try:
            try:
                parsed = parse_file(stream, fmt=fmt, zone=zone)
                if parsed.backup is not None:
                    result = await self._restore(session, user, parsed, job, dry_run, skip_bad_rows, now)
                else:
                    result = await self._csv(
                        session, maker, user, parsed, job, dry_run, skip_bad_rows, now, default_zone, on_progress,
                        apply_rules=apply_rules,
                    )
            except ImportFileError as exc:
                raise ValidationError(exc.message, field="file") from None
        except BaseException as exc:
            await jobs.finish(maker, job.id, state="failed", error=_error_text(exc))
            raise
        finally:
            if own:
                jobs.temp_path_for(maker, job.key).unlink(missing_ok=True)
        return result

    async def _csv(
        self,
        session: AsyncSession,
        maker: async_sessionmaker[AsyncSession],
        user: UserLike,
        parsed: ParsedFile,
        job: ImportJob,
        dry_run: bool,
        skip_bad_rows: bool,
        now: datetime,
        default_zone: str,
        on_progress: Callable[[ImportProgress], None] | None,
        *,
        apply_rules: bool = False,
    ) -> ImportResult:
        async with maker() as db:
            rollup_zone = await db.scalar(select(User.timezone).where(User.id == user.id)) or default_zone
        work = CsvImport(
            maker,
            user.id,
            job_id=job.id,
            dry_run=dry_run,
            skip_bad_rows=skip_bad_rows,
            now=now,
            rollup_zone=rollup_zone,
            on_progress=on_progress,
            apply_rules=apply_rules,
        )
        await work.load()
        await work.read(parsed)
        result = work.result(parsed.format)
        if dry_run or work.doomed:
            await jobs.finish(maker, job.id, state="done", result_json=_encoder.encode(result).decode())
            return result
        result = await work.publish(session, result)
        jobs.release(job.id)
        await jobs.drop_staging(maker, job.id)
        return result

    async def _restore(
        self,
        session: AsyncSession,
        user: UserLike,
        parsed: ParsedFile,
        job: ImportJob,
        dry_run: bool,
        skip_bad_rows: bool,
        now: datetime,
    ) -> ImportResult:
        """A backup, restored in one unit of work (backups are a user's own data, small
        next to a 100,000-row CSV)."""
        assert parsed.backup is not None
        backup = parsed.backup

        async def restore(w: Work) -> ImportResult:
            catalog = Catalog(w.db, user.id, dry_run=dry_run, now=now)
            writer = EntryWriter(w.db, user.id, dry_run=dry_run, skip_bad_rows=skip_bad_rows, now=now)
            result = ImportResult(format=parsed.format, created=0, duplicates=0, errors=[], dry_run=dry_run)
            await catalog.load()
            writer.running_exists = await timer_svc.running_entry(w.db, user.id) is not None
            await restore_backup(w.db, user, backup, catalog, writer, result, now)
            await writer.flush()
            result.created = writer.created
            result.duplicates = writer.duplicates
            result.errors = writer.errors
            result.projects_created = catalog.projects_created
            result.tasks_created = catalog.tasks_created
            if dry_run or writer.doomed:
                if not dry_run:  # nothing was written: report nothing as created
                    result.created = result.projects_created = result.tasks_created = 0
                    result.weekly_goals_created = result.goals_created = 0
                    result.settings_restored = False
                raise _NothingWritten(result)
            if writer.many or result.settings_restored:
                zone = await w.db.scalar(select(User.timezone).where(User.id == user.id)) or w.zone_name
                await rollups.rebuild_all(w.db, user.id, zone)
            for start, end in writer.intervals:
                w.touched(start, end)
            result.written = True
            await jobs.mark_done(w.db, job.id, _encoder.encode(result).decode())
            return result

        assert session.bind is not None
        maker = async_sessionmaker(session.bind, expire_on_commit=False)
        try:
            result = await write(session, user.id, restore, source="restore", now=now)
        except _NothingWritten as stop:
            await jobs.finish(maker, job.id, state="done", result_json=_encoder.encode(stop.result).decode())
            return stop.result
        jobs.release(job.id)
        return result


def _error_text(exc: BaseException) -> str:
    if isinstance(exc, ValidationError):
        return exc.text
    if isinstance(exc, jobs.ImportBusyError):
        return exc.message
    return "the import failed unexpectedly; nothing was imported"


async def run_import_file(
    session: AsyncSession,
    user: UserLike,
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
