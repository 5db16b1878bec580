"""Read time-tracking exports (Toggl, Clockify, Kimai, Momentum) as a stream of rows.

`parse_file` turns an uploaded file into a lazy stream of `ParsedRow` (one entry, in
UTC) and `RowError` (one bad row, with a message naming the row and the column). It
never holds the whole file in memory: bytes are decoded incrementally and rows are
produced one at a time, so a 100,000-row file costs the memory of one row.

File-level problems raise `ImportFileError` with a message meant for the user: an
empty file, a binary or non-UTF-8 file, an unrecognised header or a missing required
column (named), an absurdly long line or field, and a file that is mostly garbage
(more than `MAX_ROW_ERRORS` bad rows). Problems found before the first row (everything
up to and including the header) raise from `parse_file` itself; later ones raise while
iterating, after the rows already produced.

Row numbers are those a user sees when opening the file in a spreadsheet: the header
is row 1, the first data row is row 2. A quoted field with line breaks does not shift
the numbering (a spreadsheet shows it as one row); blank rows are counted but skipped.

Local times are read in the zone the caller chooses, DST-correct: a wall time that does
not exist (spring-forward gap) is a row error; an ambiguous one (the repeated autumn
hour) takes its first occurrence (CONTRACT section 2). The Momentum formats carry UTC
and ignore the zone. Every column read per format is listed in docs/import-export.md.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import IO, Final
from zoneinfo import ZoneInfo

import msgspec

from app.domain.transfer.formats import (
    MAX_BACKUP_BYTES,
    Backup,
    BackupError,
    decode_backup,
)
from app.lib.time import NonExistentLocalTimeError, resolve_local

__all__ = [
    "FORMATS",
    "FORMAT_LABELS",
    "MAX_ROW_ERRORS",
    "ImportFileError",
    "ParsedFile",
    "ParsedRow",
    "RowError",
    "is_json_backup",
    "parse_file",
]

FORMATS: Final = ("auto", "toggl", "clockify", "kimai", "momentum")
FORMAT_LABELS: Final = {
    "toggl": "Toggl detailed CSV",
    "clockify": "Clockify detailed CSV",
    "kimai": "Kimai CSV",
    "momentum": "Momentum entries.csv",
    "momentum-backup": "Momentum backup (JSON)",
}

MAX_ROW_ERRORS: Final = 1000
MAX_LINE_CHARS: Final = 1 << 20  # one physical line; a real export line is well under 10 kB
MAX_FIELD_CHARS: Final = 131_072  # csv's default field_size_limit, which is process-global
MAX_TEXT_CHARS: Final = 2000  # notes and outcome (CONTRACT section 2)
MAX_PROJECT_CHARS: Final = 120
MAX_NAME_CHARS: Final = 200  # task and client names (the model's column width)
MAX_DURATION: Final = timedelta(days=7)
_HEAD_BYTES: Final = 64 * 1024

_BOM: Final = b"\xef\xbb\xbf"
_MAGIC: Final = (
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"%PDF", "a PDF document"),
    (b"PK\x03\x04", "a ZIP archive or an Excel workbook (export it as CSV instead)"),
    (b"\xd0\xcf\x11\xe0", "an old Excel/Office document (export it as CSV instead)"),
    (b"\x1f\x8b", "a gzip archive"),
)


class ImportFileError(ValueError):
    """The file as a whole cannot be imported; `message` says why, for the user."""

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


class ParsedRow(msgspec.Struct, frozen=True, gc=False):
    """One entry read from a file. `row` is the spreadsheet row (header = row 1)."""

    row: int
    start: datetime  # aware, UTC
    end: datetime  # aware, UTC
    project: str | None
    client: str | None
    task: str | None
    description: str  # becomes the entry's notes
    billable: bool
    tags: tuple[str, ...] = ()
    outcome: str = ""


class RowError(msgspec.Struct, frozen=True, gc=False):
    """One row that cannot be imported; `error` starts with "row N: " and names the column."""

    row: int
    error: str


class _BadValue(ValueError):
    """A value in one row is wrong; the message names the column (without the row prefix)."""


# ---------------------------------------------------------------- column layouts


@dataclass(frozen=True, slots=True)
class _Field:
    key: str
    aliases: tuple[str, ...]  # normalised header names (see _norm)
    required: bool = False
    position: int | None = None  # kimai's fixed column order


_TOGGL_FIELDS: Final = (
    _Field("start_date", ("start date",), required=True),
    _Field("start_time", ("start time",), required=True),
    _Field("end_date", ("end date",)),  # when absent: the start date (or the next day)
    _Field("end_time", ("end time",), required=True),
    _Field("project", ("project",)),
    _Field("client", ("client",)),
    _Field("task", ("task", "activity")),
    _Field("description", ("description",)),
    _Field("billable", ("billable",)),
    _Field("tags", ("tags", "tag")),
)

# Kimai's CSV column order is fixed; localized headers are matched by position.
_KIMAI_FIELDS: Final = (
    _Field("date", ("date", "datum"), required=True, position=0),
    _Field("from", ("from", "begin", "von", "beginn"), required=True, position=1),
    _Field("to", ("to", "end", "bis", "ende"), required=True, position=2),
    _Field("client", ("customer", "kunde"), position=13),
    _Field("project", ("project", "projekt"), position=14),
    _Field("task", ("activity", "tätigkeit", "taetigkeit", "aktivität"), position=15),
    _Field("description", ("description", "beschreibung"), position=16),
    _Field("billable", ("billable", "abrechenbar"), position=17),
    _Field("tags", ("tags", "schlagworte", "schlagwörter"), position=18),
)
_KIMAI_MIN_COLUMNS: Final = 19

_MOMENTUM_FIELDS: Final = (
    _Field("start_utc", ("start_utc",), required=True),
    _Field("end_utc", ("end_utc",), required=True),
    _Field("project", ("project",)),
    _Field("task", ("task",)),
    _Field("billable", ("billable",)),
    _Field("notes", ("notes",)),
    _Field("outcome", ("outcome",)),
    _Field("tags", ("tags",)),
)

_FIELDS: Final = {
    "toggl": _TOGGL_FIELDS,
    "clockify": _TOGGL_FIELDS,  # same columns, Clockify spells them "Start Date" etc.
    "kimai": _KIMAI_FIELDS,
    "momentum": _MOMENTUM_FIELDS,
}

# Markers that tell Clockify's detailed export from Toggl's (their core columns match).
_CLOCKIFY_MARKERS: Final = ("duration (h)", "duration (decimal)", "group", "activity", "kiosk")
_CLOCKIFY_PREFIXES: Final = ("billable rate", "billable amount")
_TOGGL_MARKERS: Final = ("duration", "member")
_TOGGL_PREFIXES: Final = ("amount (",)


def _norm(name: str) -> str:
    """Header names compare case-insensitively, ignoring surrounding blanks, quotes and BOMs."""
    cleaned = name.replace("\ufeff", "").strip().strip("\"'").strip()
    return " ".join(cleaned.split()).casefold()


@dataclass(frozen=True, slots=True)
class _Layout:
    fmt: str
    index: dict[str, int]  # field key -> column index
    label: dict[str, str]  # field key -> the column's name as written in the file


def _resolve(fmt: str, header: list[str]) -> _Layout:
    """Map the format's fields to column indexes; a missing required column raises."""
    names = [_norm(h) for h in header]
    index: dict[str, int] = {}
    label: dict[str, str] = {}
    for field in _FIELDS[fmt]:
        found = next((i for i, n in enumerate(names) if n in field.aliases), None)
        if found is None and field.position is not None and len(names) >= _KIMAI_MIN_COLUMNS:
            found = field.position
        if found is None:
            if field.required:
                raise ImportFileError(
                    f"missing required column {_display(field)!r} for a {FORMAT_LABELS[fmt]} "
                    f"(the header has: {_preview(header)})"
                )
            continue
        index[field.key] = found
        label[field.key] = header[found].replace("\ufeff", "").strip().strip("\"'").strip() or field.key
    return _Layout(fmt, index, label)


def _display(field: _Field) -> str:
    if field.key in {"start_utc", "end_utc"}:
        return field.key
    if field.key == "start_date":
        return "Start date"
    if field.key == "start_time":
        return "Start time"
    if field.key == "end_time":
        return "End time"
    return field.aliases[0].capitalize()


def _preview(header: list[str], limit: int = 8) -> str:
    shown = ", ".join(repr(h.strip()[:40]) for h in header[:limit])
    return shown + (", …" if len(header) > limit else "") if header else "nothing"


def _has(names: list[str], fields: tuple[_Field, ...]) -> bool:
    return all(any(n in f.aliases for n in names) for f in fields if f.required)


def _detect(header: list[str], first_row: list[str] | None) -> str | None:
    """Which format a header belongs to, or None. `first_row` backs up Kimai's layout test."""
    names = [_norm(h) for h in header]
    if _has(names, _MOMENTUM_FIELDS):
        return "momentum"
    if _has(names, _KIMAI_FIELDS):
        return "kimai"
    if _has(names, _TOGGL_FIELDS):
        clockify = sum(n in _CLOCKIFY_MARKERS or n.startswith(_CLOCKIFY_PREFIXES) for n in names)
        toggl = sum(n in _TOGGL_MARKERS or n.startswith(_TOGGL_PREFIXES) for n in names)
        raw = {h.strip() for h in header}
        clockify += "Start Date" in raw
        toggl += "Start date" in raw
        return "clockify" if clockify > toggl else "toggl"
    if len(header) >= _KIMAI_MIN_COLUMNS and first_row is not None and _kimai_shaped(first_row):
        return "kimai"
    return None


def _kimai_shaped(row: list[str]) -> bool:
    """Kimai's layout: a date, then two clock times, in the first three columns."""
    try:
        _parse_date(row[0])
        _parse_time(row[1])
        _parse_time(row[2])
    except (IndexError, ValueError):
        return False
    return True


# ---------------------------------------------------------------- values


_TIME_RE: Final = re.compile(
    r"^(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,6}))?)?\s*(?:([AaPp])\.?\s*[Mm]\.?)?$"
)
_ISO_DATE_RE: Final = re.compile(r"^(\d{4})[-/](\d{1,2})[-/](\d{1,2})$")
_US_DATE_RE: Final = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
_EU_DATE_RE: Final = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})$")

_TRUE: Final = frozenset({"yes", "y", "true", "1", "ja", "j", "x", "oui", "sí", "si"})
_FALSE: Final = frozenset({"no", "n", "false", "0", "nein", "non", "-", ""})


def _parse_date(value: str) -> date:
    """ISO `Y-m-d`, US `m/d/Y` (Clockify) or European `d.m.Y` (German Kimai)."""
    text = value.strip()
    if m := _ISO_DATE_RE.match(text):
        y, mo, d = m.groups()
    elif m := _US_DATE_RE.match(text):
        mo, d, y = m.groups()
    elif m := _EU_DATE_RE.match(text):
        d, mo, y = m.groups()
    else:
        raise ValueError(text)
    return date(int(y), int(mo), int(d))


def _parse_time(value: str) -> time:
    """24-hour `H:MM[:SS]` or 12-hour `h:MM[:SS] AM/PM`."""
    m = _TIME_RE.match(value.strip())
    if not m:
        raise ValueError(value)
    hour, minute = int(m[1]), int(m[2])
    second = int(m[3] or 0)
    micro = int((m[4] or "0").ljust(6, "0"))
    if m[5]:
        if not 1 <= hour <= 12:
            raise ValueError(value)
        hour = hour % 12 + (12 if m[5] in "Pp" else 0)
    return time(hour, minute, second, micro)


def _cell(row: list[str], layout: _Layout, key: str) -> str:
    i = layout.index.get(key)
    if i is None or i >= len(row):
        return ""
    return row[i]


def _date_cell(row: list[str], layout: _Layout, key: str) -> date:
    raw = _cell(row, layout, key).strip()
    if not raw:
        raise _BadValue(f"{layout.label[key]} is empty")
    try:
        return _parse_date(raw)
    except ValueError:
        raise _BadValue(f"{layout.label[key]} {raw[:40]!r} is not a date") from None


def _time_cell(row: list[str], layout: _Layout, key: str) -> time:
    raw = _cell(row, layout, key).strip()
    if not raw:
        raise _BadValue(f"{layout.label[key]} is empty")
    try:
        return _parse_time(raw)
    except ValueError:
        raise _BadValue(f"{layout.label[key]} {raw[:40]!r} is not a time") from None


def _bool_cell(row: list[str], layout: _Layout, key: str) -> bool:
    raw = _cell(row, layout, key).strip().casefold()
    if raw in _TRUE:
        return True
    if raw in _FALSE:
        return False
    raise _BadValue(f"{layout.label[key]} {raw[:40]!r} is not yes/no")


def _name_cell(row: list[str], layout: _Layout, key: str, limit: int) -> str | None:
    value = _cell(row, layout, key).strip()
    if len(value) > limit:
        raise _BadValue(f"{layout.label[key]} is longer than {limit} characters")
    return value or None


def _text_cell(row: list[str], layout: _Layout, key: str, *, strip: bool = True) -> str:
    value = _cell(row, layout, key)
    if strip:
        value = value.strip()
    if len(value) > MAX_TEXT_CHARS:
        raise _BadValue(f"{layout.label[key]} is longer than {MAX_TEXT_CHARS} characters ({len(value)})")
    return value


def _split_tags(value: str) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for tag in value.split(","):
        if tag := tag.strip():
            seen.setdefault(tag, None)
    return tuple(seen)


def _local(day: date, clock: time, zone: ZoneInfo, what: str) -> datetime:
    try:
        return resolve_local(datetime.combine(day, clock), zone)
    except NonExistentLocalTimeError as exc:
        raise _BadValue(
            f"{what} {exc.naive:%Y-%m-%d %H:%M} does not exist in {zone.key} (DST gap: the clocks skip it)"
        ) from None


def _check_span(start: datetime, end: datetime) -> None:
    if end < start:
        raise _BadValue("end is before start")
    if end == start:
        raise _BadValue("end equals start (the entry has no duration)")
    if end - start > MAX_DURATION:
        raise _BadValue("the entry lasts more than 7 days")


# ---------------------------------------------------------------- row readers


def _toggl_row(n: int, row: list[str], layout: _Layout, zone: ZoneInfo) -> ParsedRow:
    start_day = _date_cell(row, layout, "start_date")
    start_clock = _time_cell(row, layout, "start_time")
    end_clock = _time_cell(row, layout, "end_time")
    if "end_date" in layout.index and _cell(row, layout, "end_date").strip():
        end_day = _date_cell(row, layout, "end_date")
    else:
        end_day = start_day + timedelta(days=1) if end_clock < start_clock else start_day
    start = _local(start_day, start_clock, zone, "start")
    end = _local(end_day, end_clock, zone, "end")
    return _parsed_row(n, row, layout, start, end)


def _parsed_row(n: int, row: list[str], layout: _Layout, start: datetime, end: datetime) -> ParsedRow:
    """The fields every spreadsheet format shares, once the times are known."""
    _check_span(start, end)
    return ParsedRow(
        row=n,
        start=start,
        end=end,
        project=_name_cell(row, layout, "project", MAX_PROJECT_CHARS),
        client=_name_cell(row, layout, "client", MAX_NAME_CHARS),
        task=_name_cell(row, layout, "task", MAX_NAME_CHARS),
        description=_text_cell(row, layout, "description"),
        billable=_bool_cell(row, layout, "billable"),
        tags=_split_tags(_cell(row, layout, "tags")),
    )


def _kimai_row(n: int, row: list[str], layout: _Layout, zone: ZoneInfo) -> ParsedRow:
    day = _date_cell(row, layout, "date")
    start_clock = _time_cell(row, layout, "from")
    end_clock = _time_cell(row, layout, "to")
    # Kimai writes only the start date; an entry that ends past midnight has To < From.
    end_day = day + timedelta(days=1) if end_clock < start_clock else day
    start = _local(day, start_clock, zone, "start")
    end = _local(end_day, end_clock, zone, "end")
    return _parsed_row(n, row, layout, start, end)


def _utc_cell(row: list[str], layout: _Layout, key: str) -> datetime:
    raw = _cell(row, layout, key).strip()
    if not raw:
        raise _BadValue(f"{layout.label[key]} is empty")
    try:
        value = datetime.fromisoformat(raw)
    except ValueError:
        raise _BadValue(f"{layout.label[key]} {raw[:40]!r} is not an RFC 3339 date-time") from None
    if value.tzinfo is None:
        raise _BadValue(f"{layout.label[key]} {raw[:40]!r} has no UTC offset")
    return value.astimezone(UTC)


def _momentum_tags(row: list[str], layout: _Layout) -> tuple[str, ...]:
    raw = _cell(row, layout, "tags").strip()
    if not raw:
        return ()
    if not raw.startswith("["):
        return _split_tags(raw)  # hand-edited: a plain comma-separated list
    try:
        tags = json.loads(raw)
    except ValueError:
        tags = None
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        raise _BadValue(f"{layout.label['tags']} {raw[:40]!r} is not a JSON list of strings")
    return tuple(tags)


def _momentum_row(n: int, row: list[str], layout: _Layout, zone: ZoneInfo) -> ParsedRow:
    """Momentum's own entries.csv: UTC columns, values kept exactly (round trip)."""
    start = _utc_cell(row, layout, "start_utc")
    end = _utc_cell(row, layout, "end_utc")
    _check_span(start, end)
    project = _cell(row, layout, "project")
    task = _cell(row, layout, "task")
    if len(project) > MAX_PROJECT_CHARS:
        raise _BadValue(f"{layout.label['project']} is longer than {MAX_PROJECT_CHARS} characters")
    if len(task) > MAX_NAME_CHARS:
        raise _BadValue(f"{layout.label['task']} is longer than {MAX_NAME_CHARS} characters")
    return ParsedRow(
        row=n,
        start=start,
        end=end,
        project=project or None,
        client=None,
        task=task or None,
        description=_text_cell(row, layout, "notes", strip=False),
        billable=_bool_cell(row, layout, "billable"),
        tags=_momentum_tags(row, layout),
        outcome=_text_cell(row, layout, "outcome", strip=False),
    )


_ROW_READERS: Final = {
    "toggl": _toggl_row,
    "clockify": _toggl_row,
    "kimai": _kimai_row,
    "momentum": _momentum_row,
}


# ---------------------------------------------------------------- bytes and lines


class _Source(io.RawIOBase):
    """The already-sniffed head, then the rest of the stream; counts the bytes handed out."""

    def __init__(self, head: bytes, stream: IO[bytes]) -> None:
        super().__init__()
        self._head = memoryview(head)
        self._stream = stream
        self.bytes_read = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        if self._head:
            n = min(len(buffer), len(self._head))
            buffer[:n] = self._head[:n]
            self._head = self._head[n:]
        else:
            data = self._stream.read(len(buffer))
            n = len(data)
            buffer[:n] = data
        self.bytes_read += n
        return n


def _read_head(stream: IO[bytes]) -> bytes:
    parts: list[bytes] = []
    size = 0
    while size < _HEAD_BYTES:
        chunk = stream.read(_HEAD_BYTES - size)
        if not chunk:
            break
        parts.append(chunk)
        size += len(chunk)
    return b"".join(parts)


def _check_text(head: bytes) -> None:
    """Refuse binary and non-UTF-8 files from their first bytes, before any parsing."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ImportFileError("the file is UTF-16 text; save it as CSV in UTF-8 and import it again")
    for magic, what in _MAGIC:
        if head.startswith(magic):
            raise ImportFileError(f"the file is {what}, not a CSV export")
    if b"\x00" in head:
        raise ImportFileError("the file is not UTF-8 text (binary file?): it contains NUL bytes")
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError:
        raise ImportFileError(
            "the file is not UTF-8 text (binary file?); export it again as CSV in UTF-8"
        ) from None


def is_json_backup(head: bytes) -> bool:
    """A Momentum backup is JSON: its first non-blank byte (after a BOM) is `{`."""
    return head.removeprefix(_BOM).lstrip()[:1] == b"{"


# Decoding uses surrogateescape, so a byte that is not UTF-8 shows up as a lone surrogate
# in its own line: the error names the exact row, not the row where a buffer happened to end.
_UNDECODABLE: Final = re.compile("[\udc80-\udcff]")


class _Lines:
    """Physical lines of the text, each bounded, so one endless line cannot fill memory."""

    def __init__(self, text: io.TextIOWrapper) -> None:
        self._text = text
        self.record = 0  # set by the reader loop: the spreadsheet row being read

    def __iter__(self) -> Iterator[str]:
        return self

    def __next__(self) -> str:
        line = self._text.readline(MAX_LINE_CHARS)
        if _UNDECODABLE.search(line):
            raise ImportFileError(
                f"the file is not UTF-8 text (binary file?): row {self.record} has bytes that are not UTF-8"
            )
        if not line:
            raise StopIteration
        if len(line) >= MAX_LINE_CHARS and not line.endswith(("\n", "\r")):
            raise ImportFileError(
                f"row {self.record} is longer than {MAX_LINE_CHARS:,} characters; "
                "this does not look like a time-tracking export"
            )
        return line


def _delimiter(line: str) -> str:
    """Comma unless the header clearly uses `;` (Excel in many locales) or tabs."""
    counts = {d: line.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] > counts[","] else ","


# ---------------------------------------------------------------- the stream


class ParsedFile(Iterator[ParsedRow | RowError]):
    """The rows of one file, produced lazily. `format` is the (detected) format key.

    `bytes_read` grows as the file is consumed (for a progress bar against the upload size).
    Iterating raises ImportFileError on file-level problems met mid-file.
    """

    def __init__(
        self,
        fmt: str,
        rows: Iterator[ParsedRow | RowError],
        source: _Source | None,
        backup: Backup | None = None,
    ) -> None:
        self.format = fmt
        self.backup = backup  # the whole backup, for a full restore, when the file is one
        self._rows = rows
        self._source = source

    @property
    def label(self) -> str:
        return FORMAT_LABELS[self.format]

    @property
    def bytes_read(self) -> int:
        return self._source.bytes_read if self._source is not None else 0

    def __iter__(self) -> ParsedFile:
        return self

    def __next__(self) -> ParsedRow | RowError:
        return next(self._rows)


def parse_file(stream: IO[bytes], *, fmt: str, zone: ZoneInfo) -> ParsedFile:
    """Read an export as a lazy stream of ParsedRow and RowError (see the module docstring).

    `fmt` is one of FORMATS; `auto` detects the format from the header (and a JSON file,
    whose first character is `{`, is a Momentum backup). `zone` is the zone the file's
    local times are read in. Raises ImportFileError for file-level problems.
    """
    if fmt not in FORMATS:
        raise ImportFileError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    head = _read_head(stream)
    if not head.removeprefix(_BOM).strip():
        raise ImportFileError("the file is empty")
    _check_text(head)
    if is_json_backup(head):
        if fmt not in ("auto", "momentum"):
            raise ImportFileError(
                f"this is a JSON file, not a {FORMAT_LABELS[fmt]}; JSON is read as a Momentum backup"
            )
        try:
            backup = decode_backup(_read_limited(head, stream).removeprefix(_BOM))
        except BackupError as exc:
            raise ImportFileError(str(exc)) from None
        return ParsedFile("momentum-backup", _backup_rows(backup), None, backup)

    source = _Source(head, stream)
    text = io.TextIOWrapper(
        io.BufferedReader(source), encoding="utf-8-sig", errors="surrogateescape", newline=""
    )
    lines = _Lines(text)
    first = next(lines, "")
    reader = csv.reader(_chain(first, lines), delimiter=_delimiter(first))
    records = _Records(reader, lines)

    header: list[str] | None = None
    for header in records:
        if any(cell.strip() for cell in header):
            break
    if header is None or not any(cell.strip() for cell in header):
        raise ImportFileError("the file is empty")
    header_row = records.row

    if fmt == "auto":
        detected = _detect(header, None)
        pending: list[str] | None = None
        if detected is None:
            pending = next(records, None)  # Kimai in an unknown language: recognise its layout
            detected = _detect(header, pending)
        if detected is None:
            raise ImportFileError(
                "unrecognised header: expected a Toggl, Clockify, Kimai or Momentum export "
                f"(row {header_row} has: {_preview(header)})"
            )
        layout = _resolve(detected, header)
        first_rows = [(records.row, pending)] if pending is not None else []
        rows = _csv_rows(records, layout, zone, first_rows)
    else:
        layout = _resolve(fmt, header)
        rows = _csv_rows(records, layout, zone, [])
    return ParsedFile(layout.fmt, rows, source)


def _chain(first: str, rest: Iterable[str]) -> Iterator[str]:
    if first:
        yield first
    yield from rest


class _Records:
    """csv records with their spreadsheet row numbers; csv errors become file errors."""

    def __init__(self, reader: Iterator[list[str]], lines: _Lines) -> None:
        self._reader = reader
        self._lines = lines
        self.row = 0

    def __iter__(self) -> _Records:
        return self

    def __next__(self) -> list[str]:
        self.row += 1
        self._lines.record = self.row
        try:
            return next(self._reader)
        except csv.Error as exc:
            if "field larger than field limit" in str(exc):
                raise ImportFileError(
                    f"row {self.row} has a field longer than {MAX_FIELD_CHARS:,} characters "
                    "(an unclosed quote?); this does not look like a time-tracking export"
                ) from None
            raise ImportFileError(f"row {self.row} is not valid CSV: {exc}") from None


def _csv_rows(
    records: _Records, layout: _Layout, zone: ZoneInfo, first_rows: list[tuple[int, list[str]]]
) -> Iterator[ParsedRow | RowError]:
    read = _ROW_READERS[layout.fmt]
    errors = 0

    def numbered() -> Iterator[tuple[int, list[str]]]:
        yield from first_rows
        for record in records:
            yield records.row, record

    for n, record in numbered():
        if not any(cell.strip() for cell in record):
            continue  # blank rows (and Excel's rows of empty cells) are skipped, still counted
        try:
            yield read(n, record, layout, zone)
        except _BadValue as exc:
            errors += 1
            yield RowError(n, f"row {n}: {exc}")
            if errors >= MAX_ROW_ERRORS:
                raise ImportFileError(
                    f"too many bad rows; stopped at row {n} after {errors} errors "
                    f"(is this really a {FORMAT_LABELS[layout.fmt]}?)"
                ) from None


# ---------------------------------------------------------------- Momentum backup


def _read_limited(head: bytes, stream: IO[bytes]) -> bytes:
    parts = [head]
    size = len(head)
    while chunk := stream.read(1 << 20):
        size += len(chunk)
        if size > MAX_BACKUP_BYTES:
            raise ImportFileError(
                f"the backup is larger than {MAX_BACKUP_BYTES // (1 << 20)} MB; "
                "import its entries.csv instead, or split it"
            )
        parts.append(chunk)
    return b"".join(parts)


def _backup_rows(backup: Backup) -> Iterator[ParsedRow | RowError]:
    """The completed entries of a backup as rows (row = the entry's 1-based position).

    A running timer (no end) is left out: it is not an entry yet. Restoring everything
    else a backup holds (colours, goals, settings) is the import service's job.
    """
    projects = {p.id: p for p in backup.projects}
    tasks = {t.id: t.name for t in backup.tasks}
    errors = 0
    for n, entry in enumerate(backup.entries, start=1):
        if entry.end_time is None:
            continue
        project = projects.get(entry.project_id) if entry.project_id is not None else None
        try:
            _check_span(entry.start_time, entry.end_time)
            for what, value in (("notes", entry.notes), ("outcome", entry.outcome)):
                if len(value) > MAX_TEXT_CHARS:
                    raise _BadValue(f"{what} is longer than {MAX_TEXT_CHARS} characters ({len(value)})")
        except _BadValue as exc:
            errors += 1
            yield RowError(n, f"entry {n}: {exc}")
            if errors >= MAX_ROW_ERRORS:
                raise ImportFileError(f"too many bad entries; stopped at entry {n}") from None
            continue
        yield ParsedRow(
            row=n,
            start=entry.start_time.astimezone(UTC),
            end=entry.end_time.astimezone(UTC),
            project=project.name if project else None,
            client=project.client if project else None,
            task=tasks.get(entry.task_id) if entry.task_id is not None else None,
            description=entry.notes,
            billable=entry.billable,
            tags=tuple(entry.tags),
            outcome=entry.outcome,
        )
