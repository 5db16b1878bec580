"""Goals: the JSON API and the /goals page (forms work without JavaScript)."""

from __future__ import annotations

import contextlib
from datetime import UTC, date, datetime
from typing import Annotated, Any

from litestar import Controller, Request, Response, delete, get, patch, post, put
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody, QueryParameter
from litestar.response import Template
from sqlalchemy.ext.asyncio import AsyncSession

from app.domain.accounts.auth import user_zone
from app.domain.accounts.schemas import CurrentUser
from app.domain.goals import services as goals
from app.domain.goals import weekly as weekly_svc
from app.domain.goals.schemas import (
    DIRECTIONS,
    METRICS,
    PERIODS,
    GoalCreate,
    GoalOut,
    GoalProgress,
    GoalUpdate,
    WeeklyGoalOut,
    WeeklyGoalPut,
)
from app.domain.tracking import projects as project_svc
from app.domain.tracking import validation as checks
from app.lib.bounds import PathId, check_year
from app.lib.csrf import settings_of
from app.lib.errors import AppError, ValidationError
from app.lib.htmx import page, see_other
from app.lib.time import get_zone, iso_monday

CurrentUserDep = NamedDependency[CurrentUser]
DB = NamedDependency[AsyncSession]


def _zone_today(request: Request[Any, Any, Any], user: CurrentUser) -> tuple[str, date]:
    zone_name = user_zone(request, user)
    return zone_name, datetime.now(UTC).astimezone(get_zone(zone_name)).date()


class GoalsApi(Controller):
    path = "/api/goals"
    tags = ["goals"]

    @get("/", summary="List goals with their current targets")
    async def list_goals(
        self, request: Request[Any, Any, Any], current_user: CurrentUserDep, db_session: DB
    ) -> list[GoalOut]:
        zone_name, today = _zone_today(request, current_user)
        return await goals.list_goals(db_session, current_user.id, zone_name, today)

    @post("/", status_code=201, summary="Create a goal")
    async def create_goal(
        self, request: Request[Any, Any, Any], data: JSONBody[GoalCreate], current_user: CurrentUserDep, db_session: DB
    ) -> GoalOut:
        zone_name, today = _zone_today(request, current_user)
        goal = await goals.create_goal(
            db_session,
            current_user.id,
            today,
            name=data.name,
            metric=data.metric,
            target=data.target,
            period=data.period,
            direction=data.direction,
            project_id=data.project_id,
        )
        out = await goals.one_goal(db_session, current_user.id, goal.id, zone_name, today)
        return out

    @get("/progress", summary="Progress of every goal for the period holding a local date")
    async def progress(
        self,
        request: Request[Any, Any, Any],
        current_user: CurrentUserDep,
        db_session: DB,
        day_param: Annotated[str | None, QueryParameter(name="date", description="local date YYYY-MM-DD")] = None,
    ) -> list[GoalProgress]:
        raw = day_param
        day = None
        if raw:
            try:
                day = date.fromisoformat(raw)
            except ValueError as exc:
                raise ValidationError("must be a date YYYY-MM-DD", field="date") from exc
            check_year(day, "date")
        return await goals.progress(db_session, current_user, settings_of(request).timezone, day)

    @get("/{goal_id:int}", summary="Get a goal")
    async def get_goal(
        self, request: Request[Any, Any, Any], goal_id: PathId, current_user: CurrentUserDep, db_session: DB
    ) -> GoalOut:
        zone_name, today = _zone_today(request, current_user)
        return await goals.one_goal(db_session, current_user.id, goal_id, zone_name, today)

    @patch("/{goal_id:int}", summary="Change a goal; a new target applies from the current period on")
    async def update_goal(
        self,
        request: Request[Any, Any, Any],
        goal_id: PathId,
        data: JSONBody[GoalUpdate],
        current_user: CurrentUserDep,
        db_session: DB,
    ) -> GoalOut:
        zone_name, today = _zone_today(request, current_user)
        await goals.update_goal(db_session, current_user.id, goal_id, today, checks.unset_to_dict(data))
        out = await goals.one_goal(db_session, current_user.id, goal_id, zone_name, today)
        return out

    @delete("/{goal_id:int}", status_code=204, summary="Delete a goal")
    async def delete_goal(self, goal_id: PathId, current_user: CurrentUserDep, db_session: DB) -> None:
        await goals.delete_goal(db_session, current_user.id, goal_id)


def _float(value: str, field: str) -> float:
    try:
        return float(value)
    except ValueError as exc:
        raise ValidationError("must be a number", field=field) from exc


class GoalsPages(Controller):
    include_in_schema = False
    path = "/goals"

    async def _render(
        self,
        request: Request[Any, Any, Any],
        user: CurrentUser,
        db: AsyncSession,
        errors: dict[str, str] | None = None,
        form: dict[str, Any] | None = None,
        status_code: int = 200,
    ) -> Template:
        zone_name, today = _zone_today(request, user)
        listed = await goals.list_goals(db, user.id, zone_name, today)
        progress = {p.id: p for p in await goals.progress(db, user, settings_of(request).timezone)}
        weekly = {g.week_start: g.target_hours for g in await weekly_svc.list_weekly_goals(db, user.id)}
        monday = iso_monday(today)
        return page(
            request,
            "pages/goals.html.j2",
            status_code=status_code,
            goals=listed,
            progress=progress,
            projects=await project_svc.list_projects(db, user.id),
            errors=errors or {},
            form=form or {"period": "weekly", "metric": "hours", "direction": "at_least"},
            metrics=METRICS,
            periods=PERIODS,
            directions=DIRECTIONS,
            week_start=monday,
            week_target=weekly.get(monday),
            default_week_hours=user.standard_hours_per_day * len(user.working_days),
        )

    @get("/", name="goals:page")
    async def goals_page(
        self, request: Request[Any, Any, Any], current_user: CurrentUserDep, db_session: DB
    ) -> Template:
        return await self._render(request, current_user, db_session)

    @post("/", name="goals:create")
    async def create(
        self, request: Request[Any, Any, Any], current_user: CurrentUserDep, db_session: DB
    ) -> Response[Any]:
        form = await request.form()
        values = {
            k: (form.get(k) or "").strip() for k in ("name", "metric", "target", "period", "direction", "project_id")
        }
        _, today = _zone_today(request, current_user)
        try:
            project_id = int(values["project_id"]) if values["project_id"] else None
            await goals.create_goal(
                db_session,
                current_user.id,
                today,
                name=values["name"],
                metric=values["metric"],
                target=_float(values["target"], "target"),
                period=values["period"],
                direction=values["direction"] or "at_least",
                project_id=project_id,
            )
        except (AppError, ValueError) as exc:
            err = exc if isinstance(exc, AppError) else ValidationError("is not a valid choice", field="project_id")
            return await self._render(
                request, current_user, db_session, {err.field or "form": err.message}, values, 422
            )
        return see_other("/goals")

    @post("/{goal_id:int}", name="goals:update")
    async def update(
        self, request: Request[Any, Any, Any], goal_id: PathId, current_user: CurrentUserDep, db_session: DB
    ) -> Response[Any]:
        form = await request.form()
        _, today = _zone_today(request, current_user)
        await goals.get_goal(db_session, current_user.id, goal_id)
        changes: dict[str, Any] = {}
        try:
            if form.get("name"):
                changes["name"] = str(form.get("name"))
            if form.get("target"):
                changes["target"] = _float(str(form.get("target")), "target")
            await goals.update_goal(db_session, current_user.id, goal_id, today, changes)
        except AppError as exc:
            errors = {f"g{goal_id}": checks.form_message(exc)}
            return await self._render(request, current_user, db_session, errors, None, 422)
        return see_other("/goals")

    @post("/{goal_id:int}/delete", name="goals:delete")
    async def remove(self, goal_id: PathId, current_user: CurrentUserDep, db_session: DB) -> Response[Any]:
        await goals.delete_goal(db_session, current_user.id, goal_id)
        return see_other("/goals")

    @post("/weekly", name="goals:weekly")
    async def weekly(
        self, request: Request[Any, Any, Any], current_user: CurrentUserDep, db_session: DB
    ) -> Response[Any]:
        form = await request.form()
        _, today = _zone_today(request, current_user)
        raw = str(form.get("target_hours") or "").strip()
        try:
            if raw == "":
                with contextlib.suppress(AppError):  # no goal set: nothing to remove
                    await weekly_svc.delete_weekly_goal(db_session, current_user.id, iso_monday(today))
            else:
                await weekly_svc.put_weekly_goal(
                    db_session, current_user.id, iso_monday(today), _float(raw, "target_hours")
                )
        except AppError as exc:
            return await self._render(request, current_user, db_session, {"weekly": exc.text}, None, 422)
        return see_other("/goals")


class WeeklyGoalsApi(Controller):
    path = "/api/weekly-goals"
    tags = ["weekly goals"]

    @get("/", summary="List weekly time goals")
    async def list_goals(self, current_user: CurrentUserDep, db_session: DB) -> list[WeeklyGoalOut]:
        return [weekly_svc.weekly_goal_out(g) for g in await weekly_svc.list_weekly_goals(db_session, current_user.id)]

    @put("/{week_start:str}", summary="Set the goal of a week (week_start is a Monday)")
    async def put_goal(
        self, week_start: FromPath[str], data: JSONBody[WeeklyGoalPut], current_user: CurrentUserDep, db_session: DB
    ) -> WeeklyGoalOut:
        goal = await weekly_svc.put_weekly_goal(
            db_session, current_user.id, weekly_svc.parse_week_start(week_start), data.target_hours
        )
        return weekly_svc.weekly_goal_out(goal)

    @delete("/{week_start:str}", status_code=204, summary="Remove the goal of a week")
    async def delete_goal(self, week_start: FromPath[str], current_user: CurrentUserDep, db_session: DB) -> None:
        await weekly_svc.delete_weekly_goal(db_session, current_user.id, weekly_svc.parse_week_start(week_start))
