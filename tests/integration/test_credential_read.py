"""The per-request credential read (app/domain/accounts/credentials.py): on a SQLite file
the standard library answers it on the event loop's thread, on PostgreSQL asyncpg
directly — with exactly what the ORM's read answers: the same user, the same data
version, an expired session refused, a deleted credential dead at once. On SQLite it
falls back to the ORM's read when SQLite cannot answer without waiting."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import update

from app.db.fastread import SqliteReader
from app.db.models import User, UserSession
from app.domain.accounts.credentials import PgCredentialReader, SqliteCredentialReader
from app.domain.accounts.hashing import sha256
from app.domain.accounts.user_lookup import user_for_credential
from tests.integration.helpers import db_run
from tests.support import EXTERNAL

sqlite_only = pytest.mark.skipif(EXTERNAL, reason="about the SQLite reader (this run is on PostgreSQL)")


def _reader(app: Any) -> Any:
    reader = app.state.get("credential_reader")
    expected = PgCredentialReader if EXTERNAL else SqliteCredentialReader
    assert isinstance(reader, expected), f"this database gets the {expected.__name__}"
    return reader


def _read(app: Any, portal: Any, kind: str, raw: str, fast: bool) -> Any:
    maker = app.state["sessionmaker"]
    reader = _reader(app) if fast else None
    return portal.call(user_for_credential, kind, raw, maker, reader)


def _both(app: Any, portal: Any, kind: str, raw: str) -> tuple[Any, Any]:
    return _read(app, portal, kind, raw, True), _read(app, portal, kind, raw, False)


def _execute(settings: Any, statement: Any) -> None:
    async def work(db: Any) -> None:
        await db.execute(statement)

    db_run(settings, work)


def test_fast_and_asynchronous_reads_agree(app: Any, portal: Any, make_user: Any, settings: Any) -> None:
    u = make_user(timezone="America/New_York")
    # Non-default values in every column the read converts (JSON, booleans, theme).
    _execute(
        settings,
        update(User)
        .where(User.id == u.id)
        .values(
            working_days=[1, 3, 6],
            streak_skip_non_working=True,
            refuse_overlaps=True,
            theme="dark",
            shortcuts={"n": "x"},
            data_version=41,
        ),
    )
    for kind, raw in (("s", u.session_raw), ("t", u.token)):
        fast, slow = _both(app, portal, kind, raw)
        assert fast is not None
        assert fast == slow, (fast, slow)
        assert fast.working_days == (1, 3, 6)
        assert fast.shortcuts == {"n": "x"}
        assert fast.data_version == 41
        assert fast.refuse_overlaps is True and fast.theme == "dark"


def test_expired_session_and_unknown_credentials_are_refused(
    app: Any, portal: Any, make_user: Any, settings: Any
) -> None:
    u = make_user()
    assert u.client.get("/api/me").status_code == 200
    assert _both(app, portal, "t", "mtm_nonexistent") == (None, None)
    assert _both(app, portal, "s", "no-such-session") == (None, None)
    past = datetime.now(UTC) - timedelta(seconds=1)
    digest = sha256(u.session_raw)
    _execute(settings, update(UserSession).where(UserSession.token_hash == digest).values(expires_at=past))
    assert _both(app, portal, "s", u.session_raw) == (None, None)
    assert u.client.get("/api/me").status_code == 401


def test_a_deleted_credential_is_dead_on_the_next_request(make_user: Any) -> None:
    u = make_user()
    assert u.api("GET", "/api/me").status_code == 200
    token_id = u.api("GET", "/api/auth/tokens").json()[0]["id"]
    assert u.api("DELETE", f"/api/auth/tokens/{token_id}").status_code == 204
    assert u.api("GET", "/api/me").status_code == 401
    # The browser session: logged out, and the same cookie is refused at once.
    c = u.client
    session_cookie = c.cookies.get("momentum_session")
    assert c.get("/api/me").status_code == 200
    assert c.post("/logout", headers=u.csrf, follow_redirects=False).status_code in {302, 303}
    c.cookies.set("momentum_session", session_cookie or "")
    assert c.get("/api/me").status_code == 401


@sqlite_only
def test_busy_sqlite_falls_back_to_the_asynchronous_read(
    app: Any, portal: Any, make_user: Any, monkeypatch: pytest.MonkeyPatch, count_queries: Any
) -> None:
    u = make_user()
    calls: list[str] = []

    def busy(kind: str, digest: str) -> Any:
        calls.append(kind)
        raise sqlite3.OperationalError("database is locked")

    monkeypatch.setattr(_reader(app), "read", busy)
    count_queries.settle()
    before = count_queries.count
    user = _read(app, portal, "t", u.token, True)
    assert calls == ["t"]
    assert user is not None and user.id == u.id
    assert count_queries.count == before + 1, "the asynchronous path ran the query"
    assert u.api("GET", "/api/me").status_code == 200


@sqlite_only
def test_the_reader_only_reads(app: Any) -> None:
    conn = _reader(app).reader._connection()
    with pytest.raises(sqlite3.OperationalError):
        conn.execute("DELETE FROM users")


def test_no_fast_reader_for_memory_sqlite() -> None:
    from app.domain.accounts.credentials import credential_reader

    assert credential_reader(SqliteReader.for_url("sqlite+aiosqlite:///:memory:")) is None
