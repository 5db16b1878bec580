"""HTML pages of tracking: home (timer, today, quick entry), entries, projects.

Forms post here as plain HTML; success answers 303 back to the page, a validation
error re-renders the page with the error next to its field (status 422).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any, Protocol

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromQuery
from litestar.response import Template
from sqlalchemy.ext.asyncio import AsyncSession

from app.domain.accounts.auth import user_zone
from app.domain.accounts.schemas import CurrentUser
from app.domain.tracking import entries as entry_svc
from app.domain.tracking import overlaps
from app.domain.tracking import projects as project_svc
from app.domain.tracking import timer as timer_svc
from app.domain.tracking import validation as checks
from app.lib.bounds import PathId
from app.lib.errors import AppError, UnprocessableError, ValidationError
from app.lib.flash import Flash, flash
from app.lib.htmx import page, safe_target, see_other
from app.lib.templating import fmt_day, fmt_hm
from app.lib.time import get_zone, local_day_bounds, resolve_local

CurrentUserDep = NamedDependency[CurrentUser]
DB = NamedDependency[AsyncSession]

HOME_PAGE = "home_page"
"""app.state key of Home's renderer (app/domain/workspace/home.py `render_home`), set by create_app."""


class HomeRenderer(Protocol):
    async def __call__(
        self,
        request: Request[Any, Any, Any],
        user: CurrentUser,
        db: AsyncSession,
        *,
        errors: dict[str, str] | None = ...,
        form: dict[str, Any] | None = ...,
        status_code: int = ...,
    ) -> Template: ...


def form_str(form: Any, key: str, default: str = "") -> str:
    value = form.get(key, default)
    return value.strip() if isinstance(value, str) else default


def form_int(form: Any, key: str) -> int | None:
    value = form_str(form, key)
    if not value:
        return None
    try:
        return int(value)
    except ValueError as exc:
        raise ValidationError(f"{checks.label(key)}: choose one from the list", field=key) from exc


def form_bool(form: Any, key: str) -> bool:
    return form_str(form, key) in {"on", "true", "1", "yes"}


def parse_local_datetime(value: str, zone_name: str, field: str) -> datetime:
    """A form's datetime-local value in the user's zone → aware UTC. DST gaps are
    rejected; an ambiguous time takes its first occurrence (CONTRACT section 2)."""
    if not value:
        raise ValidationError(f"{checks.label(field)} is required", field=field)
    try:
        naive = datetime.fromisoformat(value)
    except ValueError as exc:
        message = f"{checks.label(field)} must be a date and time like 2026-03-11 09:30"
        raise ValidationError(message, field=field) from exc
    if naive.tzinfo is not None:
        return naive.astimezone(UTC)
    try:
        return resolve_local(naive, get_zone(zone_name))
    except ValueError as exc:
        raise ValidationError(str(exc), field=field) from exc


def local_input(value: datetime | None, zone_name: str) -> str:
    if value is None:
        return ""
    return value.astimezone(get_zone(zone_name)).strftime("%Y-%m-%dT%H:%M")


def parse_tags(text: str) -> list[str]:
    return [t.strip() for t in text.split(",") if t.strip()]


class TrackingPages(Controller):
    include_in_schema = False

    # ------------------------------------------------------------ home

    async def _home(
        self,
        request: Request[Any, Any, Any],
        user: CurrentUser,
        db: AsyncSession,
        errors: dict[str, str] | None = None,
        form: dict[str, Any] | None = None,
        status_code: int = 200,
        warnings: list[str] | None = None,
    ) -> Template:
        """Home with this form's errors: Home itself lives higher up (app/domain/workspace/home.py)
        and is registered by create_app under HOME_PAGE. `warnings` (an overlap, a long entry)
        ride in the form values as `_warnings` for the quick-entry card's second click."""
        render: HomeRenderer = request.app.state[HOME_PAGE]
        if warnings:
            form = {**(form or {}), "_warnings": warnings}
        return await render(request, user, db, errors=errors, form=form, status_code=status_code)

    @get("/partials/timer", name="tracking:timer-partial")
    async def timer_partial(
        self, request: Request[Any, Any, Any], current_user: CurrentUserDep, db_session: DB
    ) -> Template:
        running = await timer_svc.read_running(db_session, current_user.id)
        zone_name = user_zone(request, current_user)
        timer = await timer_svc.timer_out(db_session, running, zone_name) if running else None
        projects = await project_svc.list_projects(db_session, current_user.id)
        return page(request, "partials/tracking/timer.html.j2", timer=timer, projects=projects)

    @post("/timer/start", name="tracking:timer-start")
    async def timer_start(
        self, request: Request[Any, Any, Any], current_user: CurrentUserDep, db_session: DB
    ) -> Response[Any]:
        """Start the timer: project, task, notes, billable, "I started earlier" (`minutes_ago` or
        `started_at`); with `switch`, a running timer is stopped first (Home's one-click starts)."""
        form = await request.form()
        zone_name = user_zone(request, current_user)
        try:
            start_time = _started_at(form, zone_name)
            kwargs: dict[str, Any] = {
                "project_id": form_int(form, "project_id"),
                "task_id": form_int(form, "task_id"),
                "notes": checks.clean_text(form_str(form, "notes"), "notes"),
                "billable": form_bool(form, "billable") if "billable_present" in form else None,
                "start_time": start_time,
            }
            if form_str(form, "switch"):
                await timer_svc.switch_timer(db_session, current_user, zone_name, **kwargs)
            else:
                await timer_svc.start_timer(db_session, current_user.id, **kwargs)
        except AppError as exc:
            errors = {"timer": _timer_message(exc)}
            if exc.field == "start_time":
                errors["timer_start"] = exc.message
            return await self._home(request, current_user, db_session, errors, status_code=422)
        return see_other(safe_target(form_str(form, "next")))

    @post("/timer/stop", name="tracking:timer-stop")
    async def timer_stop(
        self, request: Request[Any, Any, Any], current_user: CurrentUserDep, db_session: DB
    ) -> Response[Any]:
        form = await request.form()
        try:
            await timer_svc.stop_timer(db_session, current_user, user_zone(request, current_user))
        except AppError as exc:
            return await self._home(request, current_user, db_session, {"timer": exc.message}, status_code=422)
        return see_other(safe_target(form_str(form, "next")))

    # ------------------------------------------------------------ entries

    def _entry_values(self, form: Any, zone_name: str) -> tuple[dict[str, Any], dict[str, Any]]:
        raw: dict[str, Any] = {
            k: form_str(form, k) for k in ("project_id", "start_time", "end_time", "notes", "outcome", "tags")
        }
        raw["billable"] = form_bool(form, "billable")
        raw["billable_set"] = "billable_present" in form
        parsed: dict[str, Any] = {
            "start_time": parse_local_datetime(raw["start_time"], zone_name, "start_time"),
            "end_time": parse_local_datetime(raw["end_time"], zone_name, "end_time"),
            "project_id": form_int(form, "project_id"),
            "notes": raw["notes"],
            "outcome": raw["outcome"],
            "tags": parse_tags(raw["tags"]),
        }
        if raw["billable_set"]:
            parsed["billable"] = raw["billable"]
        return raw, parsed

    @post("/entries", name="tracking:entry-create")
    async def entry_create(
        self, request: Request[Any, Any, Any], current_user: CurrentUserDep, db_session: DB
    ) -> Response[Any]:
        form = await request.form()
        zone_name = user_zone(request, current_user)
        raw: dict[str, Any] = {}
        try:
            raw, parsed = self._entry_values(form, zone_name)
            if not confirmed(form):
                warned = await self._warnings(db_session, current_user.id, zone_name, parsed)
                if warned:
                    return await self._home(request, current_user, db_session, None, raw, 422, warned)
            entry = await entry_svc.create_entry(
                db_session,
                current_user,
                zone_name,
                start=parsed["start_time"],
                end=parsed["end_time"],
                project_id=parsed["project_id"],
                billable=parsed.get("billable"),
                notes=parsed["notes"],
                outcome=parsed["outcome"],
                tags=parsed["tags"],
            )
        except AppError as exc:
            raw = raw or {k: form_str(form, k) for k in ("project_id", "start_time", "end_time", "notes", "outcome")}
            return await self._home(request, current_user, db_session, {exc.field or "form": exc.message}, raw, 422)
        response = see_other(safe_target(form_str(form, "next")))
        return flash(response, request, added_flash(entry.start_time, entry.end_time, zone_name))

    async def _warnings(
        self, db: AsyncSession, user_id: int, zone_name: str, parsed: dict[str, Any], exclude_id: int | None = None
    ) -> list[str]:
        """The overlap / long-entry warnings of a form save, as sentences (a 409 naming the
        other entry when the user refuses overlaps): the form asks for a second click."""
        start, end = parsed["start_time"], parsed["end_time"]
        checks.check_interval(start, end, checks.utcnow())  # a plain error comes first
        found = await overlaps.check(db, user_id, zone_name, start, end, exclude_id=exclude_id)
        return await overlaps.describe_warnings(db, user_id, zone_name, found)

    @get("/entries", name="tracking:entries")
    async def entries_page(
        self,
        request: Request[Any, Any, Any],
        current_user: CurrentUserDep,
        db_session: DB,
        start: FromQuery[str | None] = None,
        end: FromQuery[str | None] = None,
        project_id: FromQuery[str | None] = None,
        cursor: FromQuery[str | None] = None,
    ) -> Template:
        zone_name = user_zone(request, current_user)
        zone = get_zone(zone_name)
        errors: dict[str, str] = {}
        start_utc = end_utc = None
        pid: int | None = None
        without_project = project_id == "none"
        try:
            if start:
                start_utc = local_day_bounds(_parse_date(start, "start"), zone)[0]
            if end:
                end_utc = local_day_bounds(_parse_date(end, "end"), zone)[1]
            pid = int(project_id) if project_id and not without_project else None
            rows, next_cursor = await entry_svc.list_entries(
                db_session,
                current_user.id,
                start=start_utc,
                end=end_utc,
                project_id=pid,
                limit=50,
                cursor=cursor or None,
                without_project=without_project,
            )
        except (AppError, ValueError) as exc:
            errors["filter"] = exc.message if isinstance(exc, AppError) else "Choose a project from the list"
            rows, next_cursor = [], None
        names = await entry_svc.names_for(db_session, rows)
        projects = await project_svc.list_projects(db_session, current_user.id)
        return page(
            request,
            "pages/entries.html.j2",
            overlaps=await overlaps.overlapping_ids(db_session, current_user.id, rows),
            status_code=422 if errors else 200,
            entries=[entry_svc.entry_out(e, zone_name, names) for e in rows],
            next_cursor=next_cursor,
            projects=projects,
            filters={"start": start or "", "end": end or "", "project_id": "none" if without_project else pid},
            errors=errors,
            zone_name=zone_name,
        )

    async def _edit_page(
        self,
        request: Request[Any, Any, Any],
        user: CurrentUser,
        db: AsyncSession,
        entry_id: int,
        errors: dict[str, str] | None = None,
        form: dict[str, Any] | None = None,
        status_code: int = 200,
        warnings: list[str] | None = None,
    ) -> Template:
        zone_name = user_zone(request, user)
        entry = await entry_svc.get_entry(db, user.id, entry_id)
        values = form or {
            "project_id": entry.project_id,
            "start_time": local_input(entry.start_time, zone_name),
            "end_time": local_input(entry.end_time, zone_name),
            "notes": entry.notes,
            "outcome": entry.outcome,
            "tags": ", ".join(entry.tags or []),
            "billable": entry.billable,
        }
        return page(
            request,
            "pages/entry_edit.html.j2",
            status_code=status_code,
            entry=entry,
            form=values,
            errors=errors or {},
            projects=await project_svc.list_projects(db, user.id),
            zone_name=zone_name,
            warnings=warnings or [],
        )

    @get("/entries/{entry_id:int}", name="tracking:entry-edit")
    async def entry_edit(
        self, request: Request[Any, Any, Any], entry_id: PathId, current_user: CurrentUserDep, db_session: DB
    ) -> Template:
        return await self._edit_page(request, current_user, db_session, entry_id)

    @post("/entries/{entry_id:int}", name="tracking:entry-update")
    async def entry_update(
        self, request: Request[Any, Any, Any], entry_id: PathId, current_user: CurrentUserDep, db_session: DB
    ) -> Response[Any]:
        form = await request.form()
        zone_name = user_zone(request, current_user)
        await entry_svc.get_entry(db_session, current_user.id, entry_id)  # 404 before validation
        raw: dict[str, Any] = {}
        try:
            raw, parsed = self._entry_values(form, zone_name)
            parsed["billable"] = raw["billable"]
            if not confirmed(form):
                warned = await self._warnings(db_session, current_user.id, zone_name, parsed, entry_id)
                if warned:
                    return await self._edit_page(
                        request, current_user, db_session, entry_id, None, raw, 422, warned
                    )
            await entry_svc.update_entry(db_session, current_user, zone_name, entry_id, parsed)
        except AppError as exc:
            raw = raw or {k: form_str(form, k) for k in ("project_id", "start_time", "end_time", "notes", "outcome")}
            if raw.get("project_id"):
                raw["project_id"] = int(raw["project_id"]) if str(raw["project_id"]).isdigit() else None
            return await self._edit_page(
                request, current_user, db_session, entry_id, {exc.field or "form": exc.message}, raw, 422
            )
        return flash(see_other(safe_target(form_str(form, "next"), "/entries")), request, Flash("Entry saved"))


def confirmed(form: Any) -> bool:
    """The second click of "Save anyway" (an overlap or a long entry)."""
    return form_str(form, "confirm") == "1"


def added_flash(start: datetime, end: datetime | None, zone_name: str, today: date | None = None) -> Flash:
    """"Added 1:30 to Tue 24 Nov" with a link to that day on the Entries page."""
    zone = get_zone(zone_name)
    day = start.astimezone(zone).date()
    seconds = (end - start).total_seconds() if end else 0
    link = f"/entries?start={day.isoformat()}&end={day.isoformat()}"
    if day == (today or checks.utcnow().astimezone(zone).date()):
        return Flash(f"Added {fmt_hm(seconds)} to today", link=link, link_text="Show today")
    return Flash(f"Added {fmt_hm(seconds)} to {fmt_day(day)}", link=link, link_text=f"Show {fmt_day(day)}")


_TIMER_FIELDS = {"start_time": "Start time", "project_id": "Project", "task_id": "Task", "notes": "Notes"}


def _timer_message(exc: AppError) -> str:
    label = _TIMER_FIELDS.get(exc.field or "")
    if not label or exc.message[:1].isupper():  # the message names its field already ("End must be …")
        return exc.message
    return f"{label}: {exc.message}"


def _started_at(form: Any, zone_name: str) -> datetime | None:
    """"I started earlier": `started_at` (a local datetime) or `minutes_ago`, else None (now)."""
    if form_str(form, "started_at"):
        return parse_local_datetime(form_str(form, "started_at"), zone_name, "start_time")
    minutes = form_str(form, "minutes_ago")
    if not minutes:
        return None
    if not minutes.isdigit() or int(minutes) > 7 * 24 * 60:
        raise UnprocessableError("minutes ago must be a whole number up to 10080 (7 days)", field="start_time")
    return checks.utcnow() - timedelta(minutes=int(minutes))


def _parse_date(value: str, field: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise ValidationError(f"{checks.label(field)} must be a date like 2026-03-11", field=field) from exc
