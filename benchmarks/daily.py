"""The routes of this round's daily-use and planning issues, for user B (10 years):

- `GET /api/palette?q=<a few letters>` (issue 9: under 50 ms p95), queries cycled, with
  unchanged data and with a write before each call;
- `GET /api/notifications` (issue 8 section 8's bell), repeated;
- `GET /api/projects/{id}/forecast` (issue 11: within 5 ms p95 *server time*) for a
  total and a monthly budget, warm and cold. Server time is the app's own: the request
  histogram of `/metrics` (the ASGI middleware's clock, from the request's arrival to its
  last byte), read before and after each case; its 5 ms bucket says which share of the
  calls took at most 5 ms.

A route that answers 404/405/501 is reported "not available" (built by another issue).
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import httpx

from benchmarks.load import Auth, Case, Result

PALETTE_QUERIES = ("st", "pro", "rev", "de", "mee", "exp", "go", "wri")
PALETTE_LIMIT_MS = 50.0
FORECAST_LIMIT_MS = 5.0
_BUCKET = re.compile(r'^momentum_request_duration_seconds_(bucket|sum|count)\{(.*)\} (\S+)$')


def daily_cases(label: str, auth: Auth, bump: Callable[[], Awaitable[None]], forecast: tuple[int, int] | None,
                n: int) -> list[Case]:
    palette = "/api/palette"
    cases = [
        Case("palette-b", f"GET {palette}?q=<2–3 letters> ({len(PALETTE_QUERIES)} queries cycled)", label,
             lambda i: f"{palette}?q={PALETTE_QUERIES[i % len(PALETTE_QUERIES)]}", auth, n, throughput=False),
        Case("palette-cold-b", f"GET {palette}?q=<2–3 letters> — cold (write before each call)", label,
             lambda i: f"{palette}?q={PALETTE_QUERIES[i % len(PALETTE_QUERIES)]}", auth, n, bump, 1,
             throughput=False),
        Case("notifications-b", "GET /api/notifications", label, lambda _i: "/api/notifications", auth, n,
             throughput=False),
    ]
    if forecast is not None:
        for key, project_id in zip(("total", "monthly"), forecast, strict=True):
            path = f"/api/projects/{project_id}/forecast"
            cases += [
                Case(f"forecast-warm-{key}", f"GET /api/projects/{{id}}/forecast ({key} budget) — warm", label,
                     lambda _i, p=path: p, auth, n, throughput=False),
                Case(f"forecast-cold-{key}",
                     f"GET /api/projects/{{id}}/forecast ({key} budget) — cold (write before each call)", label,
                     lambda _i, p=path: p, auth, n, bump, 1, throughput=False),
            ]
    return cases


def is_daily(key: str) -> bool:
    return key.startswith(("palette-", "notifications-", "forecast-"))


@dataclass
class ServerTime:
    """A route's server-side latency over one case, from the /metrics histogram's deltas."""

    count: int
    mean_ms: float
    within: dict[float, int]  # bucket bound in ms -> calls at most that long

    def share(self, bound_ms: float) -> float | None:
        return self.within[bound_ms] / self.count if self.count and bound_ms in self.within else None

    def p95_bound(self) -> float | None:
        """The smallest bucket bound that holds 95 % of the calls (p95 ≤ this)."""
        for bound in sorted(self.within):
            if self.count and self.within[bound] >= 0.95 * self.count:
                return bound
        return None


Histogram = dict[str, tuple[dict[float, int], float, int]]  # route -> (le ms -> n, sum s, count)


async def read_histograms(base: str) -> Histogram:
    """GET /metrics (allowed from loopback): every GET route's latency histogram."""
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        response = await client.get("/metrics")
    out: Histogram = {}
    if response.status_code != 200:
        return out
    for line in response.text.splitlines():
        match = _BUCKET.match(line)
        if not match:
            continue
        kind, labels, value = match.groups()
        fields = dict(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', labels))
        if fields.get("method") != "GET":
            continue
        buckets, total, count = out.get(fields.get("route", ""), ({}, 0.0, 0))
        if kind == "bucket" and fields.get("le") != "+Inf":
            buckets[float(fields["le"]) * 1000] = int(float(value))
        elif kind == "sum":
            total = float(value)
        elif kind == "count":
            count = int(float(value))
        out[fields.get("route", "")] = (buckets, total, count)
    return out


def server_time(before: Histogram, after: Histogram, route_part: str) -> ServerTime | None:
    """The delta of the histogram of the route whose template contains `route_part`."""
    route = next((r for r in after if route_part in r), None)
    if route is None:
        return None
    b_buckets, b_sum, b_count = before.get(route, ({}, 0.0, 0))
    a_buckets, a_sum, a_count = after[route]
    count = a_count - b_count
    if count <= 0:
        return None
    within = {le: n - b_buckets.get(le, 0) for le, n in a_buckets.items()}
    return ServerTime(count, (a_sum - b_sum) / count * 1000, within)


def palette_check(results: list[Result]) -> tuple[str, str, str]:
    name = f"command palette p95 < {PALETTE_LIMIT_MS:g} ms for the 10-year user (issue 9)"
    measured = [r for r in results if r.case.key in {"palette-b", "palette-cold-b"}]
    if not measured or any(r.status != "ok" for r in measured):
        status = next((r.status for r in measured if r.status != "ok"), "not measured")
        return name, "NOT AVAILABLE" if "not available" in status else "FAIL", status
    worst = max(measured, key=lambda r: r.pct(95) or 0.0)
    p95 = worst.pct(95) or 0.0
    numbers = "; ".join(f"{'cold' if 'cold' in r.case.key else 'repeated'}: p95 {r.pct(95):.2f} ms "
                        f"(p50 {r.pct(50):.2f}, n {len(r.samples)})" for r in measured)
    return name, "PASS" if p95 < PALETTE_LIMIT_MS else "FAIL", numbers


def forecast_check(results: list[Result], times: dict[str, ServerTime]) -> tuple[str, str, str]:
    name = f"forecast p95 ≤ {FORECAST_LIMIT_MS:g} ms server time for the 10-year user (issue 11)"
    measured = [r for r in results if r.case.key.startswith("forecast-")]
    if not measured:
        return name, "NOT MEASURED", "no budget project in the dataset"
    if any(r.status != "ok" for r in measured):
        status = next(r.status for r in measured if r.status != "ok")
        return name, "NOT AVAILABLE" if "not available" in status else "FAIL", status
    parts, ok = [], True
    for r in measured:
        t = times.get(r.case.key)
        share = t.share(FORECAST_LIMIT_MS) if t else None
        if t is None or share is None:
            ok = False
            parts.append(f"{r.case.key}: no server histogram")
            continue
        ok = ok and share >= 0.95
        parts.append(f"{r.case.key.removeprefix('forecast-')}: {share:.0%} of {t.count} calls ≤ "
                     f"{FORECAST_LIMIT_MS:g} ms (mean {t.mean_ms:.2f} ms; client p95 {r.pct(95):.2f} ms)")
    return name, "PASS" if ok else "FAIL", "; ".join(parts)
