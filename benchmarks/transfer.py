"""Import and export over HTTP (issue 12 part 7): `POST /api/import` of 100,000 Toggl rows
into a fresh user, and `GET /api/export/entries.csv` of 25,000 entries, both against the
real server process the benchmark started, timed to the last byte of the answer.

`python -m benchmarks.transfer [--rows N] [--export-rows N]` runs just these two on a
fresh SQLite database of their own (no demo dataset needed): a quick way to check the
import and export speed without the whole `make bench`.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import httpx

from benchmarks.dataset import PASSWORD, ZONE, say, toggl_file
from benchmarks.server import Server, proc_status, reset_peak_rss

IMPORT_LIMIT_SECONDS = 5.0  # issue 12 part 7: 100,000 rows in at most 5 s (≥ 20,000 rows/s)
EXPORT_LIMIT_SECONDS = 0.200  # 25,000 entries as CSV to the last byte


@dataclass
class HttpImport:
    rows: int
    status: str = "ok"
    seconds: float = 0.0
    created: int = 0
    duplicates: int = 0
    server_peak_kb: int = 0


@dataclass
class HttpExport:
    entries: int
    status: str = "ok"
    seconds: list[float] | None = None
    first_byte_ms: float = 0.0
    bytes: int = 0
    lines: int = 0
    server_peak_kb: int = 0


async def signup(base: str, email: str) -> dict[str, str]:
    """A new account through the /register form, and its API token's header."""
    async with httpx.AsyncClient(base_url=base, timeout=60) as client:
        await client.get("/register")
        token = client.cookies.get("momentum_csrf") or ""
        r = await client.post("/register", data={
            "email": email, "password": PASSWORD, "password_confirm": PASSWORD, "timezone": ZONE,
            "standard_hours_per_day": "8", "_csrf_token": token})
        if r.status_code not in (200, 303):
            raise RuntimeError(f"POST /register answered {r.status_code}: {r.text[:300]}")
    async with httpx.AsyncClient(base_url=base, timeout=60) as client:  # no cookies: no CSRF check
        r = await client.post("/api/auth/tokens", json={"email": email, "password": PASSWORD, "name": "bench"})
        if r.status_code != 201:
            raise RuntimeError(f"POST /api/auth/tokens answered {r.status_code}: {r.text[:300]}")
        return {"Authorization": f"Bearer {r.json()['token']}"}


async def http_import(base: str, pid: int, headers: dict[str, str], csv_path: Path, rows: int) -> HttpImport:
    """POST /api/import of the file (multipart, format toggl), timed from the first byte sent
    to the last byte of the answer."""
    out = HttpImport(rows)
    data = csv_path.read_bytes()
    reset_peak_rss(pid)
    try:
        async with httpx.AsyncClient(base_url=base, headers=headers, timeout=600) as client:
            t0 = time.perf_counter()
            r = await client.post("/api/import", files={"file": (csv_path.name, data, "text/csv")},
                                  data={"format": "toggl", "timezone": ZONE})
            out.seconds = time.perf_counter() - t0
        if r.status_code != 200:
            out.status = f"HTTP {r.status_code}: {r.text[:200]}"
        else:
            body = r.json()
            out.created, out.duplicates = int(body["created"]), int(body["duplicates"])
    except Exception as exc:
        out.status = f"error: {type(exc).__name__}: {exc}"[:200]
    out.server_peak_kb = proc_status(pid).get("VmHWM", 0)
    return out


async def http_export(base: str, pid: int, headers: dict[str, str], entries: int, runs: int = 3) -> HttpExport:
    """GET /api/export/entries.csv (whole range), streamed; each run timed to its last byte."""
    out = HttpExport(entries, seconds=[])
    assert out.seconds is not None
    path = "/api/export/entries.csv?start=1970-01-01&end=2199-12-31"
    try:
        async with httpx.AsyncClient(base_url=base, headers=headers, timeout=300) as client:
            for _ in range(runs):
                reset_peak_rss(pid)
                t0 = time.perf_counter()
                first: float | None = None
                size = lines = 0
                async with client.stream("GET", path) as response:
                    if response.status_code != 200:
                        await response.aread()
                        raise RuntimeError(f"HTTP {response.status_code}: {response.text[:200]}")
                    async for chunk in response.aiter_bytes():
                        first = first if first is not None else time.perf_counter() - t0
                        size += len(chunk)
                        lines += chunk.count(b"\n")
                out.seconds.append(time.perf_counter() - t0)
                out.first_byte_ms = (first or 0.0) * 1000
                out.bytes, out.lines = size, lines
                out.server_peak_kb = max(out.server_peak_kb, proc_status(pid).get("VmHWM", 0))
    except Exception as exc:
        out.status = f"error: {type(exc).__name__}: {exc}"[:200]
    return out


@dataclass
class TransferRun:
    imp: HttpImport
    export: HttpExport


async def measure_transfer(base: str, pid: int, data_dir: Path, rows: int, export_rows: int) -> TransferRun:
    """A fresh user imports `rows` Toggl rows over HTTP; another imports `export_rows` and exports them."""
    big, small = toggl_file(data_dir, rows), toggl_file(data_dir, export_rows)
    importer = await signup(base, f"bench-http-import-{uuid.uuid4().hex[:8]}@momentum.local")
    say(f"  POST /api/import of {rows:,} Toggl rows ...")
    imp = await http_import(base, pid, importer, big, rows)
    say(f"  import: {imp.status}, {imp.seconds:.2f} s, {imp.created:,} created"
        + (f" ({rows / imp.seconds:,.0f} rows/s)" if imp.seconds else ""))
    exporter = await signup(base, f"bench-http-export-{uuid.uuid4().hex[:8]}@momentum.local")
    setup = await http_import(base, pid, exporter, small, export_rows)
    if setup.status != "ok":
        return TransferRun(imp, HttpExport(export_rows, status=f"setup import failed: {setup.status}"))
    export = await http_export(base, pid, exporter, setup.created)
    say(f"  export of {setup.created:,} entries: {export.status}, "
        + ", ".join(f"{s * 1000:.0f} ms" for s in export.seconds or []))
    return TransferRun(imp, export)


def report_lines(run: TransferRun) -> list[str]:
    """Rows for docs/performance.md's import/export table."""
    imp, exp = run.imp, run.export
    lines = []
    what = f"`POST /api/import` of {imp.rows:,} Toggl rows over HTTP (fresh user)"
    if imp.status == "ok":
        verdict = "PASS" if imp.seconds <= IMPORT_LIMIT_SECONDS else "FAIL"
        lines.append(f"| {what} | {imp.created:,} created | {imp.seconds:.2f} s ({imp.rows / imp.seconds:,.0f} "
                     f"rows/s; **{verdict}** ≤ {IMPORT_LIMIT_SECONDS:g} s) | | peak {imp.server_peak_kb / 1024:.0f} "
                     "MiB |")
    else:
        lines.append(f"| {what} | {imp.status} | | | |")
    what = f"`GET /api/export/entries.csv` of {exp.entries:,} entries"
    if exp.status == "ok" and exp.seconds:
        best = min(exp.seconds)
        verdict = "PASS" if best <= EXPORT_LIMIT_SECONDS else "FAIL"
        lines.append(f"| {what} | {exp.lines - 1:,} rows | {', '.join(f'{s * 1000:.0f}' for s in exp.seconds)} ms "
                     f"(best; **{verdict}** ≤ {EXPORT_LIMIT_SECONDS * 1000:.0f} ms) | {exp.bytes / 1e6:.1f} MB | "
                     f"peak {exp.server_peak_kb / 1024:.0f} MiB |")
    else:
        lines.append(f"| {what} | {exp.status} | | | |")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.transfer", description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--export-rows", type=int, default=25_000)
    parser.add_argument("--data-dir", default=None, help="where the Toggl files are cached (default: a temp dir)")
    parser.add_argument("--show-log", action="store_true", help="print the server log's tail at the end")
    args = parser.parse_args(argv)
    from benchmarks.dataset import prepare_empty_db

    with tempfile.TemporaryDirectory(prefix="momentum-bench-transfer-") as tmp:
        data_dir = Path(args.data_dir) if args.data_dir else Path(tmp)
        data_dir.mkdir(parents=True, exist_ok=True)
        db = prepare_empty_db(Path(tmp) / "run")
        with Server(db, Path(tmp) / "server.log") as server:
            try:
                run = asyncio.run(measure_transfer(server.base, server.pid, data_dir, args.rows, args.export_rows))
            finally:
                if args.show_log:
                    print(server.log_tail())
    for line in report_lines(run):
        print(line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
