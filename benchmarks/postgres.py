"""The PostgreSQL + Redis half of the benchmark: a fresh database on the server the URL
names, loaded with the same dataset as the SQLite run, and a Redis db number of its own.

- The database is `momentum_bench_<pid>`, created for the run on the server of
  `--database-url` (any database there serves as the admin connection; it is never
  touched), migrated to Alembic head with `momentum db upgrade`, filled from the SQLite
  run copy table by table with COPY (asyncpg `copy_records_to_table`), sequences set past
  the copied ids, `VACUUM ANALYZE`d (a restored database has its statistics), and
  dropped at the end (`DROP DATABASE … WITH (FORCE)`), also after a failure.
- The Redis db number is claimed like the test suite claims its numbers (tests/isolation.py:
  the key `momentum:testdb:<n>` in db 0, SET NX with an expiry), so a bench run and a test
  run never share one; only that number is flushed, before and after.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import socket
import subprocess
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from benchmarks.dataset import say
from benchmarks.server import momentum_bin, server_env

DEFAULT_DATABASE_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
DEFAULT_CACHE_URL = "redis://127.0.0.1:6379/0"
CLAIM_PREFIX = "momentum:testdb:"  # shared with tests/isolation.py: one owner per db number
CLAIM_SECONDS = 3 * 3600
CHUNK = 20_000


def answers(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1.0):
            return True
    except OSError:
        return False


def default_targets() -> tuple[str, str] | None:
    """The local PostgreSQL and Redis on their default ports, when both answer."""
    if answers("127.0.0.1", 5432) and answers("127.0.0.1", 6379):
        return DEFAULT_DATABASE_URL, DEFAULT_CACHE_URL
    return None


def _plain_dsn(url: str, database: str | None = None) -> str:
    from sqlalchemy.engine import make_url

    u = make_url(url).set(drivername="postgresql")
    if database is not None:
        u = u.set(database=database)
    return u.render_as_string(hide_password=False)


def _with_database(url: str, database: str) -> str:
    """The app's URL of `database` on the server of `url` (always the asyncpg driver)."""
    from sqlalchemy.engine import make_url

    u = make_url(url).set(drivername="postgresql+asyncpg", database=database)
    return u.render_as_string(hide_password=False)


def _redis_url(base: str, db: int) -> str:
    from sqlalchemy.engine import make_url

    return make_url(base).set(database=str(db)).render_as_string(hide_password=False)


@dataclass
class PgTarget:
    """A database and a Redis db number created for one run; `close()` removes both."""

    admin_url: str
    cache_base: str
    name: str = ""
    url: str = ""  # the run database's SQLAlchemy URL
    cache_url: str = ""
    redis_db: int | None = None
    token: str = ""
    load_seconds: float = 0.0
    rows: int = 0

    @property
    def dsn(self) -> str:
        """The run database for asyncpg."""
        return _plain_dsn(self.url)

    def create(self) -> None:
        self.name = f"momentum_bench_{os.getpid()}"
        asyncio.run(_drop_orphans(_plain_dsn(self.admin_url)))
        asyncio.run(_execute(_plain_dsn(self.admin_url), f'CREATE DATABASE "{self.name}"'))
        self.url = _with_database(self.admin_url, self.name)
        self._claim_redis()

    def _claim_redis(self) -> None:
        import redis

        self.token = f"bench-{os.getpid()}-{uuid.uuid4().hex}"
        control = redis.Redis.from_url(_redis_url(self.cache_base, 0), socket_timeout=5)
        try:
            for n in range(15, 0, -1):  # from the top: the tests claim from 1 upwards
                if control.set(f"{CLAIM_PREFIX}{n}", self.token, nx=True, ex=CLAIM_SECONDS):
                    self.redis_db = n
                    break
            else:
                raise RuntimeError(f"every Redis db 1..15 of {self.cache_base} is claimed ({CLAIM_PREFIX}<n>)")
        finally:
            control.close()
        self.cache_url = _redis_url(self.cache_base, self.redis_db)
        self._flush()

    def _flush(self) -> None:
        import redis

        if self.redis_db is None:
            return
        mine = redis.Redis.from_url(self.cache_url, socket_timeout=5)
        try:
            mine.flushdb()
        finally:
            mine.close()

    def migrate(self) -> None:
        done = subprocess.run([momentum_bin(), "db", "upgrade", "head"], env=server_env(self.url),
                              capture_output=True, text=True, timeout=300)
        if done.returncode != 0:
            raise RuntimeError(f"momentum db upgrade failed: {(done.stderr or done.stdout).strip()[-400:]}")

    def load(self, sqlite_path: Path) -> None:
        """Copy every table of the SQLite database into the (migrated, empty) PostgreSQL one."""
        t0 = time.perf_counter()
        self.rows = asyncio.run(copy_tables(sqlite_path, self.dsn))
        self.load_seconds = time.perf_counter() - t0

    def close(self) -> None:
        import redis

        if self.redis_db is not None:
            try:
                self._flush()
                control = redis.Redis.from_url(_redis_url(self.cache_base, 0), socket_timeout=5)
                if control.get(f"{CLAIM_PREFIX}{self.redis_db}") == self.token.encode():
                    control.delete(f"{CLAIM_PREFIX}{self.redis_db}")
                control.close()
            except Exception as exc:  # the claim expires on its own
                say(f"could not release Redis db {self.redis_db}: {exc}")
            self.redis_db = None
        if self.name:
            name, self.name = self.name, ""
            try:
                asyncio.run(_execute(_plain_dsn(self.admin_url), f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                say(f"dropped database {name}")
            except Exception as exc:
                say(f"could not drop database {name}: {exc}")


async def _execute(dsn: str, sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(dsn, timeout=10)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


async def _drop_orphans(dsn: str) -> None:
    """Databases this tool created in a run that was killed before it could drop them: on a
    server of this machine, `momentum_bench_<pid>` whose process no longer exists."""
    import asyncpg
    from sqlalchemy.engine import make_url

    if make_url(dsn).host not in {"127.0.0.1", "localhost", "::1", None}:
        return
    conn = await asyncpg.connect(dsn, timeout=10)
    try:
        for row in await conn.fetch("SELECT datname FROM pg_database WHERE datname LIKE 'momentum\\_bench\\_%'"):
            pid = row["datname"].removeprefix("momentum_bench_")
            if pid.isdigit() and not Path(f"/proc/{pid}").exists():
                await conn.execute(f'DROP DATABASE IF EXISTS "{row["datname"]}" WITH (FORCE)')
                say(f"dropped {row['datname']}, left behind by a killed run")
    finally:
        await conn.close()


def _converter(column: Any) -> Any:
    """How a value SQLite stores for this column becomes what asyncpg's COPY takes (None stays None).

    SQLAlchemy's own result processing would do it too, at about ten times the cost per row:
    datetimes are stored as ISO text in UTC, dates as ISO text, booleans as 0/1, JSON as its
    text (which PostgreSQL's json type takes as it is)."""
    from sqlalchemy import JSON, Boolean, Date, DateTime

    kind = column.type
    impl = getattr(kind, "impl", kind)
    if isinstance(kind, DateTime) or isinstance(impl, DateTime):
        def to_datetime(v: Any) -> Any:
            d = v if isinstance(v, datetime) else datetime.fromisoformat(v)
            return d if d.tzinfo else d.replace(tzinfo=UTC)
        return to_datetime
    if isinstance(kind, Date) or isinstance(impl, Date):
        return lambda v: v if isinstance(v, date) else date.fromisoformat(v)
    if isinstance(kind, Boolean) or isinstance(impl, Boolean):
        return bool
    if isinstance(kind, JSON) or isinstance(impl, JSON):
        return lambda v: v if isinstance(v, str) else json.dumps(v)
    return None


async def copy_tables(sqlite_path: Path, dsn: str) -> int:
    """Every table of the app's metadata, in foreign-key order, read from SQLite (the run
    copy, at the same Alembic head) and written with COPY."""
    import sqlite3

    import asyncpg

    from app.db.models import User

    source = sqlite3.connect(f"file:{sqlite_path.resolve()}?mode=ro", uri=True)
    present = {r[0] for r in source.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    conn = await asyncpg.connect(dsn, timeout=30)
    total = 0
    try:
        for table in User.metadata.sorted_tables:
            if table.name not in present:
                continue
            pg_cols = {r["column_name"] for r in await conn.fetch(
                "SELECT column_name FROM information_schema.columns WHERE table_schema = 'public' "
                "AND table_name = $1", table.name)}
            cols = [c for c in table.columns if c.name in pg_cols]
            if not cols:
                continue
            names = [c.name for c in cols]
            convert = [(i, f) for i, f in enumerate(_converter(c) for c in cols) if f is not None]
            quoted = ", ".join(f'"{n}"' for n in names)
            cursor = source.execute(f'SELECT {quoted} FROM "{table.name}"')
            copied = 0
            while part := cursor.fetchmany(CHUNK):
                records = []
                for row in part:
                    values = list(row)
                    for i, f in convert:
                        if values[i] is not None:
                            values[i] = f(values[i])
                    records.append(values)
                await conn.copy_records_to_table(table.name, records=records, columns=names)
                copied += len(records)
            total += copied
            if copied >= 10_000:
                say(f"  {table.name}: {copied:,} rows")
        await reset_sequences(conn)
        await conn.execute("VACUUM ANALYZE")
        await conn.execute("CHECKPOINT")  # the copy's dirty pages written now, not during the measurements
    finally:
        await conn.close()
        source.close()
    return total


async def reset_sequences(conn: Any) -> None:
    """Each id sequence (serial default or identity) set past the largest copied id."""
    rows = await conn.fetch(
        "SELECT table_name, column_name, column_default, is_identity FROM information_schema.columns "
        "WHERE table_schema = 'public' AND (column_default LIKE 'nextval(%' OR is_identity = 'YES')")
    for row in rows:
        table, column = row["table_name"], row["column_name"]
        if row["is_identity"] == "YES":
            seq = await conn.fetchval("SELECT pg_get_serial_sequence($1, $2)", f'"{table}"', column)
        else:
            match = re.search(r"nextval\('([^']+)'", row["column_default"] or "")
            seq = match.group(1) if match else None
        if not seq:
            continue
        top = await conn.fetchval(f'SELECT max("{column}") FROM "{table}"')
        await conn.execute("SELECT setval($1::regclass, $2, $3)", seq, (top or 0) + 1, False)
