"""`momentum import`: a Toggl, Clockify, Kimai or Momentum export into one account
(docs/import-export.md, "The CLI")."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.cli_common import _settings, fail, with_session


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
        result = asyncio.run(with_session(settings, work))
    except AppError as exc:
        fail(exc.text)
    for err in result.errors[:50]:
        print(err.error, file=sys.stderr)
    verb = "would create" if args.dry_run else "created"
    print(f"{verb} {result.created} entries, {result.duplicates} duplicates skipped, {len(result.errors)} errors")
    if result.errors and not args.skip_bad_rows:
        return 1
    return 0
