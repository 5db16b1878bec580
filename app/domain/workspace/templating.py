"""Template globals of the workspace, registered at start-up (app/asgi.py): base.html.j2
hands every signed-in page its shortcuts; the settings sections list them."""

from __future__ import annotations

from typing import Any

from litestar.plugins.jinja import JinjaTemplateEngine

from app.domain.workspace import prefs


def shortcut_settings(user: Any) -> dict[str, Any]:
    chosen = prefs.shortcut_prefs(getattr(user, "shortcuts", None))
    return {"enabled": chosen.enabled, "keys": chosen.keys, "shortcuts": prefs.SHORTCUTS,
            "defaults": prefs.DEFAULT_KEYS, "themes": prefs.THEMES}


def register(engine: JinjaTemplateEngine) -> None:
    env: Any = engine.engine
    env.globals["workspace_client"] = lambda user: prefs.client_config(getattr(user, "shortcuts", None))
    env.globals["workspace_settings"] = shortcut_settings
