"""Import (`ImportService.run_import`): the parsed rows of a file (see parsing/) become
entries of one user in ONE transaction. Projects are matched by name, ignoring case, or
created (the file's client name goes into the project's `client`); tasks likewise within
their project. A row is a duplicate when the user already has an entry, in the database
or earlier in the same file, with the same start, end, project and notes: re-importing a
file creates nothing. A row error makes the whole import write nothing, unless the user
chose to skip bad rows; a dry run never writes. Entries are inserted 1,000 at a time
(writer.py), so memory stays flat for 100,000 rows. A Momentum backup (JSON) is restored
whole by backup.py.

The service owns its transaction: it commits on success (and makes the user's cached
figures stale) and rolls back otherwise. Call it with a session that has nothing pending.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import IO
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db import rollups
from app.db.freshness import commit_and_refresh
from app.db.models import User
from app.domain.tracking import timer as timer_svc
from app.domain.tracking import validation as checks
from app.domain.transfer.backup import restore_backup
from app.domain.transfer.parsing import (
    ImportFileError,
    ParsedRow,
    RowError,
    parse_file,
)
from app.domain.transfer.writer import (
    BATCH_SIZE,
    Candidate,
    Catalog,
    EntryWriter,
    ImportProgress,
    ImportResult,
    UserLike,
)
from app.lib.errors import ValidationError
from app.lib.time import get_zone

# ---------------------------------------------------------------- the service


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
    ) -> ImportResult:
        """Import `stream` (format `fmt`, local times read in `zone`) for `user`.

        `default_zone` is MOMENTUM_TIMEZONE, the user's zone when they have none (it
        decides the local days of the rollup). Raises ValidationError (field "file") for
        a file that cannot be imported at all; row problems are in `ImportResult.errors`.
        """
        now = now or checks.utcnow()
        try:
            parsed = parse_file(stream, fmt=fmt, zone=zone)
        except ImportFileError as exc:
            raise ValidationError(exc.message, field="file") from None
        catalog = Catalog(session, user.id, dry_run=dry_run, now=now)
        writer = EntryWriter(session, user.id, dry_run=dry_run, skip_bad_rows=skip_bad_rows, now=now)
        result = ImportResult(format=parsed.format, created=0, duplicates=0, errors=[], dry_run=dry_run)
        try:
            await catalog.load()
            writer.running_exists = await timer_svc.running_entry(session, user.id) is not None
            if parsed.backup is not None:
                await restore_backup(session, user, parsed.backup, catalog, writer, result, now)
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
        await commit_and_refresh(session, user.id)
        result.written = True
        return result

    @staticmethod
    async def _user_zone(session: AsyncSession, user: UserLike, default_zone: str) -> str:
        # Read again: restoring a backup may have just set the zone.
        stored = await session.scalar(select(User.timezone).where(User.id == user.id))
        return stored or default_zone

    @staticmethod
    async def _candidate(row: ParsedRow, tags: list[str], catalog: Catalog) -> Candidate:
        project_id = task_id = None
        if row.project:
            project_id = await catalog.project(row.project, client=row.client)
            if row.task:
                task_id = await catalog.task(project_id, row.task)
        # A task without a project has nowhere to live in Momentum: the entry keeps its notes.
        return Candidate(
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
