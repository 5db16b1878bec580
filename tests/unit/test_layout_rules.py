"""The card layout's rules (CONTRACT section 7), pure: every card of a page once, in order."""

from __future__ import annotations

import pytest

from app.domain.accounts.layout import (
    CARDS,
    Card,
    LayoutError,
    default_layout,
    merge_stored,
    move,
    validate,
)

HOME = list(CARDS["home"])


def names(cards: list[Card]) -> list[str]:
    return [c.name for c in cards]


def test_validate_keeps_order_and_visibility_and_normalises_names() -> None:
    rest = ["entries", "week", "today", "timer"]
    given = [Card("Quick-Entry", False), Card("Recent projects"), *[Card(n) for n in rest]]
    out = validate("home", given)
    assert names(out) == ["quick_entry", "recent_projects", *rest]
    assert [c.visible for c in out] == [False, True, True, True, True, True]


@pytest.mark.parametrize(
    ("cards", "field", "message"),
    [
        ([*HOME, "week"], "home[6].name", "card 'week' appears more than once"),
        (["weekly", *HOME], "home[0].name", "unknown card 'weekly'"),
        (HOME[1:], "home", "missing cards: timer (list every card once)"),
        (["summary", *HOME], "home[0].name", "unknown card 'summary'"),
    ],
    ids=["duplicate", "unknown", "missing", "other-page"],
)
def test_validate_names_the_field_of_the_first_problem(cards: list[str], field: str, message: str) -> None:
    with pytest.raises(LayoutError) as caught:
        validate("home", [Card(n) for n in cards])
    assert caught.value.field == field
    assert caught.value.message.startswith(message)
    assert caught.value.status_code == 422


def test_a_stored_layout_drops_retired_cards_and_appends_new_ones() -> None:
    stored: list[dict[str, object]] = [
        {"name": "week", "visible": False}, {"name": "retired"}, {"name": "timer"}, {"name": "week"}]
    out = merge_stored("home", stored)
    assert names(out) == ["week", "timer", "today", "recent_projects", "entries", "quick_entry"]
    assert [c.visible for c in out] == [False, True, True, True, True, True]
    assert merge_stored("home", None) == default_layout().home


def test_move_steps_and_clamps_at_the_ends() -> None:
    cards = [Card(n) for n in HOME]
    assert names(move(cards, "week", -1)) == ["timer", "week", "today", "recent_projects", "entries", "quick_entry"]
    assert names(move(cards, "week", 1)) == ["timer", "today", "recent_projects", "week", "entries", "quick_entry"]
    assert names(move(cards, "timer", -1)) == HOME
    assert names(move(cards, "quick_entry", 1)) == HOME
    assert names(move(cards, "unknown", 1)) == HOME


def test_the_default_layout_lists_every_card_once_visible() -> None:
    layout = default_layout()
    assert layout.visible("home") == HOME
    assert layout.visible("productivity") == list(CARDS["productivity"])
