"""Import and export through HTTP (issue 5): POST /api/import, the /import page with its
background job, the streamed CSV exports and the JSON backup round trip.

The service-level behaviour (parsing details, 100,000 rows, project matching) is pinned in
test_transfer_service.py; these tests pin what a client of the API and a browser see.
"""

from __future__ import annotations

import asyncio
import csv
import json
import os
import re
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select, update

from app.db.models import GoalTarget, Project, TimeEntry
from tests.integration.helpers import db_run, db_scalar
from tests.support import UserCtx

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "imports"
FIXTURE_NAMES = sorted(p.name for p in FIXTURES.glob("*.csv"))
FORMAT_OF = {"toggl_detailed_1.csv": "toggl", "clockify_detailed_1.csv": "clockify", "kimai_export_1.csv": "kimai"}
TOGGL_HEADER = "Start date,Start time,End date,End time,Project,Description,Billable\n"
POLL_LIMIT_SECONDS = 60


# ---------------------------------------------------------------- helpers


def expected_of(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / f"{name}.expected.json").read_text())  # type: ignore[no-any-return]


def do_import(
    user: UserCtx, data: bytes, *, filename: str = "export.csv", fmt: str = "auto", dry_run: bool = False,
    timezone: str | None = None, skip_bad_rows: bool = False,
) -> Any:
    form = {"format": fmt, "dry_run": "true" if dry_run else "false",
            "skip_bad_rows": "true" if skip_bad_rows else "false"}
    if timezone is not None:
        form["timezone"] = timezone
    return user.api("POST", "/api/import", files={"file": (filename, data, "text/csv")}, data=form)


def counts(settings: Any, user_id: int) -> tuple[int, int]:
    """(entries, projects) of one user, read straight from the database."""
    entries = db_scalar(settings, select(func.count()).select_from(TimeEntry).where(TimeEntry.user_id == user_id))
    projects = db_scalar(settings, select(func.count()).select_from(Project).where(Project.user_id == user_id))
    return int(entries), int(projects)


def all_entries(user: UserCtx) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"limit": 500}
        if cursor:
            params["cursor"] = cursor
        r = user.api("GET", "/api/entries", params=params)
        assert r.status_code == 200, r.text
        body = r.json()
        items += body["items"]
        cursor = body["next_cursor"]
        if not cursor:
            return items


def as_expected(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Entries read back through the API in the shape of a fixture's .expected.json."""

    def utc(value: str) -> str:
        return datetime.fromisoformat(value).astimezone(UTC).isoformat()

    rows = [{"start": utc(e["start_time"]), "end": utc(e["end_time"]), "project": e["project_name"],
             "billable": e["billable"], "description": e["notes"]} for e in items]
    return sorted(rows, key=lambda x: (x["start"], x["end"]))


def toggl(*rows: str) -> bytes:
    return (TOGGL_HEADER + "".join(r + "\n" for r in rows)).encode()


def local_today(zone: str) -> date:
    return datetime.now(UTC).astimezone(ZoneInfo(zone)).date()


def at(day: date, hour: int, minute: int, zone: str) -> datetime:
    return datetime.combine(day, clock(hour, minute), ZoneInfo(zone))


def create_entry(user: UserCtx, start: datetime, end: datetime, **fields: Any) -> dict[str, Any]:
    r = user.api("POST", "/api/entries",
                 json={"start_time": start.isoformat(), "end_time": end.isoformat(), **fields})
    assert r.status_code == 201, r.text
    return r.json()  # type: ignore[no-any-return]


def create_project(user: UserCtx, name: str, **fields: Any) -> int:
    r = user.api("POST", "/api/projects", json={"name": name, **fields})
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


def project_names(user: UserCtx) -> dict[int, str]:
    r = user.api("GET", "/api/projects")
    assert r.status_code == 200, r.text
    return {p["id"]: p["name"] for p in r.json()}


def without_ids(value: Any, names: dict[int, str]) -> Any:
    """A payload with database ids removed and project ids replaced by project names,
    so two accounts holding the same data compare equal."""
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if key == "id":
                continue
            if key == "project_id":
                out[key] = names[item] if item is not None else None
            else:
                out[key] = without_ids(item, names)
        return out
    if isinstance(value, list):
        return [without_ids(v, names) for v in value]
    return value


def stats_by_name(user: UserCtx) -> dict[str, Any]:
    r = user.api("GET", "/api/productivity/stats", params={"period": 90})
    assert r.status_code == 200, r.text
    return without_ids(r.json(), project_names(user))  # type: ignore[no-any-return]


def assert_file_error(r: Any, message: str) -> None:
    assert r.status_code == 400, r.text
    body = r.json()
    assert body == {"ok": False, "error": body["error"]}
    assert body["error"].startswith("file: "), body
    assert message in body["error"], body


def assert_row_errors(r: Any, errors: list[dict[str, Any]], *, fmt: str = "toggl") -> None:
    assert r.status_code == 422, r.text
    assert r.json() == {
        "ok": False, "created": 0, "duplicates": 0, "errors": errors, "format": fmt, "dry_run": False,
        "written": False, "projects_created": 0,
        "error": f"{len(errors)} row(s) have errors; nothing was imported",
    }


# ---------------------------------------------------------------- the fixtures


@pytest.mark.parametrize("name", FIXTURE_NAMES)
def test_each_fixture_imports_exactly_its_expected_entries_once(name: str, make_user: Any, settings: Any) -> None:
    expected = expected_of(name)
    user = make_user(timezone="UTC")
    data = (FIXTURES / name).read_bytes()
    n = len(expected["entries"])
    n_projects = len({e["project"] for e in expected["entries"]})

    dry = do_import(user, data, filename=name, dry_run=True, timezone=expected["timezone"])
    assert dry.status_code == 200, dry.text
    assert dry.json() == {"ok": True, "created": n, "duplicates": 0, "errors": [], "format": FORMAT_OF[name],
                          "dry_run": True, "written": False, "projects_created": n_projects}
    assert counts(settings, user.id) == (0, 0)

    first = do_import(user, data, filename=name, timezone=expected["timezone"])
    assert first.status_code == 200, first.text
    assert first.json() == {"ok": True, "created": n, "duplicates": 0, "errors": [], "format": FORMAT_OF[name],
                            "dry_run": False, "written": True, "projects_created": n_projects}
    assert as_expected(all_entries(user)) == sorted(expected["entries"], key=lambda x: (x["start"], x["end"]))

    again = do_import(user, data, filename=name, timezone=expected["timezone"])
    assert again.status_code == 200, again.text
    assert (again.json()["created"], again.json()["duplicates"], again.json()["projects_created"]) == (0, n, 0)
    assert counts(settings, user.id) == (n, n_projects)


def test_the_files_times_are_read_in_the_users_zone_by_default(make_user: Any) -> None:
    expected = expected_of("kimai_export_1.csv")
    user = make_user(timezone=expected["timezone"])
    r = do_import(user, (FIXTURES / "kimai_export_1.csv").read_bytes(), fmt="kimai")
    assert r.status_code == 200, r.text
    assert as_expected(all_entries(user)) == sorted(expected["entries"], key=lambda x: (x["start"], x["end"]))


def test_imported_entries_read_back_through_entries_csv(make_user: Any) -> None:
    expected = expected_of("clockify_detailed_1.csv")
    user = make_user(timezone="Europe/Berlin")
    assert do_import(user, (FIXTURES / "clockify_detailed_1.csv").read_bytes(),
                     timezone=expected["timezone"]).status_code == 200
    r = user.api("GET", "/api/export/entries.csv")
    assert r.status_code == 200, r.text
    lines = r.text.splitlines()
    header = lines[0].split(",")
    rows = list(csv.DictReader(lines))
    assert header[:7] == ["id", "project", "task", "start_local", "end_local", "start_utc", "end_utc"]
    got = sorted(
        ({"start": datetime.fromisoformat(x["start_utc"]).isoformat(),
          "end": datetime.fromisoformat(x["end_utc"]).isoformat(),
          "project": x["project"], "billable": x["billable"] == "true", "description": x["notes"]} for x in rows),
        key=lambda x: (x["start"], x["end"]),
    )
    assert got == sorted(expected["entries"], key=lambda x: (x["start"], x["end"]))


def test_a_dry_run_writes_nothing_and_reports_what_it_would_do(make_user: Any, settings: Any) -> None:
    user = make_user(timezone="America/New_York")
    create_entry(user, at(date(2026, 3, 2), 9, 0, "America/New_York"), at(date(2026, 3, 2), 10, 0,
                 "America/New_York"), notes="already here")
    before = counts(settings, user.id)
    data = toggl("2026-03-02,09:00,2026-03-02,10:00,,already here,No",
                 "2026-03-03,09:00,2026-03-03,10:00,New project,fresh,Yes",
                 "2026-03-04,09:00,2026-03-04,08:00,New project,backwards,Yes")
    r = do_import(user, data, dry_run=True)
    assert r.status_code == 200, r.text
    assert r.json() == {"ok": True, "created": 1, "duplicates": 1,
                        "errors": [{"row": 4, "error": "row 4: end is before start"}], "format": "toggl",
                        "dry_run": True, "written": False, "projects_created": 1}
    assert counts(settings, user.id) == before


def test_skip_bad_rows_imports_the_good_rows_and_reports_the_bad(make_user: Any, settings: Any) -> None:
    user = make_user(timezone="America/New_York")
    data = toggl("2026-03-02,09:00,2026-03-02,10:00,Web,good one,Yes",
                 "2026-03-02,11:00,2026-03-02,nope,Web,bad,Yes",
                 "2026-03-03,09:00,2026-03-03,09:30,Web,good two,No")
    r = do_import(user, data, skip_bad_rows=True)
    assert r.status_code == 200, r.text
    assert r.json() == {"ok": True, "created": 2, "duplicates": 0,
                        "errors": [{"row": 3, "error": "row 3: End time 'nope' is not a time"}],
                        "format": "toggl", "dry_run": False, "written": True, "projects_created": 1}
    assert counts(settings, user.id) == (2, 1)
    assert [(e["notes"], e["start_time"]) for e in all_entries(user)] == [
        ("good two", "2026-03-03T09:00:00-05:00"), ("good one", "2026-03-02T09:00:00-05:00")]


# ---------------------------------------------------------------- broken files


def test_a_missing_required_column_is_a_file_error_naming_the_column(make_user: Any, settings: Any) -> None:
    user = make_user()
    data = b"Start date,Start time,End date,Project\n2026-03-02,09:00,2026-03-02,Web\n"
    r = do_import(user, data, fmt="toggl")
    assert_file_error(r, "missing required column 'End time' for a Toggl detailed CSV")
    assert counts(settings, user.id) == (0, 0)


def test_an_unrecognised_header_is_a_file_error(make_user: Any, settings: Any) -> None:
    user = make_user()
    r = do_import(user, b"when,what\n2026-03-02,stuff\n")
    assert_file_error(r, "unrecognised header: expected a Toggl, Clockify, Kimai or Momentum export")
    assert counts(settings, user.id) == (0, 0)


def test_a_bad_date_is_a_row_error_and_nothing_is_written(make_user: Any, settings: Any) -> None:
    user = make_user(timezone="America/New_York")
    data = toggl("2026-03-02,09:00,2026-03-02,10:00,Web,ok,Yes",
                 "2026-13-02,09:00,2026-03-02,10:00,Other,bad,Yes",
                 "2026-03-03,09:00,2026-03-03,10:00,Web,ok too,No")
    assert_row_errors(do_import(user, data), [{"row": 3, "error": "row 3: Start date '2026-13-02' is not a date"}])
    assert counts(settings, user.id) == (0, 0)


def test_an_end_before_its_start_is_a_row_error(make_user: Any, settings: Any) -> None:
    user = make_user(timezone="America/New_York")
    data = toggl("2026-03-02,10:00,2026-03-02,09:00,Web,backwards,Yes")
    assert_row_errors(do_import(user, data), [{"row": 2, "error": "row 2: end is before start"}])
    assert counts(settings, user.id) == (0, 0)


def test_a_local_time_in_the_spring_forward_gap_is_a_row_error(make_user: Any, settings: Any) -> None:
    user = make_user(timezone="UTC")
    data = toggl("2026-03-07,09:00,2026-03-07,10:00,Web,fine,Yes",
                 "2026-03-08,02:30,2026-03-08,04:00,Web,in the gap,Yes")
    r = do_import(user, data, timezone="America/New_York")
    assert_row_errors(r, [{"row": 3, "error": "row 3: start 2026-03-08 02:30 does not exist in America/New_York "
                                              "(DST gap: the clocks skip it)"}])
    assert counts(settings, user.id) == (0, 0)


def test_an_ambiguous_local_time_takes_its_first_occurrence(make_user: Any) -> None:
    user = make_user(timezone="America/New_York")
    r = do_import(user, toggl("2026-11-01,01:30,2026-11-01,03:00,Web,fall back,Yes"))
    assert r.status_code == 200, r.text
    [entry] = all_entries(user)
    assert (entry["start_time"], entry["end_time"], entry["duration_seconds"]) == (
        "2026-11-01T01:30:00-04:00", "2026-11-01T03:00:00-05:00", 9000)


def test_an_empty_file_is_a_file_error(make_user: Any, settings: Any) -> None:
    user = make_user()
    assert_file_error(do_import(user, b""), "file: the file is empty")
    assert_file_error(do_import(user, b"\xef\xbb\xbf\n\n  \n"), "file: the file is empty")
    assert counts(settings, user.id) == (0, 0)


def test_a_binary_file_is_a_file_error(make_user: Any, settings: Any) -> None:
    user = make_user()
    png = b"\x89PNG\r\n\x1a\n" + os.urandom(4096)
    assert_file_error(do_import(user, png, filename="chart.png"), "file: the file is a PNG image, not a CSV export")
    assert counts(settings, user.id) == (0, 0)


def test_a_20_mb_file_of_random_bytes_is_a_file_error(make_user: Any, settings: Any) -> None:
    user = make_user()
    garbage = b"garbage:" + os.urandom(20 * 1024 * 1024)
    r = do_import(user, garbage, filename="garbage.csv")
    assert_file_error(r, "file: the file is not UTF-8 text (binary file?)")
    assert counts(settings, user.id) == (0, 0)


def test_a_20_mb_csv_of_garbage_rows_stops_with_a_file_error(make_user: Any, settings: Any) -> None:
    user = make_user()
    line = b"nonsense,row,with," + b"x" * 200 + b"\n"
    data = TOGGL_HEADER.encode() + line * (20 * 1024 * 1024 // len(line))
    r = do_import(user, data, skip_bad_rows=True)
    assert_file_error(r, "file: too many bad rows; stopped at row 1001")
    assert counts(settings, user.id) == (0, 0)


def test_bad_options_are_400_naming_the_field(make_user: Any) -> None:
    user = make_user()
    data = toggl("2026-03-02,09:00,2026-03-02,10:00,Web,ok,Yes")
    r = do_import(user, data, fmt="excel")
    assert r.status_code == 400 and r.json() == {
        "ok": False, "error": "format: must be one of auto, toggl, clockify, kimai, momentum"}
    r = do_import(user, data, timezone="Mars/Olympus")
    assert r.status_code == 400 and r.json() == {
        "ok": False, "error": "timezone: 'Mars/Olympus' is not an IANA time zone"}


def test_import_requires_authentication(anon_client: Any) -> None:
    r = anon_client.post("/api/import", files={"file": ("a.csv", b"x", "text/csv")})
    assert r.status_code == 401
    assert r.json() == {"ok": False, "error": "authentication required"}


# ---------------------------------------------------------------- the /import page


def test_import_page_renders_the_form(make_user: Any) -> None:
    user = make_user(timezone="Europe/Berlin")
    r = user.client.get("/import")
    assert r.status_code == 200, r.text
    assert 'enctype="multipart/form-data"' in r.text
    assert 'name="_csrf_token"' in r.text
    assert '<option value="Europe/Berlin" selected>' in r.text
    assert 'name="skip_bad_rows"' in r.text and 'name="dry_run"' in r.text


def test_import_page_plain_post_without_javascript_shows_the_result(make_user: Any, settings: Any) -> None:
    user = make_user()
    expected = expected_of("toggl_detailed_1.csv")
    data = (FIXTURES / "toggl_detailed_1.csv").read_bytes()
    token = user.csrf["X-CSRF-Token"]
    r = user.client.post("/import", files={"file": ("toggl.csv", data, "text/csv")},
                         data={"_csrf_token": token, "format": "auto", "timezone": expected["timezone"]})
    assert r.status_code == 200, r.text
    assert f"Imported {len(expected['entries'])} entries (4 new projects); 0 duplicates skipped." in r.text
    assert counts(settings, user.id) == (len(expected["entries"]), 4)


def test_import_page_plain_post_shows_row_errors_with_422(make_user: Any, settings: Any) -> None:
    user = make_user()
    token = user.csrf["X-CSRF-Token"]
    data = toggl("2026-03-02,09:00,2026-03-02,10:00,Web,ok,Yes", "2026-03-02,xx,2026-03-02,10:00,Web,bad,Yes")
    r = user.client.post("/import", files={"file": ("t.csv", data, "text/csv")},
                         data={"_csrf_token": token, "format": "toggl", "timezone": "UTC"})
    assert r.status_code == 422, r.text
    assert "1 rows have errors, so nothing was imported." in r.text
    assert "row 3: Start time &#39;xx&#39; is not a time" in r.text
    assert counts(settings, user.id) == (0, 0)


def test_import_page_plain_post_shows_a_file_error_next_to_the_field(make_user: Any) -> None:
    user = make_user()
    token = user.csrf["X-CSRF-Token"]
    r = user.client.post("/import", files={"file": ("t.csv", b"", "text/csv")},
                         data={"_csrf_token": token, "format": "auto", "timezone": "UTC"})
    assert r.status_code == 422, r.text
    assert "the file is empty" in r.text


def test_import_page_post_without_csrf_token_is_refused(make_user: Any, settings: Any) -> None:
    user = make_user()
    r = user.client.post("/import", files={"file": ("t.csv", toggl("2026-03-02,09:00,2026-03-02,10:00,W,x,Yes"),
                                                    "text/csv")}, data={"format": "auto"})
    assert r.status_code == 403
    assert counts(settings, user.id) == (0, 0)


def _poll_job(client: Any, job_id: str, headers: dict[str, str]) -> str:
    deadline = time.monotonic() + POLL_LIMIT_SECONDS
    while True:
        r = client.get(f"/import/jobs/{job_id}", headers=headers)
        assert r.status_code == 200, r.text
        state = re.search(r'data-state="(\w*)"', r.text)
        assert state is not None, r.text
        if state.group(1) != "running" or time.monotonic() > deadline:
            return r.text
        time.sleep(0.05)


def test_import_page_with_htmx_runs_a_job_whose_progress_is_polled_until_done(
    make_user: Any, settings: Any
) -> None:
    user = make_user()
    expected = expected_of("clockify_detailed_1.csv")
    data = (FIXTURES / "clockify_detailed_1.csv").read_bytes()
    headers = {"HX-Request": "true", **user.csrf}
    r = user.client.post("/import", files={"file": ("clockify.csv", data, "text/csv")},
                         data={"format": "clockify", "timezone": expected["timezone"]}, headers=headers)
    assert r.status_code == 200, r.text
    assert r.text.lstrip().startswith('<div id="import-job"')
    assert 'data-state="running"' in r.text
    job_id = re.search(r'hx-get="/import/jobs/([^"]+)"', r.text)
    assert job_id is not None, r.text
    assert 'hx-trigger="every 1s"' in r.text

    final = _poll_job(user.client, job_id.group(1), headers)
    assert 'data-state="done"' in final, final
    assert "hx-get" not in final  # a finished job stops polling
    assert f"Imported {len(expected['entries'])} entries (4 new projects); 0 duplicates skipped." in final
    assert counts(settings, user.id) == (len(expected["entries"]), 4)


def test_an_htmx_job_that_fails_ends_in_the_failed_state(make_user: Any, settings: Any) -> None:
    user = make_user()
    headers = {"HX-Request": "true", **user.csrf}
    r = user.client.post("/import", files={"file": ("x.png", b"\x89PNG\r\n\x1a\n" + os.urandom(64), "image/png")},
                         data={"format": "auto", "timezone": "UTC"}, headers=headers)
    assert r.status_code == 200, r.text
    job_id = re.search(r'hx-get="/import/jobs/([^"]+)"', r.text)
    assert job_id is not None, r.text
    final = _poll_job(user.client, job_id.group(1), headers)
    assert 'data-state="failed"' in final
    assert "file: the file is a PNG image, not a CSV export" in final
    assert counts(settings, user.id) == (0, 0)


def test_another_users_import_job_is_404(make_user: Any) -> None:
    owner, other = make_user(), make_user()
    headers = {"HX-Request": "true", **owner.csrf}
    r = owner.client.post("/import", files={"file": ("t.csv", toggl("2026-03-02,09:00,2026-03-02,10:00,W,x,Yes"),
                                                     "text/csv")},
                          data={"format": "auto", "timezone": "UTC"}, headers=headers)
    job_id = re.search(r'hx-get="/import/jobs/([^"]+)"', r.text)
    assert job_id is not None, r.text
    assert other.client.get(f"/import/jobs/{job_id.group(1)}").status_code == 404
    assert owner.client.get(f"/import/jobs/{uuid.uuid4().hex}").status_code == 404
    _poll_job(owner.client, job_id.group(1), headers)  # let the job finish inside this test


# ---------------------------------------------------------------- exports


NY = "America/New_York"


def test_entries_csv_has_the_header_and_each_row_exactly(make_user: Any) -> None:
    user = make_user(timezone=NY)
    pid = create_project(user, "Web")
    r = user.api("POST", "/api/tasks", json={"project_id": pid, "name": "Design"})
    assert r.status_code == 201, r.text
    tid = r.json()["id"]
    winter = create_entry(user, at(date(2026, 3, 6), 9, 0, NY), at(date(2026, 3, 6), 10, 30, NY), project_id=pid,
                          task_id=tid, billable=True, notes='Hello, "world"\nline two', outcome="shipped",
                          tags=["a, b", "c"])
    summer = create_entry(user, at(date(2026, 3, 9), 9, 0, NY), at(date(2026, 3, 9), 9, 45, NY))
    create_entry(user, at(date(2026, 3, 10), 9, 0, NY), at(date(2026, 3, 10), 9, 45, NY))  # after the range

    r = user.api("GET", "/api/export/entries.csv", params={"start": "2026-03-06", "end": "2026-03-09"})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "text/csv; charset=utf-8"
    assert r.headers["content-disposition"] == 'attachment; filename="momentum-entries.csv"'
    assert r.text == (
        "id,project,task,start_local,end_local,start_utc,end_utc,duration_seconds,billable,notes,outcome,tags\r\n"
        f'{winter["id"]},Web,Design,2026-03-06T09:00:00-05:00,2026-03-06T10:30:00-05:00,2026-03-06T14:00:00Z,'
        '2026-03-06T15:30:00Z,5400,true,"Hello, ""world""\nline two",shipped,"[""a, b"",""c""]"\r\n'
        f"{summer['id']},,,2026-03-09T09:00:00-04:00,2026-03-09T09:45:00-04:00,2026-03-09T13:00:00Z,"
        "2026-03-09T13:45:00Z,2700,false,,,[]\r\n"
    )


def test_daily_csv_has_one_row_per_local_day_with_goal_hours_on_working_days(make_user: Any) -> None:
    user = make_user(timezone=NY, hours=7.5)
    pid = create_project(user, "Web")
    # Friday 23:00 to Saturday 01:00 local: one hour on each day.
    create_entry(user, at(date(2026, 3, 6), 23, 0, NY), at(date(2026, 3, 7), 1, 0, NY), project_id=pid,
                 billable=True)
    create_entry(user, at(date(2026, 3, 6), 9, 0, NY), at(date(2026, 3, 6), 9, 30, NY))
    # Sunday 2026-03-08 is 23 hours long in New York; 01:00 EST to 04:00 EDT is two hours.
    create_entry(user, at(date(2026, 3, 8), 1, 0, NY), at(date(2026, 3, 8), 4, 0, NY), project_id=pid)

    r = user.api("GET", "/api/export/daily.csv", params={"start": "2026-03-05", "end": "2026-03-09"})
    assert r.status_code == 200, r.text
    assert r.headers["content-disposition"] == 'attachment; filename="momentum-daily.csv"'
    assert r.text.split("\r\n") == [
        "date,hours,billable_hours,entries,goal_hours,projects",
        "2026-03-05,0.00,0.00,0,7.50,{}",
        '2026-03-06,1.50,1.00,2,7.50,"{""Web"":1.0,""No project"":0.5}"',
        '2026-03-07,1.00,1.00,0,0.00,"{""Web"":1.0}"',
        '2026-03-08,2.00,0.00,1,0.00,"{""Web"":2.0}"',
        "2026-03-09,0.00,0.00,0,7.50,{}",
        "",
    ]


@pytest.mark.parametrize(("route", "params", "error"), [
    ("entries.csv", {"start": "2026-02-30"}, "start: must be a date YYYY-MM-DD"),
    ("entries.csv", {"end": "yesterday"}, "end: must be a date YYYY-MM-DD"),
    ("daily.csv", {"start": "03/01/2026"}, "start: must be a date YYYY-MM-DD"),
    ("daily.csv", {"start": "2026-03-09", "end": "2026-03-01"}, "end: must not be before start"),
])
def test_an_invalid_export_range_is_400(make_user: Any, route: str, params: dict[str, str], error: str) -> None:
    user = make_user()
    r = user.api("GET", f"/api/export/{route}", params=params)
    assert r.status_code == 400, r.text
    assert r.json() == {"ok": False, "error": error}


def test_exports_require_authentication(anon_client: Any) -> None:
    for route in ("entries.csv", "daily.csv", "backup.json"):
        r = anon_client.get(f"/api/export/{route}")
        assert r.status_code == 401
        assert r.json() == {"ok": False, "error": "authentication required"}


def test_export_page_renders_the_range_picker(make_user: Any) -> None:
    user = make_user()
    r = user.client.get("/export")
    assert r.status_code == 200, r.text
    assert 'formaction="/api/export/entries.csv"' in r.text
    assert 'formaction="/api/export/daily.csv"' in r.text
    assert 'href="/api/export/backup.json"' in r.text
    assert 'name="start" type="date"' in r.text and 'name="end" type="date"' in r.text


def _insert_entries(settings: Any, user_id: int, n: int) -> None:
    base = datetime(2025, 1, 1, 8, tzinfo=UTC)
    rows = [{"user_id": user_id, "start_time": base + timedelta(hours=2 * i),
             "end_time": base + timedelta(hours=2 * i, minutes=45), "billable": i % 2 == 0,
             "notes": f"entry {i}", "outcome": "", "tags": [], "created_at": base, "updated_at": base}
            for i in range(n)]

    async def work(db: Any) -> None:
        from sqlalchemy import insert

        await db.execute(insert(TimeEntry), rows)

    db_run(settings, work)


def test_exports_stream_in_several_body_chunks(app: Any, new_client: Any, make_user: Any, settings: Any) -> None:
    """The TestClient joins a body, so the ASGI messages are counted under it."""
    user = make_user()
    _insert_entries(settings, user.id, 3000)
    bodies: list[tuple[int, bool]] = []

    async def recording(scope: Any, receive: Any, send: Any) -> None:
        async def spy(message: Any) -> None:
            if message["type"] == "http.response.body":
                bodies.append((len(message.get("body", b"")), bool(message.get("more_body", False))))
            await send(message)

        await app(scope, receive, spy)

    client = new_client(recording)
    for route, lines in (("entries.csv", 3001), ("backup.json", None)):
        bodies.clear()
        headers = {**user.bearer, "Accept-Encoding": "identity"}  # sizes of the plain body
        with client.stream("GET", f"/api/export/{route}", headers=headers) as r:
            assert r.status_code == 200
            body = b"".join(r.iter_bytes())
        non_empty = [size for size, _ in bodies if size]
        assert len(non_empty) > 1, (route, bodies)
        assert sum(non_empty) == len(body)
        if lines is not None:
            assert len(body.decode().splitlines()) == lines
        else:
            assert len(json.loads(body)["entries"]) == 3000


# ---------------------------------------------------------------- backup round trip


def _build_history(user: UserCtx, settings: Any) -> None:
    """Projects, tasks, entries (one across midnight), weekly goals, goals with a target history."""
    zone = user.timezone
    today = local_today(zone)
    monday = today - timedelta(days=today.weekday())
    r = user.api("PATCH", "/api/me", json={"working_days": [1, 2, 3, 4], "standard_hours_per_day": 7.5})
    assert r.status_code == 200, r.text
    alpha = create_project(user, "Alpha", color="#112233", billable=True)
    beta = create_project(user, "Beta")
    create_project(user, "Old", archived=True)
    task = user.api("POST", "/api/tasks", json={"project_id": alpha, "name": "Ship it"}).json()
    user.api("POST", "/api/tasks", json={"project_id": beta, "name": "Later"})
    assert user.api("PATCH", f"/api/tasks/{task['id']}", json={"status": "done"}).status_code == 200
    for back in range(1, 40, 3):
        day = today - timedelta(days=back)
        create_entry(user, at(day, 9, 0, zone), at(day, 10, 30, zone), project_id=alpha, billable=True,
                     notes=f"alpha {back}", outcome="done" if back % 2 else "")
        create_entry(user, at(day, 13, 15, zone), at(day, 14, 0, zone), project_id=beta, notes=f"beta {back}",
                     tags=["review"])
        create_entry(user, at(day, 16, 0, zone), at(day, 16, 20, zone), notes="no project")
    night = today - timedelta(days=3)
    create_entry(user, at(night, 23, 0, zone), at(night + timedelta(days=1), 1, 30, zone), project_id=alpha,
                 task_id=task["id"], notes="late night")
    for week in (monday, monday - timedelta(days=7)):
        assert user.api("PUT", f"/api/weekly-goals/{week}", json={"target_hours": 25}).status_code == 200
    goal = user.api("POST", "/api/goals", json={"name": "Alpha hours", "metric": "hours", "target": 6,
                                               "period": "weekly", "project_id": alpha}).json()
    for body in ({"name": "Ship", "metric": "tasks_completed", "target": 2, "period": "monthly"},
                 {"name": "Meetings", "metric": "hours", "target": 1, "period": "daily", "direction": "at_most"},
                 {"name": "Billable", "metric": "billable_percent", "target": 50, "period": "weekly"}):
        assert user.api("POST", "/api/goals", json=body).status_code == 201

    async def backdate(db: Any) -> None:
        await db.execute(update(GoalTarget).where(GoalTarget.goal_id == goal["id"])
                         .values(effective_from=monday - timedelta(days=28)))

    db_run(settings, backdate)
    assert user.api("PATCH", f"/api/goals/{goal['id']}", json={"target": 8}).status_code == 200


def _restore_into_fresh_account(backup: bytes, make_user: Any) -> tuple[UserCtx, dict[str, Any]]:
    fresh = make_user(timezone=None)
    r = do_import(fresh, backup, filename="momentum-backup.json", fmt="momentum")
    assert r.status_code == 200, r.text
    return fresh, r.json()


def test_backup_restored_into_an_empty_account_gives_the_same_stats(make_user: Any, settings: Any) -> None:
    user = make_user(timezone="Europe/Berlin")
    _build_history(user, settings)
    r = user.api("GET", "/api/export/backup.json")
    assert r.status_code == 200, r.text
    assert r.headers["content-disposition"] == 'attachment; filename="momentum-backup.json"'
    backup = r.json()
    assert (backup["format"], backup["version"]) == ("momentum-backup", 1)
    assert [len(backup[k]) for k in ("projects", "tasks", "entries", "weekly_goals", "goals")] == [3, 2, 40, 2, 4]
    assert [len(g["targets"]) for g in backup["goals"]] == [2, 1, 1, 1]

    fresh, result = _restore_into_fresh_account(r.content, make_user)
    assert result == {"ok": True, "created": 40, "duplicates": 0, "errors": [], "format": "momentum-backup",
                      "dry_run": False, "written": True, "projects_created": 3}
    me = fresh.api("GET", "/api/me").json()
    assert (me["timezone"], me["standard_hours_per_day"], me["working_days"]) == ("Europe/Berlin", 7.5, [1, 2, 3, 4])

    original, restored = stats_by_name(user), stats_by_name(fresh)
    assert original["summary"]["week_goal_hours"] == 25.0
    assert len(original["goals"]) == 4 and original["projects"]
    assert restored == original

    def goals(u: UserCtx) -> list[Any]:
        listed = u.api("GET", "/api/goals").json()
        return [{k: v for k, v in g.items() if k != "created_at"} for g in without_ids(listed, project_names(u))]

    assert goals(fresh) == goals(user)
    again = do_import(fresh, r.content, fmt="momentum")
    assert (again.json()["created"], again.json()["duplicates"]) == (0, 40)


def test_demo_history_backup_restored_gives_the_same_stats(make_user: Any, new_client: Any, settings: Any) -> None:
    from sqlalchemy.ext.asyncio import async_sessionmaker

    from app.cli_demo import seed_demo
    from app.db.config import create_engine, writing
    from app.domain.accounts.sessions import create_session
    from app.domain.accounts.tokens import create_token
    from app.lib.signing import sign

    email = f"demo-{uuid.uuid4().hex[:10]}@example.com"

    async def seed() -> tuple[int, str, str]:
        engine = create_engine(settings)
        try:
            with writing():
                async with async_sessionmaker(engine, expire_on_commit=False)() as db:
                    user_id, _ = await seed_demo(db, email=email, password="demo password 1", years=1, seed=7,
                                                 zone_name="America/New_York")
                    _, token = await create_token(db, user_id, "tests")
                    raw = await create_session(db, user_id)
                    await db.commit()
                    return user_id, token, raw
        finally:
            await engine.dispose()

    loop = asyncio.new_event_loop()
    try:
        user_id, token, raw = loop.run_until_complete(seed())
    finally:
        loop.close()
    client = new_client()
    client.cookies.set("momentum_session", sign(settings.secret_key, raw))
    demo = UserCtx(user_id, email, "demo password 1", token, raw, client, "America/New_York")
    n_entries = counts(settings, user_id)[0]
    assert n_entries > 1000

    r = demo.api("GET", "/api/export/backup.json")
    assert r.status_code == 200
    fresh, result = _restore_into_fresh_account(r.content, make_user)
    assert (result["created"], result["errors"], result["written"]) == (n_entries, [], True)
    assert counts(settings, fresh.id) == counts(settings, user_id)

    original, restored = stats_by_name(demo), stats_by_name(fresh)
    assert original["focus"]["most_productive_hour"] is not None and original["streak"]["longest_streak"] > 0
    assert restored == original
