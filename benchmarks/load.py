"""Latency and throughput of one route: the cases, an httpx runner and a minimal
keep-alive HTTP/1.1 load client.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import math
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import httpx

from benchmarks.dataset import CONCURRENCY, NOT_AVAILABLE
from benchmarks.server import cpu_seconds


@dataclass(frozen=True)
class Auth:
    headers: dict[str, str] = field(default_factory=dict)
    cookies: dict[str, str] = field(default_factory=dict)


@dataclass
class Case:
    key: str  # stable id, used by the acceptance checks
    route: str  # shown in the table
    user: str
    path: Callable[[int], str]  # the i-th request's path
    auth: Auth
    n: int
    bump: Callable[[], Awaitable[None]] | None = None
    bump_every: int = 0  # bump the user's data version before every k-th request (0: never)
    throughput: bool = True


@dataclass
class Result:
    case: Case
    status: str = "ok"
    samples: list[float] = field(default_factory=list)  # ms
    rps: float | None = None
    server_cpu_ms: float | None = None  # server CPU time per request, measured around each latency request
    server_util: float | None = None  # server CPU seconds per wall second (1.0 = one core busy)
    client_util: float | None = None
    detail: str | None = None  # the start of an error response

    def pct(self, p: float) -> float | None:
        """Nearest-rank percentile of the latency samples."""
        if not self.samples:
            return None
        ordered = sorted(self.samples)
        return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


class Unavailable(Exception):
    pass


class HttpError(Exception):
    def __init__(self, status: int, body: str) -> None:
        super().__init__(f"error (HTTP {status})")
        self.body = body


def check(response: httpx.Response) -> None:
    if response.status_code in NOT_AVAILABLE:
        raise Unavailable(f"not available (HTTP {response.status_code})")
    if response.status_code != 200:
        raise HttpError(response.status_code, response.text[:300])


@dataclass(frozen=True)
class Side:
    """One server and the case to measure on it."""

    base: str
    pid: int
    case: Case


async def run_case(base: str, pid: int, case: Case, throughput_seconds: float, budget: float, loader: str
                   ) -> Result:
    return (await run_sides([Side(base, pid, case)], throughput_seconds, budget, loader))[0]


async def run_sides(sides: list[Side], throughput_seconds: float, budget: float, loader: str) -> list[Result]:
    """Each side's latency samples taken in turns — request i on every side before request
    i + 1 on any — so that the machine's background load of any moment falls on every side
    alike (issue 8's regression check compares two servers this way, benchmarks/then.py);
    then each side's throughput run, one after the other."""
    results = [Result(side.case) for side in sides]
    live = list(range(len(sides)))
    try:
        async with contextlib.AsyncExitStack() as stack:
            clients = [await stack.enter_async_context(httpx.AsyncClient(
                base_url=side.base, headers=side.case.auth.headers, cookies=side.case.auth.cookies, timeout=60))
                for side in sides]
            for k in list(live):
                live = await _guard(results, live, k, _warm_up(clients[k], sides[k].case))
            started = time.perf_counter()
            cpu = [0.0] * len(sides)
            n = max((side.case.n for side in sides), default=0)
            for i in range(n):
                for k in list(live):
                    side = sides[k]
                    if i >= side.case.n:
                        continue
                    live = await _guard(results, live, k, _sample(clients[k], side, i, results[k], cpu, k))
                if time.perf_counter() - started > budget and all(len(results[k].samples) >= 20 for k in live):
                    break  # a slow route: fewer samples, the run stays bounded
            for k in live:
                # Clock ticks are sampled, so the sum over many requests is a fair estimate.
                results[k].server_cpu_ms = cpu[k] / len(results[k].samples) * 1000
    except Exception as exc:
        for k in live:
            results[k].status = f"error: {type(exc).__name__}: {exc}"[:200]
        return results
    for k in live:
        side = sides[k]
        if not side.case.throughput:
            continue
        try:
            load = await measure_throughput(side.base, side.pid, side.case, throughput_seconds, loader)
        except Exception as exc:
            results[k].status = f"error: {type(exc).__name__}: {exc}"[:200]
            continue
        results[k].rps, results[k].server_util, results[k].client_util = load.rps, load.server_util, load.client_util
    return results


async def _warm_up(client: httpx.AsyncClient, case: Case) -> None:
    for i in range(3):  # connection, server-side caches; warm cases fill their cache key
        check(await client.get(case.path(i)))


async def _sample(client: httpx.AsyncClient, side: Side, i: int, result: Result, cpu: list[float], k: int) -> None:
    case = side.case
    if case.bump and case.bump_every and i % case.bump_every == 0:
        await case.bump()  # a write through the API; its time is not counted
    cpu0 = cpu_seconds(side.pid) or 0.0
    t0 = time.perf_counter()
    response = await client.get(case.path(i))
    elapsed = time.perf_counter() - t0
    cpu[k] += (cpu_seconds(side.pid) or 0.0) - cpu0
    check(response)
    result.samples.append(elapsed * 1000)


async def _guard(results: list[Result], live: list[int], k: int, step: Awaitable[None]) -> list[int]:
    """Run one side's step; a side whose route is missing or failing stops (its status says
    why) while the others go on."""
    try:
        await step
    except Unavailable as exc:
        results[k].status = str(exc)
    except HttpError as exc:
        results[k].status, results[k].detail = str(exc), exc.body[:200]
    else:
        return live
    return [j for j in live if j != k]


class RawConnection:
    """A minimal HTTP/1.1 keep-alive client for the load runs.

    httpx costs about 1 ms of client CPU per request; on a small machine that caps the
    load generator below what the server can serve, and req/s would measure the client.
    This one parses just enough (status, Content-Length or chunked) to read each
    response whole, and costs a fraction of that.
    """

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def _connect(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        if self.reader is None or self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        return self.reader, self.writer

    async def request(self, raw: bytes) -> int:
        reader, writer = await self._connect()
        writer.write(raw)
        status = int((await reader.readline()).split()[1])
        length, chunked, close = 0, False, False
        while (line := await reader.readline()) not in (b"\r\n", b"\n", b""):
            name, _, value = line.partition(b":")
            name, value = name.strip().lower(), value.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"transfer-encoding":
                chunked = b"chunked" in value
            elif name == b"connection":
                close = value == b"close"
        if chunked:
            while size := int((await reader.readline()).split(b";")[0], 16):
                await reader.readexactly(size + 2)
            await reader.readline()
        elif length:
            await reader.readexactly(length)
        if close:
            await self.close()
        return status

    async def close(self) -> None:
        writer, self.reader, self.writer = self.writer, None, None
        if writer is not None:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()


def raw_request(base: str, path: str, auth: Auth) -> bytes:
    lines = [f"GET {path} HTTP/1.1", f"Host: {base.split('://', 1)[1]}", "Accept-Encoding: gzip"]
    lines += [f"{name}: {value}" for name, value in auth.headers.items()]
    if auth.cookies:
        lines.append("Cookie: " + "; ".join(f"{name}={value}" for name, value in auth.cookies.items()))
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


@dataclass
class Load:
    rps: float
    server_util: float | None
    client_util: float


async def measure_throughput(base: str, pid: int, case: Case, seconds: float, loader: str = "raw") -> Load:
    """Requests/s with CONCURRENCY keep-alive connections for `seconds` (raw client or httpx)."""
    host, _, port = base.split("://", 1)[1].partition(":")
    counter = itertools.count()
    done = 0
    failures: list[int] = []
    fixed = {case.path(0): raw_request(base, case.path(0), case.auth)}
    limits = httpx.Limits(max_connections=CONCURRENCY, max_keepalive_connections=CONCURRENCY)
    async with httpx.AsyncClient(base_url=base, headers=case.auth.headers, cookies=case.auth.cookies,
                                 limits=limits, timeout=60) as client:
        connections = [RawConnection(host, int(port)) for _ in range(CONCURRENCY)]

        async def send(conn: RawConnection, path: str) -> int:
            if loader == "httpx":
                return (await client.get(path)).status_code
            return await conn.request(fixed.get(path) or raw_request(base, path, case.auth))

        async def worker(conn: RawConnection, stop_at: float) -> None:
            nonlocal done
            while time.perf_counter() < stop_at:
                i = next(counter)
                if case.bump and case.bump_every and i % case.bump_every == 0:
                    await case.bump()
                status = await send(conn, case.path(i))
                if status == 200:
                    done += 1
                else:
                    failures.append(status)

        try:
            await asyncio.gather(*(send(conn, case.path(0)) for conn in connections))  # open the connections
            server0, client0, t0 = cpu_seconds(pid), time.process_time(), time.perf_counter()
            await asyncio.gather(*(worker(conn, t0 + seconds) for conn in connections))
            wall = time.perf_counter() - t0
            server1, client1 = cpu_seconds(pid), time.process_time()
        finally:
            for conn in connections:
                await conn.close()
    if failures:
        raise RuntimeError(f"{len(failures)} failed requests under load (HTTP {sorted(set(failures))})")
    server_util = (server1 - server0) / wall if server0 is not None and server1 is not None else None
    return Load(done / wall, server_util, (client1 - client0) / wall)


async def login(base: str, email: str, password: str) -> dict[str, str]:
    """The browser's way in: GET /login for the CSRF cookie, then POST the form."""
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        check(await client.get("/login"))
        csrf = client.cookies.get("momentum_csrf")
        if not csrf:
            raise RuntimeError("GET /login set no momentum_csrf cookie")
        form = {"email": email, "password": password, "_csrf_token": csrf, "next": "/"}
        response = await client.post("/login", data=form)
        if response.status_code not in {302, 303} or not client.cookies.get("momentum_session"):
            raise RuntimeError(f"login of {email} failed: HTTP {response.status_code}")
        return {name: value for name, value in client.cookies.items()}


def make_bump(api: httpx.AsyncClient) -> Callable[[], Awaitable[None]]:
    """PATCH /api/me with the unchanged setting: a write that bumps the user's data version."""
    hours: list[float] = []

    async def bump() -> None:
        if not hours:
            me = await api.get("/api/me")
            check(me)
            hours.append(float(me.json()["standard_hours_per_day"]))
        response = await api.patch("/api/me", json={"standard_hours_per_day": hours[0]})
        check(response)

    return bump


def _ms(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}"
