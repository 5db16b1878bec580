"""Planning: the forecast and estimate JSON routes and the project page (CONTRACT section 9).

The API and the page render the same `Forecast` from `services.project_forecast` /
`services.project_page`, so they can never disagree.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import msgspec
from litestar import Controller, Request, get
from litestar.di import NamedDependency
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import Example
from litestar.response import Template
from sqlalchemy.ext.asyncio import AsyncSession

from app.domain.accounts.auth import user_zone
from app.domain.accounts.schemas import CurrentUser
from app.domain.planning import services as planning
from app.domain.planning.estimate import Estimate
from app.domain.planning.forecast import Forecast
from app.lib.bounds import PathId
from app.lib.htmx import page

CurrentUserDep = NamedDependency[CurrentUser]
DB = NamedDependency[AsyncSession]


class ErrorOut(msgspec.Struct):
    """Every error answer of the API (CONTRACT section 3)."""

    ok: bool
    error: str


def _error(description: str, message: str) -> ResponseSpec:
    return ResponseSpec(
        data_container=ErrorOut,
        description=description,
        examples=[Example(value={"ok": False, "error": message})],
    )


ERRORS = {
    401: _error("Not signed in", "authentication required"),
    404: _error("Not one of your objects (or no such object)", "not found"),
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class PlanningApi(Controller):
    path = "/api"
    tags = ["planning"]

    @get(
        "/projects/{project_id:int}/forecast",
        summary="Budget forecast of a project (CONTRACT section 9)",
        responses={**ERRORS, 404: _error("Not one of your projects", "project not found")},
    )
    async def forecast(
        self, request: Request[Any, Any, Any], project_id: PathId, current_user: CurrentUserDep
    ) -> Forecast:
        # No request-scoped database session: a warm call is answered from the cache alone.
        zone_name = user_zone(request, current_user)
        state = request.app.state
        return await planning.cached_forecast(
            state["sessionmaker"], state.get("sqlite_reader") or state.get("pg_reader"), current_user, zone_name,
            project_id, utcnow(),
        )

    @get(
        "/tasks/{task_id:int}/estimate",
        summary="Reference-class estimate of a task (CONTRACT section 9)",
        responses={**ERRORS, 404: _error("Not one of your tasks", "task not found")},
    )
    async def estimate(self, task_id: PathId, current_user: CurrentUserDep, db_session: DB) -> Estimate:
        return await planning.task_estimate(db_session, current_user.id, task_id)


# A plain handler, not a Controller: tracking's pages already route POST /projects/{id}, and
# Litestar refuses a second controller on that path (each brings its own OPTIONS handler).
# Register it after the tracking pages (app/asgi.py).
@get("/projects/{project_id:int}", name="planning:project", include_in_schema=False)
async def project_page(
    request: Request[Any, Any, Any], project_id: PathId, current_user: CurrentUserDep, db_session: DB
) -> Template:
    """The project page: budget, pace, chart, tasks with estimates, recent entries (docs/planning.md)."""
    zone_name = user_zone(request, current_user)
    data = await planning.project_page(db_session, current_user, zone_name, project_id, utcnow())
    return page(request, "pages/project.html.j2", data=data, zone_name=zone_name)
