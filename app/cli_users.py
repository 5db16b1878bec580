"""`momentum users create`: an account made by the administrator, the password read from stdin
(docs/setup.md, "The `momentum` command")."""

from __future__ import annotations

import argparse
import asyncio
import sys

from sqlalchemy.ext.asyncio import AsyncSession

from app.cli_common import _settings, fail, with_session


def cmd_users_create(args: argparse.Namespace) -> int:
    from app.domain.accounts.signup import create_user
    from app.lib.errors import AppError
    from app.lib.time import is_valid_timezone

    if not is_valid_timezone(args.timezone):
        fail(f"--timezone: {args.timezone!r} is not an IANA time zone")
    password = sys.stdin.readline().rstrip("\r\n")
    if not password:
        fail("no password on standard input (pipe it in: echo 'secret…' | momentum users create …)")
    settings = _settings()

    async def work(db: AsyncSession) -> int:
        user = await create_user(
            db,
            email=args.email,
            password=password,
            timezone=args.timezone,
            standard_hours_per_day=args.standard_hours,
        )
        return user.id

    try:
        user_id = asyncio.run(with_session(settings, work))
    except AppError as exc:
        fail(exc.text)
    print(f"created user {args.email.strip().lower()} (id {user_id})")
    return 0
