"""The `momentum` console script: serve, db, demo, users, import (CONTRACT section 1).

Every command refuses bad input with a one-line error on stderr and exit status 2
(1 for a failure while running).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import socket
import sys
import tempfile
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NoReturn, TypeVar

from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.settings import Settings, SettingsError, get_settings

T = TypeVar("T")
DEMO_EMAIL = "demo@momentum.local"
DEMO_PASSWORD = "momentum-demo"
HTTP_PROTOCOL = "app.lib.http_protocol:BoundedHttpToolsProtocol"


class CliError(Exception):
    def __init__(self, message: str, code: int = 2) -> None:
        super().__init__(message)
        self.code = code


def fail(message: str, code: int = 2) -> NoReturn:
    raise CliError(message, code)


def _settings() -> Settings:
    try:
        return get_settings()
    except SettingsError as exc:
        fail(str(exc))


async def _with_session(settings: Settings, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    from app.db.config import create_engine, writing
    from app.lib.cache import setup_cache

    setup_cache(settings.cache_url)
    engine = create_engine(settings)
    try:
        with writing():
            async with async_sessionmaker(engine, expire_on_commit=False)() as session:
                result = await work(session)
                await session.commit()
                return result
    finally:
        await engine.dispose()


# ------------------------------------------------------------------ serve


_SERVE_ENV = ("MOMENTUM_SECRET_KEY", "MOMENTUM_INSTANCE_NAME", "MOMENTUM_METRICS_DIR")


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    settings = _settings()
    if not 1 <= args.port <= 65535:
        fail(f"--port must be 1..65535, not {args.port}")
    if args.workers < 1:
        fail("--workers must be at least 1")
    if args.workers > 1 and settings.cache_url.startswith("mem"):
        fail(
            "--workers > 1 needs a shared cache: set MOMENTUM_CACHE_URL=redis://… (an in-memory cache "
            "cannot tell other workers that figures changed)"
        )
    # The variables set below are for this server's worker processes; they are put back
    # when it stops, so a caller in the same process (a test) sees its own environment again.
    saved = {name: os.environ.get(name) for name in _SERVE_ENV}
    # Workers are separate processes: they must share one secret key.
    os.environ.setdefault("MOMENTUM_SECRET_KEY", settings.secret_key)
    # /metrics sums the counters of every worker through one directory, and labels them
    # with this instance's name (docs/setup.md, "Metrics").
    os.environ.setdefault("MOMENTUM_INSTANCE_NAME", f"{socket.gethostname()}:{args.port}")
    own_dir = not os.environ.get("MOMENTUM_METRICS_DIR", "").strip()
    metrics_dir = (
        Path(tempfile.mkdtemp(prefix="momentum-metrics-")) if own_dir else Path(os.environ["MOMENTUM_METRICS_DIR"])
    )
    metrics_dir.mkdir(parents=True, exist_ok=True)
    for old in metrics_dir.glob("*.json"):
        old.unlink(missing_ok=True)  # counters start at zero with the instance
    os.environ["MOMENTUM_METRICS_DIR"] = str(metrics_dir)
    try:
        _run_uvicorn(uvicorn, args)
    finally:
        if own_dir:
            shutil.rmtree(metrics_dir, ignore_errors=True)
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
    return 0


def _run_uvicorn(uvicorn: Any, args: argparse.Namespace) -> None:
    uvicorn.run(
        "app.asgi:create_app",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_level="warning" if args.quiet else "info",
        access_log=not args.quiet,
        proxy_headers=False,
        # A request's head is bounded (CONTRACT section 6): httptools, with a head over
        # MAX_HEADER_BYTES refused by 431 before more is buffered (app/lib/http_protocol.py).
        http=HTTP_PROTOCOL,
    )


# ------------------------------------------------------------------ db


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


# ------------------------------------------------------------------ users


def cmd_users_create(args: argparse.Namespace) -> int:
    from app.domain.accounts import services as accounts
    from app.lib.errors import AppError
    from app.lib.time import is_valid_timezone

    if not is_valid_timezone(args.timezone):
        fail(f"--timezone: {args.timezone!r} is not an IANA time zone")
    password = sys.stdin.readline().rstrip("\r\n")
    if not password:
        fail("no password on standard input (pipe it in: echo 'secret…' | momentum users create …)")
    settings = _settings()

    async def work(db: AsyncSession) -> int:
        user = await accounts.create_user(
            db,
            email=args.email,
            password=password,
            timezone=args.timezone,
            standard_hours_per_day=args.standard_hours,
        )
        return user.id

    try:
        user_id = asyncio.run(_with_session(settings, work))
    except AppError as exc:
        fail(exc.text)
    print(f"created user {args.email.strip().lower()} (id {user_id})")
    return 0


# ------------------------------------------------------------------ demo


async def seed_demo(
    db: AsyncSession,
    *,
    email: str,
    password: str,
    years: float,
    seed: int,
    zone_name: str,
    now: datetime | None = None,
) -> tuple[int, int]:
    """Create a user with a generated history; returns (user id, entry count)."""
    from app.db import rollups
    from app.db.models import Project, Task, TimeEntry
    from app.domain.accounts import services as accounts
    from app.domain.tracking.demo import generate_demo
    from app.lib.time import get_zone

    now = (now or datetime.now(UTC)).replace(microsecond=0)
    user = await accounts.create_user(db, email=email, password=password, timezone=zone_name)
    data = generate_demo(
        seed=seed, years=years, zone_name=zone_name, today=now.astimezone(get_zone(zone_name)).date(), now=now
    )
    project_ids: dict[int, int] = {}
    for p in data.projects:
        project = Project(user_id=user.id, name=p.name, color=p.color, billable=p.billable, archived=p.archived)
        db.add(project)
        await db.flush()
        project_ids[p.key] = project.id
    task_ids: dict[int, int] = {}
    for t in data.tasks:
        task = Task(
            user_id=user.id,
            project_id=project_ids[t.project_key],
            name=t.name,
            status=t.status,
            completed_at=t.completed_at,
        )
        db.add(task)
        await db.flush()
        task_ids[t.key] = task.id
    rows = [
        {
            "user_id": user.id,
            "project_id": project_ids.get(e.project_key) if e.project_key else None,
            "task_id": task_ids.get(e.task_key) if e.task_key else None,
            "start_time": e.start,
            "end_time": e.end,
            "billable": e.billable,
            "notes": e.notes,
            "outcome": e.outcome,
            "tags": list(e.tags),
            "created_at": now,
            "updated_at": now,
        }
        for e in data.entries
    ]
    for i in range(0, len(rows), 2000):
        await db.execute(insert(TimeEntry), rows[i : i + 2000])
    await rollups.rebuild_all(db, user.id, zone_name)
    return user.id, len(rows)


def cmd_demo(args: argparse.Namespace) -> int:
    from app.db.models import User
    from app.lib.errors import AppError
    from app.lib.time import is_valid_timezone

    if not 0 < args.years <= 30:
        fail("--years must be more than 0 and at most 30")
    if not is_valid_timezone(args.timezone):
        fail(f"--timezone: {args.timezone!r} is not an IANA time zone")
    settings = _settings()

    async def work(db: AsyncSession) -> tuple[int, int] | None | bool:
        if args.if_empty and await db.scalar(select(func.count()).select_from(User)):
            # Not empty: say whether the demo login still exists, seed nothing.
            return bool(await db.scalar(select(func.count()).select_from(User).where(User.email == args.email)))
        return await seed_demo(
            db, email=args.email, password=args.password, years=args.years, seed=args.seed, zone_name=args.timezone
        )

    try:
        result = asyncio.run(_with_session(settings, work))
    except AppError as exc:
        fail(exc.text)
    if isinstance(result, tuple):
        print(f"demo account created with {result[1]} entries over {args.years:g} year(s)")
    elif not result:
        print("database already has users; no demo account added")
        return 0
    print(f"demo login: {args.email} / {args.password}")
    return 0


# ------------------------------------------------------------------ import


def cmd_import(args: argparse.Namespace) -> int:
    from app.db.models import User
    from app.domain.transfer.importing import run_import_file
    from app.lib.errors import AppError
    from app.lib.time import is_valid_timezone

    path = Path(args.file)
    if not path.is_file():
        fail(f"{args.file}: no such file")
    if args.format not in {"auto", "toggl", "clockify", "kimai", "momentum"}:
        fail(f"--format must be auto, toggl, clockify, kimai or momentum, not {args.format!r}")
    if args.timezone and not is_valid_timezone(args.timezone):
        fail(f"--timezone: {args.timezone!r} is not an IANA time zone")
    settings = _settings()

    async def work(db: AsyncSession) -> Any:
        user = await db.scalar(select(User).where(User.email == args.user.strip().lower()))
        if user is None:
            fail(f"--user: no user with email {args.user!r}")
        # The import ends this session's transaction before it stages rows; a detached
        # user keeps its loaded fields instead of expiring them (no lazy load afterwards).
        db.expunge(user)
        return await run_import_file(
            db,
            user,
            path,
            fmt=args.format,
            zone_name=args.timezone or user.timezone or settings.timezone,
            dry_run=args.dry_run,
            skip_bad_rows=args.skip_bad_rows,
        )

    try:
        result = asyncio.run(_with_session(settings, work))
    except AppError as exc:
        fail(exc.text)
    for err in result.errors[:50]:
        print(err.error, file=sys.stderr)
    verb = "would create" if args.dry_run else "created"
    print(f"{verb} {result.created} entries, {result.duplicates} duplicates skipped, {len(result.errors)} errors")
    if result.errors and not args.skip_bad_rows:
        return 1
    return 0


# ------------------------------------------------------------------ parser


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        print(f"momentum: error: {message}", file=sys.stderr)
        raise SystemExit(2)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="momentum", description="Momentum — your working time, honestly and fast.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    serve = sub.add_parser("serve", help="run the web server")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1)
    serve.add_argument("--quiet", action="store_true", help="no access log")
    serve.set_defaults(func=cmd_serve)

    db = sub.add_parser("db", help="database migrations")
    db_sub = db.add_subparsers(dest="db_command", required=True, parser_class=_Parser)
    up = db_sub.add_parser("upgrade", help="migrate to the newest schema")
    up.add_argument("revision", nargs="?", default="head")
    up.set_defaults(func=cmd_db_upgrade)
    down = db_sub.add_parser("downgrade", help="migrate back to a revision (base = empty)")
    down.add_argument("revision")
    down.set_defaults(func=cmd_db_downgrade)

    users = sub.add_parser("users", help="manage users")
    users_sub = users.add_subparsers(dest="users_command", required=True, parser_class=_Parser)
    create = users_sub.add_parser("create", help="create a user; the password is read from stdin")
    create.add_argument("--email", required=True)
    create.add_argument("--timezone", required=True)
    create.add_argument("--standard-hours", type=float, default=8.0)
    create.set_defaults(func=cmd_users_create)

    demo = sub.add_parser("demo", help="seed a demo account with a realistic history")
    demo.add_argument("--email", default=DEMO_EMAIL)
    demo.add_argument("--password", default=DEMO_PASSWORD)
    demo.add_argument("--years", type=float, default=1.5)
    demo.add_argument("--seed", type=int, default=42)
    demo.add_argument("--timezone", default="Europe/Berlin")
    demo.add_argument("--if-empty", action="store_true", help="only when the database has no users yet")
    demo.set_defaults(func=cmd_demo)

    imp = sub.add_parser("import", help="import a Toggl, Clockify, Kimai or Momentum export")
    imp.add_argument("file")
    imp.add_argument("--user", required=True, help="email of the account to import into")
    imp.add_argument("--format", default="auto")
    imp.add_argument("--timezone", default=None, help="zone of the file's local times (default: the user's)")
    imp.add_argument("--dry-run", action="store_true")
    imp.add_argument("--skip-bad-rows", action="store_true")
    imp.set_defaults(func=cmd_import)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except CliError as exc:
        print(f"momentum: error: {exc}", file=sys.stderr)
        return exc.code
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
