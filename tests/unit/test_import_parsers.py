"""The import parsers: formats, detection, broken files, DST, streaming (issue 5)."""

from __future__ import annotations

import io
import json
import random
import string
import tracemalloc
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from app.domain.transfer.parsing import (
    MAX_ROW_ERRORS,
    ImportFileError,
    ParsedRow,
    RowError,
    parse_file,
)


def _fixtures_dir() -> Path:
    here = Path(__file__).resolve()
    for candidate in (
        here.parents[1] / "fixtures" / "imports",
        here.parents[3] / "shared" / "fixtures" / "imports",
    ):
        if candidate.is_dir():
            return candidate
    raise RuntimeError("the import fixtures (shared/fixtures/imports) are missing")


FIXTURES = _fixtures_dir()
FIXTURE_FORMATS = {
    "toggl_detailed_1.csv": "toggl",
    "clockify_detailed_1.csv": "clockify",
    "kimai_export_1.csv": "kimai",
}
NY = ZoneInfo("America/New_York")
BERLIN = ZoneInfo("Europe/Berlin")
UTC_ZONE = ZoneInfo("UTC")

TOGGL_HEADER = (
    "User,Email,Client,Project,Task,Description,Billable,Start date,Start time,End date,End time,"
    "Duration,Tags,Amount (EUR)\r\n"
)


def _parse(data: bytes | str, fmt: str = "auto", zone: ZoneInfo = BERLIN) -> list[ParsedRow | RowError]:
    raw = data.encode() if isinstance(data, str) else data
    return list(parse_file(io.BytesIO(raw), fmt=fmt, zone=zone))


def _ok(rows: list[ParsedRow | RowError]) -> list[ParsedRow]:
    assert all(isinstance(r, ParsedRow) for r in rows), [r for r in rows if isinstance(r, RowError)]
    return [r for r in rows if isinstance(r, ParsedRow)]


def _errors(rows: list[ParsedRow | RowError]) -> list[str]:
    return [r.error for r in rows if isinstance(r, RowError)]


def _as_expected(row: ParsedRow) -> dict[str, Any]:
    return {
        "start": row.start.isoformat(),
        "end": row.end.isoformat(),
        "project": row.project,
        "billable": row.billable,
        "description": row.description,
    }


def _toggl_row(start_date: str, start: str, end_date: str, end: str, **kw: str) -> str:
    return (
        f"Sam,sam@example.com,{kw.get('client', '')},{kw.get('project', 'P')},,{kw.get('desc', 'd')},"
        f"{kw.get('billable', 'No')},{start_date},{start},{end_date},{end},,{kw.get('tags', '')},0\r\n"
    )


# ---------------------------------------------------------------- the fixtures


@pytest.mark.parametrize("name", sorted(FIXTURE_FORMATS))
@pytest.mark.parametrize("fmt", ["auto", "explicit"])
def test_fixture_parses_to_its_expected_entries(name: str, fmt: str) -> None:
    expected = json.loads((FIXTURES / f"{name}.expected.json").read_text())
    with (FIXTURES / name).open("rb") as f:
        parsed = parse_file(
            f, fmt=FIXTURE_FORMATS[name] if fmt == "explicit" else "auto", zone=ZoneInfo(expected["timezone"])
        )
        rows = _ok(list(parsed))
    assert [_as_expected(r) for r in rows] == expected["entries"]
    assert all(r.start.tzinfo is UTC and r.end.tzinfo is UTC for r in rows)


@pytest.mark.parametrize("name", sorted(FIXTURE_FORMATS))
def test_auto_detection_picks_the_fixture_format(name: str) -> None:
    with (FIXTURES / name).open("rb") as f:
        assert parse_file(f, fmt="auto", zone=UTC_ZONE).format == FIXTURE_FORMATS[name]


def test_fixture_rows_carry_client_tags_and_spreadsheet_row_numbers() -> None:
    with (FIXTURES / "toggl_detailed_1.csv").open("rb") as f:
        rows = _ok(list(parse_file(f, fmt="auto", zone=BERLIN)))
    assert rows[0].row == 2  # the header is row 1
    assert rows[0].client == "Acme Corp"
    assert rows[0].tags == ("admin",)
    assert rows[6].client is None  # "Internal" has no client
    assert rows[6].tags == ("admin", "meeting")
    assert rows[-1].row == 25


# ---------------------------------------------------------------- headers


def test_bom_and_quoted_headers_are_accepted() -> None:
    data = (
        '\ufeff"User","Email","Client","Project","Task","Description","Billable",'
        '" Start Date ","START TIME","End date","End time","Duration","Tags"\r\n'
        '"Sam","s@x","","Web","","Fix","Yes","2026-03-02","09:00:00","2026-03-02","10:30:00","01:30:00",""\r\n'
    )
    rows = _ok(_parse(data, zone=NY))
    assert rows[0].start == datetime(2026, 3, 2, 14, 0, tzinfo=UTC)
    assert rows[0].end == datetime(2026, 3, 2, 15, 30, tzinfo=UTC)
    assert rows[0].billable is True


def test_semicolon_separated_file_is_read() -> None:
    data = (
        "Start date;Start time;End date;End time;Project;Description\n"
        "2026-03-02;09:00;2026-03-02;10:00;Web;a,b\n"
    )
    rows = _ok(_parse(data, zone=UTC_ZONE))
    assert (rows[0].project, rows[0].description) == ("Web", "a,b")


GERMAN_KIMAI_HEADER = (
    "Datum,Von,Bis,Dauer,Währung,Preis,Interner Preis,Stundenpreis,Festpreis,Name,Benutzer,E-Mail,"
    "Personalnummer,Kunde,Projekt,Tätigkeit,Beschreibung,Abrechenbar,Schlagworte,Typ,Kategorie\n"
)


def test_german_kimai_header_is_matched() -> None:
    data = GERMAN_KIMAI_HEADER + (
        '2026-05-04,08:00,08:50,0:50,EUR,0,0,60,,Sam,sam,s@x,,Acme,Web,Arbeit,Fehler suchen,1,"a,b",t,w\n'
    )
    parsed = parse_file(io.BytesIO(data.encode()), fmt="auto", zone=ZoneInfo("Asia/Kolkata"))
    assert parsed.format == "kimai"
    [row] = _ok(list(parsed))
    assert (row.start, row.end) == (
        datetime(2026, 5, 4, 2, 30, tzinfo=UTC),
        datetime(2026, 5, 4, 3, 20, tzinfo=UTC),
    )
    assert (row.client, row.project, row.task, row.description) == ("Acme", "Web", "Arbeit", "Fehler suchen")
    assert row.billable is True
    assert row.tags == ("a", "b")


def test_kimai_in_an_unknown_language_is_matched_by_position() -> None:
    header = (
        "Fecha,Desde,Hasta,Duración,Moneda,Precio,Precio interno,Precio por hora,Precio fijo,Nombre,"
        "Usuario,Correo,Número,Cliente,Proyecto,Actividad,Descripción,Facturable,Etiquetas,Tipo,Categoría\n"
    )
    data = header + "04.05.2026,08:00,08:50,0:50,EUR,0,0,60,,Sam,sam,s@x,,Acme,Web,Trabajo,Revisar,0,,t,w\n"
    parsed = parse_file(io.BytesIO(data.encode()), fmt="auto", zone=UTC_ZONE)
    assert parsed.format == "kimai"
    [row] = _ok(list(parsed))
    assert row.start == datetime(2026, 5, 4, 8, 0, tzinfo=UTC)
    assert (row.client, row.project, row.task, row.description, row.billable) == (
        "Acme",
        "Web",
        "Trabajo",
        "Revisar",
        False,
    )
    # Its errors name the file's own column names.
    bad = header + "04.05.2026,8 Uhr,08:50,0:50,EUR,0,0,60,,Sam,sam,s@x,,Acme,Web,Trabajo,Revisar,0,,t,w\n"
    assert _errors(_parse(bad, fmt="kimai")) == ["row 2: Desde '8 Uhr' is not a time"]


def test_missing_required_column_is_named() -> None:
    data = "User,Project,Start date,Start time,End date,Description\nSam,P,2026-03-02,09:00,2026-03-02,x\n"
    with pytest.raises(ImportFileError, match="missing required column 'End time'"):
        parse_file(io.BytesIO(data.encode()), fmt="toggl", zone=UTC_ZONE)


def test_unrecognised_header_is_a_file_error() -> None:
    with pytest.raises(ImportFileError, match="unrecognised header"):
        parse_file(io.BytesIO(b"when,what\n2026-01-01,x\n"), fmt="auto", zone=UTC_ZONE)


def test_explicit_format_that_does_not_fit_names_the_missing_column() -> None:
    with (
        (FIXTURES / "toggl_detailed_1.csv").open("rb") as f,
        pytest.raises(ImportFileError, match="missing required column 'Date' for a Kimai CSV"),
    ):
        parse_file(f, fmt="kimai", zone=UTC_ZONE)


def test_unknown_format_name_is_refused() -> None:
    with pytest.raises(ImportFileError, match="unknown format 'harvest'"):
        parse_file(io.BytesIO(b"x"), fmt="harvest", zone=UTC_ZONE)


# ---------------------------------------------------------------- bad rows


def test_bad_date_is_a_row_error_naming_the_column() -> None:
    data = (
        TOGGL_HEADER
        + _toggl_row("2026-03-02", "09:00", "2026-03-02", "10:00")
        + _toggl_row("2026-13-01", "09:00", "2026-03-02", "10:00")
    )
    rows = _parse(data)
    assert isinstance(rows[0], ParsedRow)
    assert rows[1] == RowError(3, "row 3: Start date '2026-13-01' is not a date")


def test_end_before_start_is_a_row_error() -> None:
    rows = _parse(TOGGL_HEADER + _toggl_row("2026-03-02", "10:00", "2026-03-02", "09:00"))
    assert _errors(rows) == ["row 2: end is before start"]


def test_entry_longer_than_seven_days_is_a_row_error() -> None:
    rows = _parse(TOGGL_HEADER + _toggl_row("2026-03-01", "09:00", "2026-03-08", "09:01"))
    assert _errors(rows) == ["row 2: the entry lasts more than 7 days"]


def test_description_over_2000_characters_is_a_row_error_naming_the_field() -> None:
    rows = _parse(TOGGL_HEADER + _toggl_row("2026-03-02", "09:00", "2026-03-02", "10:00", desc="x" * 2001))
    assert _errors(rows) == ["row 2: Description is longer than 2000 characters (2001)"]


def test_bad_billable_value_is_a_row_error() -> None:
    rows = _parse(TOGGL_HEADER + _toggl_row("2026-03-02", "09:00", "2026-03-02", "10:00", billable="maybe"))
    assert _errors(rows) == ["row 2: Billable 'maybe' is not yes/no"]


def test_local_time_in_dst_gap_is_a_row_error() -> None:
    rows = _parse(TOGGL_HEADER + _toggl_row("2026-03-08", "02:30", "2026-03-08", "04:00"), zone=NY)
    assert _errors(rows) == [
        "row 2: start 2026-03-08 02:30 does not exist in America/New_York (DST gap: the clocks skip it)"
    ]


def test_ambiguous_local_time_takes_its_first_occurrence() -> None:
    [row] = _ok(_parse(TOGGL_HEADER + _toggl_row("2026-11-01", "01:30", "2026-11-01", "01:45"), zone=NY))
    assert row.start == datetime(2026, 11, 1, 5, 30, tzinfo=UTC)  # EDT, -04:00


def test_good_rows_around_a_bad_one_keep_their_row_numbers() -> None:
    data = (
        TOGGL_HEADER
        + _toggl_row("2026-03-02", "09:00", "2026-03-02", "10:00", desc='"two\nlines"')
        + "\r\n"
        + _toggl_row("2026-03-02", "nine", "2026-03-02", "10:00")
        + _toggl_row("2026-03-02", "11:00", "2026-03-02", "12:00")
    )
    rows = _parse(data)
    assert [(r.row, type(r).__name__) for r in rows] == [(2, "ParsedRow"), (4, "RowError"), (5, "ParsedRow")]
    assert isinstance(rows[0], ParsedRow) and rows[0].description == "two\nlines"
    assert _errors(rows) == ["row 4: Start time 'nine' is not a time"]


# ---------------------------------------------------------------- broken files


@pytest.mark.parametrize("data", [b"", b"\xef\xbb\xbf", b"  \r\n\r\n", b",,,\r\n"])
def test_empty_file_is_a_file_error(data: bytes) -> None:
    with pytest.raises(ImportFileError, match="the file is empty"):
        parse_file(io.BytesIO(data), fmt="auto", zone=UTC_ZONE)


def test_png_file_is_refused_as_binary() -> None:
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4
    with pytest.raises(ImportFileError, match="PNG image, not a CSV export"):
        parse_file(io.BytesIO(png), fmt="auto", zone=UTC_ZONE)


def test_non_utf8_text_is_refused_with_a_clear_message() -> None:
    data = TOGGL_HEADER + _toggl_row("2026-03-02", "09:00", "2026-03-02", "10:00", desc="Café")
    with pytest.raises(ImportFileError, match="not UTF-8 text"):
        parse_file(io.BytesIO(data.encode("cp1252")), fmt="auto", zone=UTC_ZONE)


def test_invalid_utf8_after_the_first_block_stops_with_the_row() -> None:
    good = _toggl_row("2026-03-02", "09:00", "2026-03-02", "10:00")
    data = (TOGGL_HEADER + good * 2000).encode() + b"\xff\xfe broken\r\n"
    parsed = parse_file(io.BytesIO(data), fmt="auto", zone=UTC_ZONE)
    with pytest.raises(ImportFileError, match=r"not UTF-8 text \(binary file\?\): row 2002 has bytes"):
        for _ in parsed:
            pass


class _Counting(io.BytesIO):
    """A stream that remembers how much of it was read."""

    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.consumed = 0

    def read(self, size: int | None = -1) -> bytes:
        chunk = super().read(size)
        self.consumed += len(chunk)
        return chunk


GARBAGE_SIZE = 20 * 1024 * 1024


def _printable_garbage(seed: int) -> bytes:
    table = bytes(ord(string.printable[i % len(string.printable)]) for i in range(256))
    return random.Random(seed).randbytes(GARBAGE_SIZE).translate(table)


def test_20mb_of_random_bytes_stops_at_once() -> None:
    stream = _Counting(random.Random(1).randbytes(GARBAGE_SIZE))
    with pytest.raises(ImportFileError, match="not UTF-8 text|binary|not a CSV export"):
        parse_file(stream, fmt="auto", zone=UTC_ZONE)
    assert stream.consumed <= 1024 * 1024


@pytest.mark.parametrize("fmt", ["auto", "toggl", "clockify", "kimai", "momentum"])
def test_20mb_of_printable_garbage_stops_early(fmt: str) -> None:
    stream = _Counting(_printable_garbage(2))
    with pytest.raises(ImportFileError):
        for _ in parse_file(stream, fmt=fmt, zone=UTC_ZONE):
            pass
    assert stream.consumed < GARBAGE_SIZE // 2


def test_valid_header_followed_by_garbage_stops_after_too_many_bad_rows() -> None:
    garbage = "".join(f"{i} lorem ipsum, dolor {i % 7}, sit amet\n" for i in range(500_000))
    stream = _Counting((TOGGL_HEADER + garbage).encode())
    produced: list[ParsedRow | RowError] = []
    with pytest.raises(ImportFileError, match=f"too many bad rows; stopped at row {MAX_ROW_ERRORS + 1}"):
        for row in parse_file(stream, fmt="auto", zone=UTC_ZONE):
            produced.append(row)
    assert len(produced) == MAX_ROW_ERRORS
    assert stream.consumed < len(garbage) // 10


def test_header_then_printable_garbage_ends_with_a_file_error() -> None:
    stream = _Counting(TOGGL_HEADER.encode() + _printable_garbage(3))
    with pytest.raises(ImportFileError, match="too many bad rows|longer than|not valid CSV"):
        for _ in parse_file(stream, fmt="auto", zone=UTC_ZONE):
            pass
    assert stream.consumed < GARBAGE_SIZE // 2


def test_gigantic_quoted_field_is_a_file_error() -> None:
    data = (
        TOGGL_HEADER
        + 'Sam,s@x,,P,,"'
        + ("x" * 200 + "\n") * 1000
        + '",No,2026-03-02,09:00,2026-03-02,10:00\n'
    )
    with pytest.raises(ImportFileError, match="row 2 has a field longer than 131,072 characters"):
        _parse(data)


def test_endless_line_is_a_file_error() -> None:
    data = TOGGL_HEADER + "x" * (3 * 1024 * 1024)
    with pytest.raises(ImportFileError, match="row 2 is longer than 1,048,576 characters"):
        _parse(data)


# ---------------------------------------------------------------- format specifics


def test_clockify_without_client_and_billable_with_iso_dates_and_activity() -> None:
    data = (
        "Project,Description,Activity,User,Email,Tags,Start Date,Start Time,End Date,End Time,Duration (h)\n"
        'Web,Fix,Coding,Sam,s@x,"deep, admin",2026-03-02,09:00:00,2026-03-02,17:15:00,08:15:00\n'
        "Web,Late,Coding,Sam,s@x,,2026-03-02,23:30:00,2026-03-03,00:15:00,00:45:00\n"
    )
    parsed = parse_file(io.BytesIO(data.encode()), fmt="auto", zone=NY)
    assert parsed.format == "clockify"
    first, second = _ok(list(parsed))
    assert (first.start, first.end) == (
        datetime(2026, 3, 2, 14, 0, tzinfo=UTC),
        datetime(2026, 3, 2, 22, 15, tzinfo=UTC),
    )
    assert (first.client, first.billable, first.task, first.tags) == (
        None,
        False,
        "Coding",
        ("deep", "admin"),
    )
    assert second.end == datetime(2026, 3, 3, 5, 15, tzinfo=UTC)


def test_clockify_us_dates_with_twelve_hour_clock() -> None:
    data = (
        "Project,Client,Description,Task,Billable,Start Date,Start Time,End Date,End Time\n"
        "Web,Acme,Noon,,Yes,03/02/2026,11:45:00 AM,03/02/2026,12:15:00 PM\n"
        "Web,Acme,Midnight,,No,03/02/2026,11:50 PM,03/03/2026,12:10 AM\n"
    )
    noon, midnight = _ok(_parse(data, zone=UTC_ZONE))
    assert (noon.start.hour, noon.start.minute, noon.end.hour, noon.end.minute) == (11, 45, 12, 15)
    assert (midnight.start, midnight.end) == (
        datetime(2026, 3, 2, 23, 50, tzinfo=UTC),
        datetime(2026, 3, 3, 0, 10, tzinfo=UTC),
    )


def test_kimai_entry_past_midnight_ends_the_next_day() -> None:
    with (FIXTURES / "kimai_export_1.csv").open("rb") as f:
        rows = _ok(list(parse_file(f, fmt="kimai", zone=ZoneInfo("Asia/Kolkata"))))
    late = rows[-1]
    assert late.row == 20
    assert (late.start, late.end) == (
        datetime(2026, 5, 14, 17, 40, tzinfo=UTC),  # 23:10 IST on the 14th
        datetime(2026, 5, 14, 19, 15, tzinfo=UTC),  # 00:45 IST on the 15th
    )
    assert (late.client, late.task, late.tags) == ("Globex", "Work", ("ops",))


def test_toggl_without_end_date_rolls_over_midnight() -> None:
    data = "Start date,Start time,End time,Project\n2026-03-02,23:00,01:00,P\n"
    [row] = _ok(_parse(data, zone=UTC_ZONE))
    assert row.end - row.start == datetime(2026, 1, 1, 2) - datetime(2026, 1, 1)


def test_momentum_csv_reads_utc_columns_and_json_tags() -> None:
    data = (
        "id,project,task,start_local,end_local,start_utc,end_utc,duration_seconds,billable,notes,outcome,tags\n"
        "7,Web,,2026-03-02T09:00:00-05:00,2026-03-02T10:00:00-05:00,2026-03-02T14:00:00Z,"
        '2026-03-02T15:00:00Z,3600,true," padded ",shipped,"[""a, b"",""c""]"\n'
    )
    parsed = parse_file(io.BytesIO(data.encode()), fmt="auto", zone=BERLIN)
    assert parsed.format == "momentum"
    [row] = _ok(list(parsed))
    assert row == ParsedRow(
        row=2,
        start=datetime(2026, 3, 2, 14, 0, tzinfo=UTC),
        end=datetime(2026, 3, 2, 15, 0, tzinfo=UTC),
        project="Web",
        client=None,
        task=None,
        description=" padded ",
        billable=True,
        tags=("a, b", "c"),
        outcome="shipped",
    )


def test_json_is_refused_for_a_csv_format() -> None:
    with pytest.raises(ImportFileError, match="JSON is read as a Momentum backup"):
        parse_file(io.BytesIO(b'{"format": "x"}'), fmt="toggl", zone=UTC_ZONE)


def test_json_that_is_not_a_backup_is_a_file_error() -> None:
    with pytest.raises(ImportFileError, match="not a Momentum backup"):
        parse_file(io.BytesIO(b'\xef\xbb\xbf {"format": "x", "version": 1}'), fmt="auto", zone=UTC_ZONE)


# ---------------------------------------------------------------- streaming


def _generated_toggl(rows: int) -> Iterator[bytes]:
    yield TOGGL_HEADER.encode()
    for i in range(rows):
        day = f"2025-{1 + i % 12:02d}-{1 + i % 28:02d}"
        yield _toggl_row(day, "09:00:00", day, "10:30:00", desc=f"entry {i}", project=f"P{i % 9}").encode()


def test_100k_row_file_streams_in_small_memory(tmp_path: Path) -> None:
    path = tmp_path / "toggl_100k.csv"
    with path.open("wb") as out:
        out.writelines(_generated_toggl(100_000))
    assert path.stat().st_size > 8 * 1024 * 1024
    tracemalloc.start()
    try:
        count = 0
        last: ParsedRow | RowError | None = None
        with path.open("rb") as f:
            for row in parse_file(f, fmt="auto", zone=BERLIN):  # iterated, never listed
                count += 1
                last = row
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == 100_000
    assert isinstance(last, ParsedRow) and last.row == 100_001 and last.description == "entry 99999"
    assert peak < 20 * 1024 * 1024
