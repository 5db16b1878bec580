"""The benchmark command (issue 3 item 6): `python -m benchmarks [--quick] [--out PATH]`, or `make bench`.

1. Builds (or reuses, from ./bench-data/) a SQLite database migrated to head with user A
   (1 year of demo history), user B (10 years, ~25,000 entries, 10 goals) and 200 other
   users with 1 year each, every entry of every user in the same tables, inserted in
   time order across users as a live server would have written them. Each user has an
   API token; the raw tokens and the dataset's sizes sit in a JSON file next to the DB.
2. Copies it to a scratch file (the run writes: sessions, settings, an import) and
   starts a real `momentum serve` process on a free port of 127.0.0.1.
3. Measures over HTTP: latency at concurrency 1 with httpx (p50/p95/p99, and the server's
   CPU time per request from /proc) and throughput with 8 keep-alive connections (a
   minimal asyncio HTTP/1.1 client, or httpx with `--load-client httpx`), for the floor
   route, the stats API warm and cold, the page, each fragment and the sessions API; the
   CSV export (time, server peak RSS); and `momentum import` of 100,000 Toggl rows (time,
   peak RSS) after the server stopped.
4. Writes docs/performance.md, with issue 3's two acceptance checks from this same run.

A route that answers 404/405/501 is reported "not available" instead of failing the run.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from datetime import UTC, datetime
from pathlib import Path

from benchmarks.dataset import ROOT, ensure_dataset, prepare_run_copy, say, toggl_file
from benchmarks.measure import measure_http, run_import
from benchmarks.report import acceptance, machine, render
from benchmarks.server import Server
from benchmarks.transfer import measure_transfer


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
    args = parser.parse_args(argv)

    started, t0 = datetime.now(UTC), time.perf_counter()
    data_dir = Path(args.data_dir)
    db_path, meta, generated_now = ensure_dataset(data_dir, args.others, args.regenerate)
    rows = args.import_rows or (20_000 if args.quick else 100_000)
    csv_path = toggl_file(data_dir, rows)
    run_db = prepare_run_copy(db_path, data_dir / "run")

    say(f"starting the server on {run_db} ...")
    with Server(run_db, data_dir / "run" / "server.log") as server:
        say(f"server up at {server.base} (pid {server.pid}); measuring ...")
        run = asyncio.run(measure_http(server.base, server.pid, meta, args.quick, args.load_client))
        say("import and export over HTTP (issue 12 part 7) ...")
        transfer = asyncio.run(measure_transfer(server.base, server.pid, data_dir, rows, 25_000))
    say("server stopped")
    say(f"importing {rows:,} Toggl rows with `momentum import` ...")
    imp = run_import(run_db, csv_path, rows, timeout=120 if args.quick else 300)
    say(f"  import: {imp.status}, {imp.seconds:.1f} s, peak RSS {imp.max_rss_kb / 1024:.0f} MiB, "
        f"{imp.imported:,} entries in the DB")

    text = render(meta=meta, info=machine(), run=run, imp=imp, quick=args.quick, started=started,
                  total_seconds=time.perf_counter() - t0, generated_now=generated_now, transfer=transfer)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text)
    for name, verdict, numbers in acceptance(run):
        say(f"{verdict}: {name} — {numbers}")
    say(f"wrote {out} in {time.perf_counter() - t0:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
