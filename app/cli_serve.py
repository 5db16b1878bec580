"""`momentum serve`: the web server (uvicorn), its workers' shared environment and the
bounded request head (docs/setup.md, "The `momentum` command", "Metrics").
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import tempfile
from pathlib import Path
from typing import Any

from app.cli_common import _settings, fail

HTTP_PROTOCOL = "app.lib.http_protocol:BoundedHttpToolsProtocol"
_SERVE_ENV = ("MOMENTUM_SECRET_KEY", "MOMENTUM_INSTANCE_NAME", "MOMENTUM_METRICS_DIR")


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    settings = _settings()
    if not 1 <= args.port <= 65535:
        fail(f"--port must be 1..65535, not {args.port}")
    if args.workers < 1:
        fail("--workers must be at least 1")
    if args.workers > 1 and settings.cache_url.startswith("mem"):
        fail(
            "--workers > 1 needs a shared cache: set MOMENTUM_CACHE_URL=redis://… (an in-memory cache "
            "cannot tell other workers that figures changed)"
        )
    # The variables set below are for this server's worker processes; they are put back
    # when it stops, so a caller in the same process (a test) sees its own environment again.
    saved = {name: os.environ.get(name) for name in _SERVE_ENV}
    # Workers are separate processes: they must share one secret key.
    os.environ.setdefault("MOMENTUM_SECRET_KEY", settings.secret_key)
    # /metrics sums the counters of every worker through one directory, and labels them
    # with this instance's name (docs/setup.md, "Metrics").
    os.environ.setdefault("MOMENTUM_INSTANCE_NAME", f"{socket.gethostname()}:{args.port}")
    own_dir = not os.environ.get("MOMENTUM_METRICS_DIR", "").strip()
    metrics_dir = (
        Path(tempfile.mkdtemp(prefix="momentum-metrics-")) if own_dir else Path(os.environ["MOMENTUM_METRICS_DIR"])
    )
    metrics_dir.mkdir(parents=True, exist_ok=True)
    for old in metrics_dir.glob("*.json"):
        old.unlink(missing_ok=True)  # counters start at zero with the instance
    os.environ["MOMENTUM_METRICS_DIR"] = str(metrics_dir)
    try:
        _run_uvicorn(uvicorn, args)
    finally:
        if own_dir:
            shutil.rmtree(metrics_dir, ignore_errors=True)
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
    return 0


def _run_uvicorn(uvicorn: Any, args: argparse.Namespace) -> None:
    uvicorn.run(
        "app.asgi:create_app",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_level="warning" if args.quiet else "info",
        access_log=not args.quiet,
        proxy_headers=False,
        # A request's head is bounded (CONTRACT section 6): httptools, with a head over
        # MAX_HEADER_BYTES refused by 431 before more is buffered (app/lib/http_protocol.py).
        http=HTTP_PROTOCOL,
    )
