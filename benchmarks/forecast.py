"""The forecast's latency over HTTP for the 10-year user (issue 11: within 5 ms p95 server
time; docs/planning.md, "Speed"): `python -m benchmarks.forecast [--n 300]`.

Reuses (or builds) the benchmark dataset of `python -m benchmarks` (user B: 10 years of
demo history), gives B's busiest project a total budget with a due date (the whole
history counts: the path with the database's sum of old time) and its second a monthly
budget, starts a real `momentum serve` process and times
`GET /api/projects/{id}/forecast` at concurrency 1: warm (repeated, unchanged data) and
cold (a write through the API before every call, so every cached figure is stale), with
the server's CPU time per request from /proc. Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from benchmarks.daily import Histogram, ServerTime, read_histograms
from benchmarks.dataset import ROOT, ensure_dataset, prepare_run_copy, say
from benchmarks.load import Auth, Case, Result, make_bump, run_case
from benchmarks.server import Server


def budget_projects(db_path: Path, email: str) -> tuple[int, int, int]:
    """B's two busiest projects get a total (due in 60 days) and a monthly budget; with B's entry count."""
    due = (datetime.now(UTC).date() + timedelta(days=60)).isoformat()
    with sqlite3.connect(db_path) as conn:
        (user_id,) = conn.execute("SELECT id FROM users WHERE lower(email) = lower(?)", (email,)).fetchone()
        busiest = conn.execute(
            "SELECT project_id, count(*) FROM time_entries WHERE user_id = ? AND project_id IS NOT NULL"
            " GROUP BY project_id ORDER BY count(*) DESC LIMIT 2",
            (user_id,),
        ).fetchall()
        total_id, monthly_id = busiest[0][0], busiest[1][0]
        conn.execute("UPDATE projects SET budget_hours = 2000, budget_period = 'total', hourly_rate = 80,"
                     " due_date = ? WHERE id = ?", (due, total_id))
        conn.execute("UPDATE projects SET budget_hours = 40, budget_period = 'monthly' WHERE id = ?", (monthly_id,))
        (entries,) = conn.execute("SELECT count(*) FROM time_entries WHERE user_id = ?", (user_id,)).fetchone()
        (project_entries,) = conn.execute(
            "SELECT count(*) FROM time_entries WHERE project_id = ?", (total_id,)).fetchone()
    conn.close()
    say(f"B: {entries:,} entries; project {total_id} ({project_entries:,} entries) total budget, "
        f"project {monthly_id} monthly budget")
    return total_id, monthly_id, project_entries


# The route labels of the app's /metrics histogram: a handler's own path, without its controller's.
ROUTES = {"floor": "/healthz", "baseline": "/{project_id:int}"}
FORECAST_ROUTE = "/projects/{project_id:int}/forecast"


def route_delta(before: Histogram, after: Histogram, route: str) -> ServerTime | None:
    """The server-side time of one route over a case: the delta of its /metrics histogram."""
    if route not in after:
        return None
    b_buckets, b_sum, b_count = before.get(route, ({}, 0.0, 0))
    a_buckets, a_sum, a_count = after[route]
    count = a_count - b_count
    if count <= 0:
        return None
    within = {le: n - b_buckets.get(le, 0) for le, n in a_buckets.items()}
    return ServerTime(count, (a_sum - b_sum) / count * 1000, within)


async def measure(
    base: str, pid: int, token: str, total_id: int, monthly_id: int, n: int
) -> list[tuple[Result, ServerTime | None]]:
    auth = Auth(headers={"Authorization": f"Bearer {token}"})
    async with httpx.AsyncClient(base_url=base, headers=auth.headers, timeout=60) as api:
        bump = make_bump(api)
        cases = [
            Case("floor", "GET /healthz (floor)", "—", lambda _i: "/healthz", Auth(), n, throughput=False),
            # An authenticated read of the same project: what every API call costs before the forecast.
            Case("baseline", f"GET /api/projects/{total_id} (authenticated baseline)", "B",
                 lambda _i: f"/api/projects/{total_id}", auth, n, throughput=False),
        ]
        for key, project_id in (("total", total_id), ("monthly", monthly_id)):
            path = f"/api/projects/{project_id}/forecast"
            cases += [
                Case(f"warm-{key}", f"GET {path} ({key} budget) — warm", "B", lambda _i, p=path: p, auth, n,
                     throughput=False),
                Case(f"cold-{key}", f"GET {path} ({key} budget) — cold (write before each call)", "B",
                     lambda _i, p=path: p, auth, n, bump, 1, throughput=False),
            ]
        results = []
        for case in cases:
            before = await read_histograms(base)
            result = await run_case(base, pid, case, 1.0, 60.0, "raw")
            # The write before each cold call is another route: only the forecast's calls count.
            server = route_delta(before, await read_histograms(base), ROUTES.get(case.key, FORECAST_ROUTE))
            say(f"  {case.route}: {result.status}, p50 {result.pct(50)}, p95 {result.pct(95)}")
            results.append((result, server))
    return results


def table(results: list[tuple[Result, ServerTime | None]]) -> str:
    def ms(v: float | None) -> str:
        return "—" if v is None else f"{v:.2f}"

    def share(server: ServerTime | None) -> str:
        value = server.share(5.0) if server else None
        return "—" if value is None else f"{100 * value:.0f} %"

    lines = ["| route | p50 ms | p95 ms | p99 ms | n | server CPU ms/req | server mean ms (/metrics) "
             "| server ≤ 5 ms (/metrics) |", "|---|---|---|---|---|---|---|---|"]
    for r, server in results:
        lines.append(f"| {r.case.route} | {ms(r.pct(50))} | {ms(r.pct(95))} | {ms(r.pct(99))} | "
                     f"{len(r.samples)} | {ms(r.server_cpu_ms)} | {ms(server.mean_ms if server else None)} "
                     f"| {share(server)} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.forecast", description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", default=str(ROOT / "bench-data"), help="the dataset cache")
    parser.add_argument("--others", type=int, default=200, help="other users in the dataset (default 200)")
    parser.add_argument("--n", type=int, default=300, help="timed calls per case")
    parser.add_argument("--postgres", action="store_true",
                        help="on PostgreSQL + Redis (the local servers on their default ports, as `make bench`): "
                             "a database and a Redis db number created for the run, removed at the end")
    args = parser.parse_args(argv)
    data_dir = Path(args.data_dir)
    db_path, meta, _ = ensure_dataset(data_dir, args.others, False)
    run_dir = data_dir / ("run-forecast-pg" if args.postgres else "run-forecast")
    run_db = prepare_run_copy(db_path, run_dir)
    users: dict[str, Any] = meta["users"]
    total_id, monthly_id, _ = budget_projects(run_db, users["b"]["email"])
    token = meta["tokens"][users["b"]["email"]]
    if not args.postgres:
        with Server(run_db, run_dir / "server.log") as server:
            say(f"server up at {server.base} (pid {server.pid})")
            results = asyncio.run(measure(server.base, server.pid, token, total_id, monthly_id, args.n))
        print(table(results))
        return 0
    from benchmarks.postgres import PgTarget, default_targets

    targets = default_targets()
    if targets is None:
        say("PostgreSQL and Redis do not both answer on 127.0.0.1 (ports 5432, 6379)")
        return 2
    target = PgTarget(*targets)
    try:
        target.create()
        target.migrate()
        target.load(run_db)
        say(f"PostgreSQL database {target.name}, Redis db {target.redis_db}: {target.rows:,} rows copied")
        with Server(target.url, run_dir / "server.log", target.cache_url) as server:
            say(f"server up at {server.base} (pid {server.pid})")
            results = asyncio.run(measure(server.base, server.pid, token, total_id, monthly_id, args.n))
    finally:
        target.close()
    print(table(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
