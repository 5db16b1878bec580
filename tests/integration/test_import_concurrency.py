"""Imports that share the database (issue 12 part 5, issue 8; CONTRACT section 6).

- Six parallel imports of one file by one user create each entry once (in-process, on the
  suite's database: SQLite, or PostgreSQL when MOMENTUM_TEST_DATABASE_URL is set).
- While one user imports 100,000 rows into a real server on SQLite, another user's write
  once a second never waits more than 2 s and never fails.
- SIGKILL of the server during an import: after the restart nothing of it is visible, the
  job reads as failed, its staging rows and temp file are gone.
"""

from __future__ import annotations

import asyncio
import glob
import io
import re
import sqlite3
import tempfile
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.servers import AppServer, api_user, browser_user, migrate

CSV_HEADER = "Start date,Start time,End date,End time,Project,Task,Description,Billable,Tags\n"


def toggl_rows(rows: int, *, start: datetime = datetime(2015, 1, 1, 8)) -> bytes:
    out = io.StringIO()
    out.write(CSV_HEADER)
    for i in range(rows):
        s = start + timedelta(hours=i)
        e = s + timedelta(minutes=45)
        out.write(f"{s:%Y-%m-%d},{s:%H:%M},{e:%Y-%m-%d},{e:%H:%M},P{i % 7},T{i % 3},entry {i},"
                  f"{'Yes' if i % 2 else 'No'},\"a, b\"\n")
    return out.getvalue().encode()


def test_six_parallel_imports_of_one_file_create_each_entry_once(app: Any, portal: Any, make_user: Any) -> None:
    user = make_user()
    data = toggl_rows(40)

    async def six() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver.local", timeout=120) as c:
            return list(await asyncio.gather(*[
                c.post("/api/import", headers=user.bearer, files={"file": ("t.csv", data, "text/csv")},
                       data={"format": "toggl", "timezone": "UTC"})
                for _ in range(6)
            ]))

    responses = portal.call(six)
    statuses = [r.status_code for r in responses]
    assert set(statuses) <= {200, 409}, [r.text for r in responses]
    ok = [r.json() for r in responses if r.status_code == 200]
    assert ok, statuses
    assert sum(body["created"] for body in ok) == 40
    for r in responses:
        if r.status_code == 409:
            assert r.json() == {"ok": False, "error": "an import is already running"}
    listed = user.api("GET", "/api/entries", params={"limit": 500}).json()["items"]
    assert len(listed) == 40
    assert len({(e["start_time"], e["end_time"], e["notes"]) for e in listed}) == 40


# ---------------------------------------------------------------- real servers on SQLite


@pytest.fixture()
def sqlite_server(tmp_path: Path) -> Any:
    url = f"sqlite+aiosqlite:///{tmp_path / 'momentum.db'}"
    migrate(url)
    server = AppServer(url).start()
    yield server, tmp_path / "momentum.db"
    server.close()


def _count(db: Path, sql: str, *args: Any) -> int:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30) as conn:
        return int(conn.execute(sql, args).fetchone()[0])


@pytest.mark.servers
@pytest.mark.own_servers
def test_another_users_writes_wait_at_most_2s_during_a_100k_row_import(sqlite_server: Any) -> None:
    server, db = sqlite_server
    importer, other = api_user(server), api_user(server)
    data = toggl_rows(100_000)
    answer: dict[str, Any] = {}

    def run_import() -> None:
        with importer.on(server) as c:
            c.timeout = 600
            answer["response"] = c.post("/api/import", files={"file": ("big.csv", data, "text/csv")},
                                        data={"format": "toggl", "timezone": "UTC"})

    thread = threading.Thread(target=run_import)
    thread.start()
    waits: list[float] = []
    failures: list[str] = []
    base = datetime(2026, 1, 1, 9)
    i = 0
    while thread.is_alive() or i < 3:
        s = base + timedelta(hours=i)
        t0 = time.perf_counter()
        r = other.client.post("/api/entries", json={"start_time": f"{s:%Y-%m-%dT%H:%M:%S}Z",
                                                   "end_time": f"{s + timedelta(minutes=30):%Y-%m-%dT%H:%M:%S}Z",
                                                   "notes": f"write {i}"})
        waits.append(time.perf_counter() - t0)
        if r.status_code != 201:
            failures.append(f"{r.status_code}: {r.text[:200]}")
        i += 1
        time.sleep(max(0.0, 1.0 - waits[-1]))
    thread.join()
    print(f"other user's writes during the import: n={len(waits)}, max {max(waits):.3f} s, "
          f"median {sorted(waits)[len(waits) // 2]:.3f} s")
    response = answer["response"]
    assert response.status_code == 200, response.text
    assert response.json()["created"] == 100_000
    assert failures == []
    assert len(waits) >= 3
    assert max(waits) < 2.0, f"slowest write of the other user: {max(waits):.2f} s ({sorted(waits)[-5:]})"
    assert _count(db, "SELECT count(*) FROM import_staging") == 0


@pytest.mark.servers
@pytest.mark.own_servers
def test_sigkill_during_an_import_leaves_nothing_visible_and_the_job_failed(sqlite_server: Any) -> None:
    server, db = sqlite_server
    user = browser_user(server)
    data = toggl_rows(100_000)
    r = user.client.post("/import", files={"file": ("big.csv", data, "text/csv")},
                         data={"format": "toggl", "timezone": "UTC"}, headers={"HX-Request": "true"})
    assert r.status_code == 200, r.text
    found = re.search(r'hx-get="/import/jobs/([^"]+)"', r.text)
    assert found is not None, r.text
    key = found.group(1)
    deadline = time.monotonic() + 60
    while True:  # wait until some chunks are staged, then kill the server mid-import
        staged = _count(db, "SELECT count(*) FROM import_staging")
        if staged >= 5000:
            break
        assert time.monotonic() < deadline, "the import staged nothing within 60 s"
        time.sleep(0.05)
    server.kill()
    user_id = _count(db, "SELECT id FROM users WHERE email = ?", user.email)
    assert _count(db, "SELECT count(*) FROM time_entries WHERE user_id = ?", user_id) == 0
    assert _count(db, "SELECT count(*) FROM projects WHERE user_id = ?", user_id) == 0
    assert _count(db, "SELECT count(*) FROM import_jobs WHERE key = ? AND state = 'running'", key) == 1
    uploads = glob.glob(f"{tempfile.gettempdir()}/momentum-imports-*/momentum-import-{key}.upload")
    assert uploads, "the spooled upload should exist while the job was killed"

    server.start()  # the reaper runs at start-up
    page = user.client.get(f"/import/jobs/{key}")
    assert page.status_code == 200, page.text
    assert 'data-state="failed"' in page.text, page.text
    assert "interrupted" in page.text
    assert _count(db, "SELECT count(*) FROM import_staging") == 0
    assert _count(db, "SELECT count(*) FROM time_entries WHERE user_id = ?", user_id) == 0
    assert not any(Path(p).exists() for p in uploads)
    # The lock is free again: the same user can import at once.
    again = user.client.post("/api/import", files={"file": ("small.csv", toggl_rows(3), "text/csv")},
                             data={"format": "toggl", "timezone": "UTC"})
    assert again.status_code == 200, again.text
    assert again.json()["created"] == 3
