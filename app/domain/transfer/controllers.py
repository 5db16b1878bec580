"""Import and export: the JSON/CSV API routes, and the steps of an upload's import that
the /import page (pages.py) shares with them.

Exports stream in constant memory from their own database session (the request's
session is closed by the plugin as soon as the response starts).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated, Any

import msgspec
from litestar import Controller, MediaType, Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromQuery
from litestar.response import Stream
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.db.config import writing
from app.db.models import ImportJob, TimeEntry
from app.domain.accounts.auth import user_zone
from app.domain.accounts.schemas import CurrentUser
from app.domain.transfer import jobs
from app.domain.transfer.backup import backup_json_stream
from app.domain.transfer.exporting import daily_csv_stream, entries_csv_stream
from app.domain.transfer.importing import ImportService
from app.domain.transfer.writer import ImportResult
from app.lib.bounds import check_year
from app.lib.csrf import settings_of
from app.lib.errors import ValidationError
from app.lib.time import get_zone, is_valid_timezone

CurrentUserDep = NamedDependency[CurrentUser]
DB = NamedDependency[AsyncSession]
MAX_UPLOAD = 256 * 1024 * 1024
FORMATS = ("auto", "toggl", "clockify", "kimai", "momentum")


@dataclass
class ImportForm:
    file: UploadFile
    format: str = "auto"
    dry_run: bool = False
    timezone: str | None = None
    skip_bad_rows: bool = False
    # Run the user's entry_saved rules on every imported entry (docs/rules.md, "Triggers").
    apply_rules: bool = False


class ImportRowErrorOut(msgspec.Struct):
    row: int
    error: str


class ImportOut(msgspec.Struct):
    ok: bool
    created: int
    duplicates: int
    errors: list[ImportRowErrorOut]
    format: str
    dry_run: bool
    written: bool
    projects_created: int


def sessionmaker_of(request: Request[Any, Any, Any]) -> async_sessionmaker[AsyncSession]:
    return request.app.state["sessionmaker"]  # type: ignore[no-any-return]


def truthy(value: Any) -> bool:
    return str(value).strip().lower() in {"1", "true", "on", "yes"}


def check_options(fmt: str, tz: str | None, user: CurrentUser, default_zone: str) -> str:
    if fmt not in FORMATS:
        raise ValidationError(f"must be one of {', '.join(FORMATS)}", field="format")
    zone = tz or user.zone_name(default_zone)
    if not is_valid_timezone(zone):
        raise ValidationError(f"{zone!r} is not an IANA time zone", field="timezone")
    return zone


async def run_import(
    maker: async_sessionmaker[AsyncSession],
    user: CurrentUser,
    path: Path,
    *,
    fmt: str,
    zone: str,
    dry_run: bool,
    skip_bad_rows: bool,
    default_zone: str,
    job: ImportJob,
    apply_rules: bool = False,
) -> ImportResult:
    """Run the import of the spooled file under `job` (which holds the user's import lock);
    the temp file is always removed."""
    try:
        with writing():
            async with maker() as session:
                with path.open("rb") as stream:
                    return await ImportService().run_import(
                        session,
                        user,
                        stream,
                        fmt,
                        get_zone(zone),
                        dry_run,
                        skip_bad_rows,
                        default_zone=default_zone,
                        job=job,
                        apply_rules=apply_rules,
                    )
    finally:
        path.unlink(missing_ok=True)


async def release(db_session: AsyncSession) -> None:
    """End the request session's transaction before an import opens its own session.

    Resolving the caller reads through the request's session, which on a POST began a
    write transaction (BEGIN IMMEDIATE on SQLite, see app.db.config): left open, it holds
    the write lock that the import's session then waits for until "database is locked".
    """
    await db_session.commit()


async def start_import(
    maker: async_sessionmaker[AsyncSession], user_id: int, upload: UploadFile
) -> tuple[ImportJob, Path]:
    """Take the user's import lock (a job; 409 when another import keeps running) and copy
    the upload to the job's temp file (the upload's own file closes with the request)."""
    job = await jobs.acquire(maker, user_id)
    path = jobs.temp_path_for(maker, job.key)
    try:
        with path.open("wb") as handle:
            await upload.seek(0)
            while chunk := await upload.read(1024 * 1024):
                handle.write(chunk)
    except BaseException:
        path.unlink(missing_ok=True)
        await jobs.finish(maker, job.id, state="failed", error="the upload could not be stored")
        raise
    return job, path


def import_out(result: ImportResult) -> ImportOut:
    return ImportOut(
        ok=not (result.errors and not result.written and not result.dry_run),
        created=result.created,
        duplicates=result.duplicates,
        errors=[ImportRowErrorOut(e.row, e.error) for e in result.errors],
        format=result.format,
        dry_run=result.dry_run,
        written=result.written,
        projects_created=result.projects_created,
    )


def _parse_day(value: str | None, field: str) -> date | None:
    if not value:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError as exc:
        raise ValidationError("must be a date YYYY-MM-DD", field=field) from exc
    check_year(day, field)
    return day


def _range(start: str | None, end: str | None) -> tuple[date | None, date | None]:
    first, last = _parse_day(start, "start"), _parse_day(end, "end")
    if first and last and last < first:
        raise ValidationError("must not be before start", field="end")
    return first, last


def _download(name: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "private, no-store"}


async def _stream_with_session(maker: async_sessionmaker[AsyncSession], make: Any) -> AsyncIterator[Any]:
    async with maker() as session:
        async for chunk in make(session):
            yield chunk


class TransferApi(Controller):
    path = "/api"
    tags = ["import & export"]

    @post(
        "/import",
        status_code=200,
        request_max_body_size=MAX_UPLOAD,
        summary="Import a Toggl, Clockify, Kimai or Momentum export (all-or-nothing)",
    )
    async def import_file(
        self,
        request: Request[Any, Any, Any],
        current_user: CurrentUserDep,
        db_session: DB,
        data: Annotated[ImportForm, Body(media_type=RequestEncodingType.MULTI_PART)],
    ) -> Response[ImportOut]:
        settings = settings_of(request)
        zone = check_options(data.format, data.timezone or None, current_user, settings.timezone)
        await release(db_session)
        maker = sessionmaker_of(request)
        job, path = await start_import(maker, current_user.id, data.file)
        result = await run_import(
            maker,
            current_user,
            path,
            fmt=data.format,
            zone=zone,
            dry_run=truthy(data.dry_run),
            skip_bad_rows=truthy(data.skip_bad_rows),
            default_zone=settings.timezone,
            job=job,
            apply_rules=truthy(data.apply_rules),
        )
        out = import_out(result)
        if not out.ok:
            body = msgspec.structs.asdict(out)
            body["error"] = f"{len(out.errors)} row(s) have errors; nothing was imported"
            return Response(body, status_code=422)  # type: ignore[arg-type]
        return Response(out)

    # Not gzip-compressed: compressing 25,000 rows at level 9 costs more than sending them
    # on the networks a self-hosted instance serves (issue 12 part 7).
    @get(
        "/export/entries.csv",
        summary="Every entry as CSV (streamed)",
        media_type="text/csv",
        opt={"skip_compression": True},
    )
    async def entries_csv(
        self,
        request: Request[Any, Any, Any],
        current_user: CurrentUserDep,
        start: FromQuery[str | None] = None,
        end: FromQuery[str | None] = None,
    ) -> Stream:
        first, last = _range(start, end)
        zone = get_zone(user_zone(request, current_user))
        stream = _stream_with_session(
            sessionmaker_of(request),
            lambda s: entries_csv_stream(s, current_user.id, zone, first_day=first, last_day=last),
        )
        return Stream(stream, media_type="text/csv; charset=utf-8", headers=_download("momentum-entries.csv"))

    @get("/export/daily.csv", summary="One row per local day as CSV (streamed)", media_type="text/csv")
    async def daily_csv(
        self,
        request: Request[Any, Any, Any],
        current_user: CurrentUserDep,
        db_session: DB,
        start: FromQuery[str | None] = None,
        end: FromQuery[str | None] = None,
    ) -> Stream:
        first, last = _range(start, end)
        zone = get_zone(user_zone(request, current_user))
        today = datetime.now(UTC).astimezone(zone).date()
        if first is None:
            earliest = await db_session.scalar(
                select(func.min(TimeEntry.start_time)).where(TimeEntry.user_id == current_user.id)
            )
            first = earliest.astimezone(zone).date() if earliest else today
        last = last or max(today, first)
        if (last - first).days > 366 * 50:
            raise ValidationError("the range may span at most 50 years", field="start")
        stream = _stream_with_session(
            sessionmaker_of(request),
            lambda s: daily_csv_stream(
                s,
                current_user.id,
                zone,
                first_day=first,
                last_day=last,
                standard_hours_per_day=current_user.standard_hours_per_day,
                working_days=current_user.working_days,
            ),
        )
        return Stream(stream, media_type="text/csv; charset=utf-8", headers=_download("momentum-daily.csv"))

    @get(
        "/export/backup.json", summary="A full JSON backup of everything you own (streamed)", media_type=MediaType.JSON
    )
    async def backup(self, request: Request[Any, Any, Any], current_user: CurrentUserDep) -> Stream:
        stream = _stream_with_session(sessionmaker_of(request), lambda s: backup_json_stream(s, current_user.id))
        return Stream(stream, media_type=MediaType.JSON, headers=_download("momentum-backup.json"))
