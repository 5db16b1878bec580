"""One pass of the benchmark against one backend: SQLite (a copy of the cached dataset,
`mem://` cache) or PostgreSQL + Redis (the same dataset copied into a database created
for the run, a Redis db number of its own). Each pass starts its own `momentum serve`
process, measures every route over HTTP, the export and the HTTP import, stops the
server and times `momentum import`.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.dataset import prepare_run_copy, remove_db, say
from benchmarks.forecast import budget_projects
from benchmarks.measure import HttpRun, ImportResult, Twin, measure_http, run_import
from benchmarks.measure import load_average as _load
from benchmarks.postgres import PgTarget
from benchmarks.server import Server, server_env
from benchmarks.then import baseline_source
from benchmarks.transfer import TransferRun, measure_transfer


@dataclass
class Options:
    quick: bool
    loader: str
    rows: int  # Toggl rows imported (HTTP and CLI)
    export_rows: int
    csv_path: Path


@dataclass
class BackendRun:
    name: str  # "SQLite" or "PostgreSQL + Redis"
    server: str  # how the server ran, for the report
    status: str = "ok"  # or what stopped the pass
    run: HttpRun | None = None
    transfer: TransferRun | None = None
    imp: ImportResult | None = None
    seconds: float = 0.0
    load_before: str = ""
    load_after: str = ""
    notes: list[str] = field(default_factory=list)


def _sqlite_count(db_path: Path) -> Any:
    def count(email: str) -> int:
        with sqlite3.connect(f"file:{db_path}?mode=ro", uri=True) as conn:
            n = conn.execute("SELECT count(*) FROM time_entries JOIN users ON users.id = time_entries.user_id "
                             "WHERE users.email = ?", (email,)).fetchone()[0]
        conn.close()
        return int(n)

    return count


def _pg_count(dsn: str) -> Any:
    def count(email: str) -> int:
        async def go() -> int:
            import asyncpg

            conn = await asyncpg.connect(dsn, timeout=30)
            try:
                n = await conn.fetchval("SELECT count(*) FROM time_entries JOIN users ON users.id = "
                                        "time_entries.user_id WHERE users.email = $1", email)
            finally:
                await conn.close()
            return int(n)

        return asyncio.run(go())

    return count


def _measure(out: BackendRun, db: Path | str, cache_url: str, log: Path, meta: dict[str, Any], opts: Options,
             forecast: tuple[int, int] | None, data_dir: Path, then: tuple[Path, Path] | None = None) -> None:
    """`then`: (code, database) of the baseline commit, served beside this one for the
    requests table (benchmarks/then.py)."""
    say(f"[{out.name}] starting the server ...")
    with Server(db, log, cache_url) as server:
        say(f"[{out.name}] server up at {server.base} (pid {server.pid}); measuring ...")
        if then is None:
            out.run = asyncio.run(measure_http(server.base, server.pid, meta, opts.quick, opts.loader, forecast))
        else:
            say(f"[{out.name}] starting the baseline code's server beside it ...")
            with Server(then[1], log.with_name("server-baseline.log"), cache_url, then[0]) as old:
                out.run = asyncio.run(measure_http(server.base, server.pid, meta, opts.quick, opts.loader, forecast,
                                                   Twin(old.base, old.pid)))
        say(f"[{out.name}] import and export over HTTP (issue 12 part 7) ...")
        out.transfer = asyncio.run(measure_transfer(server.base, server.pid, data_dir, opts.rows, opts.export_rows))
    say(f"[{out.name}] server stopped; importing {opts.rows:,} Toggl rows with `momentum import` ...")


def _finish_import(out: BackendRun, imp: ImportResult) -> None:
    out.imp = imp
    say(f"[{out.name}]   import: {imp.status}, {imp.seconds:.1f} s, peak RSS {imp.max_rss_kb / 1024:.0f} MiB, "
        f"{imp.imported:,} entries in the DB")


def run_sqlite(db_path: Path, meta: dict[str, Any], data_dir: Path, opts: Options, baseline_commit: str
               ) -> BackendRun:
    out = BackendRun("SQLite", "one `momentum serve --quiet` process (uvicorn, 1 worker), "
                     "`MOMENTUM_ENV=development`, SQLite file database (WAL), `MOMENTUM_CACHE_URL=mem://`")
    t0, out.load_before = time.perf_counter(), _load()
    run_dir = data_dir / "run"
    try:
        run_db = prepare_run_copy(db_path, run_dir)
        total_id, monthly_id, _ = budget_projects(run_db, meta["users"]["b"]["email"])
        then: tuple[Path, Path] | None = None
        code, why = baseline_source(baseline_commit, run_dir)
        if code is None:
            out.notes.append(f"The baseline code was not measured again: {why}.")
            say(f"[{out.name}] baseline code not available: {why}")
        else:
            then = code, prepare_run_copy(db_path, run_dir / "baseline")
        _measure(out, run_db, "mem://", run_dir / "server.log", meta, opts, (total_id, monthly_id), data_dir, then)
        _finish_import(out, run_import(server_env(run_db), opts.csv_path, opts.rows,
                                       120 if opts.quick else 300, _sqlite_count(run_db)))
    except Exception as exc:
        out.status = f"error: {type(exc).__name__}: {exc}"[:300]
        say(f"[{out.name}] {out.status}\n{traceback.format_exc()}")
    out.seconds, out.load_after = time.perf_counter() - t0, _load()
    return out


def run_postgres(db_path: Path, meta: dict[str, Any], data_dir: Path, opts: Options, database_url: str,
                 cache_url: str) -> BackendRun:
    out = BackendRun("PostgreSQL + Redis", "")
    t0, out.load_before = time.perf_counter(), _load()
    run_dir = data_dir / "run-pg"
    target = PgTarget(database_url, cache_url)
    try:
        source = prepare_run_copy(db_path, run_dir)
        total_id, monthly_id, _ = budget_projects(source, meta["users"]["b"]["email"])
        target.create()
        say(f"[{out.name}] database {target.name}, Redis db {target.redis_db}; migrating and copying the dataset ...")
        target.migrate()
        target.load(source)
        remove_db(source)
        say(f"[{out.name}] {target.rows:,} rows copied in {target.load_seconds:.1f} s")
        versions = asyncio.run(_versions(target))
        out.server = ("one `momentum serve --quiet` process (uvicorn, 1 worker), `MOMENTUM_ENV=development`, "
                      f"{versions['pg']} (database `{target.name}` created for the run, the same dataset "
                      f"copied with COPY in {target.load_seconds:.1f} s, `VACUUM ANALYZE`d, dropped at the end), "
                      f"Redis {versions['redis']} (`MOMENTUM_CACHE_URL` db {target.redis_db}, flushed before "
                      "and after); both on this machine")
        _measure(out, target.url, target.cache_url, run_dir / "server.log", meta, opts, (total_id, monthly_id),
                 data_dir)
        _finish_import(out, run_import(server_env(target.url, target.cache_url), opts.csv_path, opts.rows,
                                       120 if opts.quick else 300,
                                       _pg_count(target.dsn)))
    except Exception as exc:
        out.status = f"error: {type(exc).__name__}: {exc}"[:300]
        say(f"[{out.name}] {out.status}\n{traceback.format_exc()}")
    finally:
        target.close()
    out.seconds, out.load_after = time.perf_counter() - t0, _load()
    return out


async def _versions(target: PgTarget) -> dict[str, str]:
    import asyncpg
    import redis

    conn = await asyncpg.connect(target.dsn, timeout=10)
    try:
        pg = str(await conn.fetchval("SHOW server_version")).split()[0]
    finally:
        await conn.close()
    client = redis.Redis.from_url(target.cache_url, socket_timeout=5)
    try:
        info: Any = client.info("server")
        version = str(info.get("redis_version", "?"))
    finally:
        client.close()
    return {"pg": f"PostgreSQL {pg}", "redis": version}
