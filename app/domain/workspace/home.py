"""Home, the start page (CONTRACT sections 5 and 7): its cards in the user's layout order.

Cards: timer (with the project and task picker and "I started earlier"), today, week
(hours this week against the week goal, live with the running timer), recent projects
(one click starts a timer), entries (today and the 7 days before, grouped by day, each
with "continue") and quick entry. A hidden card is not rendered, so it is not polled.

The figures of today and week are the `summary` of the productivity stats payload
(`ProductivityService`, the one computation and cache of CONTRACT section 4), so Home and
`/api/productivity/stats` can never disagree. The form posts of Home live in tracking
(app/domain/tracking/pages.py) and re-render Home through `render_home`, which
create_app registers under `HOME_PAGE`.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from litestar import Controller, Request, get
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery
from litestar.response import Template
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import TimeEntry
from app.domain.accounts.auth import user_zone
from app.domain.accounts.layout import visible_cards
from app.domain.accounts.schemas import CurrentUser
from app.domain.productivity.services import DEFAULT_PERIOD, ProductivityService
from app.domain.tracking import entries as entry_svc
from app.domain.tracking import projects as project_svc
from app.domain.tracking import timer as timer_svc
from app.domain.tracking.validation import utcnow
from app.domain.workspace import home_cards
from app.lib.csrf import settings_of
from app.lib.errors import NotFoundError
from app.lib.htmx import page
from app.lib.numbers import percent_of
from app.lib.time import get_zone, local_day_bounds, local_day_start

CurrentUserDep = NamedDependency[CurrentUser]
DB = NamedDependency[AsyncSession]

# Cards that refresh themselves (their fragment route is /home/cards/<name>).
POLLED = ("timer", "today", "week")
POLL_RUNNING = 60
POLL_IDLE = 300
FOCUS_TARGETS = ("quick-entry",)


async def render_home(
    request: Request[Any, Any, Any],
    user: CurrentUser,
    db: AsyncSession,
    *,
    errors: dict[str, str] | None = None,
    form: dict[str, Any] | None = None,
    status_code: int = 200,
    focus: str | None = None,
    only: str | None = None,
) -> Template:
    """Home (or, with `only`, one card's fragment) with everything its visible cards show."""
    cards = await visible_cards(db, user.id, "home")
    focus = focus if focus in FOCUS_TARGETS else None
    if focus == "quick-entry" and "quick_entry" not in cards:
        cards.append("quick_entry")  # asked for by name (`n`, /?focus=quick-entry): shown even if hidden
    wanted = {only} if only else set(cards)
    ctx = await _context(request, user, db, wanted, errors or {}, form)
    template = f"partials/home/{only}.html.j2" if only else "pages/home.html.j2"
    return page(request, template, status_code=status_code, cards=cards, focus=focus, **ctx)


async def _context(
    request: Request[Any, Any, Any],
    user: CurrentUser,
    db: AsyncSession,
    wanted: set[str],
    errors: dict[str, str],
    form: dict[str, Any] | None,
) -> dict[str, Any]:
    zone_name = user_zone(request, user)
    zone = get_zone(zone_name)
    now = utcnow()
    today = now.astimezone(zone).date()
    ctx: dict[str, Any] = {}
    # The timer-read hooks (automation rules, docs/rules.md) have their say before any figure.
    await timer_svc.read_running(db, user.id, now)
    if wanted & {"today", "week"}:
        # First, before this session loads any object: on SQLite a form post's session
        # holds the write lock (BEGIN IMMEDIATE) that the stats' own session would wait for.
        if db.in_transaction():
            await db.rollback()
        stats = await ProductivityService(request.app.state["sessionmaker"], settings_of(request).timezone).stats(
            user, DEFAULT_PERIOD, now
        )
        summary = stats.decoded().summary
        ctx["summary"] = summary
        goal_seconds = round(summary.week_goal_hours * 3600)
        ctx["week_live_percent"] = percent_of(round(summary.week_live_hours * 3600), goal_seconds)
    running = await timer_svc.running_entry(db, user.id)
    ctx |= {
        "zone_name": zone_name,
        "today": today,
        "errors": errors,
        "timer": await timer_svc.timer_out(db, running, zone_name, now) if running else None,
        "poll_seconds": POLL_RUNNING if running else POLL_IDLE,
        "card_url": lambda name: f"/home/cards/{name}",
        "rendered_at": now.isoformat(),
    }
    if wanted & {"timer", "quick_entry"}:
        ctx["projects"] = await project_svc.list_projects(db, user.id)
        ctx["tasks"] = await home_cards.open_tasks(db, user.id)
    if wanted & {"today", "entries"}:
        first = today - timedelta(days=home_cards.ENTRY_DAYS if "entries" in wanted else 0)
        rows, _ = await entry_svc.list_entries(
            db, user.id, start=local_day_start(first, zone), end=local_day_bounds(today, zone)[1], limit=500
        )
        completed = [e for e in rows if e.end_time is not None]
        names = await entry_svc.names_for(db, completed)
        groups = home_cards.group_by_day(
            [(e.start_time, _end(e), entry_svc.entry_out(e, zone_name, names)) for e in completed], zone, first, today
        )
        ctx["day_groups"] = groups
        ctx["today_entries"] = next((g.entries for g in groups if g.day == today), [])
    if "recent_projects" in wanted:
        ctx["recent_projects"] = await home_cards.recent_projects(db, user.id, now)
    if "quick_entry" in wanted:
        default_end = now.astimezone(zone).replace(second=0, microsecond=0)
        ctx["form"] = form or {
            "start_time": (default_end - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
            "end_time": default_end.strftime("%Y-%m-%dT%H:%M"),
        }
    return ctx


def _end(entry: TimeEntry) -> datetime:
    return entry.end_time or datetime.now(UTC)


class HomePages(Controller):
    include_in_schema = False

    @get("/", name="tracking:home")
    async def home(
        self,
        request: Request[Any, Any, Any],
        current_user: CurrentUserDep,
        db_session: DB,
        focus: FromQuery[str | None] = None,
    ) -> Template:
        return await render_home(request, current_user, db_session, focus=focus)

    @get("/home/cards/{name:str}", name="home:card")
    async def card(
        self, request: Request[Any, Any, Any], name: FromPath[str], current_user: CurrentUserDep, db_session: DB
    ) -> Template:
        """One card of Home alone, for its own polling (CONTRACT section 5's fragment rule)."""
        if name not in POLLED:
            raise NotFoundError("card")
        response = await render_home(request, current_user, db_session, only=name)
        response.headers.update({"Vary": "HX-Request", "Cache-Control": "private, no-store"})
        return response
