"""The benchmark command (issue 3 item 6): `python -m app.bench [--quick] [--out PATH]`, or `make bench`.

1. Builds (or reuses, from ./bench-data/) a SQLite database migrated to head with user A
   (1 year of demo history), user B (10 years, ~25,000 entries, 10 goals) and 200 other
   users with 1 year each, every entry of every user in the same tables, inserted in
   time order across users as a live server would have written them. Each user has an
   API token; the raw tokens and the dataset's sizes sit in a JSON file next to the DB.
2. Copies it to a scratch file (the run writes: sessions, settings, an import) and
   starts a real `momentum serve` process on a free port of 127.0.0.1.
3. Measures over HTTP: latency at concurrency 1 with httpx (p50/p95/p99, and the server's
   CPU time per request from /proc) and throughput with 8 keep-alive connections (a
   minimal asyncio HTTP/1.1 client, or httpx with `--load-client httpx`), for the floor
   route, the stats API warm and cold, the page, each fragment and the sessions API; the
   CSV export (time, server peak RSS); and `momentum import` of 100,000 Toggl rows (time,
   peak RSS) after the server stopped.
4. Writes docs/performance.md, with issue 3's two acceptance checks from this same run.

A route that answers 404/405/501 is reported "not available" instead of failing the run.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import csv
import heapq
import importlib.metadata
import itertools
import json
import math
import os
import platform
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, cast

import httpx

from app.domain.tracking.demo import DemoData, DemoEntry, generate_demo

ROOT = Path(__file__).resolve().parent.parent
# Bump when anything about the generated dataset changes: a cached one is then rebuilt.
BENCH_DATA_VERSION = "v1"
MAX_DATA_AGE_DAYS = 7  # older data has an empty recent past (the history ends on generation day)
PASSWORD = "bench-password-1"
ZONE = "Europe/Berlin"
OTHER_ZONES = ("Europe/Berlin", "America/New_York", "Asia/Kolkata", "UTC", "Australia/Sydney",
               "America/Los_Angeles", "Europe/London", "Asia/Tokyo")
IMPORT_EMAIL = "bench-import@momentum.local"
NOT_AVAILABLE = frozenset({404, 405, 501})
CONCURRENCY = 8
PERIODS_CYCLE = 90  # stats periods 1..90 are 90 distinct cache keys
COLD_P95_LIMIT_MS = 15.0
WARM_SHARE_LIMIT = 0.40


def say(message: str) -> None:
    print(f"[bench] {message}", flush=True)


# ====================================================================== dataset


@dataclass(frozen=True)
class UserSpec:
    key: str  # "a", "b" or "o017"
    email: str
    years: float
    seed: int
    zone: str


def user_specs(others: int) -> list[UserSpec]:
    specs = [
        UserSpec("a", "bench-a@momentum.local", 1, 101, ZONE),
        UserSpec("b", "bench-b@momentum.local", 10, 202, ZONE),
    ]
    specs += [
        UserSpec(f"o{i:03d}", f"bench-other-{i:03d}@momentum.local", 1, 1000 + i,
                 OTHER_ZONES[i % len(OTHER_ZONES)])
        for i in range(others)
    ]
    return specs


def db_url(path: Path) -> str:
    return f"sqlite+aiosqlite:///{path.resolve()}"


def remove_db(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def ensure_dataset(data_dir: Path, others: int, regenerate: bool) -> tuple[Path, dict[str, Any], bool]:
    """The cached database, its meta JSON and whether it was built now (missing, stale or another version)."""
    key = f"{BENCH_DATA_VERSION}-o{others}"
    db_path = data_dir / f"momentum-bench-{key}.db"
    meta_path = data_dir / f"momentum-bench-{key}.json"
    if not regenerate and db_path.exists() and meta_path.exists():
        meta: dict[str, Any] = json.loads(meta_path.read_text())
        age = (datetime.now(UTC).date() - date.fromisoformat(meta["generated_for"])).days
        if meta.get("version") == key and age <= MAX_DATA_AGE_DAYS:
            say(f"reusing {db_path} (generated {meta['generated_for']}, {meta['generation_seconds']:.0f} s)")
            return db_path, meta, False
        say(f"cached dataset is {age} days old or of another version: rebuilding")
    data_dir.mkdir(parents=True, exist_ok=True)
    meta_path.unlink(missing_ok=True)  # the meta file is written last: it marks a complete DB
    remove_db(db_path)
    say(f"generating the dataset into {db_path} (A: 1 y, B: 10 y, {others} others: 1 y each) ...")
    started = time.perf_counter()
    os.environ.update(MOMENTUM_ENV="development", MOMENTUM_DATABASE_URL=db_url(db_path),
                      MOMENTUM_CACHE_URL="mem://", MOMENTUM_TIMEZONE="UTC")
    from app.cli import _alembic
    from app.settings import Settings

    settings = Settings.from_env()
    _alembic(settings).upgrade("head")
    now = datetime.now(UTC).replace(microsecond=0)
    meta = asyncio.run(populate(settings, user_specs(others), now))
    with sqlite3.connect(db_path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        tables = [r[0] for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")]
        meta["tables"] = {t: conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}
    conn.close()
    meta.update(version=key, generated_for=now.date().isoformat(), generated_at=now.isoformat(),
                generation_seconds=time.perf_counter() - started, db_bytes=db_path.stat().st_size)
    meta_path.write_text(json.dumps(meta, indent=1))
    say(f"dataset generated in {meta['generation_seconds']:.1f} s "
        f"({meta['tables']['time_entries']:,} entries, {meta['db_bytes'] / 1e6:.0f} MB)")
    return db_path, meta, True


@dataclass
class _Loaded:
    spec: UserSpec
    user_id: int
    data: DemoData
    project_ids: dict[int, int]
    task_ids: dict[int, int]


def _tagged(loaded: _Loaded) -> Iterator[tuple[DemoEntry, _Loaded]]:
    for entry in loaded.data.entries:
        yield entry, loaded


async def populate(settings: Any, specs: list[UserSpec], now: datetime) -> dict[str, Any]:
    """Users, projects, tasks, tokens, entries (time-ordered across users), rollups, B's goals."""
    from sqlalchemy import Table, insert
    from sqlalchemy.ext.asyncio import async_sessionmaker

    from app.db.config import create_engine, writing
    from app.db.models import Project, Task, TimeEntry, User
    from app.domain.accounts import services as accounts
    from app.domain.tracking import rollups
    from app.lib.cache import setup_cache
    from app.lib.time import get_zone

    setup_cache(settings.cache_url)
    engine = create_engine(settings)
    # One argon2 hash for every bench user: 202 hashes would only cost generation time.
    password_hash = accounts.hash_password(PASSWORD)
    loaded: list[_Loaded] = []
    tokens: dict[str, str] = {}
    started = time.perf_counter()
    try:
        with writing():
            async with async_sessionmaker(engine, expire_on_commit=False)() as db:
                for spec in specs:
                    user = User(email=spec.email, password_hash=password_hash, timezone=spec.zone)
                    db.add(user)
                    await db.flush()
                    today = now.astimezone(get_zone(spec.zone)).date()
                    data = generate_demo(seed=spec.seed, years=spec.years, zone_name=spec.zone, today=today,
                                         now=now)
                    projects = [Project(user_id=user.id, name=p.name, color=p.color, billable=p.billable,
                                        archived=p.archived) for p in data.projects]
                    db.add_all(projects)
                    await db.flush()
                    project_ids = {p.key: row.id for p, row in zip(data.projects, projects, strict=True)}
                    tasks = [Task(user_id=user.id, project_id=project_ids[t.project_key], name=t.name,
                                  status=t.status, completed_at=t.completed_at) for t in data.tasks]
                    db.add_all(tasks)
                    await db.flush()
                    task_ids = {t.key: row.id for t, row in zip(data.tasks, tasks, strict=True)}
                    _, raw = await accounts.create_token(db, user.id, "bench")
                    tokens[spec.email] = raw
                    loaded.append(_Loaded(spec, user.id, data, project_ids, task_ids))
                total = sum(len(x.data.entries) for x in loaded)
                say(f"  {len(specs)} users, projects and tasks after {time.perf_counter() - started:.1f} s;"
                    f" inserting {total:,} entries ...")
                # Time order across users, as a live server writes them: a user's rows are
                # spread over the whole table, not stored next to each other.
                merged = heapq.merge(*(_tagged(x) for x in loaded), key=lambda pair: pair[0].start)
                while True:
                    chunk = list(itertools.islice(merged, 5000))
                    if not chunk:
                        break
                    # Core, not ORM, insert: one executemany per chunk instead of row-by-row.
                    await db.execute(insert(cast(Table, TimeEntry.__table__)), [
                        {
                            "user_id": owner.user_id,
                            "project_id": owner.project_ids[e.project_key] if e.project_key else None,
                            "task_id": owner.task_ids[e.task_key] if e.task_key else None,
                            "start_time": e.start, "end_time": e.end, "billable": e.billable,
                            "notes": e.notes, "outcome": e.outcome, "tags": list(e.tags),
                            "created_at": e.end, "updated_at": e.end,
                        }
                        for e, owner in chunk
                    ])
                say(f"  entries inserted after {time.perf_counter() - started:.1f} s; rebuilding rollups ...")
                for x in loaded:
                    await rollups.rebuild_all(db, x.user_id, x.spec.zone)
                goals = await add_goals(db, loaded[1], now)
                await db.commit()
    finally:
        await engine.dispose()

    def describe(x: _Loaded) -> dict[str, Any]:
        entries = x.data.entries
        return {"email": x.spec.email, "id": x.user_id, "zone": x.spec.zone, "years": x.spec.years,
                "entries": len(entries), "projects": len(x.data.projects), "tasks": len(x.data.tasks),
                "first": entries[0].start.isoformat() if entries else None}

    other_counts = [len(x.data.entries) for x in loaded[2:]]
    return {
        "password": PASSWORD,
        "users": {"a": describe(loaded[0]), "b": describe(loaded[1]) | {"goals": goals}},
        "others": {"users": len(other_counts), "entries": sum(other_counts),
                   "min": min(other_counts, default=0), "max": max(other_counts, default=0)},
        "tokens": tokens,
    }


async def add_goals(db: Any, owner: _Loaded, now: datetime) -> int:
    """10 goals for user B, through the ORM (the goals API may not exist yet).

    Each target applies from the start of the period holding the first day of B's
    history; one goal's target was raised two years ago (a target history).
    """
    from app.db.models import Goal, GoalTarget
    from app.domain.goals.compute import period_bounds
    from app.lib.time import get_zone

    zone = get_zone(owner.spec.zone)
    first_day = owner.data.entries[0].start.astimezone(zone).date()
    today = now.astimezone(zone).date()
    client = next(p for p in owner.data.projects if p.billable and not p.archived)
    plans: list[tuple[str, str, str, str, list[float], int | None]] = [
        ("Six hours a day", "hours", "daily", "at_least", [6], None),
        ("No more than nine hours a day", "hours", "daily", "at_most", [9], None),
        ("Two deep sessions a day", "deep_sessions", "daily", "at_least", [2], None),
        ("32 hours a week", "hours", "weekly", "at_least", [32], None),
        ("At most 45 hours a week", "hours", "weekly", "at_most", [45], None),
        ("Mostly billable", "billable_percent", "weekly", "at_least", [60], None),
        ("Ten deep sessions a week", "deep_sessions", "weekly", "at_least", [10], None),
        ("Close three tasks a month", "tasks_completed", "monthly", "at_least", [3], None),
        ("A full month", "hours", "monthly", "at_least", [120, 140], None),
        (f"{client.name}: 20 hours a month", "hours", "monthly", "at_least", [20],
         owner.project_ids[client.key]),
    ]
    for name, metric, period, direction, targets, project_id in plans:
        goal = Goal(user_id=owner.user_id, name=name, metric=metric, period=period, direction=direction,
                    project_id=project_id)
        db.add(goal)
        await db.flush()
        starts = [period_bounds(period, first_day)[0], period_bounds(period, today - timedelta(days=730))[0]]
        for effective_from, target in zip(starts, targets, strict=False):
            db.add(GoalTarget(goal_id=goal.id, effective_from=effective_from, target=target))
    await db.flush()
    return len(plans)


def prepare_run_copy(db_path: Path, run_dir: Path) -> Path:
    """A scratch copy for this run: the run logs in, edits settings and imports."""
    run_dir.mkdir(parents=True, exist_ok=True)
    target = run_dir / "momentum.db"
    remove_db(target)
    shutil.copyfile(db_path, target)
    # A cached dataset may predate the newest migration: bring the copy to head.
    from app.cli import _alembic
    from app.settings import Settings

    _alembic(
        Settings(database_url=db_url(target), cache_url="mem://", secret_key="bench-secret-key-0123456789",
                 timezone="UTC", allow_signup=True, env="development")
    ).upgrade("head")
    return target


def toggl_file(data_dir: Path, rows: int) -> Path:
    """`rows` Toggl detailed-CSV rows of one person's demo history (local times in ZONE), cached."""
    path = data_dir / f"toggl-{rows}-{BENCH_DATA_VERSION}.csv"
    if path.exists():
        return path
    now = datetime.now(UTC).replace(microsecond=0)
    from app.lib.time import get_zone

    zone = get_zone(ZONE)
    data = generate_demo(seed=4242, years=rows / 2400 + 1, zone_name=ZONE, today=now.astimezone(zone).date(),
                         now=now)
    projects = {p.key: p for p in data.projects}
    tasks = {t.key: t.name for t in data.tasks}
    tmp = path.with_suffix(".partial")
    with tmp.open("w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh)
        out.writerow(["User", "Email", "Client", "Project", "Task", "Description", "Billable", "Start date",
                      "Start time", "End date", "End time", "Duration", "Tags", "Amount (EUR)"])
        for e in data.entries[-rows:]:
            start, end = e.start.astimezone(zone), e.end.astimezone(zone)
            seconds = int((e.end - e.start).total_seconds())
            project = projects.get(e.project_key) if e.project_key else None
            out.writerow([
                "Bench Person", "bench@example.com", "Acme Corp" if project and project.billable else "",
                project.name if project else "", tasks.get(e.task_key, "") if e.task_key else "", e.notes,
                "Yes" if e.billable else "No", start.date().isoformat(), start.strftime("%H:%M:%S"),
                end.date().isoformat(), end.strftime("%H:%M:%S"),
                f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}", ", ".join(e.tags),
                "25.00" if e.billable else "0.00",
            ])
    tmp.rename(path)
    return path


# ====================================================================== the server


def momentum_bin() -> str:
    candidate = Path(sys.executable).parent / "momentum"
    return str(candidate) if candidate.exists() else (shutil.which("momentum") or "momentum")


def server_env(db_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MOMENTUM_")}
    env.update(MOMENTUM_ENV="development", MOMENTUM_DATABASE_URL=db_url(db_path), MOMENTUM_CACHE_URL="mem://",
               MOMENTUM_TIMEZONE="UTC")
    return env


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    """`momentum serve --quiet` on a free port; stopped on exit from the `with` block, always."""

    def __init__(self, db_path: Path, log_path: Path) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        self.env = server_env(db_path)
        self.proc: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Server:
        with self.log_path.open("wb") as log:
            self.proc = subprocess.Popen(
                [momentum_bin(), "serve", "--host", "127.0.0.1", "--port", str(self.port), "--quiet"],
                env=self.env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            )
        try:
            self._wait_ready(60.0)
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.proc is not None
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}:\n{self.log_tail()}")
            try:
                if httpx.get(f"{self.base}/healthz", timeout=1.0).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"server not ready after {timeout:.0f} s:\n{self.log_tail()}")

    def log_tail(self) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-30:])
        except OSError:
            return ""

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(signal.SIGINT)  # uvicorn's graceful shutdown
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


def proc_status(pid: int) -> dict[str, int]:
    """VmRSS / VmHWM of a process in kB (Linux /proc)."""
    values: dict[str, int] = {}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            name, _, rest = line.partition(":")
            if name in {"VmRSS", "VmHWM"}:
                values[name] = int(rest.split()[0])
    except OSError:
        pass
    return values


def reset_peak_rss(pid: int) -> bool:
    """Reset VmHWM to the current RSS (Linux: write 5 to clear_refs); False when not allowed."""
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def cpu_seconds(pid: int) -> float | None:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


# ====================================================================== measuring


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


async def run_case(base: str, pid: int, case: Case, throughput_seconds: float, budget: float, loader: str
                   ) -> Result:
    result = Result(case)
    try:
        async with httpx.AsyncClient(base_url=base, headers=case.auth.headers, cookies=case.auth.cookies,
                                     timeout=60) as client:
            for i in range(3):  # connection, server-side caches; warm cases fill their cache key
                check(await client.get(case.path(i)))
            started = time.perf_counter()
            server_cpu = 0.0
            for i in range(case.n):
                if case.bump and case.bump_every and i % case.bump_every == 0:
                    await case.bump()  # a write through the API; its time is not counted
                cpu0 = cpu_seconds(pid) or 0.0
                t0 = time.perf_counter()
                response = await client.get(case.path(i))
                elapsed = time.perf_counter() - t0
                server_cpu += (cpu_seconds(pid) or 0.0) - cpu0
                check(response)
                result.samples.append(elapsed * 1000)
                if time.perf_counter() - started > budget and len(result.samples) >= 20:
                    break  # a slow route: fewer samples, the run stays bounded
            # Clock ticks are sampled, so the sum over many requests is a fair estimate.
            result.server_cpu_ms = server_cpu / len(result.samples) * 1000
        if case.throughput:
            load = await measure_throughput(base, pid, case, throughput_seconds, loader)
            result.rps, result.server_util, result.client_util = load.rps, load.server_util, load.client_util
    except Unavailable as exc:
        result.status = str(exc)
    except HttpError as exc:
        result.status, result.detail = str(exc), exc.body[:200]
    except Exception as exc:
        result.status = f"error: {type(exc).__name__}: {exc}"[:200]
    return result


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


async def paired_throughput(base: str, pid: int, cases: list[Case], rounds: int, loader: str
                            ) -> dict[str, list[float]]:
    """req/s of `cases` in alternating 1-second runs, so a change in background load hits all alike."""
    rates: dict[str, list[float]] = {case.key: [] for case in cases}
    for _ in range(rounds):
        for case in cases:
            rates[case.key].append((await measure_throughput(base, pid, case, 1.0, loader)).rps)
    return rates


async def measure_http(base: str, pid: int, meta: dict[str, Any], quick: bool, loader: str) -> HttpRun:
    load_before = load_average()
    users = meta["users"]
    tokens = {k: meta["tokens"][users[k]["email"]] for k in ("a", "b")}
    bearer = {k: Auth(headers={"Authorization": f"Bearer {tokens[k]}"}) for k in ("a", "b")}
    cookie = {k: Auth(cookies=await login(base, users[k]["email"], meta["password"])) for k in ("a", "b")}
    label = {"a": f"A ({users['a']['entries']:,} entries)", "b": f"B ({users['b']['entries']:,} entries)"}
    fast, cold, slow = (60, 40, 30) if quick else (300, 150, 100)
    seconds, budget = (1.0, 5.0) if quick else (3.0, 20.0)

    def fixed(path: str) -> Callable[[int], str]:
        return lambda _i: path

    def cycled(path: str) -> Callable[[int], str]:
        return lambda i: f"{path}?period={i % PERIODS_CYCLE + 1}"

    stats, page, sessions = "/api/productivity/stats", "/dashboard/productivity", "/api/insights/sessions"
    cold_label = "cold (write before each call)"
    cases = [Case("floor", "GET /healthz (floor)", "—", fixed("/healthz"), Auth(), fast)]
    async with httpx.AsyncClient(base_url=base, headers=bearer["a"].headers, timeout=60) as api_a, \
            httpx.AsyncClient(base_url=base, headers=bearer["b"].headers, timeout=60) as api_b:
        bump = {"a": make_bump(api_a), "b": make_bump(api_b)}
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
        results: list[Result] = []
        for case in cases:
            result = await run_case(base, pid, case, seconds, budget, loader)
            results.append(result)
            summary = result.status
            if result.status == "ok":
                summary = f"p50 {_ms(result.pct(50))} ms, p95 {_ms(result.pct(95))} ms"
                summary += f", {result.rps:.0f} req/s" if result.rps else ""
            elif isinstance(result.detail, str):
                summary += f": {result.detail}"
            say(f"  {case.route} [{case.user}]: {summary}")
    exports = [await measure_export(base, pid, label[k], bearer[k], 1 if quick else 3) for k in ("b", "a")]
    for e in exports:
        say(f"  export [{e.user}]: " + (f"{min(r.seconds for r in e.runs):.2f} s" if e.runs else e.status))
    paired: dict[str, list[float]] = {}
    pair = [c for c in cases if c.key in {"floor", "warm-b"}]
    if all(r.status == "ok" for r in results if r.case in pair):
        say("  floor and warm stats (B) in alternating 1 s load runs ...")
        paired = await paired_throughput(base, pid, pair, 2 if quick else 5, loader)
    return HttpRun(results, exports, proc_status(pid), load_before, load_average(), paired, loader)


# ====================================================================== the import


@dataclass
class ImportResult:
    rows: int
    status: str = "ok"
    seconds: float = 0.0
    max_rss_kb: int = 0
    output: str = ""
    imported: int = 0


def run_import(db_path: Path, csv_path: Path, rows: int, timeout: float) -> ImportResult:
    """`momentum users create` + `momentum import FILE --user E --format toggl`, timed, with its peak RSS."""
    result = ImportResult(rows)
    env = server_env(db_path)
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
    with sqlite3.connect(f"file:{db_path}?mode=ro", uri=True) as conn:
        result.imported = conn.execute(
            "SELECT count(*) FROM time_entries JOIN users ON users.id = time_entries.user_id "
            "WHERE users.email = ?",
            (IMPORT_EMAIL,)).fetchone()[0]
    conn.close()
    if result.status == "ok" and proc.returncode != 0:
        last = result.output.splitlines()[-1] if result.output else ""
        result.status = f"failed (exit {proc.returncode}): {last[:200]}"
    return result


# ====================================================================== the report


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
    packages = ("litestar", "advanced-alchemy", "sqlalchemy", "aiosqlite", "msgspec", "cashews", "uvicorn",
                "httpx")
    for package in packages:
        with contextlib.suppress(importlib.metadata.PackageNotFoundError):
            versions.append(f"{package} {importlib.metadata.version(package)}")
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                                text=True, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT,
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


def _ms(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}"


def _find(results: list[Result], key: str) -> Result | None:
    return next((r for r in results if r.case.key == key), None)


def acceptance(run: HttpRun) -> list[tuple[str, str, str]]:
    """Issue 3's two speed checks, from this run: (check, verdict, numbers)."""
    checks: list[tuple[str, str, str]] = []
    name = f"cold stats p95 ≤ {COLD_P95_LIMIT_MS:g} ms for the 10-year user"
    cold, cycle = _find(run.results, "cold-b"), _find(run.results, "cycle-b")
    p95 = cold.pct(95) if cold and cold.status == "ok" else None
    if cold and p95 is not None:
        numbers = (f"p95 {p95:.2f} ms (p50 {_ms(cold.pct(50))}) over {len(cold.samples)} cold calls of "
                   f"period=30; server CPU {_ms(cold.server_cpu_ms)} ms per call")
        if cycle and cycle.samples:
            numbers += f"; periods 1..{PERIODS_CYCLE} cycled: p95 {_ms(cycle.pct(95))} ms"
        checks.append((name, "PASS" if p95 <= COLD_P95_LIMIT_MS else "FAIL", numbers))
    else:
        checks.append((name, "FAIL", f"not measured: {cold.status if cold else 'missing'}"))
    name = f"warm stats throughput ≥ {WARM_SHARE_LIMIT:.0%} of the trivial route's"
    warm, floor = _find(run.results, "warm-b"), _find(run.results, "floor")
    rounds_warm, rounds_floor = run.paired.get("warm-b", []), run.paired.get("floor", [])
    if rounds_warm and rounds_floor:
        share = statistics.median(rounds_warm) / statistics.median(rounds_floor)
        per_round = [w / f for w, f in zip(rounds_warm, rounds_floor, strict=True) if f]
        numbers = (f"median {statistics.median(rounds_warm):.0f} req/s vs /healthz "
                   f"{statistics.median(rounds_floor):.0f} req/s = {share:.0%} ({len(per_round)} alternating "
                   f"1 s rounds, {min(per_round):.0%}–{max(per_round):.0%})")
        if warm and floor and warm.server_cpu_ms and floor.server_cpu_ms:
            numbers += (f"; server CPU per request {floor.server_cpu_ms:.2f} vs {warm.server_cpu_ms:.2f} ms = "
                        f"{floor.server_cpu_ms / warm.server_cpu_ms:.0%}")
        checks.append((name, "PASS" if share >= WARM_SHARE_LIMIT else "FAIL", numbers))
    else:
        checks.append((name, "FAIL", "not measured"))
    return checks


def render(*, meta: dict[str, Any], info: dict[str, str], run: HttpRun, imp: ImportResult, quick: bool,
           started: datetime, total_seconds: float, generated_now: bool) -> str:
    results, users, others = run.results, meta["users"], meta["others"]
    lines = [
        "# Performance",
        "",
        "Written by `make bench` (`python -m app.bench`); do not edit by hand, re-run it.",
        ("**Quick run** (`--quick`: fewer samples, 1 s load runs, a smaller import). " if quick else "")
        + f"Run on {started:%Y-%m-%d %H:%M} UTC, {total_seconds:.0f} s in all.",
        "",
        "## Acceptance checks (issue 3), from this run",
        "",
        "| check | result | measured |",
        "|---|---|---|",
    ]
    lines += [f"| {name} | **{verdict}** | {numbers} |" for name, verdict, numbers in acceptance(run)]
    lines += [
        "",
        "User B has 10 goals (daily, weekly and monthly; hours, deep sessions, tasks completed, billable "
        "share; at least and at most; one project goal; one target raised two years ago), so B's stats "
        "include goal progress (issue 4).",
        "",
        "## Machine",
        "",
        f"- CPUs (nproc): {info['nproc']}, {info['cpu']}; memory {info['memory']}",
        f"- {info['os']}; Python {info['python']}; SQLite {info['sqlite']}",
        f"- {info['packages']}",
        f"- code: {info['commit']}",
        "- server: one `momentum serve --quiet` process (uvicorn, 1 worker), `MOMENTUM_ENV=development`, "
        "SQLite file database (WAL), `MOMENTUM_CACHE_URL=mem://`.",
        f"- the load generator runs on the same machine and shares its CPUs; load average (1/5/15 min) "
        f"{run.load_before} before the HTTP measurements, {run.load_after} after. A load above the CPU count "
        "means other processes competed for the CPUs and wall-clock figures are inflated; the server CPU "
        "column is less sensitive to that.",
        "",
        "## Dataset",
        "",
        f"One SQLite database (schema at Alembic head, {meta['db_bytes'] / 1e6:.0f} MB) generated with the "
        f"demo generator (`app/domain/tracking/demo.py`), one seed per user, every history ending on "
        f"{meta['generated_for']}. Generation took {meta['generation_seconds']:.1f} s "
        + ("(this run)" if generated_now else "(cached in ./bench-data/ by an earlier run)")
        + f"; cache key `{meta['version']}`, rebuilt when older than {MAX_DATA_AGE_DAYS} days.",
        "",
        "| user | history | entries | projects | tasks |",
        "|---|---|---|---|---|",
    ]
    for key, name, span in (("a", "A", "1 year"), ("b", "B", "10 years")):
        u = users[key]
        lines.append(f"| {name} ({u['zone']}) | {span} | {u['entries']:,} | {u['projects']} | {u['tasks']} |")
    lines += [
        f"| {others['users']} other users ({len(OTHER_ZONES)} zones) | 1 year each | {others['entries']:,} "
        f"({others['min']:,}–{others['max']:,} each) | | |",
        "",
        "Every user's entries are in the same tables, inserted in time order across users (as a live "
        "server writes them, so one user's rows are spread over the table), then the `day_totals` rollup "
        "was rebuilt per user. Rows per table: "
        + ", ".join(f"{name} {n:,}" for name, n in meta["tables"].items() if not name.startswith("alembic"))
        + ".",
        "",
        "## Requests",
        "",
        "| route | user | p50 ms | p95 ms | p99 ms | req/s | n | server CPU ms/req | server / client CPU |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        if r.status != "ok":
            lines.append(f"| {r.case.route} | {r.case.user} | {r.status} | | | | | | |")
            continue
        rps = f"{r.rps:.0f}" if r.rps else "—"
        util = "—"
        if r.server_util is not None and r.client_util is not None:
            util = f"{r.server_util:.0%} / {r.client_util:.0%}"
        lines.append(f"| {r.case.route} | {r.case.user} | {_ms(r.pct(50))} | {_ms(r.pct(95))} | "
                     f"{_ms(r.pct(99))} | {rps} | {len(r.samples)} | {_ms(r.server_cpu_ms)} | {util} |")
    floor = _find(results, "floor")
    if floor and floor.rps:
        lines += ["", f"The floor: `GET /healthz` takes {_ms(floor.pct(50))} ms at p50 "
                  f"and serves {floor.rps:.0f} req/s; everything above it is authentication, the cache, the "
                  "database, computing and rendering."]
    lines += [
        "",
        "What each figure means:",
        "",
        "- **p50 / p95 / p99**: latency of one request at a time (concurrency 1, one keep-alive "
        "connection), from sending the request to having read the whole body, over `n` requests after 3 "
        "unmeasured warm-up requests; nearest-rank percentiles. A slow route stops sampling after a time "
        "budget (`n` says how many were taken).",
        "- **server CPU ms/req**: CPU time (user + system, all threads, from `/proc/<pid>/stat`) that the "
        "server process spent during those same requests, averaged; the cost of a request without the "
        "waiting.",
        f"- **req/s**: completed requests per second with {CONCURRENCY} concurrent keep-alive connections "
        f"for {'1 s' if quick else '3 s'}, sent by "
        + ("httpx.AsyncClient (`--load-client httpx`). " if run.loader == "httpx" else
           "a minimal asyncio HTTP/1.1 client in the bench (`--load-client httpx` uses httpx.AsyncClient "
           "instead: it costs about 1 ms of client CPU per request, which on a small machine caps the load "
           "below the server's capacity and flatters slow routes against the floor). ")
        + "**server / client CPU**: CPU seconds per wall second of the server and of the load generator "
        "during that run (100 % = one core; the server answers on one event loop, so about 100 % is its "
        "ceiling). Where the client is near 100 %, or the two together fill the machine, req/s measures "
        "the client as much as the server.",
        "- **the throughput check** compares `/healthz` and B's warm stats in alternating 1-second load "
        "runs (so a change in background load hits both alike) and uses the medians; the ratio of their "
        "server CPU per request is shown next to it, as the share a server-bound load would reach.",
        "- **warm**: the same cache key again (per user, data version, period and local date): the payload "
        "comes from the cache as bytes.",
        "- **cold (write before each call)**: before each measured call, `PATCH /api/me` with the unchanged "
        "`standard_hours_per_day`, a write that replaces the user's data version (and rewrites the "
        "cached user); the PATCH itself is not timed. This is the first call after an edit.",
        f"- **cold (distinct keys)**: `period` cycles through 1..{PERIODS_CYCLE}, {PERIODS_CYCLE} separate "
        "cache keys, with the same version bump before each cycle. Under load a request can race a bump and "
        "hit a key just computed, so its req/s is slightly optimistic. Periods above 30 cost more.",
        "- **page** and **fragments**: authenticated with the session cookie from `POST /login` (CSRF cookie "
        "from `GET /login`), as a browser; the page renders the stats and the session insights. Responses "
        "are gzip-compressed as for a browser (httpx sends `Accept-Encoding: gzip`).",
        "- a route that answers 404/405/501 is *not available* (not built yet); *error* means it failed.",
        "",
        "## Export and import (issue 5)",
        "",
        "| what | user | result | time | size | server RSS before → peak |",
        "|---|---|---|---|---|---|",
    ]
    lines += [_export_line(e) for e in run.exports]
    what = f"`momentum import` of {imp.rows:,} Toggl rows (own process, fresh user)"
    if imp.status == "ok":
        lines.append(f"| {what} | {IMPORT_EMAIL} | {imp.imported:,} entries in the DB | {imp.seconds:.1f} s "
                     f"({imp.rows / imp.seconds:,.0f} rows/s) | | peak RSS {imp.max_rss_kb / 1024:.0f} MiB |")
    else:
        lines.append(f"| {what} | {IMPORT_EMAIL} | {imp.status} | {imp.seconds:.1f} s | | "
                     f"peak RSS {imp.max_rss_kb / 1024:.0f} MiB |")
    reset = all(e.peak_reset for e in run.exports if e.runs)
    lines += [
        "",
        "The export is streamed (time to the last byte; each run's time listed). Before each run the "
        "server's peak-RSS mark is reset (`/proc/<pid>/clear_refs`), so *peak* is the server's high-water "
        "mark during that export" + ("" if reset else " (the reset was refused here: peak since start)")
        + "; constant memory shows as the same peak for 2,500 and 25,000 entries. The import runs after "
        "the server stopped, as `momentum import FILE --user E --format toggl` into a fresh user of the "
        "run's copy; its time includes interpreter start-up and its peak RSS is that process's (`wait4`).",
        f"Server RSS at the end of the HTTP run: {run.final_rss.get('VmRSS', 0) / 1024:.0f} MiB "
        f"(high-water mark {run.final_rss.get('VmHWM', 0) / 1024:.0f} MiB).",
        "",
        "## Reproduce",
        "",
        "```",
        "make bench                                                 # or: .venv/bin/python -m app.bench",
        ".venv/bin/python -m app.bench --quick --out /tmp/perf.md   # a short run",
        ".venv/bin/python -m app.bench --regenerate                 # rebuild ./bench-data/",
        "```",
        "",
        "The dataset is cached in `./bench-data/` (git-ignored), with the users' raw API tokens in the JSON "
        "file next to it; each run works on a copy, so runs never change it. Only 127.0.0.1 is contacted.",
        "",
    ]
    return "\n".join(lines)


def _export_line(e: ExportResult) -> str:
    what = "`GET /api/export/entries.csv` (full range)"
    if not e.runs:
        return f"| {what} | {e.user} | {e.status} | | | |"
    best = min(e.runs, key=lambda run: run.seconds)
    times = ", ".join(f"{run.seconds:.2f}" for run in e.runs)
    peak = max(run.peak_kb for run in e.runs)
    return (f"| {what} | {e.user} | {best.lines - 1:,} rows | {times} s (first byte "
            f"{best.first_byte_ms:.0f} ms) | {best.bytes / 1e6:.1f} MB | "
            f"{e.runs[0].rss_before_kb / 1024:.0f} → {peak / 1024:.0f} MiB |")


# ====================================================================== main


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m app.bench", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="a short run: fewer samples, shorter load runs")
    parser.add_argument("--out", default=str(ROOT / "docs" / "performance.md"), help="the report's path")
    parser.add_argument("--data-dir", default=str(ROOT / "bench-data"), help="the dataset cache")
    parser.add_argument("--regenerate", action="store_true", help="rebuild the cached dataset")
    parser.add_argument("--others", type=int, default=200, help="number of other users (default 200)")
    parser.add_argument("--import-rows", type=int, default=None, help="Toggl rows to import (100,000)")
    parser.add_argument("--load-client", choices=("raw", "httpx"), default="raw",
                        help="client for the req/s runs: a minimal HTTP/1.1 client (default) or httpx")
    args = parser.parse_args(argv)

    started, t0 = datetime.now(UTC), time.perf_counter()
    data_dir = Path(args.data_dir)
    db_path, meta, generated_now = ensure_dataset(data_dir, args.others, args.regenerate)
    rows = args.import_rows or (20_000 if args.quick else 100_000)
    csv_path = toggl_file(data_dir, rows)
    run_db = prepare_run_copy(db_path, data_dir / "run")

    say(f"starting the server on {run_db} ...")
    with Server(run_db, data_dir / "run" / "server.log") as server:
        say(f"server up at {server.base} (pid {server.pid}); measuring ...")
        run = asyncio.run(measure_http(server.base, server.pid, meta, args.quick, args.load_client))
    say("server stopped")
    say(f"importing {rows:,} Toggl rows with `momentum import` ...")
    imp = run_import(run_db, csv_path, rows, timeout=120 if args.quick else 300)
    say(f"  import: {imp.status}, {imp.seconds:.1f} s, peak RSS {imp.max_rss_kb / 1024:.0f} MiB, "
        f"{imp.imported:,} entries in the DB")

    text = render(meta=meta, info=machine(), run=run, imp=imp, quick=args.quick, started=started,
                  total_seconds=time.perf_counter() - t0, generated_now=generated_now)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text)
    for name, verdict, numbers in acceptance(run):
        say(f"{verdict}: {name} — {numbers}")
    say(f"wrote {out} in {time.perf_counter() - t0:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
