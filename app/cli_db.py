"""`momentum db upgrade` / `downgrade`: the Alembic migrations (docs/architecture.md, "Migrations")."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from app.cli_common import _settings, fail
from app.settings import Settings


def _alembic(settings: Settings) -> Any:
    from advanced_alchemy.alembic.commands import AlembicCommands

    from app.db.config import create_db_config

    return AlembicCommands(create_db_config(settings))


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    settings = _settings()
    _ensure_sqlite_dir(settings)
    try:
        _alembic(settings).upgrade(args.revision)
    except Exception as exc:
        fail(f"migration failed: {exc}", 1)
    print(f"database at {args.revision}")
    return 0


def cmd_db_downgrade(args: argparse.Namespace) -> int:
    settings = _settings()
    try:
        _alembic(settings).downgrade(args.revision)
    except Exception as exc:
        fail(f"migration failed: {exc}", 1)
    print(f"database at {args.revision}")
    return 0


def _ensure_sqlite_dir(settings: Settings) -> None:
    if settings.is_sqlite and ":///" in settings.database_url:
        path = settings.database_url.split(":///", 1)[1]
        if path and path != ":memory:":
            Path(path).expanduser().resolve().parent.mkdir(parents=True, exist_ok=True)
