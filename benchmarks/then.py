"""The code before this round, measured again on this machine in the same run.

Issue 8 asks that `make bench` show no regression. The figures recorded in
benchmarks/baseline.json were measured on the machine of that day; machines differ (this
workplace gives each session its own, and the same route's CPU per request has differed
by 2× between them), so comparing today's figures with those numbers measures the
machines, not the code. The SQLite pass therefore also serves the baseline commit's own
code (extracted with `git archive` into the run directory) on a second copy of the same
dataset, and measures each route of the requests table on both servers in turns, request
by request (`load.run_sides`: request i on the baseline, then on this code, then request
i + 1), so that both see the same machine and the same background load of every moment;
a burst of background work then lands on both alike instead of on whichever happened to
run during it.
The regression check compares those two; the recorded figures stay in the report beside
them.

The baseline code runs against the dataset at today's schema: its queries name columns
and tables that still exist; tables and columns added since are ignored by it. When git
or the commit is not available (an exported tarball, a shallow clone), the check falls
back to the recorded figures and says so.
"""

from __future__ import annotations

import io
import subprocess
import tarfile
from pathlib import Path

from benchmarks.dataset import ROOT, say


def baseline_source(commit: str, run_dir: Path) -> tuple[Path | None, str]:
    """The baseline commit's files in run_dir (extracted once), or None and why not."""
    target = run_dir / f"code-{commit}"
    if (target / "app" / "cli.py").exists():
        return target, ""
    try:
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", "--format=tar", commit, "app", "templates",
                                  "static", "migrations", "pyproject.toml"],
                                 capture_output=True, check=False, timeout=120)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return None, f"git archive failed: {exc}"
    if archive.returncode != 0:
        return None, f"commit {commit} not in this clone ({archive.stderr.decode(errors='replace').strip()[:120]})"
    partial = run_dir / f"code-{commit}.partial"
    if partial.exists():
        subprocess.run(["rm", "-rf", str(partial)], check=False)
    partial.mkdir(parents=True)
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        tar.extractall(partial, filter="data")
    partial.rename(target)
    say(f"baseline code {commit} extracted into {target}")
    return target, ""
