"""app/db/fastread.py: short reads with sqlite3 on the calling thread."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest

from app.db.fastread import SqliteReader
from tests.support import EXTERNAL


def _db(tmp_path: Path) -> Path:
    path = tmp_path / "fast.db"
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER)")
        conn.execute("INSERT INTO t (v) VALUES (1)")
    conn.close()
    return path


def test_only_a_sqlite_file_gets_a_reader() -> None:
    assert SqliteReader.for_url("sqlite+aiosqlite:////tmp/x.db") is not None
    assert SqliteReader.for_url("sqlite+aiosqlite:///:memory:") is None
    assert SqliteReader.for_url("postgresql+asyncpg://postgres@127.0.0.1/db") is None


def test_each_read_sees_every_commit_before_it_and_leaves_no_transaction_open(tmp_path: Path) -> None:
    """A read transaction left open would pin its snapshot: the next read would miss writes."""
    path = _db(tmp_path)
    reader = SqliteReader(str(path))
    seen: list[str] = []
    reader.observers.append(lambda _conn, _cursor, sql: seen.append(sql))
    sql = "SELECT v FROM t WHERE id = :id"
    assert reader.read([(sql, {"id": 1}), ("SELECT count(*) FROM t", {})]) == [[(1,)], [(1,)]]
    writer = sqlite3.connect(path, isolation_level=None)
    writer.execute("UPDATE t SET v = 2 WHERE id = 1")
    assert reader.read([(sql, {"id": 1})]) == [[(2,)]]
    assert seen == [sql, "SELECT count(*) FROM t", sql]
    with pytest.raises(sqlite3.OperationalError):  # it only reads
        reader.read([("DELETE FROM t", {})])
    writer.execute("UPDATE t SET v = 3 WHERE id = 1")
    assert reader.read([(sql, {"id": 1})]) == [[(3,)]]  # the failed read ended its transaction too
    writer.close()
    reader.close()


def test_named_parameters_become_asyncpg_numbers() -> None:
    from app.db.fastread import numbered

    assert numbered("SELECT 1 WHERE a = :uid AND b >= :lo AND c < :hi AND d = :uid") == (
        "SELECT 1 WHERE a = $1 AND b >= $2 AND c < $3 AND d = $1", ("uid", "lo", "hi"))
    # Casts and times in literals are not parameters.
    assert numbered("SELECT x::text, '10:30' FROM t WHERE id = :id") == (
        "SELECT x::text, '10:30' FROM t WHERE id = $1", ("id",))


@pytest.mark.skipif(not EXTERNAL, reason="PgReader talks to PostgreSQL (this run is on SQLite)")
def test_pg_reader_reads_one_snapshot_read_only(app: Any, portal: Any, make_user: Any) -> None:
    from datetime import UTC, datetime

    from app.db.fastread import PgReader

    reader = app.state["pg_reader"]
    assert isinstance(reader, PgReader)
    u = make_user()
    since = datetime(2000, 1, 1, tzinfo=UTC)
    rows = portal.call(reader.read, [
        ("SELECT id FROM users WHERE id = :uid AND created_at > :since", {"uid": u.id, "since": since}),
        ("SELECT current_setting('transaction_read_only'), current_setting('transaction_isolation')", {}),
    ])
    assert rows == [[(u.id,)], [("on", "repeatable read")]]
    assert portal.call(reader.one, "SELECT id FROM users WHERE id = :uid", {"uid": -1}) is None


def test_entries_from_pg_json_are_the_rows_load_entries_gives() -> None:
    """The PostgreSQL stats read gets the window's entries as one JSON array: no row gives
    NULL, entries ending by `lo` are dropped, timestamps in another offset (a server whose
    TimeZone is not UTC) come out in UTC — also offsets with seconds, which RFC 3339
    cannot hold — and an array already decoded by a JSON codec reads the same."""
    import json
    from datetime import UTC, datetime

    from app.domain.tracking.reads import entries_from_pg_json
    from app.domain.tracking.schemas import EntryRow

    lo = datetime(2026, 11, 1, tzinfo=UTC)
    assert entries_from_pg_json(None, lo) == []
    rows = [
        [1, None, "2026-10-31T23:00:00+02:00", "2026-11-01T02:00:00+02:00", False],
        [2, 7, "2026-11-01T09:00:00.25+02:00", "2026-11-01T10:00:00+02:00", True],
        [3, 7, "2026-11-01T10:00:00+00:00", None, False],
    ]
    expected = [
        EntryRow(2, 7, datetime(2026, 11, 1, 7, 0, 0, 250_000, tzinfo=UTC), datetime(2026, 11, 1, 8, tzinfo=UTC), True),
        EntryRow(3, 7, datetime(2026, 11, 1, 10, tzinfo=UTC), None, False),
    ]
    for raw in (json.dumps(rows), json.dumps(rows).encode(), rows):
        got = entries_from_pg_json(raw, lo)
        assert got == expected
        assert all(r.start.tzinfo is UTC for r in got)
    lmt = [[4, 1, "1921-11-01T09:00:00+00:19:32", "1921-11-01T10:00:00+00:19:32", False]]
    assert entries_from_pg_json(json.dumps(lmt), datetime(1921, 1, 1, tzinfo=UTC)) == [
        EntryRow(4, 1, datetime(1921, 11, 1, 8, 40, 28, tzinfo=UTC), datetime(1921, 11, 1, 9, 40, 28, tzinfo=UTC),
                 False)
    ]


@pytest.mark.skipif(not EXTERNAL, reason="about PostgreSQL connections (this run is on SQLite)")
def test_reads_and_sessions_survive_connections_the_server_ended(app: Any, portal: Any, make_user: Any) -> None:
    """The fast reads check out without the pool's pre-ping and read again on a pinged
    connection when theirs is dead; every other checkout pings in one round trip
    (app/db/config.py). Both must notice connections the server ended (as after a
    restart) and answer from new ones."""
    import asyncpg
    from sqlalchemy import text

    from app.db.fastread import PgReader

    reader = app.state["pg_reader"]
    assert isinstance(reader, PgReader)
    u = make_user()
    sql, params = "SELECT id FROM users WHERE id = :uid", {"uid": u.id}
    maker = app.state["sessionmaker"]

    async def session_read() -> Any:
        async with maker() as db:
            return (await db.execute(text(sql), params)).scalar_one()

    async def end_every_pooled_connection() -> int:
        engine = reader._engine
        dsn = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        killer = await asyncpg.connect(dsn)
        try:
            return int(await killer.fetchval(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"))
        finally:
            await killer.close()

    for call in (lambda: reader.read([(sql, params)]), lambda: reader.one(sql, params), session_read):
        for _ in range(5):  # the termination reaches the client before, while or after it sends
            assert portal.call(call) in ([[(u.id,)]], (u.id,), u.id)
            assert portal.call(end_every_pooled_connection) >= 1
            assert portal.call(call) in ([[(u.id,)]], (u.id,), u.id)
