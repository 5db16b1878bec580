"""The export formats: entries.csv, daily.csv, backup.json, and the round trip (issue 5)."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.domain.transfer.backup_format import (
    BACKUP_FORMAT,
    Backup,
    BackupEntry,
    BackupError,
    BackupGoal,
    BackupGoalTarget,
    BackupProject,
    BackupTask,
    BackupUser,
    BackupWeeklyGoal,
    BackupWriter,
    backup_json_chunks,
    decode_backup,
)
from app.domain.transfer.csv_formats import (
    DAILY_CSV_HEADER,
    ENTRIES_CSV_HEADER,
    DailyAccumulator,
    DailyExportRow,
    ExportEntry,
    daily_csv_rows,
    daily_export_rows,
    entries_csv_rows,
)
from app.domain.transfer.parsing import ParsedRow, parse_file

NY = ZoneInfo("America/New_York")
BERLIN = ZoneInfo("Europe/Berlin")
UTC_ZONE = ZoneInfo("UTC")


def _utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0, us: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, us, tzinfo=UTC)


def _entry(id: int, start: datetime, minutes: float, **kw: object) -> ExportEntry:
    fields: dict[str, object] = {"project": "Web", "task": None, "billable": False}
    fields.update(kw)
    return ExportEntry(id=id, start=start, end=start + timedelta(minutes=minutes), **fields)  # type: ignore[arg-type]


def _csv_text(rows: list[ExportEntry], zone: ZoneInfo = NY) -> str:
    return "".join(entries_csv_rows(rows, zone))


def _read_back(text: str, fmt: str = "momentum") -> list[ParsedRow]:
    parsed = list(parse_file(io.BytesIO(text.encode()), fmt=fmt, zone=BERLIN))
    assert all(isinstance(r, ParsedRow) for r in parsed), parsed
    return [r for r in parsed if isinstance(r, ParsedRow)]


def _same(entry: ExportEntry, row: ParsedRow) -> bool:
    return (
        row.start == entry.start
        and row.end == entry.end
        and row.project == entry.project
        and row.task == entry.task
        and row.billable == entry.billable
        and row.description == entry.notes
        and row.outcome == entry.outcome
        and row.tags == entry.tags
    )


# ---------------------------------------------------------------- entries.csv


def test_entries_csv_writes_local_and_utc_times_duration_and_json_tags() -> None:
    entry = _entry(
        42,
        _utc(2026, 3, 8, 6, 30),  # 01:30 EST; the clocks jump at 02:00
        60,
        task="Fix login",
        billable=True,
        notes='Said "hi", then\nleft',
        outcome="done",
        tags=("a, b", "c"),
    )
    lines = list(csv.reader(io.StringIO(_csv_text([entry]))))
    assert lines[0] == list(ENTRIES_CSV_HEADER)
    assert lines[1] == [
        "42",
        "Web",
        "Fix login",
        "2026-03-08T01:30:00-05:00",
        "2026-03-08T03:30:00-04:00",
        "2026-03-08T06:30:00Z",
        "2026-03-08T07:30:00Z",
        "3600",
        "true",
        'Said "hi", then\nleft',
        "done",
        '["a, b","c"]',
    ]


def test_entries_csv_leaves_missing_project_and_task_empty() -> None:
    text = _csv_text([_entry(1, _utc(2026, 1, 5, 9), 30, project=None)])
    assert text.splitlines()[1] == (
        "1,,,2026-01-05T04:00:00-05:00,2026-01-05T04:30:00-05:00,"
        "2026-01-05T09:00:00Z,2026-01-05T09:30:00Z,1800,false,,,[]"
    )


def test_entries_csv_yields_the_header_alone_then_batches() -> None:
    entries = [_entry(i, _utc(2026, 1, 5, 9) + timedelta(hours=i), 30) for i in range(1200)]
    chunks = list(entries_csv_rows(iter(entries), NY))
    assert chunks[0] == ",".join(ENTRIES_CSV_HEADER) + "\r\n"
    assert [c.count("\r\n") for c in chunks[1:]] == [500, 500, 200]


def test_entries_csv_with_no_entries_is_just_the_header() -> None:
    assert list(entries_csv_rows([], NY)) == [",".join(ENTRIES_CSV_HEADER) + "\r\n"]


# ---------------------------------------------------------------- round trip


TRICKY = [
    _entry(1, _utc(2026, 3, 8, 6, 30), 90, notes="crosses the DST jump", tags=("dst",)),
    _entry(
        2,
        _utc(2026, 11, 1, 5, 30),
        60,
        project="Acme, Inc.",
        task='The "big" one',
        billable=True,
        notes="  leading and trailing  ",
        outcome="line 1\r\nline 2\nline 3\rend",
        tags=("comma, inside", '"quoted"', "ünïcödé", "[bracket]"),
    ),
    _entry(3, _utc(2026, 1, 1, 0, 0), 0.5, project=None, notes="=SUM(A1:A2)", outcome='"'),
    _entry(4, _utc(2026, 1, 2, 3, 4, 5, 678900), 7 * 24 * 60, project="P", tags=()),
]


@pytest.mark.parametrize("fmt", ["momentum", "auto"])
def test_entries_csv_reads_back_exactly(fmt: str) -> None:
    rows = _read_back(_csv_text(TRICKY), fmt)
    assert len(rows) == len(TRICKY)
    for entry, row in zip(TRICKY, rows, strict=True):
        assert _same(entry, row), (entry, row)
    assert [r.row for r in rows] == [2, 3, 4, 5]


_text = st.text(st.characters(exclude_categories=["Cs"], exclude_characters="\x00"), max_size=60)


@settings(max_examples=150, deadline=None)
@given(
    notes=_text,
    outcome=_text,
    project=st.one_of(st.none(), _text.filter(bool)),
    tags=st.lists(_text.filter(bool), max_size=4, unique=True).map(tuple),
    seconds=st.integers(min_value=1, max_value=7 * 86_400),
)
def test_any_entry_round_trips_through_entries_csv(
    notes: str, outcome: str, project: str | None, tags: tuple[str, ...], seconds: int
) -> None:
    entry = ExportEntry(
        id=9,
        project=project,
        task=None,
        start=_utc(2026, 3, 29, 0, 30),
        end=_utc(2026, 3, 29, 0, 30) + timedelta(seconds=seconds),
        billable=True,
        notes=notes,
        outcome=outcome,
        tags=tags,
    )
    [row] = _read_back(_csv_text([entry], BERLIN))
    assert _same(entry, row), (entry, row)


# ---------------------------------------------------------------- daily.csv


def test_daily_rows_split_across_local_days_and_keep_empty_days() -> None:
    entries = [
        _entry(1, _utc(2026, 3, 2, 4), 120, billable=True),  # 23:00-01:00 EST, Sun 1st to Mon 2nd
        _entry(2, _utc(2026, 3, 2, 14), 90, project=None),  # Monday 09:00-10:30
        _entry(3, _utc(2026, 3, 5, 15), 60, project="Ops", billable=True),  # Thursday
    ]
    days = list(
        daily_export_rows(
            entries,
            zone=NY,
            first_day=date(2026, 3, 1),
            last_day=date(2026, 3, 5),
            standard_hours_per_day=7.5,
            working_days=[1, 2, 3, 4, 5],
        )
    )
    assert [d.date for d in days] == [date(2026, 3, d) for d in range(1, 6)]
    sunday, monday, tuesday, _, thursday = days
    assert (sunday.seconds, sunday.billable_seconds, sunday.entries, sunday.goal_hours) == (
        3600,
        3600,
        1,
        0.0,
    )
    assert (monday.seconds, monday.billable_seconds, monday.entries, monday.goal_hours) == (
        9000,
        3600,
        1,
        7.5,
    )
    assert monday.project_seconds == {"Web": 3600, "No project": 5400}
    assert (tuesday.seconds, tuesday.entries, tuesday.project_seconds) == (0, 0, {})
    assert thursday.project_seconds == {"Ops": 3600}


def test_daily_rows_clip_entries_to_the_range_and_count_only_starts_inside() -> None:
    entries = [_entry(1, _utc(2026, 3, 1, 4), 120)]  # Feb 28 23:00 - Mar 1 01:00 EST
    [day] = daily_export_rows(
        entries,
        zone=NY,
        first_day=date(2026, 3, 1),
        last_day=date(2026, 3, 1),
        standard_hours_per_day=8,
        working_days=[1],
    )
    assert (day.seconds, day.entries) == (3600, 0)


def test_daily_rows_on_the_spring_forward_day_cover_23_hours() -> None:
    whole_day = ExportEntry(
        1, "Web", None, _utc(2026, 3, 8, 5), _utc(2026, 3, 9, 4), billable=False
    )  # 00:00 EST to 00:00 EDT
    [day] = daily_export_rows(
        [whole_day],
        zone=NY,
        first_day=date(2026, 3, 8),
        last_day=date(2026, 3, 8),
        standard_hours_per_day=8,
        working_days=[],
    )
    assert day.seconds == 23 * 3600


def test_daily_accumulator_hands_out_days_as_soon_as_they_are_final() -> None:
    days = DailyAccumulator(
        zone=UTC_ZONE,
        first_day=date(2026, 3, 1),
        last_day=date(2026, 3, 10),
        standard_hours_per_day=8,
        working_days=[1, 2, 3, 4, 5],
    )
    assert days.add(_entry(1, _utc(2026, 3, 1, 23), 120)) == []  # the 1st and the 2nd stay open
    finished = days.add(_entry(2, _utc(2026, 3, 4, 9), 60))
    assert [(d.date.day, d.seconds) for d in finished] == [(1, 3600), (2, 3600), (3, 0)]
    assert [d.date.day for d in days.finish()] == [4, 5, 6, 7, 8, 9, 10]


def test_daily_csv_writes_rounded_hours_and_projects_as_json() -> None:
    text = "".join(
        daily_csv_rows(
            [
                DailyExportRow(
                    date(2026, 3, 2),
                    seconds=9000,
                    billable_seconds=3600,
                    entries=2,
                    goal_hours=7.5,
                    project_seconds={"No project": 5400, "Web, Inc.": 3600},
                ),
                DailyExportRow(date(2026, 3, 3), 0, 0, 0, 0.0),
            ]
        )
    )
    assert text == (
        ",".join(DAILY_CSV_HEADER) + "\r\n"
        '2026-03-02,2.50,1.00,2,7.50,"{""No project"":1.5,""Web, Inc."":1.0}"\r\n'
        "2026-03-03,0.00,0.00,0,0.00,{}\r\n"
    )
    assert json.loads(list(csv.reader(io.StringIO(text)))[1][5]) == {"No project": 1.5, "Web, Inc.": 1.0}


# ---------------------------------------------------------------- backup.json


def _backup() -> Backup:
    return Backup(
        format=BACKUP_FORMAT,
        version=1,
        exported_at=_utc(2026, 4, 1, 12),
        user=BackupUser(
            email="sam@example.com",
            timezone="Europe/Berlin",
            standard_hours_per_day=7.5,
            working_days=[1, 2, 3, 4],
            streak_min_minutes=15,
            streak_skip_non_working=True,
        ),
        projects=[
            BackupProject(id=10, name="Web", color="#112233", billable=True, client="Acme"),
            BackupProject(id=11, name="Old", color="#445566", archived=True),
        ],
        tasks=[BackupTask(id=20, project_id=10, name="Login", status="done", completed_at=_utc(2026, 3, 2))],
        entries=[
            BackupEntry(
                id=30,
                project_id=10,
                task_id=20,
                start_time=_utc(2026, 3, 2, 8),
                end_time=_utc(2026, 3, 2, 9, 30),
                billable=True,
                notes='n, "q"\nx',
                outcome="o",
                tags=["a, b"],
            ),
            BackupEntry(id=31, project_id=None, task_id=None, start_time=_utc(2026, 3, 3, 8), end_time=None),
        ],
        weekly_goals=[BackupWeeklyGoal(week_start=date(2026, 3, 2), target_hours=30)],
        goals=[
            BackupGoal(
                id=40,
                name="Deep work",
                metric="hours",
                period="weekly",
                project_id=10,
                targets=[BackupGoalTarget(date(2026, 1, 5), 20), BackupGoalTarget(date(2026, 3, 2), 25)],
            )
        ],
    )


def _chunks(backup: Backup) -> list[bytes]:
    return list(
        backup_json_chunks(
            exported_at=backup.exported_at,
            user=backup.user,
            projects=iter(backup.projects),
            tasks=iter(backup.tasks),
            entries=iter(backup.entries),
            weekly_goals=iter(backup.weekly_goals),
            goals=iter(backup.goals),
        )
    )


def test_backup_stream_decodes_to_the_same_backup() -> None:
    backup = _backup()
    data = b"".join(_chunks(backup))
    assert data.startswith(b'{"format":"momentum-backup","version":1,')
    assert decode_backup(data) == backup
    assert json.loads(data)["entries"][0]["start_time"] == "2026-03-02T08:00:00Z"


def test_backup_of_many_entries_is_written_in_bounded_pieces() -> None:
    entries = (
        BackupEntry(
            i,
            None,
            None,
            _utc(2026, 1, 1) + timedelta(hours=i),
            _utc(2026, 1, 1) + timedelta(hours=i, minutes=5),
        )
        for i in range(25_000)
    )
    backup = _backup()
    pieces = list(
        backup_json_chunks(
            exported_at=backup.exported_at,
            user=backup.user,
            projects=[],
            tasks=[],
            entries=entries,
            weekly_goals=[],
            goals=[],
        )
    )
    assert max(len(p) for p in pieces) < 70 * 1024
    assert len(decode_backup(b"".join(pieces)).entries) == 25_000


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"format": "something-else"}, "not a Momentum backup"),
        ({"version": 2}, "backup version 2 is not supported"),
        (
            {
                "entries": [
                    {
                        "id": 1,
                        "project_id": 99,
                        "task_id": None,
                        "start_time": "2026-01-01T00:00:00Z",
                        "end_time": None,
                    }
                ]
            },
            "entry 1 refers to a missing project 99",
        ),
        ({"tasks": [{"id": 1, "project_id": 7, "name": "t"}]}, "task 1 refers to a missing project 7"),
        ({"projects": "nope"}, "the backup is damaged"),
        ({"projects": [{"id": 1, "name": "P", "color": "red"}]}, r"damaged: .*\$\.projects\[0\]\.color"),
        (
            {"goals": [{"id": 1, "name": "G", "metric": "happiness", "period": "weekly"}]},
            r"\$\.goals\[0\]\.metric",
        ),
        ({"weekly_goals": [{"week_start": "2026-03-04", "target_hours": 5}]}, "does not start on a Monday"),
    ],
)
def test_broken_backups_are_refused_with_a_reason(change: dict[str, object], message: str) -> None:
    raw = json.loads(b"".join(_chunks(_backup())))
    raw.update(change)
    with pytest.raises(BackupError, match=message):
        decode_backup(json.dumps(raw).encode())


def test_backup_writer_takes_items_in_batches_and_fills_missing_sections() -> None:
    backup = _backup()
    writer = BackupWriter()
    pieces = [writer.start(exported_at=backup.exported_at, user=backup.user), writer.section("projects")]
    pieces += writer.items(backup.projects[:1])
    pieces += writer.items(backup.projects[1:])
    pieces += [writer.section("tasks"), writer.finish()]
    decoded = decode_backup(b"".join(pieces))
    assert (decoded.projects, decoded.tasks, decoded.entries, decoded.goals) == (backup.projects, [], [], [])
    with pytest.raises(ValueError, match="out of order"):
        BackupWriter().section("entries")


def test_backup_that_is_not_json_is_refused() -> None:
    with pytest.raises(BackupError, match="not valid JSON"):
        decode_backup(b"{not json")


def test_backup_imports_as_rows_without_the_running_timer() -> None:
    data = b"".join(_chunks(_backup()))
    parsed = parse_file(io.BytesIO(data), fmt="auto", zone=NY)
    assert parsed.format == "momentum-backup"
    assert parsed.backup == _backup()
    assert list(parsed) == [
        ParsedRow(
            row=1,
            start=_utc(2026, 3, 2, 8),
            end=_utc(2026, 3, 2, 9, 30),
            project="Web",
            client="Acme",
            task="Login",
            description='n, "q"\nx',
            billable=True,
            tags=("a, b",),
            outcome="o",
        )
    ]


def test_backup_user_defaults_match_a_new_account() -> None:
    user = msgspec.json.decode(b'{"email": "a@b.c", "timezone": null}', type=BackupUser)
    assert (user.standard_hours_per_day, user.working_days, user.streak_min_minutes) == (
        8.0,
        [1, 2, 3, 4, 5],
        0,
    )
