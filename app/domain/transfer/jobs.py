"""Import jobs (docs/import-export.md, "Imports that share the database").

Every import that writes runs as a job: a row of `import_jobs`. A row in state `running`
is the user's import lock — a partial unique index allows one per user, on SQLite and
PostgreSQL and across instances. A second import of the same user waits for it
(`LOCK_WAIT` seconds at most, then `ImportBusyError`, a 409 "an import is already
running").

The row names its owner (`pid`, `host`) and carries a `heartbeat_at` moved at every
staged chunk. A job whose owner died (same host and the pid gone, the pid is this very
process but the job is not one of ours — a restart in a container reuses pid 1 — or no
heartbeat for `STALE_AFTER`) is *reaped*: marked failed, its staging rows and its temp
upload file deleted. `reap()` runs at start-up and every `REAP_EVERY` seconds (see
`reaper()`), and whenever an import finds the lock taken.

The page that polls a background import reads the job row (`get`), so a job interrupted
by a crash shows as failed after the restart.

Short transactions of their own: these rows are bookkeeping, not a user's data, so they
do not go through the unit of work (app/db/uow.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import os
import secrets
import socket
import tempfile
import time
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Final

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.db.config import writing
from app.db.models import ImportJob, ImportStaging, ImportStagingRef
from app.lib.errors import ConflictError

log = logging.getLogger(__name__)

LOCK_WAIT: Final = 30.0  # seconds a second import of one user waits before its 409
STALE_AFTER: Final = timedelta(seconds=90)  # no heartbeat this long: the owner is gone
HEARTBEAT_EVERY: Final = 5.0
REAP_EVERY: Final = 60.0
TEMP_PREFIX: Final = "momentum-import-"
TEMP_SUFFIX: Final = ".upload"
_DELETE_CHUNK: Final = 20_000

HOST: Final = socket.gethostname()[:255]
_active: set[int] = set()  # jobs this process is running now


class ImportBusyError(ConflictError):
    def __init__(self) -> None:
        super().__init__("an import is already running")


def utcnow() -> datetime:
    return datetime.now(UTC)


def temp_dir(maker: async_sessionmaker[AsyncSession]) -> Path:
    """The spool directory of one database: instances of other databases on this machine
    (other deployments, parallel test runs) never see, nor reap, each other's files."""
    bind = maker.kw.get("bind")
    url = str(getattr(bind, "url", "")) if bind is not None else ""
    digest = hashlib.sha1(url.encode(), usedforsecurity=False).hexdigest()[:12]
    path = Path(tempfile.gettempdir()) / f"momentum-imports-{digest}"
    path.mkdir(mode=0o700, exist_ok=True)
    return path


def temp_path_for(maker: async_sessionmaker[AsyncSession], key: str) -> Path:
    """Where a job's upload is spooled: named after the job, so the reaper can find it."""
    return temp_dir(maker) / f"{TEMP_PREFIX}{key}{TEMP_SUFFIX}"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def owner_dead(job: ImportJob, now: datetime) -> bool:
    """The job's process is gone (see the module docstring)."""
    if job.heartbeat_at < now - STALE_AFTER:
        return True
    if job.host != HOST:
        return False
    if job.pid == os.getpid():
        return job.id not in _active
    return not _pid_alive(job.pid)


async def _commit(db: AsyncSession) -> None:
    await db.commit()


async def acquire(
    maker: async_sessionmaker[AsyncSession],
    user_id: int,
    *,
    total_bytes: int = 0,
    wait: float = LOCK_WAIT,
) -> ImportJob:
    """Start a job for `user_id`: take the user's import lock, waiting up to `wait` seconds
    for a running import to finish (and reaping one whose owner died). Raises ImportBusyError."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait
    delay = 0.05
    while True:
        now = utcnow()
        key = secrets.token_hex(12)
        try:
            with writing():
                async with maker() as db:
                    job_id = await db.scalar(
                        insert(ImportJob)
                        .values(
                            key=key,
                            user_id=user_id,
                            state="running",
                            pid=os.getpid(),
                            host=HOST,
                            heartbeat_at=now,
                            created_at=now,
                            temp_path=str(temp_path_for(maker, key)),
                            rows=0,
                            bytes_read=0,
                            total_bytes=total_bytes,
                        )
                        .returning(ImportJob.id)
                    )
                    await _commit(db)
        except IntegrityError:
            if await reap(maker, user_id=user_id):
                continue
            if loop.time() >= deadline:
                raise ImportBusyError() from None
            await asyncio.sleep(delay)
            delay = min(delay * 2, 0.5)
            continue
        assert job_id is not None
        _active.add(job_id)
        job = await get_by_id(maker, job_id)
        assert job is not None
        return job


async def get_by_id(maker: async_sessionmaker[AsyncSession], job_id: int) -> ImportJob | None:
    async with maker() as db:
        return await db.get(ImportJob, job_id)


async def get(maker: async_sessionmaker[AsyncSession], user_id: int, key: str) -> ImportJob | None:
    """The user's job with this key (None for another user's), reaping it if its owner died."""
    async with maker() as db:
        job = await db.scalar(select(ImportJob).where(ImportJob.key == key, ImportJob.user_id == user_id))
    if job is not None and job.state == "running" and owner_dead(job, utcnow()):
        await reap(maker, user_id=user_id)
        async with maker() as db:
            job = await db.scalar(select(ImportJob).where(ImportJob.key == key, ImportJob.user_id == user_id))
    return job


async def set_total(maker: async_sessionmaker[AsyncSession], job_id: int, total_bytes: int) -> None:
    """The upload's size, for the page's progress bar."""
    with writing():
        async with maker() as db:
            await db.execute(update(ImportJob).where(ImportJob.id == job_id).values(total_bytes=total_bytes))
            await _commit(db)


async def heartbeat(db: AsyncSession, job_id: int, *, rows: int, bytes_read: int) -> None:
    """Progress and liveness, inside a staging chunk's own transaction."""
    await db.execute(
        update(ImportJob)
        .where(ImportJob.id == job_id)
        .values(heartbeat_at=utcnow(), rows=rows, bytes_read=bytes_read)
    )


async def mark_done(db: AsyncSession, job_id: int, result_json: str) -> None:
    """Inside the import's final transaction: the lock is released with the commit that
    makes the entries visible, so a crash can never leave them visible under a failed job."""
    await db.execute(
        update(ImportJob)
        .where(ImportJob.id == job_id)
        .values(state="done", finished_at=utcnow(), result=result_json, heartbeat_at=utcnow())
    )


async def finish(
    maker: async_sessionmaker[AsyncSession],
    job_id: int,
    *,
    state: str,
    error: str | None = None,
    result_json: str | None = None,
) -> None:
    """End a job that wrote nothing (dry run, row errors, a failure): state, then cleanup."""
    try:
        with writing():
            async with maker() as db:
                await db.execute(
                    update(ImportJob)
                    .where(ImportJob.id == job_id, ImportJob.state == "running")
                    .values(state=state, finished_at=utcnow(), error=error, result=result_json)
                )
                await _commit(db)
    finally:
        _active.discard(job_id)
    await drop_staging(maker, job_id)


def release(job_id: int) -> None:
    """Forget a job this process ran (after its final commit)."""
    _active.discard(job_id)


async def drop_staging(maker: async_sessionmaker[AsyncSession], job_id: int) -> None:
    """Delete a job's staging rows in short transactions of `_DELETE_CHUNK` ids (they are
    invisible anyway, so no lock is held for long), then its refs."""
    async with maker() as db:
        lo, hi = (await db.execute(
            select(func.min(ImportStaging.id), func.max(ImportStaging.id)).where(ImportStaging.job_id == job_id)
        )).one()
    if lo is not None and hi is not None:
        for first in range(int(lo), int(hi) + 1, _DELETE_CHUNK):
            with writing():
                async with maker() as db:
                    await db.execute(
                        delete(ImportStaging).where(
                            ImportStaging.job_id == job_id,
                            ImportStaging.id >= first,
                            ImportStaging.id < first + _DELETE_CHUNK,
                        )
                    )
                    await _commit(db)
    with writing():
        async with maker() as db:
            await db.execute(delete(ImportStagingRef).where(ImportStagingRef.job_id == job_id))
            await _commit(db)


async def reap(maker: async_sessionmaker[AsyncSession], *, user_id: int | None = None) -> int:
    """Mark failed every running job whose owner died (of one user, or all); delete their
    staging rows and temp files, and orphaned staging rows of finished jobs. Returns how
    many jobs were reaped."""
    now = utcnow()
    async with maker() as db:
        query = select(ImportJob).where(ImportJob.state == "running")
        if user_id is not None:
            query = query.where(ImportJob.user_id == user_id)
        dead = [job for job in await db.scalars(query) if owner_dead(job, now)]
    reaped = 0
    for job in dead:
        # Clean up first, then mark failed: whoever reads "failed" finds nothing left behind.
        if job.host == HOST and job.temp_path:
            Path(job.temp_path).unlink(missing_ok=True)
        await drop_staging(maker, job.id)
        with writing():
            async with maker() as db:
                done = await db.execute(
                    update(ImportJob)
                    .where(ImportJob.id == job.id, ImportJob.state == "running", ImportJob.pid == job.pid)
                    .values(
                        state="failed",
                        finished_at=now,
                        error="the import was interrupted (the server stopped); nothing was imported",
                    )
                )
                await _commit(db)
        if getattr(done, "rowcount", 0):
            reaped += 1
            log.warning("import job %s of user %s: owner %s/%s gone; marked failed", job.key, job.user_id,
                        job.host, job.pid)
    if user_id is None:
        await _drop_orphans(maker)
    return reaped


async def _drop_orphans(maker: async_sessionmaker[AsyncSession]) -> None:
    """Staging rows of jobs no longer running (a crash between the final commit and the
    cleanup) and temp upload files of this host that no running job owns."""
    async with maker() as db:
        running = {
            job_id: key
            for job_id, key in await db.execute(
                select(ImportJob.id, ImportJob.key).where(ImportJob.state == "running")
            )
        }
        staged = set(await db.scalars(select(ImportStaging.job_id).distinct()))
        referred = set(await db.scalars(select(ImportStagingRef.job_id).distinct()))
    for job_id in (staged | referred) - set(running):
        await drop_staging(maker, job_id)
    keep = {str(temp_path_for(maker, key)) for key in running.values()}
    # A file younger than STALE_AFTER may belong to a job created after the read above.
    oldest = time.time() - STALE_AFTER.total_seconds()
    for path in _temp_files(maker):
        with contextlib.suppress(OSError):
            if str(path) not in keep and path.stat().st_mtime < oldest:
                path.unlink()


def _temp_files(maker: async_sessionmaker[AsyncSession]) -> Iterable[Path]:
    return temp_dir(maker).glob(f"{TEMP_PREFIX}*{TEMP_SUFFIX}")


async def run_reaper(maker: async_sessionmaker[AsyncSession], every: float = REAP_EVERY) -> None:
    """Reap at once (start-up), then every `every` seconds; the app's lifespan runs it as a task."""
    while True:
        try:
            await reap(maker)
        except Exception:  # the database may be down: try again next round
            log.warning("import job reaper failed", exc_info=True)
        await asyncio.sleep(every)
