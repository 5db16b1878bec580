"""`GET/PUT/DELETE /api/me/layout` and the no-JS layout form of /settings (CONTRACT section 7).

The form posts every card of both pages in their current order (`<page>.order`), the
visible ones ticked (`<page>.visible`), and at most one action: a move button
(`move=<page>:<card>:<-1|1>`) or a Reset button (`reset=<page>`). Every action saves the
whole form, so ticking boxes and then moving a card loses nothing.
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, delete, get, post, put
from litestar.di import NamedDependency
from litestar.params import FromQuery, JSONBody
from sqlalchemy.ext.asyncio import AsyncSession

from app.domain.accounts import layout as layouts
from app.domain.accounts.schemas import CurrentUser
from app.lib.htmx import see_other

CurrentUserDep = NamedDependency[CurrentUser]
DB = NamedDependency[AsyncSession]


class LayoutApi(Controller):
    path = "/api/me/layout"
    tags = ["accounts"]

    @get("/", summary="Your card layout of My productivity and Home")
    async def get_layout(self, current_user: CurrentUserDep, db_session: DB) -> layouts.Layout:
        return await layouts.load_layout(db_session, current_user.id)

    @put(
        "/",
        summary="Set the card layout: every card of a page once, in display order (422 otherwise)",
        opt={"errors": (422,)},
    )
    async def put_layout(
        self, data: JSONBody[layouts.LayoutIn], current_user: CurrentUserDep, db_session: DB
    ) -> layouts.Layout:
        pages = layouts.validated(data)
        if not pages:
            return await layouts.load_layout(db_session, current_user.id)
        return await layouts.save_layout(db_session, current_user.id, pages)

    @delete("/", status_code=200, summary="Reset the layout to the default (one page with ?page=, else both)")
    async def reset(
        self, current_user: CurrentUserDep, db_session: DB, page: FromQuery[str | None] = None
    ) -> layouts.Layout:
        return await layouts.reset_layout(db_session, current_user.id, _page(page))


def _page(value: str | None) -> str | None:
    if value is None or value == "":
        return None
    if value not in layouts.PAGES:
        raise layouts.LayoutError(f"must be one of {', '.join(layouts.PAGES)}", field="page")
    return value


class LayoutSettingsPages(Controller):
    include_in_schema = False
    path = "/settings/layout"

    @post("/", name="accounts:layout-submit")
    async def submit(
        self, request: Request[Any, Any, Any], current_user: CurrentUserDep, db_session: DB
    ) -> Response[Any]:
        form = await request.form()
        reset = str(form.get("reset", "") or "")
        if reset:
            await layouts.reset_layout(db_session, current_user.id, None if reset == "all" else _page(reset))
            return see_other("/settings?layout=reset#layout")
        pages: dict[str, list[layouts.Card]] = {}
        for page in layouts.PAGES:
            order = [str(v) for v in form.getall(f"{page}.order", [])]
            if not order:
                continue
            shown = {str(v) for v in form.getall(f"{page}.visible", [])}
            pages[page] = layouts.validate(page, [layouts.Card(name, name in shown) for name in order])
        move = str(form.get("move", "") or "").split(":")
        anchor = "#layout"
        if len(move) == 3 and move[0] in pages and move[1] in layouts.CARDS[move[0]] and move[2] in {"-1", "1"}:
            pages[move[0]] = layouts.move(pages[move[0]], move[1], int(move[2]))
            anchor = f"#layout-{move[0]}-{move[1]}"
        if pages:
            await layouts.save_layout(db_session, current_user.id, pages)
        return see_other(f"/settings?layout=saved{anchor}")
