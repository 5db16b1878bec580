"""A real `momentum serve` process on a free port, and what /proc says about it.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from benchmarks.dataset import ROOT, db_url


def momentum_bin() -> str:
    candidate = Path(sys.executable).parent / "momentum"
    return str(candidate) if candidate.exists() else (shutil.which("momentum") or "momentum")


def server_env(db: Path | str, cache_url: str = "mem://", source: Path | None = None) -> dict[str, str]:
    """The environment of a bench server or CLI: a SQLite file (a Path) or a database URL (a str);
    `source`: serve the `app` package of that directory (the baseline commit's, benchmarks/then.py)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MOMENTUM_")}
    env.update(MOMENTUM_ENV="development", MOMENTUM_DATABASE_URL=db if isinstance(db, str) else db_url(db),
               MOMENTUM_CACHE_URL=cache_url, MOMENTUM_TIMEZONE="UTC",
               MOMENTUM_SECRET_KEY="bench-secret-key-0123456789abcdef")
    # Serve this checkout's `app` (a git worktree's too), not the one the virtualenv's editable install names.
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(source or ROOT), os.environ.get("PYTHONPATH")]))
    return env


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _machine_busy() -> tuple[int, int]:
    """(busy, total) jiffies of all CPUs since boot, from /proc/stat; (0, 1) elsewhere."""
    try:
        fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except (OSError, ValueError):
        return 0, 1
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    return sum(fields) - idle, sum(fields)


class Server:
    """`momentum serve --quiet` on a free port; stopped on exit from the `with` block, always."""

    def __init__(self, db: Path | str, log_path: Path, cache_url: str = "mem://", source: Path | None = None
                 ) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        self.env = server_env(db, cache_url, source)
        self.proc: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Server:
        with self.log_path.open("wb") as log:
            self.proc = subprocess.Popen(
                [momentum_bin(), "serve", "--host", "127.0.0.1", "--port", str(self.port), "--quiet"],
                env=self.env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            )
        try:
            self._wait_ready(60.0)
            self._wait_quiet(180.0)
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

    def _wait_quiet(self, timeout: float) -> None:
        """Until the idle server uses under 5 % of a CPU for two seconds in a row: a fresh
        instance's first notification sweep derives what is due for every user (about 200
        here) and would otherwise run during the first measurements. And until the whole
        machine is quiet (under 15 % of its CPUs busy for two seconds): after a dataset is
        copied into PostgreSQL, its checkpoint and autovacuum workers run for a while, and
        on a machine of two hyperthreads they slow every request of the first minutes to
        twice its cost. Steady state is what the figures describe; the settling time is
        printed."""
        started = time.monotonic()
        quiet = 0
        before, machine_before = cpu_seconds(self.pid) or 0.0, _machine_busy()
        while quiet < 2 and time.monotonic() - started < timeout:
            time.sleep(1.0)
            now, machine_now = cpu_seconds(self.pid) or 0.0, _machine_busy()
            machine_quiet = machine_now[0] - machine_before[0] < 0.15 * (machine_now[1] - machine_before[1])
            quiet = quiet + 1 if now - before < 0.05 and machine_quiet else 0
            before, machine_before = now, machine_now
        print(f"[bench] server settled {time.monotonic() - started:.0f} s after start "
              "(its first notification sweep; the machine's background work)", flush=True)

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
