"""One write path (issue 8; docs/architecture.md, "The write path").

Every write of a user's data is a unit of work (app/db/uow.py): it locks the user,
recomputes the touched days' rollup, commits and moves the cache version. These rules
keep it so, read from the source with `ast` (nothing is imported):

1. `.commit(` (and the old helper `commit_and_refresh(`) is called only in
   app/db/uow.py and the places in COMMIT_EXCEPTIONS — a new handler that commits by
   hand fails here;
2. `refresh_days` / `rebuild_all` (the day_totals rollup) are called only from
   app/db/uow.py, app/db/rollups.py and ROLLUP_EXCEPTIONS;
3. a function in app/domain that writes through a session (`.add`, `.add_all`,
   `.delete`, `.merge`, `.execute(insert|update|delete(...))`) is a `@unit_of_work()`
   service, runs inside one, or is listed in WRITE_EXCEPTIONS. (The request session is
   committed by the plugin's autocommit, so a handler writing without a unit of work
   would not call `.commit(` at all: rule 1 alone would not see it.)

Each exception names one function and says why; an exception that no longer matches
anything fails too, so the lists shrink as the import path moves onto the unit of work.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
APP = ROOT / "app"

UOW = "app/db/uow.py"
ROLLUPS = "app/db/rollups.py"

# "path::Qualified.name" → why this place may commit by hand.
COMMIT_EXCEPTIONS: dict[str, str] = {
    "app/cli_common.py::with_session": (
        "CLI commands (demo seeding, `momentum import`, user admin) run outside any request and own "
        "their session; the seeded data is a new user's, with no cached figures yet"
    ),
    "app/db/freshness.py::commit_and_refresh": (
        "the pre-unit-of-work commit helper (commit, then bump the cache and history versions); "
        "still used by the import service below"
    ),
    "app/domain/accounts/token_usage.py::_stamp": (
        "api_tokens.last_used_at and user_sessions.last_seen_at bookkeeping, at most once a minute per token "
        "or session, after the response; not a user's data, so it takes no user lock"
    ),
    "app/domain/transfer/jobs.py::_commit": (
        "import job rows (the per-user import lock, progress, heartbeat): bookkeeping, not figures"
    ),
    "app/domain/transfer/staging.py::CsvImport._flush": (
        "staged import rows in chunks of 5,000, invisible until the final unit of work publishes them "
        "(docs/import-export.md): a short commit per chunk keeps the SQLite write lock short"
    ),
    "app/domain/transfer/controllers.py::release": (
        "ends the request session's read transaction before the import opens its own session "
        "(on SQLite the open BEGIN IMMEDIATE would hold the write lock); writes nothing"
    ),
    "app/domain/notifications/derive.py::derive": (
        "deriving due notices: one short transaction under the user's row lock (FOR UPDATE; SQLite's write "
        "lock), retried like a unit of work; notices and their bookkeeping change no figure, so it moves no "
        "data version (docs/notifications.md)"
    ),
    "app/domain/notifications/email.py::_claim": (
        "e-mail delivery bookkeeping (notifications.emailed_at): the conditional UPDATE that lets one instance "
        "send a notice, committed before sending; no figure reads it, so it takes no user lock"
    ),
    "app/domain/notifications/email.py::_release": (
        "gives an e-mail claim back after a failed send or over the daily cap (delivery bookkeeping only)"
    ),
}

# "path::Qualified.name" → why this place may rebuild or refresh the rollup itself.
ROLLUP_EXCEPTIONS: dict[str, str] = {
    "app/cli_demo.py::seed_demo": "the demo seeder bulk-inserts years of entries, then rebuilds the rollup once",
    "app/domain/transfer/importing.py::ImportService._restore.restore": (
        "a restore runs inside one uow.write and rebuilds the whole rollup once after its bulk insert"
    ),
    "app/domain/accounts/user_settings.py::update_settings": (
        "a time-zone change moves every local day: the whole rollup is rebuilt inside the settings "
        "unit of work (rollups.py module doc)"
    ),
}

# "path::Qualified.name" (or "path::*" for a whole module) → why it writes outside a unit of work.
WRITE_EXCEPTIONS: dict[str, str] = {
    "app/domain/accounts/signup.py::create_user": (
        "sign-up: the user row itself, before there is a user to lock; no figures exist yet"
    ),
    "app/domain/accounts/signup.py::sign_up": "a new account (no data of a user exists yet to serialise against)",
    "app/domain/accounts/sessions.py::create_session": "a login session (credentials, not data any figure shows)",
    "app/domain/accounts/sessions.py::end_session": "logout (credentials, not data any figure shows)",
    "app/domain/accounts/tokens.py::create_token": "an API token (credentials, not data any figure shows)",
    "app/domain/accounts/tokens.py::delete_token": "revoking an API token (credentials only)",
    "app/domain/transfer/writer.py::*": (
        "the import's catalog and batched entry writer run inside ImportService.run_import's own "
        "transaction (see COMMIT_EXCEPTIONS)"
    ),
    "app/domain/transfer/jobs.py::*": "import job rows and staging cleanup: bookkeeping of the import lock",
    "app/domain/transfer/staging.py::*": (
        "staging rows (invisible to every figure) and their refs, written inside the final uow.write's transaction"
    ),
    "app/domain/transfer/staging_sql.py::copy_staged": (
        "the final copy of the staged rows, which runs inside uow.write's transaction (staging.py, CsvImport.publish)"
    ),
    "app/domain/transfer/backup.py::*": "restoring a backup runs inside ImportService.run_import's transaction",
    "app/domain/rules/actions.py::*": (
        "rule actions run inside the triggering write's unit of work (its before-commit hook, "
        "app/domain/rules/runner.py) or the timer_running unit of work (timers.py)"
    ),
    "app/domain/notifications/prefs.py::ensure_row": (
        "creates the notification prefs row; called only under the user's lock (derive's transaction, "
        "update_settings' unit of work)"
    ),
    "app/domain/notifications/email.py::_claim": "e-mail delivery bookkeeping (see COMMIT_EXCEPTIONS)",
    "app/domain/notifications/email.py::_release": "e-mail delivery bookkeeping (see COMMIT_EXCEPTIONS)",
    "app/domain/notifications/services.py::_keep_derivation": (
        "notification bookkeeping; called only inside the mark-read units of work"
    ),
}

SESSION_NAMES = frozenset({"db", "session", "db_session", "_db"})
SESSION_WRITES = frozenset({"add", "add_all", "delete", "merge"})
SQL_WRITES = frozenset({"insert", "update", "delete"})
ROLLUP_CALLS = frozenset({"refresh_days", "rebuild_all"})


@dataclass(frozen=True)
class Call:
    path: str
    function: str  # qualified name of the enclosing function ("" at module level)
    line: int
    kind: str  # "commit" | "rollup" | "write"
    in_unit: bool  # the enclosing (outermost) function is a @unit_of_work() service

    @property
    def where(self) -> str:
        return f"{self.path}::{self.function}"


def _called_name(node: ast.Call) -> str | None:
    if isinstance(node.func, ast.Attribute):
        return node.func.attr
    if isinstance(node.func, ast.Name):
        return node.func.id
    return None


def _receiver(node: ast.Call) -> str | None:
    """The last name of the object a method is called on (`self._db.add` → `_db`)."""
    if not isinstance(node.func, ast.Attribute):
        return None
    value = node.func.value
    if isinstance(value, ast.Attribute):
        return value.attr
    if isinstance(value, ast.Name):
        return value.id
    return None


def _is_unit_of_work(fn: ast.AsyncFunctionDef | ast.FunctionDef) -> bool:
    for decorator in fn.decorator_list:
        target = decorator.func if isinstance(decorator, ast.Call) else decorator
        name = target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", None)
        if name == "unit_of_work":
            return True
    return False


def _kind(node: ast.Call) -> str | None:
    name = _called_name(node)
    if name in {"commit", "commit_and_refresh"}:
        return "commit"
    if name in ROLLUP_CALLS:
        return "rollup"
    if name in SESSION_WRITES and _receiver(node) in SESSION_NAMES:
        return "write"
    if name == "execute" and _receiver(node) in SESSION_NAMES and node.args:
        first = node.args[0]
        while isinstance(first, ast.Call) and isinstance(first.func, ast.Attribute):
            first = first.func.value  # delete(X).where(...).values(...) → delete(X)
        if isinstance(first, ast.Call) and _called_name(first) in SQL_WRITES:
            return "write"
    return None


def calls_in(source: str, path: str) -> Iterator[Call]:
    """Every commit, rollup and session write in `source`, with its enclosing function."""

    def walk(node: ast.AST, scope: list[str], in_unit: bool) -> Iterator[Call]:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                yield from walk(child, [*scope, child.name], in_unit or _is_unit_of_work(child))
            elif isinstance(child, ast.ClassDef):
                yield from walk(child, [*scope, child.name], in_unit)
            else:
                if isinstance(child, ast.Call):
                    kind = _kind(child)
                    if kind is not None:
                        yield Call(path, ".".join(scope), child.lineno, kind, in_unit)
                yield from walk(child, scope, in_unit)

    yield from walk(ast.parse(source, filename=path), [], False)


def app_calls(root: Path = ROOT) -> list[Call]:
    found: list[Call] = []
    for file in sorted((root / "app").rglob("*.py")):
        rel = file.relative_to(root).as_posix()
        found.extend(calls_in(file.read_text(encoding="utf-8"), rel))
    return found


def _excepted(call: Call, exceptions: dict[str, str]) -> bool:
    return call.where in exceptions or f"{call.path}::*" in exceptions


def violations(calls: list[Call]) -> list[str]:
    out: list[str] = []
    for call in calls:
        at = f"{call.path}:{call.line} in {call.function or '<module>'}"
        if call.kind == "commit" and call.path != UOW and not _excepted(call, COMMIT_EXCEPTIONS):
            out.append(f"{at}: commits by hand; write through app.db.uow (a @unit_of_work() service)")
        elif call.kind == "rollup" and call.path not in {UOW, ROLLUPS} and not _excepted(call, ROLLUP_EXCEPTIONS):
            out.append(f"{at}: touches the rollup by hand; call work.touched(...) inside a unit of work")
        elif (
            call.kind == "write"
            and call.path.startswith("app/domain/")
            and not call.in_unit
            and not _excepted(call, WRITE_EXCEPTIONS)
        ):
            out.append(f"{at}: writes outside a unit of work; make it a @unit_of_work() service")
    return out


# ---------------------------------------------------------------- the rules


def test_commits_rollups_and_writes_go_through_the_unit_of_work() -> None:
    assert violations(app_calls()) == []


@pytest.mark.parametrize(
    ("kind", "exceptions"),
    [("commit", COMMIT_EXCEPTIONS), ("rollup", ROLLUP_EXCEPTIONS), ("write", WRITE_EXCEPTIONS)],
)
def test_every_exception_is_still_needed(kind: str, exceptions: dict[str, str]) -> None:
    calls = [c for c in app_calls() if c.kind == kind]
    used = {key for key in exceptions if any(c.where == key or f"{c.path}::*" == key for c in calls)}
    assert set(exceptions) - used == set(), "an allow-listed place no longer does this: drop it from the list"
    assert all(reason.strip() for reason in exceptions.values())


def test_the_unit_of_work_commits_and_refreshes_the_rollup() -> None:
    """The rules above are only meaningful while uow.py is where both happen."""
    calls = [c for c in app_calls() if c.path == UOW]
    assert {c.kind for c in calls} >= {"commit", "rollup"}


# ---------------------------------------------------------------- the checker catches what it should


HAND_COMMIT = """
from litestar import post

@post("/things")
async def create_thing(db_session, current_user):
    db_session.add(Thing(user_id=current_user.id))
    await db_session.commit()
"""

HAND_ROLLUP = """
from app.db import rollups

async def fix_days(db, user_id):
    await rollups.refresh_days(db, user_id, "UTC", [])
"""

SNEAKY_WRITE = """
from sqlalchemy import update

class Things:
    async def rename(self, db, user_id, name):
        await db.execute(update(Thing).where(Thing.user_id == user_id).values(name=name))
"""

UNIT = """
from sqlalchemy import delete
from app.db.uow import unit_of_work

@unit_of_work()
async def remove(db, user_id, thing_id):
    await db.execute(delete(Thing).where(Thing.id == thing_id))
    db.add(Log(user_id=user_id))

    async def nested():
        await db.delete(thing)
    await nested()
"""


@pytest.mark.parametrize(
    ("path", "source", "expected"),
    [
        ("app/domain/things/controllers.py", HAND_COMMIT, ["commits by hand", "writes outside a unit of work"]),
        ("app/domain/things/services.py", HAND_ROLLUP, ["touches the rollup by hand"]),
        ("app/domain/things/services.py", SNEAKY_WRITE, ["writes outside a unit of work"]),
        ("app/domain/things/services.py", UNIT, []),
        ("app/db/uow.py", "async def f(db):\n    await db.commit()\n", []),
    ],
    ids=["hand-commit", "hand-rollup", "write-without-unit", "unit-of-work-service", "uow-itself"],
)
def test_the_checker(path: str, source: str, expected: list[str]) -> None:
    found = violations(list(calls_in(source, path)))
    assert len(found) == len(expected), found
    for fragment in expected:
        assert sum(fragment in message for message in found) == 1, (fragment, found)
