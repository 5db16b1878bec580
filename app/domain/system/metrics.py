"""A small in-process Prometheus text exporter: request counts and latency by route."""

from __future__ import annotations

import time
from collections import defaultdict
from typing import Any

from litestar.types import ASGIApp, Message, Receive, Scope, Send

from app.db.config import write_intent

_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
_counts: dict[tuple[str, str, int], int] = defaultdict(int)
_hist: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0] * (len(_BUCKETS) + 1))
_sums: dict[tuple[str, str], float] = defaultdict(float)
_SAFE = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})


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
            route = _route_of(scope)
            elapsed = time.perf_counter() - started
            _counts[(method, route, status)] += 1
            hist = _hist[(method, route)]
            for i, bound in enumerate(_BUCKETS):
                if elapsed <= bound:
                    hist[i] += 1
            hist[-1] += 1
            _sums[(method, route)] += elapsed

    return middleware


def _route_of(scope: Any) -> str:
    handler = scope.get("route_handler")
    paths = getattr(handler, "paths", None)
    if paths:
        return str(sorted(paths)[0])
    return "unmatched"


def render() -> str:
    lines = [
        "# HELP momentum_requests_total HTTP requests by method, route and status.",
        "# TYPE momentum_requests_total counter",
    ]
    for (method, route, status), count in sorted(_counts.items()):
        lines.append(f'momentum_requests_total{{method="{method}",route="{route}",status="{status}"}} {count}')
    lines += [
        "# HELP momentum_request_duration_seconds HTTP request latency.",
        "# TYPE momentum_request_duration_seconds histogram",
    ]
    for (method, route), hist in sorted(_hist.items()):
        labels = f'method="{method}",route="{route}"'
        for bound, count in zip(_BUCKETS, hist, strict=False):
            lines.append(f'momentum_request_duration_seconds_bucket{{{labels},le="{bound}"}} {count}')
        lines.append(f'momentum_request_duration_seconds_bucket{{{labels},le="+Inf"}} {hist[-1]}')
        lines.append(f"momentum_request_duration_seconds_sum{{{labels}}} {_sums[(method, route)]:.6f}")
        lines.append(f"momentum_request_duration_seconds_count{{{labels}}} {hist[-1]}")
    return "\n".join(lines) + "\n"
