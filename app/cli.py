"""The `momentum` console script: serve, db, demo, users, import (CONTRACT section 1).

Every command refuses bad input with a one-line error on stderr and exit status 2
(1 for a failure while running).

The commands live one group to a module: `cli_serve.py`, `cli_db.py`, `cli_users.py`,
`cli_demo.py`, `cli_import.py`, with what they share in `cli_common.py`; this module
builds the parser and runs `main` (the console script, and `python -m app.cli`).
"""

from __future__ import annotations

import argparse
import sys
from typing import NoReturn

from app.cli_common import CliError
from app.cli_db import cmd_db_downgrade, cmd_db_upgrade
from app.cli_demo import DEMO_EMAIL, DEMO_PASSWORD, cmd_demo
from app.cli_import import cmd_import
from app.cli_serve import cmd_serve
from app.cli_users import cmd_users_create


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
