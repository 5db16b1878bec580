"""The benchmark command (issue 3 item 6, issue 12 part 7): `python -m benchmarks`, or `make bench`.

1. Builds (or reuses, from ./bench-data/) a SQLite database migrated to head with user A
   (1 year of demo history), user B (10 years, ~25,000 entries, 10 goals) and 200 other
   users with 1 year each, every entry of every user in the same tables, inserted in
   time order across users as a live server would have written them. Each user has an
   API token; the raw tokens and the dataset's sizes sit in a JSON file next to the DB.
2. SQLite pass: copies it to a scratch file, gives two of B's projects a budget, starts a
   real `momentum serve` process on a free port of 127.0.0.1 and measures over HTTP:
   latency at concurrency 1 (p50/p95/p99, the server's CPU per request from /proc) and
   throughput with 8 keep-alive connections for the floor route, the stats API warm and
   cold, the page, each fragment, the sessions API, the command palette, the
   notifications, the forecast (with the server's own request histogram from /metrics);
   the CSV export; `POST /api/import` of 100,000 Toggl rows and the export of 25,000
   entries over HTTP; then `momentum import` of 100,000 rows after the server stopped.
3. PostgreSQL + Redis pass (unless --no-postgres): the same dataset copied into a
   database created for the run on the server of --database-url (BENCH_DATABASE_URL;
   by default the local PostgreSQL when it and Redis answer on their default ports), a
   Redis db number of its own, and the same measurements.
4. Writes docs/performance.md: the acceptance checks, and each figure next to the figure
   before this round (benchmarks/baseline.json) or, on PostgreSQL, this run's SQLite one.

A route that answers 404/405/501 is reported "not available" instead of failing the run.
"""

from __future__ import annotations

import argparse
import os
import time
from datetime import UTC, datetime
from pathlib import Path

from benchmarks.backends import BackendRun, Options, run_postgres, run_sqlite
from benchmarks.checks import acceptance
from benchmarks.dataset import ROOT, ensure_dataset, say, toggl_file
from benchmarks.postgres import DEFAULT_CACHE_URL, default_targets
from benchmarks.report import machine, render
from benchmarks.tables import load_baseline


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="a short run: fewer samples, shorter load runs")
    parser.add_argument("--out", default=str(ROOT / "docs" / "performance.md"), help="the report's path")
    parser.add_argument("--data-dir", default=str(ROOT / "bench-data"), help="the dataset cache")
    parser.add_argument("--regenerate", action="store_true", help="rebuild the cached dataset")
    parser.add_argument("--others", type=int, default=200, help="number of other users (default 200)")
    parser.add_argument("--import-rows", type=int, default=None, help="Toggl rows to import (100,000)")
    parser.add_argument("--load-client", choices=("raw", "httpx"), default="raw",
                        help="client for the req/s runs: a minimal HTTP/1.1 client (default) or httpx")
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", ""),
                        help="PostgreSQL server for the second pass (a database is created there for the run); "
                             "default: BENCH_DATABASE_URL, else the local server when PostgreSQL and Redis answer")
    parser.add_argument("--cache-url", default=os.environ.get("BENCH_CACHE_URL", ""),
                        help=f"Redis for the second pass (default: BENCH_CACHE_URL, else {DEFAULT_CACHE_URL})")
    parser.add_argument("--no-postgres", action="store_true", help="skip the PostgreSQL + Redis pass")
    args = parser.parse_args(argv)

    started, t0 = datetime.now(UTC), time.perf_counter()
    baseline = load_baseline()
    data_dir = Path(args.data_dir)
    db_path, meta, generated_now = ensure_dataset(data_dir, args.others, args.regenerate)
    rows = args.import_rows or (20_000 if args.quick else 100_000)
    opts = Options(args.quick, args.load_client, rows, 25_000, toggl_file(data_dir, rows))
    toggl_file(data_dir, opts.export_rows)

    pg_target: tuple[str, str] | None = None
    pg_note = ""
    if args.no_postgres:
        pg_note = "skipped (`--no-postgres`)."
    elif args.database_url:
        pg_target = (args.database_url, args.cache_url or DEFAULT_CACHE_URL)
    else:
        pg_target = default_targets()
        pg_note = "PostgreSQL and Redis did not both answer on 127.0.0.1:5432 and :6379 (give `--database-url`)."
    if pg_target is not None and not pg_target[0].startswith("postgresql"):
        pg_note = f"`--database-url` is not a PostgreSQL URL: {pg_target[0].split(':')[0]}"
        pg_target = None

    sqlite = run_sqlite(db_path, meta, data_dir, opts, baseline["commit"])
    pg: BackendRun | None = None
    if pg_target is not None:
        pg = run_postgres(db_path, meta, data_dir, opts, *pg_target)

    text = render(meta=meta, info=machine(), sqlite=sqlite, pg=pg, pg_note=pg_note, quick=args.quick,
                  started=started, total_seconds=time.perf_counter() - t0, generated_now=generated_now,
                  baseline=baseline)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text)
    for name, backend, verdict, _before, numbers in acceptance(sqlite, pg, baseline):
        say(f"{verdict}: [{backend}] {name} — {numbers}")
    say(f"wrote {out} in {time.perf_counter() - t0:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
