"""The per-request credential read, at the driver's level: on SQLite without a thread
hop, on PostgreSQL without the ORM.

Every authenticated request reads its credential's row joined with the user (CONTRACT
section 6: a logged-out session or a revoked token is dead the moment its row is gone;
the row's data version keys the cached figures — docs/architecture.md, "Who is
calling"). Through aiosqlite that one indexed read costs about a millisecond of CPU,
mostly hand-offs between the event loop and the driver's thread, which is four times
what a warm cached stats call costs otherwise.

On a SQLite file this module answers the same query with the standard library's driver
on the calling thread: a prepared statement on a unique index, tens of microseconds,
short enough to run on the event loop. The connection only reads (`query_only`) and
never waits for a lock (`timeout=0`): in WAL mode a reader needs no lock, and in the
rare case SQLite still answers "busy" (a WAL being recovered), the caller falls back to
the ordinary asynchronous path, which waits as every other query does. Each statement
runs in autocommit, so it sees every transaction committed before it, from any process.

On PostgreSQL the same query goes to asyncpg directly on a connection checked out of the
application's pool (app/db/fastread.py: without the pool's pre-ping; a read that meets a
dead connection runs again on a checked one, so a restarted server is noticed): a third of
the CPU of the ORM's select, and the same errors — a database that cannot be reached
answers 503 like any other query (app/lib/errors.py).
"""

from __future__ import annotations

from typing import Any

from app.db.fastread import PgReader, SqliteReader

# The columns of app.domain.accounts.user_lookup._USER_COLUMNS, in that order, then the
# credential's expiry (sessions) or NULL (tokens: they do not expire).
_USER_SELECT = (
    "SELECT users.id, users.email, users.timezone, users.standard_hours_per_day, users.working_days,"
    " users.streak_min_minutes, users.streak_skip_non_working, users.refuse_overlaps, users.data_version,"
    " users.created_at, users.theme, users.shortcuts, users.history_version, {expiry}"
    " FROM users JOIN {table} c ON c.user_id = users.id"
    " WHERE c.token_hash = :digest"
)
_QUERIES = {
    "s": _USER_SELECT.format(expiry="c.expires_at", table="user_sessions"),
    "t": _USER_SELECT.format(expiry="NULL", table="api_tokens"),
}


class SqliteCredentialReader:
    """Reads one credential row with `sqlite3` on the caller's thread (app/db/fastread.py)."""

    def __init__(self, reader: SqliteReader) -> None:
        self.reader = reader

    def read(self, kind: str, digest: str) -> tuple[Any, ...] | None:
        """The row (user columns, then expiry) or None. Raises sqlite3.Error when SQLite
        cannot answer at once; the caller then asks the asynchronous path."""
        return self.reader.one(_QUERIES[kind], {"digest": digest})


class PgCredentialReader:
    """Reads one credential row with asyncpg on a connection of the app's pool (app/db/fastread.py)."""

    def __init__(self, reader: PgReader) -> None:
        self.reader = reader

    async def fetch(self, kind: str, digest: str) -> tuple[Any, ...] | None:
        """The row (user columns, then expiry) or None. Errors are the driver's own."""
        return await self.reader.one(_QUERIES[kind], {"digest": digest})


CredentialReader = SqliteCredentialReader | PgCredentialReader


def credential_reader(reader: SqliteReader | PgReader | None) -> CredentialReader | None:
    """The fast reader for this database, or None (in-memory SQLite: the ORM's read)."""
    if isinstance(reader, SqliteReader):
        return SqliteCredentialReader(reader)
    if isinstance(reader, PgReader):
        return PgCredentialReader(reader)
    return None
