"""Real server processes for concurrency and fault tests (issues 8 and 12).

Plain helpers, importable from any test:

- `free_port()` — a TCP port nobody listens on right now.
- `RedisServer(persistence=False)` — a private `redis-server` in a temp dir;
  start/stop (SIGTERM)/kill (SIGKILL)/pause (SIGSTOP)/resume (SIGCONT)/restart; `.url`.
- `PostgresCluster()` — a private cluster (`initdb` + `pg_ctl`) in a temp dir with trust
  auth, user `postgres` and a database `momentum`; `.url` for the app. Run as root, the
  cluster belongs to the `postgres` OS user (PostgreSQL refuses to run as root).
- `AppServer(database_url, cache_url)` — `momentum serve` of this checkout as a subprocess,
  waiting for /healthz; `.base_url`; stop/kill. `migrate(database_url)` runs `momentum db
  upgrade` once per database.
- `api_user(server)` — a new account on a running server and an httpx client that carries
  its API token (`Authorization: Bearer …`); `browser_user(server)` — the same, signed in
  with a session cookie and the CSRF header (CONTRACT section 2).

Every process started here is stopped at interpreter exit even when a test forgets to
(`atexit`); fixtures should still call `close()` in their finalizer. Processes run in a
session of their own, so a signal sent to one never reaches pytest.
"""

from __future__ import annotations

import atexit
import contextlib
import glob
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "correct horse battery"
SECRET_KEY = "servers-secret-key-0123456789abcdef"
"""One key for every AppServer: sessions and CSRF cookies signed by one instance verify on the others."""

_LIVE: list[Callable[[], None]] = []


def _close_all() -> None:
    for close in reversed(list(_LIVE)):
        with contextlib.suppress(Exception):
            close()


atexit.register(_close_all)


def free_port() -> int:
    """A port free on 127.0.0.1 at the time of the call (the OS picks it)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _port_open(port: int, timeout: float = 0.2) -> bool:
    with socket.socket() as s:
        s.settimeout(timeout)
        try:
            s.connect(("127.0.0.1", port))
        except OSError:
            return False
        return True


def _wait_until(check: Callable[[], bool], timeout: float, what: str, log: Path | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.05)
    tail = log.read_text(errors="replace")[-3000:] if log is not None and log.exists() else ""
    raise RuntimeError(f"{what} not ready after {timeout:.0f} s\n{tail}")


def _signal_group(proc: subprocess.Popen[bytes] | None, sig: signal.Signals) -> None:
    if proc is not None and proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, sig)


def _end(proc: subprocess.Popen[bytes] | None, timeout: float) -> None:
    """SIGTERM, then SIGKILL after `timeout` seconds; reaps the process."""
    if proc is None:
        return
    if proc.poll() is None:
        # A stopped process ignores SIGTERM until it is continued.
        _signal_group(proc, signal.SIGCONT)
        _signal_group(proc, signal.SIGTERM)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            _signal_group(proc, signal.SIGKILL)
            proc.wait(timeout=10)
    else:
        proc.wait()


# ------------------------------------------------------------------ Redis


def redis_missing() -> str | None:
    """Why a RedisServer cannot start here (None when it can)."""
    return None if shutil.which("redis-server") else "redis-server is not installed"


class RedisServer:
    """A private redis-server on 127.0.0.1:<free port> in a temp dir.

    persistence=False: `--save "" --appendonly no` (a restart loses everything);
    persistence=True: `--appendonly yes --appendfsync always` in the temp dir (a restart keeps
    every acknowledged write).
    """

    def __init__(self, persistence: bool = False, port: int | None = None) -> None:
        missing = redis_missing()
        if missing:
            raise RuntimeError(missing)
        self.persistence = persistence
        self.port = port or free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="momentum-redis-"))
        self.log = self.dir / "redis.log"
        self.proc: subprocess.Popen[bytes] | None = None
        _LIVE.append(self.close)

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def _argv(self) -> list[str]:
        argv = [shutil.which("redis-server") or "redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
                "--dir", str(self.dir), "--logfile", str(self.log), "--daemonize", "no", "--protected-mode", "no"]
        if self.persistence:
            argv += ["--appendonly", "yes", "--appendfsync", "always", "--save", ""]
        else:
            argv += ["--appendonly", "no", "--save", ""]
        return argv

    def start(self, timeout: float = 10) -> RedisServer:
        if self.running:
            return self
        self.proc = subprocess.Popen(self._argv(), cwd=self.dir, start_new_session=True,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _wait_until(self.ping, timeout, f"redis-server on port {self.port}", self.log)
        return self

    def ping(self) -> bool:
        """True when the server answers PING (a paused server does not)."""
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as s:
                s.sendall(b"PING\r\n")
                return s.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self) -> None:
        """SIGTERM: a clean shutdown (with persistence, the AOF is complete)."""
        _end(self.proc, timeout=10)
        self.proc = None

    def kill(self) -> None:
        """SIGKILL: the server vanishes mid-flight."""
        _signal_group(self.proc, signal.SIGKILL)
        if self.proc is not None:
            self.proc.wait(timeout=10)
        self.proc = None

    def pause(self) -> None:
        """SIGSTOP: connections stay open but nothing answers (a hang)."""
        _signal_group(self.proc, signal.SIGSTOP)

    def resume(self) -> None:
        _signal_group(self.proc, signal.SIGCONT)

    def restart(self) -> RedisServer:
        """Stop (SIGTERM) and start again on the same port and directory."""
        self.stop()
        return self.start()

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)
        with contextlib.suppress(ValueError):
            _LIVE.remove(self.close)

    def __enter__(self) -> RedisServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()


# ------------------------------------------------------------------ PostgreSQL


def postgres_bin_dir() -> Path | None:
    """Debian keeps the server binaries in /usr/lib/postgresql/<version>/bin (newest wins)."""
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                        key=lambda p: int(Path(p).parent.parent.name) if Path(p).parent.parent.name.isdigit() else 0)
    if candidates:
        return Path(candidates[-1]).parent
    found = shutil.which("initdb")
    return Path(found).resolve().parent if found else None


def postgres_missing() -> str | None:
    """Why a PostgresCluster cannot start here (None when it can)."""
    bin_dir = postgres_bin_dir()
    if bin_dir is None or not (bin_dir / "pg_ctl").exists():
        return "PostgreSQL server binaries (initdb, pg_ctl) are not installed"
    if os.geteuid() == 0:
        try:
            import pwd

            pwd.getpwnam("postgres")
        except KeyError:
            return "running as root without a `postgres` OS user to own the cluster"
    return None


class PostgresCluster:
    """A private PostgreSQL cluster on 127.0.0.1:<free port>, trust auth, superuser `postgres`.

    `fast=True` turns off fsync (the data survives a server stop or crash, not a machine
    crash — enough for tests and twice as fast to start).
    """

    def __init__(self, database: str = "momentum", port: int | None = None, fast: bool = True) -> None:
        missing = postgres_missing()
        if missing:
            raise RuntimeError(missing)
        self.bin = postgres_bin_dir() or Path("/usr/bin")
        self.database = database
        self.port = port or free_port()
        self.fast = fast
        self.dir = Path(tempfile.mkdtemp(prefix="momentum-pg-"))
        self.data = self.dir / "data"
        self.log = self.dir / "postgres.log"
        self._as_root = os.geteuid() == 0
        if self._as_root:
            shutil.chown(self.dir, "postgres", "postgres")
        self._initialised = False
        _LIVE.append(self.close)

    @property
    def url(self) -> str:
        """The app's URL for the cluster's `momentum` database."""
        return self.url_for(self.database)

    def url_for(self, database: str) -> str:
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/{database}"

    @property
    def dsn(self) -> str:
        """A plain libpq/asyncpg DSN for the `momentum` database."""
        return f"postgresql://postgres@127.0.0.1:{self.port}/{self.database}"

    def _run(self, *argv: str, timeout: float = 60, check: bool = True) -> subprocess.CompletedProcess[str]:
        cmd = [str(self.bin / argv[0]), *argv[1:]]
        if self._as_root:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        result = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=self.dir,
                                start_new_session=True)
        if check and result.returncode != 0:
            tail = self.log.read_text(errors="replace")[-3000:] if self.log.exists() else ""
            raise RuntimeError(f"{' '.join(cmd)} failed ({result.returncode}):\n{result.stdout}{result.stderr}\n{tail}")
        return result

    def start(self, timeout: float = 30) -> PostgresCluster:
        if not self._initialised:
            self._run("initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust", "-E", "UTF8",
                      "--no-sync", "--locale=C.UTF-8" if _has_c_utf8() else "--no-locale")
        options = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1"
        if self.fast:
            options += " -c fsync=off -c full_page_writes=off -c synchronous_commit=off"
        self._run("pg_ctl", "-D", str(self.data), "-o", options, "-l", str(self.log), "-w", "-t", str(int(timeout)),
                  "start", timeout=timeout + 10)
        if not self._initialised:
            self._run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", self.database)
            self._initialised = True
        return self

    @property
    def running(self) -> bool:
        return self._initialised and (self.data / "postmaster.pid").exists() and _port_open(self.port)

    def stop(self, mode: str = "fast", timeout: float = 30) -> None:
        """`pg_ctl stop -m fast` (sessions are cut, the shutdown is clean); `immediate` = a crash."""
        if self._initialised and (self.data / "postmaster.pid").exists():
            self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", str(int(timeout)), "stop",
                      timeout=timeout + 10, check=False)

    def kill(self) -> None:
        """`pg_ctl stop -m immediate`: the server quits without a checkpoint (recovery at start)."""
        self.stop(mode="immediate")

    def restart(self) -> PostgresCluster:
        self.stop()
        return self.start()

    def create_database(self, name: str) -> str:
        """A further database in the cluster; returns its app URL."""
        self._run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", name)
        return self.url_for(name)

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.stop(mode="immediate")
        shutil.rmtree(self.dir, ignore_errors=True)
        with contextlib.suppress(ValueError):
            _LIVE.remove(self.close)

    def __enter__(self) -> PostgresCluster:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()


def _has_c_utf8() -> bool:
    try:
        out = subprocess.run(["locale", "-a"], capture_output=True, text=True, timeout=5).stdout
    except (OSError, subprocess.TimeoutExpired):
        return False
    return any(line.lower() in {"c.utf8", "c.utf-8"} for line in out.splitlines())


# ------------------------------------------------------------------ the app


def app_env(database_url: str, cache_url: str, extra_env: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment of a `momentum` process of this checkout (README's settings)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MOMENTUM_", "PYTEST_"))}
    env.update({
        "MOMENTUM_ENV": "test",
        "MOMENTUM_SECRET_KEY": SECRET_KEY,
        "MOMENTUM_TIMEZONE": "UTC",
        "MOMENTUM_DATABASE_URL": database_url,
        "MOMENTUM_CACHE_URL": cache_url,
        # This checkout's `app` package, not whichever one the venv's editable install names.
        "PYTHONPATH": os.pathsep.join([str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]),
        "PYTHONUNBUFFERED": "1",
    })
    env.update(extra_env or {})
    return env


def momentum_cli(*args: str) -> list[str]:
    """argv for `momentum <args>` run from this checkout with the test interpreter."""
    return [sys.executable, "-m", "app.cli", *args]


_MIGRATED: set[str] = set()


def migrate(database_url: str, timeout: float = 120) -> None:
    """`momentum db upgrade` on `database_url`, once per URL per process."""
    if database_url in _MIGRATED:
        return
    result = subprocess.run(momentum_cli("db", "upgrade"), env=app_env(database_url, "mem://"), cwd=ROOT,
                            capture_output=True, text=True, timeout=timeout)
    if result.returncode != 0:
        raise RuntimeError(f"momentum db upgrade failed:\n{result.stdout}{result.stderr}")
    _MIGRATED.add(database_url)


class AppServer:
    """`momentum serve --host 127.0.0.1 --port N` of this checkout, one process.

    Call `migrate(database_url)` first (or pass migrate=True). Logs go to `.log`; a start
    that fails raises with the log's tail, and `log_tail()` helps an assertion message.
    """

    def __init__(self, database_url: str, cache_url: str = "mem://", extra_env: Mapping[str, str] | None = None,
                 *, migrate_first: bool = False, workers: int = 1, port: int | None = None) -> None:
        self.database_url = database_url
        self.cache_url = cache_url
        self.env = app_env(database_url, cache_url, extra_env)
        self.workers = workers
        self.port = port or free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="momentum-app-"))
        self.log = self.dir / "server.log"
        self.proc: subprocess.Popen[bytes] | None = None
        self._migrate_first = migrate_first
        _LIVE.append(self.close)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60) -> AppServer:
        if self.running:
            return self
        if self._migrate_first:
            migrate(self.database_url)
        argv = momentum_cli("serve", "--host", "127.0.0.1", "--port", str(self.port), "--workers", str(self.workers))
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(argv, env=self.env, cwd=ROOT, start_new_session=True,
                                         stdout=log, stderr=subprocess.STDOUT)

        def healthy() -> bool:
            if self.proc is not None and self.proc.poll() is not None:
                raise RuntimeError(f"momentum serve exited with {self.proc.returncode}:\n{self.log_tail()}")
            try:
                return httpx.get(f"{self.base_url}/healthz", timeout=1).status_code == 200
            except httpx.HTTPError:
                return False

        _wait_until(healthy, timeout, f"momentum serve on port {self.port}", self.log)
        return self

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self, timeout: float = 15) -> None:
        """SIGTERM (uvicorn's graceful shutdown), SIGKILL after `timeout` seconds."""
        _end(self.proc, timeout)
        self.proc = None

    def kill(self) -> None:
        _signal_group(self.proc, signal.SIGKILL)
        if self.proc is not None:
            self.proc.wait(timeout=10)
        self.proc = None

    def restart(self) -> AppServer:
        self.stop()
        return self.start()

    def log_tail(self, chars: int = 4000) -> str:
        return self.log.read_text(errors="replace")[-chars:] if self.log.exists() else ""

    def client(self, **kwargs: Any) -> httpx.Client:
        """An anonymous client for this server (close it, or use it as a context manager)."""
        kwargs.setdefault("timeout", 30)
        return httpx.Client(base_url=self.base_url, **kwargs)

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)
        with contextlib.suppress(ValueError):
            _LIVE.remove(self.close)

    def __enter__(self) -> AppServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()


# ------------------------------------------------------------------ accounts over HTTP


@dataclass
class RemoteUser:
    """An account on a running server and a client that speaks for it."""

    email: str
    password: str
    client: httpx.Client
    token: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def on(self, server: AppServer | str) -> httpx.Client:
        """A client for the same account on another instance (same token / same cookies)."""
        base = server.base_url if isinstance(server, AppServer) else server
        c = httpx.Client(base_url=base, headers=dict(self.client.headers), timeout=self.client.timeout)
        for cookie in self.client.cookies.jar:
            c.cookies.set(cookie.name, cookie.value or "")
        return c

    def close(self) -> None:
        self.client.close()


def _base(server: AppServer | str) -> str:
    return server.base_url if isinstance(server, AppServer) else server


def _csrf(client: httpx.Client, page: str) -> str:
    client.get(page).raise_for_status()
    token = client.cookies.get("momentum_csrf")
    if not token:
        raise RuntimeError(f"GET {page} set no momentum_csrf cookie")
    return token


def register(server: AppServer | str, email: str | None = None, password: str = PASSWORD,
             timezone: str = "UTC") -> tuple[str, httpx.Client]:
    """Sign up through the /register form, then sign in through /login (sign-up never
    signs in: it answers alike for new and taken emails, docs/setup.md "Sign-up");
    returns (email, a client signed in by cookie).

    If the form answers 429 (a sign-up rate limit, CONTRACT section 6), the account is
    created with `momentum users create` instead.
    """
    email = email or f"u-{uuid.uuid4().hex[:12]}@example.com"
    c = httpx.Client(base_url=_base(server), timeout=30)
    token = _csrf(c, "/register")
    r = c.post("/register", data={"email": email, "password": password, "password_confirm": password,
                                  "timezone": timezone, "standard_hours_per_day": "8", "_csrf_token": token})
    if r.status_code == 429 and isinstance(server, AppServer):
        create_user_cli(server, email, password, timezone)
    elif r.status_code not in {200, 303}:  # 303 to /login, or its page when redirects are followed
        c.close()
        raise RuntimeError(f"POST /register answered {r.status_code}: {r.text[:500]}")
    login(c, email, password)
    return email, c


def create_user_cli(server: AppServer, email: str, password: str = PASSWORD, timezone: str = "UTC") -> None:
    """`momentum users create` against the server's database (no HTTP, no rate limit)."""
    subprocess.run(momentum_cli("users", "create", "--email", email, "--timezone", timezone), input=password + "\n",
                   text=True, env=server.env, cwd=ROOT, check=True, capture_output=True, timeout=60)


def login(client: httpx.Client, email: str, password: str = PASSWORD) -> None:
    """Sign `client` in through the /login form (a session cookie and a CSRF cookie)."""
    token = _csrf(client, "/login")
    r = client.post("/login", data={"email": email, "password": password, "_csrf_token": token})
    if r.status_code != 303:
        raise RuntimeError(f"POST /login answered {r.status_code}: {r.text[:500]}")
    client.headers["X-CSRF-Token"] = client.cookies.get("momentum_csrf") or ""


def create_token(server: AppServer | str, email: str, password: str = PASSWORD, name: str = "tests") -> str:
    """POST /api/auth/tokens → the raw API token (CONTRACT section 2)."""
    r = httpx.post(f"{_base(server)}/api/auth/tokens", json={"email": email, "password": password, "name": name},
                   timeout=30)
    if r.status_code != 201:
        raise RuntimeError(f"POST /api/auth/tokens answered {r.status_code}: {r.text[:500]}")
    return str(r.json()["token"])


def api_user(server: AppServer | str, email: str | None = None, password: str = PASSWORD,
             timezone: str = "UTC") -> RemoteUser:
    """A new account and an httpx client with its Bearer token (no cookies, no CSRF needed)."""
    email, browser = register(server, email, password, timezone)
    browser.close()
    token = create_token(server, email, password)
    client = httpx.Client(base_url=_base(server), headers={"Authorization": f"Bearer {token}"}, timeout=30)
    return RemoteUser(email, password, client, token)


def browser_user(server: AppServer | str, email: str | None = None, password: str = PASSWORD,
                 timezone: str = "UTC") -> RemoteUser:
    """A new account and a client signed in by cookie, sending the CSRF header on every request."""
    email, client = register(server, email, password, timezone)
    return RemoteUser(email, password, client)


@contextlib.contextmanager
def servers(*items: RedisServer | PostgresCluster | AppServer) -> Iterator[None]:
    """Close every item on the way out (in reverse order)."""
    try:
        yield
    finally:
        for item in reversed(items):
            with contextlib.suppress(Exception):
                item.close()
