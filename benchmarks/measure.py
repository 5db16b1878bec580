"""The runs of one benchmark: every route over HTTP, the CSV export and `momentum import`.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from benchmarks.daily import ServerTime, daily_cases, read_histograms, server_time
from benchmarks.dataset import IMPORT_EMAIL, PASSWORD, PERIODS_CYCLE, ZONE, say
from benchmarks.load import (
    Auth,
    Case,
    HttpError,
    Result,
    Side,
    Unavailable,
    _ms,
    check,
    login,
    make_bump,
    measure_throughput,
    run_case,
    run_sides,
)
from benchmarks.server import momentum_bin, proc_status, reset_peak_rss


@dataclass
class ExportRun:
    seconds: float
    first_byte_ms: float
    bytes: int
    lines: int
    rss_before_kb: int
    peak_kb: int


@dataclass
class ExportResult:
    user: str
    status: str = "ok"
    runs: list[ExportRun] = field(default_factory=list)
    peak_reset: bool = False


async def measure_export(base: str, pid: int, user: str, auth: Auth, runs: int) -> ExportResult:
    out = ExportResult(user)
    path = "/api/export/entries.csv?start=2000-01-01&end=2100-01-01"
    try:
        async with httpx.AsyncClient(base_url=base, headers=auth.headers, timeout=300) as client:
            for _ in range(runs):
                out.peak_reset = reset_peak_rss(pid)
                before = proc_status(pid)
                t0 = time.perf_counter()
                first: float | None = None
                size = lines = 0
                async with client.stream("GET", path) as response:
                    if response.status_code != 200:
                        await response.aread()
                        check(response)
                    async for chunk in response.aiter_bytes():
                        first = first if first is not None else time.perf_counter() - t0
                        size += len(chunk)
                        lines += chunk.count(b"\n")
                elapsed = time.perf_counter() - t0
                after = proc_status(pid)
                out.runs.append(ExportRun(elapsed, (first or elapsed) * 1000, size, lines,
                                          before.get("VmRSS", 0), after.get("VmHWM", 0)))
    except (Unavailable, HttpError) as exc:
        out.status = str(exc)
    except Exception as exc:
        out.status = f"error: {type(exc).__name__}: {exc}"[:200]
    return out


def load_average() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "unknown"


@dataclass
class HttpRun:
    results: list[Result]
    exports: list[ExportResult]
    final_rss: dict[str, int]
    load_before: str
    load_after: str
    paired: dict[str, list[float]]  # case key -> req/s per alternating round
    loader: str
    server_times: dict[str, ServerTime] = field(default_factory=dict)  # case key -> /metrics histogram delta
    before: list[Result] = field(default_factory=list)  # the requests table on the baseline code (then.py)


async def paired_throughput(base: str, pid: int, cases: list[Case], rounds: int, loader: str
                            ) -> dict[str, list[float]]:
    """req/s of `cases` in alternating 1-second runs, so a change in background load hits all alike."""
    rates: dict[str, list[float]] = {case.key: [] for case in cases}
    for _ in range(rounds):
        for case in cases:
            rates[case.key].append((await measure_throughput(base, pid, case, 1.0, loader)).rps)
    return rates


def request_cases(meta: dict[str, Any], quick: bool, bearer: dict[str, Auth], cookie: dict[str, Auth],
                  bump: dict[str, Callable[[], Awaitable[None]]]) -> list[Case]:
    """The routes of the requests table (the ones issue 8's regression check compares)."""
    users = meta["users"]
    label = {"a": f"A ({users['a']['entries']:,} entries)", "b": f"B ({users['b']['entries']:,} entries)"}
    fast, cold, slow = (60, 40, 30) if quick else (300, 150, 100)

    def fixed(path: str) -> Callable[[int], str]:
        return lambda _i: path

    def cycled(path: str) -> Callable[[int], str]:
        return lambda i: f"{path}?period={i % PERIODS_CYCLE + 1}"

    stats, page, sessions = "/api/productivity/stats", "/dashboard/productivity", "/api/insights/sessions"
    cold_label = "cold (write before each call)"
    cases = [Case("floor", "GET /healthz (floor)", "—", fixed("/healthz"), Auth(), fast)]
    for k in ("a", "b"):
        cases += [
            Case(f"warm-{k}", f"GET {stats}?period=30 — warm", label[k], fixed(f"{stats}?period=30"),
                 bearer[k], fast),
            Case(f"cold-{k}", f"GET {stats}?period=30 — {cold_label}", label[k],
                 fixed(f"{stats}?period=30"), bearer[k], cold, bump[k], 1, throughput=False),
            Case(f"cycle-{k}", f"GET {stats}?period=1..{PERIODS_CYCLE} — cold (distinct keys)", label[k],
                 cycled(stats), bearer[k], PERIODS_CYCLE // 2 if quick else PERIODS_CYCLE, bump[k],
                 PERIODS_CYCLE),
        ]
    cases += [Case(f"page-{k}", f"GET {page} — warm", label[k], fixed(page), cookie[k], slow)
              for k in ("a", "b")]
    cases.append(Case("page-cold-b", f"GET {page} — {cold_label}", label["b"], fixed(page), cookie["b"],
                      cold, bump["b"], 1, throughput=False))
    for name in ("summary", "daily", "projects", "focus", "heatmap", "insights", "goals"):
        cases.append(Case(f"fragment-{name}", f"GET {page}/fragments/{name} — warm", label["b"],
                          fixed(f"{page}/fragments/{name}?period=30"), cookie["b"], slow))
    cases += [
        Case("sessions-warm-b", f"GET {sessions}?period=30 — warm", label["b"],
             fixed(f"{sessions}?period=30"), bearer["b"], fast),
        Case("sessions-cold-b", f"GET {sessions}?period=30 — {cold_label}", label["b"],
             fixed(f"{sessions}?period=30"), bearer["b"], cold, bump["b"], 1, throughput=False),
    ]
    return cases


@dataclass(frozen=True)
class Twin:
    """A second server to measure beside the first, request by request (benchmarks/then.py)."""

    base: str
    pid: int


async def measure_http(base: str, pid: int, meta: dict[str, Any], quick: bool, loader: str,
                       forecast: tuple[int, int] | None = None, twin: Twin | None = None) -> HttpRun:
    """Every route on the server at `base`; with `twin`, each route of the requests table is
    measured on the twin and here in turns, request by request (HttpRun.before; run_sides)."""
    load_before = load_average()
    users = meta["users"]
    tokens = {k: meta["tokens"][users[k]["email"]] for k in ("a", "b")}
    bearer = {k: Auth(headers={"Authorization": f"Bearer {tokens[k]}"}) for k in ("a", "b")}
    cookie = {k: Auth(cookies=await login(base, users[k]["email"], meta["password"])) for k in ("a", "b")}
    label = {"a": f"A ({users['a']['entries']:,} entries)", "b": f"B ({users['b']['entries']:,} entries)"}
    cold = 40 if quick else 150
    seconds, budget = (1.0, 5.0) if quick else (3.0, 20.0)
    async with contextlib.AsyncExitStack() as stack:
        api = {k: await stack.enter_async_context(httpx.AsyncClient(base_url=base, headers=bearer[k].headers,
                                                                    timeout=60)) for k in ("a", "b")}
        bump = {k: make_bump(api[k]) for k in ("a", "b")}
        cases = request_cases(meta, quick, bearer, cookie, bump)
        twins: dict[str, Case] = {}
        if twin is not None:
            twin_api = {k: await stack.enter_async_context(
                httpx.AsyncClient(base_url=twin.base, headers=bearer[k].headers, timeout=60)) for k in ("a", "b")}
            twin_cookie = {k: Auth(cookies=await login(twin.base, users[k]["email"], meta["password"]))
                           for k in ("a", "b")}
            twins = {c.key: c for c in request_cases(meta, quick, bearer, twin_cookie,
                                                     {k: make_bump(twin_api[k]) for k in ("a", "b")})}
        cases += daily_cases(label["b"], bearer["b"], bump["b"], forecast, cold)
        results: list[Result] = []
        before: list[Result] = []
        times: dict[str, ServerTime] = {}
        for case in cases:
            if twin is not None and case.key in twins:
                then, result = await run_sides([Side(twin.base, twin.pid, twins[case.key]), Side(base, pid, case)],
                                               seconds, budget, loader)
                before.append(then)
                say(f"  {case.route} [{case.user}], baseline code: {_summary(then)}")
                results.append(result)
                say(f"  {case.route} [{case.user}]: {_summary(result)}")
                continue
            started = await read_histograms(base) if case.key.startswith("forecast-") else None
            result = await run_case(base, pid, case, seconds, budget, loader)
            results.append(result)
            if started is not None and result.status == "ok":
                measured = server_time(started, await read_histograms(base), "/forecast")
                if measured is not None:
                    times[case.key] = measured
            say(f"  {case.route} [{case.user}]: {_summary(result)}")
    exports = [await measure_export(base, pid, label[k], bearer[k], 1 if quick else 3) for k in ("b", "a")]
    for e in exports:
        say(f"  export [{e.user}]: " + (f"{min(r.seconds for r in e.runs):.2f} s" if e.runs else e.status))
    paired: dict[str, list[float]] = {}
    pair = [c for c in cases if c.key in {"floor", "warm-b"}]
    if all(r.status == "ok" for r in results if r.case in pair):
        say("  floor and warm stats (B) in alternating 1 s load runs ...")
        paired = await paired_throughput(base, pid, pair, 2 if quick else 5, loader)
    return HttpRun(results, exports, proc_status(pid), load_before, load_average(), paired, loader, times, before)


def _summary(result: Result) -> str:
    summary = result.status
    if result.status == "ok":
        summary = f"p50 {_ms(result.pct(50))} ms, p95 {_ms(result.pct(95))} ms"
        summary += f", {result.rps:.0f} req/s" if result.rps else ""
    elif isinstance(result.detail, str):
        summary += f": {result.detail}"
    return summary


# ====================================================================== the import


@dataclass
class ImportResult:
    rows: int
    status: str = "ok"
    seconds: float = 0.0
    max_rss_kb: int = 0
    output: str = ""
    imported: int = 0


def run_import(env: dict[str, str], csv_path: Path, rows: int, timeout: float, count: Callable[[str], int]
               ) -> ImportResult:
    """`momentum users create` + `momentum import FILE --user E --format toggl`, timed, with its peak RSS;
    `count(email)` says how many entries the user has in the database afterwards."""
    result = ImportResult(rows)
    created = subprocess.run([momentum_bin(), "users", "create", "--email", IMPORT_EMAIL, "--timezone", ZONE],
                             input=f"{PASSWORD}\n", text=True, capture_output=True, env=env, timeout=120)
    if created.returncode != 0:
        result.status = f"error: users create: {(created.stderr or created.stdout).strip()[-200:]}"
        return result
    t0 = time.perf_counter()
    command = [momentum_bin(), "import", str(csv_path), "--user", IMPORT_EMAIL, "--format", "toggl"]
    proc = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL)
    deadline = t0 + timeout
    # wait4 gives this child's own rusage (RUSAGE_CHILDREN would mix in the server's).
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        if time.perf_counter() > deadline:
            proc.kill()
            pid, status, usage = os.wait4(proc.pid, 0)
            result.status = f"timed out after {timeout:.0f} s"
            break
        time.sleep(0.05)
    result.seconds = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    assert proc.stdout is not None
    result.output = proc.stdout.read().decode(errors="replace").strip()
    result.max_rss_kb = usage.ru_maxrss
    result.imported = count(IMPORT_EMAIL)
    if result.status == "ok" and proc.returncode != 0:
        last = result.output.splitlines()[-1] if result.output else ""
        result.status = f"failed (exit {proc.returncode}): {last[:200]}"
    return result

