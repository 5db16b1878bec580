"""My productivity: the JSON stats API, the page and its live fragments.

All three render the same StatsPayload from ProductivityService, so the page and the
API can never disagree.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from litestar import Controller, MediaType, Request, Response, get
from litestar.background_tasks import BackgroundTask
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery
from litestar.response import Template
from markupsafe import Markup

from app.domain.accounts.layout import visible_cards_cached
from app.domain.accounts.schemas import CurrentUser
from app.domain.productivity.schemas import StatsPayload
from app.domain.productivity.services import PERIODS, ProductivityService, parse_period
from app.domain.productivity.sessions import SessionInsights
from app.lib import cache as cache_lib
from app.lib.csrf import settings_of
from app.lib.errors import NotFoundError
from app.lib.htmx import fragment_response, page, render_fragment

CurrentUserDep = NamedDependency[CurrentUser]

FRAGMENTS = ("summary", "daily", "projects", "focus", "heatmap", "insights", "goals", "sessions")
POLL_RUNNING = 60
POLL_IDLE = 300
VARY = {"Vary": "HX-Request", "Cache-Control": "private, no-store"}


def service(request: Request[Any, Any, Any]) -> ProductivityService:
    state = request.app.state
    reader = state.get("sqlite_reader") or state.get("pg_reader")
    return ProductivityService(state["sessionmaker"], settings_of(request).timezone, reader)


class ProductivityApi(Controller):
    path = "/api/productivity"
    tags = ["productivity"]

    @get(
        "/stats",
        summary="Productivity statistics (CONTRACT section 4)",
        response_description="The stats payload",
        media_type=MediaType.JSON,
        opt={"skip_compression": True},
    )
    async def stats(
        self,
        request: Request[Any, Any, Any],
        current_user: CurrentUserDep,
        period: FromQuery[str | None] = None,
    ) -> Response[StatsPayload]:
        days = parse_period(period)
        gzip = "gzip" in request.headers.get("accept-encoding", "")
        result = await service(request).stats(current_user, days, gzip=gzip, defer_store=True)
        # The cached bytes go out as they are (gzip-compressed once, when cached): a warm
        # call neither re-encodes nor re-compresses. A payload computed now is stored in
        # the cache after the response is sent (a background task of this request).
        headers = {"Cache-Control": "private, no-store", "Vary": "Accept-Encoding"}
        if result.gzipped:
            headers["Content-Encoding"] = "gzip"
        return Response(
            content=result.raw,  # type: ignore[arg-type]  # pre-encoded StatsPayload
            media_type=MediaType.JSON,
            headers=headers,
            background=BackgroundTask(result.store) if result.store is not None else None,
        )


class InsightsApi(Controller):
    path = "/api/insights"
    tags = ["productivity"]

    @get("/sessions", summary="Session patterns: lengths, outcomes, hour × weekday matrix, observations")
    async def sessions(
        self,
        request: Request[Any, Any, Any],
        current_user: CurrentUserDep,
        period: FromQuery[str | None] = None,
    ) -> Response[SessionInsights]:
        raw = await service(request).sessions_json(current_user, parse_period(period))
        return Response(content=raw, media_type=MediaType.JSON)  # type: ignore[arg-type]  # pre-encoded


def _context(
    request: Request[Any, Any, Any], stats: StatsPayload, period: int, running: bool, sessions: SessionInsights | None
) -> dict[str, Any]:
    def fragment_url(name: str) -> str:
        return f"/dashboard/productivity/fragments/{name}?period={period}"

    return {
        "stats": stats,
        "period": period,
        "periods": PERIODS,
        "timer_running": running,
        "poll_seconds": POLL_RUNNING if running else POLL_IDLE,
        "fragment_url": fragment_url,
        "session_insights": sessions,
    }


async def _render_cards(
    request: Request[Any, Any, Any], user: CurrentUser, period: int, names: Sequence[str]
) -> tuple[dict[str, bytes], bool]:
    """The cards `names` as their fragment routes send them, and whether a timer runs.

    A card is a pure function of the stats payload (the sessions card: of the session
    insights, cached under the same version), so it is rendered once per payload and kept
    under the payload's key (data version, period, local date; ProductivityService.
    fragment_key) — the page and each card's poll send the same bytes (docs/productivity.md,
    "Caching"). Cards rendered while a timer runs are not kept, like their payload; a kept
    card therefore means no timer runs.
    """
    svc = service(request)
    now = datetime.now(UTC)
    keys = {name: key for name in names if (key := svc.fragment_key(user, period, name, now))}
    found = await cache_lib.get_many_bytes(list(keys.values()))
    rendered = {name: body for name, body in zip(keys, found, strict=True) if body is not None}
    missing = [name for name in names if name not in rendered]
    if not missing:
        return rendered, False
    result = await svc.stats(user, period, now)
    sessions = await svc.sessions(user, period, now) if "sessions" in missing else None
    ctx = _context(request, result.decoded(), period, result.timer_running, sessions)
    for name in missing:
        rendered[name] = render_fragment(request, f"partials/productivity/{name}.html.j2", **ctx)
    keep = {keys[name]: rendered[name] for name in missing if name in keys}
    if keep and not result.timer_running:
        await cache_lib.set_many_bytes(keep, cache_lib.STATS_TTL_SECONDS)
    return rendered, result.timer_running


class ProductivityPages(Controller):
    include_in_schema = False
    path = "/dashboard/productivity"

    @get("/", name="productivity:page")
    async def page_view(
        self,
        request: Request[Any, Any, Any],
        current_user: CurrentUserDep,
        period: FromQuery[str | None] = None,
    ) -> Template:
        days = parse_period(period)  # not an integer → 400 (CONTRACT section 4)
        # The user's card layout (CONTRACT section 7): hidden cards are not rendered, so not polled.
        # Cached under the data version, like the figures: a repeated view reads no layout row.
        cards = await visible_cards_cached(request.app.state["sessionmaker"], current_user, "productivity")
        rendered, running = await _render_cards(request, current_user, days, cards)
        card_html = {name: Markup(body.decode()) for name, body in rendered.items()}
        response = page(
            request, "pages/productivity.html.j2", period=days, periods=PERIODS, timer_running=running, cards=cards,
            poll_seconds=POLL_RUNNING if running else POLL_IDLE, card_html=card_html,
        )
        response.headers.update(VARY)
        return response

    @get("/fragments/{name:str}", name="productivity:fragment")
    async def fragment(
        self,
        request: Request[Any, Any, Any],
        name: FromPath[str],
        current_user: CurrentUserDep,
        period: FromQuery[str | None] = None,
    ) -> Response[bytes]:
        if name not in FRAGMENTS:
            raise NotFoundError("fragment")
        days = parse_period(period)  # not an integer → 400 (CONTRACT section 4)
        rendered, _running = await _render_cards(request, current_user, days, (name,))
        body = rendered[name]
        return fragment_response(request, body, dict(VARY))
