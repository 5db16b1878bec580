"""A small Prometheus text exporter: request counts and latency by route (CONTRACT
section 6; docs/setup.md, "Metrics").

Each process counts in memory. Under `momentum serve` (any number of workers) the serve
command gives every worker one directory, `MOMENTUM_METRICS_DIR`; each worker writes a
snapshot of its counters there as `<pid>.json` (half a second after a change at most,
and at once when it answers /metrics), and /metrics sums every snapshot in the
directory. So whichever worker answers, the figures are those of the whole instance,
and a worker that died keeps its counts in the sum. Every series carries the label
`instance` (`MOMENTUM_INSTANCE_NAME`, by default host:port), so the figures of several
instances behind one proxy can be told apart and summed by Prometheus.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
from collections import defaultdict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import msgspec
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from app.db.config import write_intent

log = logging.getLogger(__name__)

DIR_ENV = "MOMENTUM_METRICS_DIR"
FLUSH_SECONDS = 0.5
_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
_SAFE = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})


class Snapshot(msgspec.Struct, frozen=True):
    """One process's counters, as written to its file."""

    counts: list[tuple[str, str, int, int]] = []  # method, route, status, count
    hists: list[tuple[str, str, list[int], float]] = []  # method, route, buckets (+Inf last), sum


class Counters:
    """The counters of this process."""

    def __init__(self) -> None:
        self.counts: dict[tuple[str, str, int], int] = defaultdict(int)
        self.hist: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0] * (len(_BUCKETS) + 1))
        self.sums: dict[tuple[str, str], float] = defaultdict(float)
        self.dirty = False

    def record(self, method: str, route: str, status: int, elapsed: float) -> None:
        self.counts[(method, route, status)] += 1
        hist = self.hist[(method, route)]
        for i, bound in enumerate(_BUCKETS):
            if elapsed <= bound:
                hist[i] += 1
        hist[-1] += 1
        self.sums[(method, route)] += elapsed
        self.dirty = True

    def snapshot(self) -> Snapshot:
        return Snapshot(
            counts=[(m, r, s, n) for (m, r, s), n in self.counts.items()],
            hists=[(m, r, list(h), self.sums[(m, r)]) for (m, r), h in self.hist.items()],
        )


_local = Counters()
_encoder = msgspec.json.Encoder()
_decoder = msgspec.json.Decoder(Snapshot)


def metrics_dir() -> Path | None:
    value = os.environ.get(DIR_ENV, "").strip()
    return Path(value) if value else None


def flush(directory: Path | None = None) -> None:
    """Write this process's snapshot (atomically: readers never see half a file)."""
    directory = directory or metrics_dir()
    if directory is None or not _local.dirty:
        return
    _local.dirty = False
    target = directory / f"{os.getpid()}.json"
    temp = directory / f".{os.getpid()}.tmp"
    try:
        temp.write_bytes(_encoder.encode(_local.snapshot()))
        os.replace(temp, target)
    except OSError:
        _local.dirty = True
        log.warning("could not write the metrics snapshot to %s", directory, exc_info=True)


@asynccontextmanager
async def metrics_flusher(_app: Any) -> AsyncIterator[None]:
    """Lifespan: flush the snapshot every FLUSH_SECONDS while anything changed, and at exit."""
    directory = metrics_dir()
    if directory is None:
        yield
        return

    async def loop() -> None:
        while True:
            await asyncio.sleep(FLUSH_SECONDS)
            flush(directory)

    task = asyncio.create_task(loop())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        flush(directory)


def request_middleware(app: ASGIApp) -> ASGIApp:
    """Marks unsafe requests as writes (BEGIN IMMEDIATE on SQLite) and records metrics."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if str(scope["type"]) != "http":
            await app(scope, receive, send)
            return
        method = str(scope.get("method", "GET"))
        token = write_intent.set(method not in _SAFE)
        status = 500
        started = time.perf_counter()

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await app(scope, receive, send_wrapper)
        finally:
            write_intent.reset(token)
            _local.record(method, _route_of(scope), status, time.perf_counter() - started)

    return middleware


def _route_of(scope: Any) -> str:
    handler = scope.get("route_handler")
    paths = getattr(handler, "paths", None)
    if paths:
        return str(sorted(paths)[0])
    return "unmatched"


def collect() -> Counters:
    """Every worker's counters summed: the snapshots in the shared directory, or this
    process's own counters when there is none."""
    directory = metrics_dir()
    if directory is None:
        return _local
    flush(directory)
    total = Counters()
    for path in directory.glob("*.json"):
        try:
            snap = _decoder.decode(path.read_bytes())
        except (OSError, msgspec.DecodeError):
            continue  # a worker's file vanished or is being replaced: skip it this time
        for method, route, status, count in snap.counts:
            total.counts[(method, route, status)] += count
        for method, route, buckets, seconds in snap.hists:
            hist = total.hist[(method, route)]
            for i, value in enumerate(buckets[: len(hist)]):
                hist[i] += value
            total.sums[(method, route)] += seconds
    return total


def _label(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def render(instance: str) -> str:
    data = collect()
    inst = f'instance="{_label(instance)}"'
    lines = [
        "# HELP momentum_requests_total HTTP requests by method, route and status.",
        "# TYPE momentum_requests_total counter",
    ]
    for (method, route, status), count in sorted(data.counts.items()):
        labels = f'{inst},method="{_label(method)}",route="{_label(route)}",status="{status}"'
        lines.append(f"momentum_requests_total{{{labels}}} {count}")
    lines += [
        "# HELP momentum_request_duration_seconds HTTP request latency.",
        "# TYPE momentum_request_duration_seconds histogram",
    ]
    for (method, route), hist in sorted(data.hist.items()):
        labels = f'{inst},method="{_label(method)}",route="{_label(route)}"'
        for bound, count in zip(_BUCKETS, hist, strict=False):
            lines.append(f'momentum_request_duration_seconds_bucket{{{labels},le="{bound}"}} {count}')
        lines.append(f'momentum_request_duration_seconds_bucket{{{labels},le="+Inf"}} {hist[-1]}')
        lines.append(f"momentum_request_duration_seconds_sum{{{labels}}} {data.sums[(method, route)]:.6f}")
        lines.append(f"momentum_request_duration_seconds_count{{{labels}}} {hist[-1]}")
    return "\n".join(lines) + "\n"
