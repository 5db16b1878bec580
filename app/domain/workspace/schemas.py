"""Workspace payloads: the command palette, the theme and the keyboard shortcuts."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

ShortcutKey = Annotated[str, msgspec.Meta(max_length=8, description='one character, or "" to switch it off')]


class PaletteItem(msgspec.Struct):
    kind: Literal["page", "action", "project", "task", "entry"]
    id: str  # unique in one answer, e.g. "project:12"
    label: str
    hint: str
    url: str
    method: Literal["GET", "POST"]  # POST items are forms: send `fields` and the CSRF token
    fields: dict[str, str]
    score: float


class PaletteOut(msgspec.Struct):
    q: str
    items: list[PaletteItem]


class ThemeOut(msgspec.Struct):
    theme: Literal["auto", "light", "dark"]


class ThemeIn(msgspec.Struct, forbid_unknown_fields=True):
    theme: Annotated[str, msgspec.Meta(max_length=10, description="auto | light | dark")]


class ShortcutOut(msgspec.Struct):
    id: str
    keys: str  # as the user has them ("" = switched off)
    default_keys: str
    label: str
    remappable: bool


class ShortcutsOut(msgspec.Struct):
    enabled: bool  # false: no character-key shortcut fires (Ctrl+K and Esc still do)
    keys: dict[str, str]  # the remappable shortcuts: id -> key ("" = off)
    shortcuts: list[ShortcutOut]


class ShortcutsIn(msgspec.Struct, forbid_unknown_fields=True):
    enabled: bool = True
    keys: Annotated[dict[str, ShortcutKey], msgspec.Meta(max_length=16)] = {}
