"""The acceptance checks of the open issues, from one run: (check, backend, verdict,
before, measured). A figure over its limit is FAIL with the number; a route another
issue has not built yet is NOT AVAILABLE.
"""

from __future__ import annotations

import statistics
from typing import Any

from benchmarks.backends import BackendRun
from benchmarks.daily import forecast_check, palette_check
from benchmarks.dataset import COLD_P95_LIMIT_MS, PERIODS_CYCLE, WARM_SHARE_LIMIT
from benchmarks.load import Result, _ms
from benchmarks.tables import figures
from benchmarks.transfer import EXPORT_LIMIT_SECONDS, IMPORT_LIMIT_SECONDS

PG_COLD_FACTOR = 1.5  # issue 12: the 10-year user's cold stats on PostgreSQL + Redis within 1.5× of SQLite's
REGRESSION_FACTOR = 1.2  # issue 8: "no regression" — a route's p95 more than 20 % (and 0.3 ms) above before
REGRESSION_SLACK_MS = 0.3

Check = tuple[str, str, str, str, str]


def find(results: list[Result], key: str) -> Result | None:
    return next((r for r in results if r.case.key == key), None)


def cold_p95(backend: BackendRun | None) -> float | None:
    cold = find(backend.run.results, "cold-b") if backend and backend.run else None
    return cold.pct(95) if cold and cold.status == "ok" else None


def _issue3(b: BackendRun, base: dict[str, Any]) -> list[Check]:
    checks: list[Check] = []
    assert b.run is not None
    sqlite = b.name == "SQLite"
    before = base["checks"]
    name = f"cold stats p95 ≤ {COLD_P95_LIMIT_MS:g} ms for the 10-year user (issue 3)"
    cold, cycle = find(b.run.results, "cold-b"), find(b.run.results, "cycle-b")
    p95 = cold_p95(b)
    was = f"{before['cold_b_p95']:.2f} ms" if sqlite else "—"
    if cold and p95 is not None:
        numbers = (f"p95 {p95:.2f} ms (p50 {_ms(cold.pct(50))}) over {len(cold.samples)} cold calls of "
                   f"period=30; server CPU {_ms(cold.server_cpu_ms)} ms per call")
        if cycle and cycle.samples:
            numbers += f"; periods 1..{PERIODS_CYCLE} cycled: p95 {_ms(cycle.pct(95))} ms"
        checks.append((name, b.name, "PASS" if p95 <= COLD_P95_LIMIT_MS else "FAIL", was, numbers))
    else:
        checks.append((name, b.name, "FAIL", was, f"not measured: {cold.status if cold else 'missing'}"))
    name = f"warm stats throughput ≥ {WARM_SHARE_LIMIT:.0%} of the trivial route's (issue 3)"
    was = (f"{before['warm_share']:.0%} ({before['warm_b_rps']:,} vs {before['floor_rps']:,} req/s)" if sqlite
           else "—")
    warm, floor = find(b.run.results, "warm-b"), find(b.run.results, "floor")
    rounds_warm, rounds_floor = b.run.paired.get("warm-b", []), b.run.paired.get("floor", [])
    if rounds_warm and rounds_floor:
        share = statistics.median(rounds_warm) / statistics.median(rounds_floor)
        per_round = [w / f for w, f in zip(rounds_warm, rounds_floor, strict=True) if f]
        numbers = (f"median {statistics.median(rounds_warm):.0f} req/s vs /healthz "
                   f"{statistics.median(rounds_floor):.0f} req/s = {share:.0%} ({len(per_round)} alternating "
                   f"1 s rounds, {min(per_round):.0%}–{max(per_round):.0%})")
        if warm and floor and warm.server_cpu_ms and floor.server_cpu_ms:
            numbers += (f"; server CPU per request {floor.server_cpu_ms:.2f} vs {warm.server_cpu_ms:.2f} ms = "
                        f"{floor.server_cpu_ms / warm.server_cpu_ms:.0%}")
        checks.append((name, b.name, "PASS" if share >= WARM_SHARE_LIMIT else "FAIL", was, numbers))
    else:
        checks.append((name, b.name, "FAIL", was, "not measured"))
    return checks


def _issue12(b: BackendRun, base: dict[str, Any]) -> list[Check]:
    checks: list[Check] = []
    sqlite = b.name == "SQLite"
    t = b.transfer
    imp = t.imp if t else None
    rows = imp.rows if imp else 100_000
    limit = IMPORT_LIMIT_SECONDS * rows / 100_000
    name = f"HTTP import of {rows:,} Toggl rows ≤ {limit:g} s end to end (issue 12)"
    cli = base["import_cli"]
    was = f"{cli['seconds']:.1f} s ({cli['rows_per_s']:,} rows/s, `momentum import`)" if sqlite else "—"
    if imp and imp.status == "ok" and imp.seconds:
        checks.append((name, b.name, "PASS" if imp.seconds <= limit else "FAIL", was,
                       f"{imp.seconds:.2f} s ({imp.rows / imp.seconds:,.0f} rows/s), {imp.created:,} created"))
    else:
        checks.append((name, b.name, "FAIL", was, f"not measured: {imp.status if imp else 'missing'}"))
    x = t.export if t else None
    entries = x.entries if x else 25_000
    limit = EXPORT_LIMIT_SECONDS * entries / 25_000
    name = f"HTTP export of {entries:,} entries as CSV ≤ {limit * 1000:.0f} ms to the last byte (issue 12)"
    exp = base["export"]["b"]
    was = f"{exp['seconds'][0]:.2f} s ({exp['entries']:,} entries)" if sqlite else "—"
    if x and x.status == "ok" and x.seconds:
        best = min(x.seconds)
        checks.append((name, b.name, "PASS" if best <= limit else "FAIL", was,
                       f"best {best * 1000:.0f} ms of {', '.join(f'{s * 1000:.0f}' for s in x.seconds)} ms, "
                       f"{x.lines - 1:,} rows, server peak RSS {x.server_peak_kb / 1024:.0f} MiB"))
    else:
        checks.append((name, b.name, "FAIL", was, f"not measured: {x.status if x else 'missing'}"))
    return checks


def regression(b: BackendRun, base: dict[str, Any]) -> Check:
    """Issue 8: every route of the requests table, p95 against before — the baseline code
    measured again in this run, in turns with this code (benchmarks/then.py), or the
    recorded figures when it could not be."""
    assert b.run is not None
    again = bool(b.run.before)
    reference = figures(b.run.before) if again else base["requests"]
    against = (f"commit {base['commit']} measured again in this run" if again
               else f"the figures recorded on {base['date'][:10]}")
    name = (f"no regression against {against} (issue 8): no route's p95 above "
            f"{REGRESSION_FACTOR:g}× before + {REGRESSION_SLACK_MS:g} ms")
    worse: list[tuple[float, str]] = []
    compared = 0
    for r in b.run.results:
        before = reference.get(r.case.key)
        if not before or r.status != "ok" or r.pct(95) is None or before.get("p95") is None:
            continue
        compared += 1
        now = r.pct(95) or 0.0
        if now > before["p95"] * REGRESSION_FACTOR + REGRESSION_SLACK_MS:
            cpu = (f", server CPU {before['cpu']:.2f} → {r.server_cpu_ms:.2f} ms" if before.get("cpu") is not None
                   and r.server_cpu_ms is not None else "")
            worse.append((now / before["p95"],
                          f"{r.case.route} [{r.case.user}]: p95 {before['p95']:.2f} → {now:.2f} ms{cpu}"))
    numbers = f"{compared} of {len(base['requests'])} routes compared"
    if worse:
        worse.sort(reverse=True)
        numbers += f"; {len(worse)} slower, the worst: " + "; ".join(text for _, text in worse[:4])
        numbers += f"; and {len(worse) - 4} more (see the table)" if len(worse) > 4 else ""
    else:
        numbers += "; none slower"
    return name, b.name, "FAIL" if worse or not compared else "PASS", f"{len(base['requests'])} routes", numbers


def acceptance(sqlite: BackendRun | None, pg: BackendRun | None, base: dict[str, Any]) -> list[Check]:
    checks: list[Check] = []
    for b in (sqlite, pg):
        if b is None:
            continue
        if b.run is None:
            checks.append(("the benchmark pass", b.name, "FAIL", "", b.status))
            continue
        checks += _issue3(b, base)
        checks += _issue12(b, base)
        name, verdict, numbers = palette_check(b.run.results)
        checks.append((name, b.name, verdict, "— (no palette)", numbers))
        name, verdict, numbers = forecast_check(b.run.results, b.run.server_times)
        checks.append((name, b.name, verdict, "— (no forecast)", numbers))
        if b is sqlite:
            checks.append(regression(b, base))
    if pg is not None and pg.run is not None:
        name = f"the 10-year user's cold stats p95 within {PG_COLD_FACTOR:g}× of SQLite's (issue 12)"
        lite, post = cold_p95(sqlite), cold_p95(pg)
        if lite and post:
            numbers = f"p95 PostgreSQL + Redis {post:.2f} ms vs SQLite {lite:.2f} ms = {post / lite:.2f}×"
            pg_cold = find(pg.run.results, "cold-b")
            lite_cold = find(sqlite.run.results, "cold-b") if sqlite and sqlite.run else None
            if pg_cold and lite_cold:
                numbers += (f"; server CPU {_ms(pg_cold.server_cpu_ms)} vs {_ms(lite_cold.server_cpu_ms)} ms "
                            "per call")
            checks.append((name, pg.name, "PASS" if post <= PG_COLD_FACTOR * lite else "FAIL", "—", numbers))
        else:
            checks.append((name, pg.name, "FAIL", "—", "not measured on both"))
    return checks
