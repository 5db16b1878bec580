"""The card layout of My productivity and Home (CONTRACT section 7), stored per user.

A layout is, per page, every card of that page once, in display order, each visible or
hidden. The pages render only the visible cards (so a hidden card is neither rendered
nor polled); `GET/PUT /api/me/layout`, the page's drag and drop / move buttons
(static/js/layout.js) and the no-JS form in /settings all read and write it here.

`validate` is pure (unit-tested); `load_layout` / `save_layout` are the only reads and
writes of the `card_layouts` table, the write as one unit of work (app/db/uow.py).
"""

from __future__ import annotations

from typing import Annotated, Final

import msgspec
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.config import OpenSession
from app.db.models import CardLayout
from app.db.uow import unit_of_work
from app.domain.accounts.schemas import CurrentUser
from app.lib import cache as cache_lib
from app.lib.bounds import Body
from app.lib.errors import UnprocessableError

# Every page's cards in their default order. Adding a card here adds it (visible, at the
# end) to every stored layout on its next read; removing one drops it.
CARDS: Final[dict[str, tuple[str, ...]]] = {
    "productivity": ("summary", "daily", "heatmap", "projects", "insights", "focus", "goals", "sessions"),
    "home": ("timer", "today", "week", "recent_projects", "entries", "quick_entry"),
}
PAGES: Final = tuple(CARDS)
LABELS: Final[dict[str, str]] = {
    "summary": "Summary",
    "daily": "Daily hours",
    "heatmap": "Activity heatmap",
    "insights": "Insights",
    "projects": "Projects",
    "focus": "Focus",
    "goals": "Goals",
    "sessions": "Session patterns",
    "timer": "Timer",
    "today": "Today",
    "week": "This week",
    "recent_projects": "Recent projects",
    "entries": "Recent entries",
    "quick_entry": "Quick entry",
}
PAGE_LABELS: Final = {"productivity": "My productivity", "home": "Home"}

CardName = Annotated[str, msgspec.Meta(max_length=40)]


class Card(msgspec.Struct, forbid_unknown_fields=True):
    name: CardName
    visible: bool = True


CardList = Annotated[list[Card], msgspec.Meta(max_length=50)]


class LayoutIn(Body):
    """The PUT body: either page may be left out (it keeps its stored layout)."""

    productivity: CardList | msgspec.UnsetType = msgspec.UNSET
    home: CardList | msgspec.UnsetType = msgspec.UNSET


class Layout(msgspec.Struct):
    productivity: list[Card]
    home: list[Card]

    def page(self, name: str) -> list[Card]:
        return list(getattr(self, name))

    def visible(self, name: str) -> list[str]:
        """The names of the page's visible cards, in display order."""
        return [c.name for c in self.page(name) if c.visible]


class LayoutError(UnprocessableError):
    """A layout that is not every card of its page once: 422 naming the field."""


def default_cards(page: str) -> list[Card]:
    return [Card(name) for name in CARDS[page]]


def default_layout() -> Layout:
    return Layout(productivity=default_cards("productivity"), home=default_cards("home"))


def normalize_name(name: str) -> str:
    """Card names are snake_case; `quick-entry` (the element id's spelling) and `Quick entry`
    mean `quick_entry`."""
    return "_".join(name.strip().lower().replace("-", " ").split())


def validate(page: str, cards: list[Card]) -> list[Card]:
    """Every card of `page` exactly once (CONTRACT section 7). Raises LayoutError naming
    the field: `home[3].name` for an unknown or repeated card, `home` for missing ones."""
    known = CARDS[page]
    seen: set[str] = set()
    out: list[Card] = []
    for i, card in enumerate(cards):
        name = normalize_name(card.name)
        if name not in known:
            cards_text = ", ".join(known)
            raise LayoutError(f"unknown card {card.name!r}; the cards are {cards_text}", field=f"{page}[{i}].name")
        if name in seen:
            raise LayoutError(f"card {name!r} appears more than once", field=f"{page}[{i}].name")
        seen.add(name)
        out.append(Card(name, card.visible))
    missing = [name for name in known if name not in seen]
    if missing:
        raise LayoutError(f"missing cards: {', '.join(missing)} (list every card once)", field=page)
    return out


def merge_stored(page: str, stored: list[dict[str, object]] | None) -> list[Card]:
    """A stored list as the page's cards today: unknown names dropped, new cards appended."""
    if not stored:
        return default_cards(page)
    known = CARDS[page]
    out: list[Card] = []
    seen: set[str] = set()
    for item in stored:
        name = str(item.get("name", ""))
        if name in known and name not in seen:
            seen.add(name)
            out.append(Card(name, bool(item.get("visible", True))))
    out += [Card(name) for name in known if name not in seen]
    return out


def move(cards: list[Card], name: str, step: int) -> list[Card]:
    """`cards` with `name` moved `step` places (−1 up, +1 down), clamped at the ends."""
    names = [c.name for c in cards]
    if name not in names:
        return cards
    i = names.index(name)
    j = max(0, min(len(cards) - 1, i + step))
    out = list(cards)
    out.insert(j, out.pop(i))
    return out


async def load_layout(db: AsyncSession, user_id: int) -> Layout:
    rows = await db.execute(select(CardLayout.page, CardLayout.cards).where(CardLayout.user_id == user_id))
    stored = {page: cards for page, cards in rows}
    return Layout(**{page: merge_stored(page, stored.get(page)) for page in PAGES})


async def visible_cards(db: AsyncSession, user_id: int, page: str) -> list[str]:
    rows = await db.scalar(select(CardLayout.cards).where(CardLayout.user_id == user_id, CardLayout.page == page))
    return [c.name for c in merge_stored(page, rows) if c.visible]


_names_encoder = msgspec.json.Encoder()
_names_decoder = msgspec.json.Decoder(list[str])


async def visible_cards_cached(open_db: OpenSession, user: CurrentUser, page: str) -> list[str]:
    """`visible_cards`, cached like the figures under the data version read with the
    credential on this request: every layout change is a unit of work, which moves that
    version, so a repeated page view reads no layout row and a changed layout shows at
    once. A handler that changes the layout and renders in the same request must use
    `visible_cards` (its version predates its own write)."""
    key = None
    if user.data_version is not None:
        key = cache_lib.stats_key(user.cache_id, user.data_version, 0, page, "cards")
        cached = await cache_lib.get_bytes(key)
        if cached is not None:
            return _names_decoder.decode(cached)
    async with open_db() as db:
        names = await visible_cards(db, user.id, page)
    if key is not None:
        await cache_lib.set_bytes(key, _names_encoder.encode(names), cache_lib.STATS_TTL_SECONDS)
    return names


@unit_of_work(source="layout")
async def save_layout(db: AsyncSession, user_id: int, pages: dict[str, list[Card]]) -> Layout:
    """Store the given pages' layouts (already validated); the others keep theirs."""
    for page, cards in pages.items():
        value = [{"name": c.name, "visible": c.visible} for c in cards]
        row = await db.scalar(select(CardLayout).where(CardLayout.user_id == user_id, CardLayout.page == page))
        if row is None:
            db.add(CardLayout(user_id=user_id, page=page, cards=value))
        else:
            row.cards = value
    await db.flush()
    return await load_layout(db, user_id)


@unit_of_work(source="layout")
async def reset_layout(db: AsyncSession, user_id: int, page: str | None = None) -> Layout:
    """Back to the default order, every card visible (one page, or both)."""
    statement = delete(CardLayout).where(CardLayout.user_id == user_id)
    if page is not None:
        statement = statement.where(CardLayout.page == page)
    await db.execute(statement)
    return await load_layout(db, user_id)


def settings_context(layout: Layout) -> dict[str, object]:
    """What the "Dashboard layout" section of /settings renders."""
    return {"layout": layout, "layout_pages": PAGE_LABELS, "layout_labels": LABELS}


def validated(body: LayoutIn) -> dict[str, list[Card]]:
    """The pages a PUT body sets, each validated."""
    pages: dict[str, list[Card]] = {}
    for page in PAGES:
        cards = getattr(body, page)
        if cards is not msgspec.UNSET:
            pages[page] = validate(page, cards)
    return pages
