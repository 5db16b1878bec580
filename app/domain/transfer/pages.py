"""The /import and /export pages. A browser import with htmx runs as a background job
whose progress the page polls; without JavaScript the same form runs the import in the
request and shows the result. The steps of an import (options, the job's lock and temp
file, the run, its result) are the API's (controllers.py).
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import msgspec
from litestar import Controller, Request, get, post
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Template
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.db.models import ImportJob, TimeEntry
from app.domain.accounts.auth import user_zone
from app.domain.accounts.schemas import CurrentUser
from app.domain.transfer import jobs
from app.domain.transfer.controllers import (
    FORMATS,
    MAX_UPLOAD,
    ImportOut,
    check_options,
    import_out,
    release,
    run_import,
    sessionmaker_of,
    start_import,
    truthy,
)
from app.domain.transfer.parsing import FORMAT_LABELS
from app.domain.transfer.writer import ImportResult
from app.lib.csrf import settings_of
from app.lib.errors import AppError, NotFoundError, ValidationError
from app.lib.htmx import is_htmx, page
from app.lib.time import all_timezones, get_zone

log = logging.getLogger(__name__)
CurrentUserDep = NamedDependency[CurrentUser]
DB = NamedDependency[AsyncSession]


class ImportJobView(msgspec.Struct):
    """What the import page shows of a job (its row in import_jobs, transfer/jobs.py)."""

    state: str  # running | done | failed
    rows: int = 0
    bytes_read: int = 0
    total_bytes: int = 0
    error: str | None = None
    result: ImportOut | None = None


_result_decoder = msgspec.json.Decoder(ImportResult)
_background: set[asyncio.Task[None]] = set()


def _job_view(job: ImportJob) -> ImportJobView:
    result = import_out(_result_decoder.decode(job.result)) if job.result and job.state == "done" else None
    return ImportJobView(job.state, job.rows, job.bytes_read, job.total_bytes, job.error, result)


IMPORT_FIELD_LABELS = {"file": "Export file", "format": "Format", "timezone": "Time zone"}


class TransferPages(Controller):
    include_in_schema = False

    def _import_page(
        self,
        request: Request[Any, Any, Any],
        user: CurrentUser,
        *,
        errors: dict[str, str] | None = None,
        form: dict[str, Any] | None = None,
        result: ImportOut | None = None,
        job_id: str | None = None,
        status_code: int = 200,
    ) -> Template:
        return page(
            request,
            "pages/import.html.j2",
            status_code=status_code,
            errors=errors or {},
            form=form or {"format": "auto", "timezone": user_zone(request, user)},
            formats=[(f, FORMAT_LABELS.get(f, f)) for f in FORMATS],
            timezones=all_timezones(),
            result=result,
            job_id=job_id,
            job=None,
        )

    def _import_error(
        self,
        request: Request[Any, Any, Any],
        user: CurrentUser,
        exc: AppError,
        values: dict[str, Any],
        status_code: int = 422,
        field: str | None = None,
    ) -> Template:
        """A refused import: the page with the error next to its field, or, for the htmx form
        (which swaps #import-status), one small fragment naming the field — never a copy of
        the page inside the status area."""
        name = field or exc.field or "form"
        if is_htmx(request):
            label = IMPORT_FIELD_LABELS.get(name)
            text = f"{label}: {exc.message}" if label else exc.message
            return page(
                request, "partials/transfer/import_error.html.j2", status_code=status_code, field=name, message=text
            )
        return self._import_page(request, user, errors={name: exc.message}, form=values, status_code=status_code)

    @get("/import", name="transfer:import")
    async def import_page(self, request: Request[Any, Any, Any], current_user: CurrentUserDep) -> Template:
        return self._import_page(request, current_user)

    @post("/import", name="transfer:import-submit", request_max_body_size=MAX_UPLOAD)
    async def import_submit(
        self, request: Request[Any, Any, Any], current_user: CurrentUserDep, db_session: DB
    ) -> Template:
        settings = settings_of(request)
        form = await request.form()
        fmt, tz = str(form.get("format") or "auto"), str(form.get("timezone") or "")
        dry_run, skip_bad_rows = truthy(form.get("dry_run")), truthy(form.get("skip_bad_rows"))
        values: dict[str, Any] = {"format": fmt, "timezone": tz, "dry_run": dry_run, "skip_bad_rows": skip_bad_rows}
        values["apply_rules"] = truthy(form.get("apply_rules"))
        upload = form.get("file")
        try:
            zone = check_options(fmt, tz or None, current_user, settings.timezone)
            if not isinstance(upload, UploadFile) or not upload.filename:
                raise ValidationError("choose a file to import", field="file")
        except AppError as exc:
            return self._import_error(request, current_user, exc, values)
        await release(db_session)
        maker = sessionmaker_of(request)
        try:
            job, path = await start_import(maker, current_user.id, upload)
        except AppError as exc:
            return self._import_error(request, current_user, exc, values, exc.status_code, field="file")
        options: dict[str, Any] = {
            "fmt": fmt,
            "zone": zone,
            "dry_run": dry_run,
            "skip_bad_rows": skip_bad_rows,
            "default_zone": settings.timezone,
            "apply_rules": values["apply_rules"],
        }
        if is_htmx(request):
            total = path.stat().st_size
            await jobs.set_total(maker, job.id, total)
            task = asyncio.create_task(self._job(maker, current_user, path, job, options))
            _background.add(task)
            task.add_done_callback(_background.discard)
            return page(
                request,
                "partials/transfer/import_job.html.j2",
                job_id=job.key,
                job=ImportJobView(state="running", total_bytes=total),
            )
        try:
            result = await run_import(maker, current_user, path, job=job, **options)
        except AppError as exc:
            return self._import_page(
                request, current_user, errors={exc.field or "form": exc.message}, form=values, status_code=422
            )
        out = import_out(result)
        return self._import_page(request, current_user, form=values, result=out, status_code=200 if out.ok else 422)

    async def _job(
        self,
        maker: async_sessionmaker[AsyncSession],
        user: CurrentUser,
        path: Path,
        job: ImportJob,
        options: dict[str, Any],
    ) -> None:
        """A background import: its state lives in the job row (run_import ends it done or
        failed; the reaper marks it failed if this process dies)."""
        try:
            await run_import(maker, user, path, job=job, **options)
        except AppError:
            pass  # recorded in the job row by run_import
        except Exception:  # the job must always end with a state the page can show
            log.exception("import job %s failed", job.key)
            await jobs.finish(maker, job.id, state="failed", error="the import failed unexpectedly")

    @get("/import/jobs/{job_id:str}", name="transfer:import-job")
    async def import_job(
        self, request: Request[Any, Any, Any], job_id: FromPath[str], current_user: CurrentUserDep
    ) -> Template:
        job = await jobs.get(sessionmaker_of(request), current_user.id, job_id[:64])
        if job is None:
            raise NotFoundError("import job")
        return page(request, "partials/transfer/import_job.html.j2", job_id=job.key, job=_job_view(job))

    @get("/export", name="transfer:export")
    async def export_page(
        self, request: Request[Any, Any, Any], current_user: CurrentUserDep, db_session: DB
    ) -> Template:
        zone = get_zone(user_zone(request, current_user))
        today = datetime.now(UTC).astimezone(zone).date()
        count = await db_session.scalar(
            select(func.count()).select_from(TimeEntry).where(TimeEntry.user_id == current_user.id)
        )
        # Both dates empty by default: empty means everything, as the page says (issue 9).
        return page(request, "pages/export.html.j2", today=today, entry_count=count or 0)
