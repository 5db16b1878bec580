"""Workspace preferences: the colour theme and the keyboard shortcuts (CONTRACT section 7).

`SHORTCUTS` is the one list of shortcuts: the page hands it to static/js/shortcuts.js,
which builds both its key handlers and the `?` help dialog from it, and the settings
page and docs/keyboard.md list the same entries. Only the single-key shortcuts can be
remapped; every character-key shortcut (the `g` sequences too) can be switched off, so
that nobody who types by voice or with a switch fires one by accident (WCAG 2.1.4).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import User
from app.db.uow import unit_of_work
from app.lib.errors import ValidationError

THEMES: Final = ("auto", "light", "dark")


@dataclass(frozen=True, slots=True)
class Shortcut:
    id: str
    keys: str  # "s", "g p", "Ctrl+K" — as shown and as matched by shortcuts.js
    label: str
    url: str | None = None  # the page a `g` sequence opens
    remappable: bool = False  # a single key the user may change or switch off


SHORTCUTS: Final[tuple[Shortcut, ...]] = (
    Shortcut("help", "?", "Show this list of shortcuts", remappable=True),
    Shortcut("palette", "Ctrl+K", "Open the command palette (Cmd+K on a Mac)"),
    Shortcut("timer", "s", "Start or stop the timer", remappable=True),
    Shortcut("continue", "c", "Continue the last entry", remappable=True),
    Shortcut("new_entry", "n", "New entry (the quick entry form)", remappable=True),
    Shortcut("go_home", "g h", "Go to Home", url="/"),
    Shortcut("go_productivity", "g d", "Go to My productivity", url="/dashboard/productivity"),
    Shortcut("go_entries", "g e", "Go to Entries", url="/entries"),
    Shortcut("go_projects", "g p", "Go to Projects", url="/projects"),
    Shortcut("go_goals", "g o", "Go to Goals", url="/goals"),
    Shortcut("go_notifications", "g n", "Go to Notifications", url="/notifications"),
    Shortcut("go_settings", "g s", "Go to Settings", url="/settings"),
    Shortcut("go_import", "g i", "Go to Import", url="/import"),
    Shortcut("go_export", "g x", "Go to Export", url="/export"),
    Shortcut("escape", "Esc", "Leave a field, close a dialog"),
)
REMAPPABLE: Final = tuple(s.id for s in SHORTCUTS if s.remappable)
DEFAULT_KEYS: Final = {s.id: s.keys for s in SHORTCUTS if s.remappable}
SEQUENCE_PREFIX: Final = "g"


@dataclass(frozen=True, slots=True)
class ShortcutPrefs:
    enabled: bool
    keys: dict[str, str]  # remappable id -> its key ("" = off)


def shortcut_prefs(stored: dict[str, Any] | None) -> ShortcutPrefs:
    """The user's effective shortcuts: the stored choices over the defaults. Anything
    stored that no longer validates falls back to the default (never an error on read)."""
    stored = stored if isinstance(stored, dict) else {}
    keys = dict(DEFAULT_KEYS)
    raw_keys = stored.get("keys")
    if isinstance(raw_keys, dict):
        for action, key in raw_keys.items():
            if action in keys and isinstance(key, str) and (key == "" or _key_problem(key) is None):
                keys[action] = key
    return ShortcutPrefs(enabled=stored.get("enabled", True) is not False, keys=keys)


def _key_problem(key: str) -> str | None:
    if len(key) != 1:
        return "must be one character, or empty to switch it off"
    if not key.isprintable() or key.isspace():
        return "must be a visible character"
    if key.lower() == SEQUENCE_PREFIX:
        return "g starts the go-to sequences; choose another key"
    return None


def validate_shortcuts(enabled: bool, keys: dict[str, str] | None) -> dict[str, Any]:
    """The stored form of a PUT: every remappable key given (missing ones take the default)."""
    chosen = dict(DEFAULT_KEYS)
    for action, key in (keys or {}).items():
        if action not in DEFAULT_KEYS:
            raise ValidationError(f"unknown shortcut; one of {', '.join(REMAPPABLE)}", field=f"keys.{action}")
        key = key.strip() if key.strip() else ""
        if key:
            problem = _key_problem(key)
            if problem:
                raise ValidationError(problem, field=f"keys.{action}")
        chosen[action] = key
    seen: dict[str, str] = {}
    for action in REMAPPABLE:
        key = chosen[action]
        if not key:
            continue
        if key in seen:
            raise ValidationError(f"is already used by {seen[key]}", field=f"keys.{action}")
        seen[key] = action
    return {"enabled": bool(enabled), "keys": chosen}


def validate_theme(theme: str) -> str:
    if theme not in THEMES:
        raise ValidationError("must be auto, light or dark", field="theme")
    return theme


@unit_of_work(source="settings")
async def save_theme(db: AsyncSession, user_id: int, theme: str) -> str:
    theme = validate_theme(theme)
    await db.execute(update(User).where(User.id == user_id).values(theme=theme))
    return theme


@unit_of_work(source="settings")
async def save_shortcuts(
    db: AsyncSession, user_id: int, *, enabled: bool, keys: dict[str, str] | None
) -> ShortcutPrefs:
    stored = validate_shortcuts(enabled, keys)
    await db.execute(update(User).where(User.id == user_id).values(shortcuts=stored))
    return shortcut_prefs(stored)


def client_config(stored: dict[str, Any] | None) -> dict[str, Any]:
    """What static/js/shortcuts.js reads from the page: the list, with the user's keys."""
    prefs = shortcut_prefs(stored)
    return {
        "enabled": prefs.enabled,
        "shortcuts": [
            {
                "id": s.id,
                "keys": prefs.keys[s.id] if s.remappable else s.keys,
                "label": s.label,
                "url": s.url,
                "character": s.id not in {"palette", "escape"},
            }
            for s in SHORTCUTS
        ],
    }
