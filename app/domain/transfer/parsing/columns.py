"""Column layouts of every CSV format, format detection from the header, and the
cell readers that name the row and column of a bad value (docs/import-export.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Final

from app.domain.transfer.parsing.shared import (
    FALSE,
    FORMAT_LABELS,
    MAX_NAME_CHARS,
    MAX_PROJECT_CHARS,
    MAX_TEXT_CHARS,
    TRUE,
    BadValue,
    ImportFileError,
    ParsedRow,
    check_span,
    parse_date,
    parse_time,
    split_tags,
)

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
class Layout:
    fmt: str
    index: dict[str, int]  # field key -> column index
    label: dict[str, str]  # field key -> the column's name as written in the file


def resolve(fmt: str, header: list[str]) -> Layout:
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
                    f"(the header has: {preview(header)})"
                )
            continue
        index[field.key] = found
        label[field.key] = header[found].replace("\ufeff", "").strip().strip("\"'").strip() or field.key
    return Layout(fmt, index, label)


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


def preview(header: list[str], limit: int = 8) -> str:
    shown = ", ".join(repr(h.strip()[:40]) for h in header[:limit])
    return shown + (", …" if len(header) > limit else "") if header else "nothing"


def _has(names: list[str], fields: tuple[_Field, ...]) -> bool:
    return all(any(n in f.aliases for n in names) for f in fields if f.required)


def detect(header: list[str], first_row: list[str] | None) -> str | None:
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
        parse_date(row[0])
        parse_time(row[1])
        parse_time(row[2])
    except (IndexError, ValueError):
        return False
    return True


def raw_cell(row: list[str], layout: Layout, key: str) -> str:
    i = layout.index.get(key)
    if i is None or i >= len(row):
        return ""
    return row[i]


def date_cell(row: list[str], layout: Layout, key: str) -> date:
    raw = raw_cell(row, layout, key).strip()
    if not raw:
        raise BadValue(f"{layout.label[key]} is empty")
    try:
        return parse_date(raw)
    except ValueError:
        raise BadValue(f"{layout.label[key]} {raw[:40]!r} is not a date") from None


def time_cell(row: list[str], layout: Layout, key: str) -> time:
    raw = raw_cell(row, layout, key).strip()
    if not raw:
        raise BadValue(f"{layout.label[key]} is empty")
    try:
        return parse_time(raw)
    except ValueError:
        raise BadValue(f"{layout.label[key]} {raw[:40]!r} is not a time") from None


def bool_cell(row: list[str], layout: Layout, key: str) -> bool:
    raw = raw_cell(row, layout, key).strip().casefold()
    if raw in TRUE:
        return True
    if raw in FALSE:
        return False
    raise BadValue(f"{layout.label[key]} {raw[:40]!r} is not yes/no")


def _name_cell(row: list[str], layout: Layout, key: str, limit: int) -> str | None:
    value = raw_cell(row, layout, key).strip()
    if len(value) > limit:
        raise BadValue(f"{layout.label[key]} is longer than {limit} characters")
    return value or None


def text_cell(row: list[str], layout: Layout, key: str, *, strip: bool = True) -> str:
    value = raw_cell(row, layout, key)
    if strip:
        value = value.strip()
    if len(value) > MAX_TEXT_CHARS:
        raise BadValue(f"{layout.label[key]} is longer than {MAX_TEXT_CHARS} characters ({len(value)})")
    return value


def parsed_row(n: int, row: list[str], layout: Layout, start: datetime, end: datetime) -> ParsedRow:
    """The fields every spreadsheet format shares, once the times are known."""
    check_span(start, end)
    return ParsedRow(
        row=n,
        start=start,
        end=end,
        project=_name_cell(row, layout, "project", MAX_PROJECT_CHARS),
        client=_name_cell(row, layout, "client", MAX_NAME_CHARS),
        task=_name_cell(row, layout, "task", MAX_NAME_CHARS),
        description=text_cell(row, layout, "description"),
        billable=bool_cell(row, layout, "billable"),
        tags=split_tags(raw_cell(row, layout, "tags")),
    )
