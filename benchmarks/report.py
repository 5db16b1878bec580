"""docs/performance.md from one run: the acceptance checks, the machine, the dataset, and
for each backend (SQLite; PostgreSQL + Redis) the same tables, every figure next to the
figure before (benchmarks/baseline.json) or, on PostgreSQL, next to this run's SQLite one.
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import os
import platform
import sqlite3
import subprocess
from datetime import datetime
from pathlib import Path
from typing import Any

from benchmarks.backends import BackendRun
from benchmarks.checks import Check, acceptance, find
from benchmarks.dataset import CONCURRENCY, MAX_DATA_AGE_DAYS, OTHER_ZONES, PERIODS_CYCLE, ROOT
from benchmarks.load import _ms
from benchmarks.tables import (
    Reference,
    daily_table,
    recorded_table,
    remeasured_reference,
    requests_table,
    run_reference,
    transfer_table,
)


def machine() -> dict[str, str]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = "unknown"
    try:
        kb = int(Path("/proc/meminfo").read_text().split("MemTotal:")[1].split()[0])
        memory = f"{kb / 1024 / 1024:.1f} GiB"
    except (OSError, IndexError, ValueError):
        pass
    versions = []
    packages = ("litestar", "advanced-alchemy", "sqlalchemy", "aiosqlite", "asyncpg", "redis", "msgspec", "cashews",
                "uvicorn", "httpx")
    for package in packages:
        with contextlib.suppress(importlib.metadata.PackageNotFoundError):
            versions.append(f"{package} {importlib.metadata.version(package)}")
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                                text=True, timeout=10).stdout.strip()
        # The report itself (written by the previous run) is not a change of the code measured.
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no", "--", ".",
                                ":(exclude)docs/performance.md"], cwd=ROOT,
                               capture_output=True, text=True, timeout=10).stdout.strip()
        commit = f"{commit}{' + uncommitted changes' if dirty else ''}" if commit else "unknown"
    except (OSError, subprocess.SubprocessError):
        commit = "unknown"
    return {
        "nproc": f"{len(os.sched_getaffinity(0))} (of {os.cpu_count()})",
        "cpu": cpu,
        "memory": memory,
        "os": platform.platform(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "packages": ", ".join(versions),
        "commit": commit,
    }


def _checks_table(checks: list[Check]) -> list[str]:
    lines = ["| check | backend | result | before | measured |", "|---|---|---|---|---|"]
    lines += [f"| {name} | {backend} | **{verdict}** | {before} | {numbers} |"
              for name, backend, verdict, before, numbers in checks]
    return lines


def _section(b: BackendRun, ref: Reference, heading: str, intro: list[str]) -> list[str]:
    lines = [f"## {heading}", "", *intro, ""]
    if b.run is None:
        return [*lines, f"Not measured: {b.status}", ""]
    if b.status != "ok":
        lines += [f"The pass stopped early: {b.status}", ""]
    lines += [f"### Requests ({ref.label})", "", *requests_table(b.run.results, ref), ""]
    lines += [*b.notes, ""] if b.notes else []
    floor = find(b.run.results, "floor")
    if floor and floor.rps:
        lines += [f"The floor: `GET /healthz` takes {_ms(floor.pct(50))} ms at p50 and serves {floor.rps:.0f} req/s; "
                  "everything above it is authentication, the cache, the database, computing and rendering.", ""]
    lines += [
        "### Daily use and planning (issues 9, 8 and 11)", "",
        "User B (10 years). The palette cycles through the queries `st`, `pro`, `rev`, `de`, `mee`, `exp`, `go`, "
        "`wri`; the forecast is timed for B's busiest project with a total budget (2,000 h, due in 60 days: "
        "the whole history counts) and the second with a monthly one (40 h).", "",
        *daily_table(b.run.results, b.run.server_times, ref), "",
        "### Export and import (issues 5 and 12)", "",
        *transfer_table(b.run, b.transfer, b.imp, ref), "",
        f"Server RSS at the end of the HTTP run: {b.run.final_rss.get('VmRSS', 0) / 1024:.0f} MiB (high-water "
        f"mark {b.run.final_rss.get('VmHWM', 0) / 1024:.0f} MiB). Load average (1/5/15 min) {b.run.load_before} "
        f"before the HTTP measurements, {b.run.load_after} after; this pass took {b.seconds:.0f} s.", "",
    ]
    return lines


def render(*, meta: dict[str, Any], info: dict[str, str], sqlite: BackendRun, pg: BackendRun | None,
           pg_note: str, quick: bool, started: datetime, total_seconds: float, generated_now: bool,
           baseline: dict[str, Any]) -> str:
    users, others = meta["users"], meta["others"]
    base_ref = remeasured_reference(baseline, sqlite.run)
    again = sqlite.run is not None and bool(sqlite.run.before)
    lines = [
        "# Performance",
        "",
        "Written by `make bench` (`python -m benchmarks`); do not edit by hand, re-run it.",
        ("**Quick run** (`--quick`: fewer samples, 1 s load runs, a smaller import). " if quick else "")
        + f"Run on {started:%Y-%m-%d %H:%M} UTC, {total_seconds:.0f} s in all; code {info['commit']}.",
        "",
        *_load_warning([b for b in (sqlite, pg) if b is not None]),
        f"Every figure stands next to the figure before this round, as `before → now`. For the requests table "
        f"*before* is the code of commit {baseline['commit']} (the start of this round) measured again in this "
        "run, on this machine, in turns with this code request by request (`benchmarks/then.py`: machines differ, so "
        "only figures of one machine compare); the figures recorded for it on "
        f"{baseline['date']} (SQLite; `benchmarks/baseline.json`) stand beside them in their own table. For the "
        "other tables *before* is that recorded run. On PostgreSQL + Redis there is no figure before; the "
        "reference there is this run's SQLite figure (`SQLite → PG`)."
        if again else
        f"Every figure stands next to the figure before this round, as `before → now`: *before* is the run of "
        f"{baseline['date']} at commit {baseline['commit']} (SQLite), copied into `benchmarks/baseline.json` from "
        "the docs/performance.md of that run. On PostgreSQL + Redis there is no figure before; the reference "
        "there is this run's SQLite figure (`SQLite → PG`).",
        "",
        "## Acceptance checks, from this run",
        "",
        *_checks_table(acceptance(sqlite, pg, baseline)),
        "",
        "A figure over its limit is **FAIL** with the number; *NOT AVAILABLE* is a route another issue has not "
        "built yet (it answered 404/405/501). The import and export limits of issue 12 are stated for SQLite; "
        "they are shown on PostgreSQL + Redis too.",
        "",
        "## Machine",
        "",
        f"- CPUs (nproc): {info['nproc']}, {info['cpu']}; memory {info['memory']}",
        f"- {info['os']}; Python {info['python']}; SQLite {info['sqlite']}",
        f"- {info['packages']}",
        f"- code: {info['commit']} (before: {baseline['commit']}, load average {baseline['load_before']} before, "
        f"{baseline['load_after']} after)",
        "- the load generator runs on the same machine and shares its CPUs, and so do PostgreSQL and Redis. A load "
        "average above the CPU count means other processes competed for the CPUs and wall-clock figures are "
        "inflated; the server CPU column is less sensitive to that. Each section gives its load average.",
        "",
        "## Dataset",
        "",
        f"One SQLite database (schema at Alembic head, {meta['db_bytes'] / 1e6:.0f} MB) generated with the demo "
        f"generator (`app/domain/tracking/demo.py`), one seed per user, every history ending on "
        f"{meta['generated_for']}. Generation took {meta['generation_seconds']:.1f} s "
        + ("(this run)" if generated_now else "(cached in the data directory by an earlier run)")
        + f"; cache key `{meta['version']}`, rebuilt when older than {MAX_DATA_AGE_DAYS} days. The PostgreSQL "
        "pass copies the same rows.",
        "",
        "| user | history | entries (before → now) | projects | tasks |",
        "|---|---|---|---|---|",
    ]
    was = baseline["dataset"]
    for key, name, span in (("a", "A", "1 year"), ("b", "B", "10 years")):
        u = users[key]
        lines.append(f"| {name} ({u['zone']}) | {span} | {was[key + '_entries']:,} → {u['entries']:,} | "
                     f"{u['projects']} | {u['tasks']} |")
    lines += [
        f"| {others['users']} other users ({len(OTHER_ZONES)} zones) | 1 year each | {was['others_entries']:,} "
        f"({was['others']} users) → {others['entries']:,} ({others['min']:,}–{others['max']:,} each) | | |",
        "",
        "Every user's entries are in the same tables, inserted in time order across users (as a live server writes "
        "them), then the `day_totals` rollup was rebuilt per user. User B has 10 goals (daily, weekly and monthly; "
        "at least and at most; one project goal; one target raised two years ago). Rows per table: "
        + ", ".join(f"{name} {n:,}" for name, n in meta["tables"].items() if not name.startswith("alembic")) + ".",
        "",
    ]
    lines += _section(sqlite, base_ref, "On SQLite", [f"Server: {sqlite.server}." + (
        f" Beside it, for the requests table, a second server of the same kind runs the code of commit "
        f"{baseline['commit']} on its own copy of the dataset." if again else "")])
    if again and sqlite.run is not None:
        lines += [f"### The requests table against the recorded figures of {baseline['date'][:10]}", "",
                  f"The same routes: p95 and server CPU as recorded for commit {baseline['commit']} on the machine "
                  "of that day, that code measured again in this run, and this code.", "",
                  *recorded_table(baseline, sqlite.run), ""]
    if pg is not None:
        lines += _section(pg, run_reference(sqlite.run, sqlite.transfer, sqlite.imp), "On PostgreSQL + Redis",
                          [f"Server: {pg.server or 'not started'}.", "",
                           "The same dataset, the same requests in the same order; each figure next to this "
                           "run's SQLite figure."])
    else:
        lines += ["## On PostgreSQL + Redis", "", f"Not run: {pg_note}", ""]
    lines += _meanings(quick, sqlite.run.loader if sqlite.run else "raw")
    lines += _reproduce()
    return "\n".join(lines)


def _load_warning(passes: list[BackendRun]) -> list[str]:
    """A run on a busy machine says so at the top: its wall-clock figures measure the waiting."""
    cpus = len(os.sched_getaffinity(0))
    busiest = 0.0
    for b in passes:
        for load in (b.load_before, b.load_after):
            with contextlib.suppress(ValueError, IndexError):
                busiest = max(busiest, float(load.split()[0]))
    if busiest <= cpus:
        return []
    return [f"**The machine was busy**: a load average of up to {busiest:.1f} on {cpus} CPUs during this run, so "
            "other processes competed for the CPUs and every wall-clock figure below is inflated. Re-run on an "
            "idle machine before comparing or committing these figures.", ""]


def _meanings(quick: bool, loader: str) -> list[str]:
    return [
        "## What each figure means",
        "",
        "- **p50 / p95 / p99**: latency of one request at a time (concurrency 1, one keep-alive connection), from "
        "sending the request to having read the whole body, over `n` requests after 3 unmeasured warm-up requests; "
        "nearest-rank percentiles. A slow route stops sampling after a time budget (`n` says how many were taken).",
        "- **server CPU ms/req**: CPU time (user + system, all threads, from `/proc/<pid>/stat`) that the server "
        "process spent during those same requests, averaged; the cost of a request without the waiting.",
        "- **server time (/metrics)**: the app's own request histogram (its ASGI middleware's clock, from the "
        "request's arrival to its last byte), read from `/metrics` before and after the case: the mean, the share "
        "of calls within 5 ms, and the smallest bucket bound holding 95 % of them (p95 ≤ that).",
        f"- **req/s**: completed requests per second with {CONCURRENCY} concurrent keep-alive connections for "
        f"{'1 s' if quick else '3 s'}, sent by "
        + ("httpx.AsyncClient (`--load-client httpx`). " if loader == "httpx" else
           "a minimal asyncio HTTP/1.1 client in the bench (`--load-client httpx` uses httpx.AsyncClient instead: "
           "it costs about 1 ms of client CPU per request, which on a small machine caps the load). ")
        + "**server / client CPU**: CPU seconds per wall second of the server and of the load generator during "
        "that run (100 % = one core; one event loop, so about 100 % is the server's ceiling).",
        "- **the throughput check** compares `/healthz` and B's warm stats in alternating 1-second load runs (so "
        "a change in background load hits both alike) and uses the medians.",
        "- **warm**: the same cache key again (per user, data version, period and local date).",
        "- **cold (write before each call)**: before each measured call, `PATCH /api/me` with the unchanged "
        "`standard_hours_per_day`, a write that replaces the user's data version; the PATCH is not timed. This "
        "is the first call after an edit.",
        f"- **cold (distinct keys)**: `period` cycles through 1..{PERIODS_CYCLE}, {PERIODS_CYCLE} separate cache "
        "keys, with the same version bump before each cycle.",
        "- **page** and **fragments**: authenticated with the session cookie from `POST /login`, as a browser; "
        "gzip-compressed responses.",
        "- **export**: streamed, timed to the last byte; the server's peak-RSS mark is reset before each run "
        "(`/proc/<pid>/clear_refs`), so *peak* is its high-water mark during that export. **HTTP import**: "
        "`POST /api/import` (multipart, format toggl) by a user signed up for it, timed to the answer's last byte. "
        "**`momentum import`**: after the server stopped, into a fresh user; its time includes interpreter "
        "start-up and its peak RSS is that process's (`wait4`).",
        "- a route that answers 404/405/501 is *not available* (not built yet); *error* means it failed.",
        "",
    ]


def _reproduce() -> list[str]:
    return [
        "## Reproduce",
        "",
        "```",
        "make bench                         # SQLite, then PostgreSQL + Redis when both answer on their local ports",
        ".venv/bin/python -m benchmarks --no-postgres              # SQLite only",
        ".venv/bin/python -m benchmarks --database-url postgresql+asyncpg://postgres@127.0.0.1:5432/test \\",
        "    --cache-url redis://127.0.0.1:6379/0                   # or BENCH_DATABASE_URL / BENCH_CACHE_URL",
        ".venv/bin/python -m benchmarks --quick --others 5 --data-dir /tmp/bench --out /tmp/perf.md   # short",
        ".venv/bin/python -m benchmarks --regenerate                # rebuild ./bench-data/",
        "```",
        "",
        "The dataset is cached in `./bench-data/` (git-ignored), with the users' raw API tokens in the JSON file "
        "next to it; each pass works on a copy, so runs never change it. The PostgreSQL pass creates "
        "`momentum_bench_<pid>` on the server of the database URL (the database the URL names is only the admin "
        "connection; nothing in it is touched), drops it at the end, and claims a Redis db number 1..15 the way "
        "the test suite does (`momentum:testdb:<n>` in db 0), flushing only that number. Only 127.0.0.1 (or the "
        "given URLs) is contacted.",
        "",
    ]
