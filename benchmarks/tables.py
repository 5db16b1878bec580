"""The report's tables, each figure next to a reference: on SQLite the figure before this
round — the baseline commit's code measured again in this run (benchmarks/then.py), or,
where it could not be, the figures recorded in benchmarks/baseline.json (copied from the
docs/performance.md that `make bench` wrote on 2026-11-21 at commit 6b99a9a) — and on
PostgreSQL + Redis this run's SQLite figure.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.daily import FORECAST_LIMIT_MS, ServerTime, is_daily
from benchmarks.dataset import IMPORT_EMAIL
from benchmarks.load import Result, _ms
from benchmarks.measure import ExportResult, HttpRun, ImportResult
from benchmarks.transfer import EXPORT_LIMIT_SECONDS, IMPORT_LIMIT_SECONDS, TransferRun

BASELINE_PATH = Path(__file__).with_name("baseline.json")
Figures = dict[str, dict[str, Any]]  # case key -> {"p50", "p95", "p99", "rps", "cpu"}; rows key -> {"text"}


def load_baseline() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(BASELINE_PATH.read_text())
    return data


@dataclass
class Reference:
    label: str  # "before → now" or "SQLite → PG"
    requests: Figures
    transfer: dict[str, str]  # row key -> the reference's figure as text


def baseline_reference(baseline: dict[str, Any]) -> Reference:
    exports, cli = baseline["export"], baseline["import_cli"]

    def export_text(e: dict[str, Any]) -> str:
        return f"{', '.join(f'{s:.2f}' for s in e['seconds'])} s ({e['entries']:,} entries)"

    transfer = {
        "export-b": export_text(exports["b"]),
        "export-a": export_text(exports["a"]),
        "http-import": f"{cli['seconds']:.1f} s ({cli['rows_per_s']:,} rows/s; `momentum import`, no HTTP import "
                       "then)",
        "http-export": f"{exports['b']['seconds'][0]:.2f} s ({exports['b']['entries']:,} entries of B)",
        "cli-import": f"{cli['seconds']:.1f} s ({cli['rows_per_s']:,} rows/s, peak RSS {cli['peak_rss_mib']} MiB)",
    }
    return Reference("before → now", baseline["requests"], transfer)


def figures(results: list[Result]) -> Figures:
    """The measured routes' figures, in the shape of baseline.json's `requests`."""
    return {r.case.key: {"p50": r.pct(50), "p95": r.pct(95), "p99": r.pct(99), "rps": r.rps, "cpu": r.server_cpu_ms}
            for r in results if r.status == "ok"}


def run_reference(run: HttpRun | None, transfer: TransferRun | None, imp: ImportResult | None) -> Reference:
    """This run's SQLite figures, as the reference of the PostgreSQL + Redis tables."""
    return Reference("SQLite → PG", figures(run.results if run else []), transfer_texts(run, transfer, imp))


def remeasured_reference(baseline: dict[str, Any], run: HttpRun | None) -> Reference:
    """The requests table's *before*: the baseline code measured in this run (benchmarks/then.py)
    when it was; otherwise the recorded figures."""
    recorded = baseline_reference(baseline)
    if run is None or not run.before:
        return recorded
    return Reference("before → now", figures(run.before), recorded.transfer)


def recorded_table(baseline: dict[str, Any], run: HttpRun) -> list[str]:
    """p95 and server CPU of each route: as recorded for the baseline commit, the baseline code
    again in this run, and now."""
    recorded, then = baseline["requests"], figures(run.before)
    lines = [
        f"| route | user | p95 ms: recorded {baseline['date'][:10]} → baseline code now → this code | "
        "server CPU ms/req: recorded → baseline code now → this code |",
        "|---|---|---|---|",
    ]
    for r in run.results:
        if r.case.key not in recorded or r.status != "ok":
            continue
        was, again = recorded[r.case.key], then.get(r.case.key, {})
        p95 = " → ".join(_ms(v) for v in (was.get("p95"), again.get("p95"), r.pct(95)))
        cpu = " → ".join(_ms(v) for v in (was.get("cpu"), again.get("cpu"), r.server_cpu_ms))
        lines.append(f"| {r.case.route} | {r.case.user} | {p95} | {cpu} |")
    return lines


def arrow(before: float | None, now: float | None, digits: int = 2) -> str:
    if now is None:
        return "—"
    text = f"{now:,.{digits}f}"
    return text if before is None else f"{before:,.{digits}f} → {text}"


def requests_table(results: list[Result], ref: Reference) -> list[str]:
    tag = f" ({ref.label})"
    lines = [
        f"| route | user | p50 ms{tag} | p95 ms{tag} | p99 ms | req/s{tag} | n | server CPU ms/req{tag} | "
        "server / client CPU |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        if is_daily(r.case.key):
            continue
        before = ref.requests.get(r.case.key, {})
        if r.status != "ok":
            lines.append(f"| {r.case.route} | {r.case.user} | {r.status} | | | | | | |")
            continue
        util = "—"
        if r.server_util is not None and r.client_util is not None:
            util = f"{r.server_util:.0%} / {r.client_util:.0%}"
        lines.append(
            f"| {r.case.route} | {r.case.user} | {arrow(before.get('p50'), r.pct(50))} | "
            f"{arrow(before.get('p95'), r.pct(95))} | {arrow(None, r.pct(99))} | "
            f"{arrow(before.get('rps'), r.rps, 0) if r.rps else '—'} | {len(r.samples)} | "
            f"{arrow(before.get('cpu'), r.server_cpu_ms)} | {util} |")
    return lines


def daily_table(results: list[Result], times: dict[str, ServerTime], ref: Reference) -> list[str]:
    tag = f" ({ref.label})" if any(is_daily(key) for key in ref.requests) else ""
    lines = [
        f"| route | user | p50 ms{tag} | p95 ms{tag} | p99 ms | n | server CPU ms/req | server time (/metrics) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        if not is_daily(r.case.key):
            continue
        if r.status != "ok":
            lines.append(f"| {r.case.route} | {r.case.user} | {r.status} | | | | | |")
            continue
        before = ref.requests.get(r.case.key, {})
        t = times.get(r.case.key)
        server = "—"
        if t is not None:
            share, bound = t.share(FORECAST_LIMIT_MS), t.p95_bound()
            server = (f"mean {t.mean_ms:.2f} ms; {share:.0%} ≤ {FORECAST_LIMIT_MS:g} ms" if share is not None
                      else f"mean {t.mean_ms:.2f} ms") + (f"; p95 ≤ {bound:g} ms" if bound else "")
        lines.append(
            f"| {r.case.route} | {r.case.user} | {arrow(before.get('p50'), r.pct(50))} | "
            f"{arrow(before.get('p95'), r.pct(95))} | {arrow(None, r.pct(99))} | {len(r.samples)} | "
            f"{arrow(None, r.server_cpu_ms)} | {server} |")
    return lines


def _export_text(e: ExportResult) -> str:
    return f"{', '.join(f'{run.seconds:.2f}' for run in e.runs)} s ({e.runs[0].lines - 1:,} entries)"


def transfer_texts(run: HttpRun | None, transfer: TransferRun | None, imp: ImportResult | None) -> dict[str, str]:
    out: dict[str, str] = {}
    for key, e in zip(("export-b", "export-a"), run.exports if run else [], strict=False):
        if e.runs:
            out[key] = _export_text(e)
    if transfer and transfer.imp.status == "ok" and transfer.imp.seconds:
        t = transfer.imp
        out["http-import"] = f"{t.seconds:.2f} s ({t.rows / t.seconds:,.0f} rows/s)"
    if transfer and transfer.export.status == "ok" and transfer.export.seconds:
        out["http-export"] = f"{min(transfer.export.seconds) * 1000:.0f} ms"
    if imp and imp.status == "ok" and imp.seconds:
        out["cli-import"] = f"{imp.seconds:.1f} s ({imp.rows / imp.seconds:,.0f} rows/s)"
    return out


def _verdict(ok: bool, limit: str) -> str:
    return f"**{'PASS' if ok else 'FAIL'}** ({limit})"


def transfer_table(run: HttpRun, transfer: TransferRun | None, imp: ImportResult | None, ref: Reference
                   ) -> list[str]:
    before = ref.transfer
    now = transfer_texts(run, transfer, imp)
    label = "before" if ref.label.startswith("before") else "SQLite (this run)"
    lines = [
        f"| what | user | result | {label} | now | check | size | server RSS before → peak |",
        "|---|---|---|---|---|---|---|---|",
    ]
    what = "`GET /api/export/entries.csv` (full range; bench user)"
    for key, e in zip(("export-b", "export-a"), run.exports, strict=False):
        if not e.runs:
            lines.append(f"| {what} | {e.user} | {e.status} | {before.get(key, '—')} | | | | |")
            continue
        best = min(e.runs, key=lambda x: x.seconds)
        peak = max(x.peak_kb for x in e.runs)
        lines.append(f"| {what} | {e.user} | {best.lines - 1:,} rows | {before.get(key, '—')} | {now[key]} "
                     f"(first byte {best.first_byte_ms:.0f} ms) | | {best.bytes / 1e6:.1f} MB | "
                     f"{e.runs[0].rss_before_kb / 1024:.0f} → {peak / 1024:.0f} MiB |")
    if transfer is not None:
        t = transfer.imp
        what = f"`POST /api/import` of {t.rows:,} Toggl rows over HTTP (fresh user)"
        if t.status == "ok":
            limit = IMPORT_LIMIT_SECONDS * t.rows / 100_000  # the limit is for 100,000 rows
            check = _verdict(t.seconds <= limit, f"≤ {limit:g} s")
            lines.append(f"| {what} | new user | {t.created:,} created | {before.get('http-import', '—')} | "
                         f"{now['http-import']} | {check} | | peak {t.server_peak_kb / 1024:.0f} MiB |")
        else:
            lines.append(f"| {what} | new user | {t.status} | {before.get('http-import', '—')} | | **FAIL** | | |")
        x = transfer.export
        what = f"`GET /api/export/entries.csv` of {x.entries:,} entries (imported by a fresh user)"
        if x.status == "ok" and x.seconds:
            limit = EXPORT_LIMIT_SECONDS * max(x.entries, 1) / 25_000  # the limit is for 25,000 entries
            check = _verdict(min(x.seconds) <= limit, f"best ≤ {limit * 1000:.0f} ms")
            runs = ", ".join(f"{s * 1000:.0f}" for s in x.seconds)
            lines.append(f"| {what} | new user | {x.lines - 1:,} rows | {before.get('http-export', '—')} | "
                         f"{runs} ms (first byte {x.first_byte_ms:.0f} ms) | {check} | {x.bytes / 1e6:.1f} MB | "
                         f"peak {x.server_peak_kb / 1024:.0f} MiB |")
        else:
            lines.append(f"| {what} | new user | {x.status} | {before.get('http-export', '—')} | | **FAIL** | | |")
    if imp is not None:
        what = f"`momentum import` of {imp.rows:,} Toggl rows (own process, after the server stopped)"
        if imp.status == "ok":
            lines.append(f"| {what} | {IMPORT_EMAIL} | {imp.imported:,} entries in the DB | "
                         f"{before.get('cli-import', '—')} | {now['cli-import']} | | | "
                         f"peak RSS {imp.max_rss_kb / 1024:.0f} MiB (own) |")
        else:
            lines.append(f"| {what} | {IMPORT_EMAIL} | {imp.status} | {before.get('cli-import', '—')} | "
                         f"{imp.seconds:.1f} s | | | peak RSS {imp.max_rss_kb / 1024:.0f} MiB (own) |")
    return lines
