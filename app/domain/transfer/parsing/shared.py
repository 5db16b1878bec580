"""What every import format shares: the limits, the row and error types, and plain
value readers (dates, clock times, tags, local times; docs/import-export.md).
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Final
from zoneinfo import ZoneInfo

import msgspec

from app.lib.time import NonExistentLocalTimeError, resolve_local

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
HEAD_BYTES: Final = 64 * 1024

BOM: Final = b"\xef\xbb\xbf"
MAGIC: Final = (
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


class BadValue(ValueError):
    """A value in one row is wrong; the message names the column (without the row prefix)."""


# ---------------------------------------------------------------- values


_TIME_RE: Final = re.compile(
    r"^(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,6}))?)?\s*(?:([AaPp])\.?\s*[Mm]\.?)?$"
)
_ISO_DATE_RE: Final = re.compile(r"^(\d{4})[-/](\d{1,2})[-/](\d{1,2})$")
_US_DATE_RE: Final = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
_EU_DATE_RE: Final = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})$")

TRUE: Final = frozenset({"yes", "y", "true", "1", "ja", "j", "x", "oui", "sí", "si"})
FALSE: Final = frozenset({"no", "n", "false", "0", "nein", "non", "-", ""})


@lru_cache(maxsize=1 << 16)
def parse_date(value: str) -> date:
    """ISO `Y-m-d`, US `m/d/Y` (Clockify) or European `d.m.Y` (German Kimai).

    Cached: an export repeats each date many times (issue 12 part 7, parsing without
    per-row overhead)."""
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


@lru_cache(maxsize=1 << 17)
def parse_time(value: str) -> time:
    """24-hour `H:MM[:SS]` or 12-hour `h:MM[:SS] AM/PM` (cached, as parse_date)."""
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


def split_tags(value: str) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for tag in value.split(","):
        if tag := tag.strip():
            seen.setdefault(tag, None)
    return tuple(seen)


@lru_cache(maxsize=1 << 16)
def _fixed_offset(day: date, zone: ZoneInfo) -> timedelta | None:
    """The zone's UTC offset on `day` when it holds all day (no DST change that day), else None."""
    midnight = datetime(day.year, day.month, day.day)
    offset = zone.utcoffset(midnight)
    following = zone.utcoffset(midnight + timedelta(days=1))
    return offset if offset == following and offset is not None else None


def local(day: date, clock: time, zone: ZoneInfo, what: str) -> datetime:
    """The UTC instant of a wall time in `zone`. Days without a DST change (all but about
    two a year) take a cached offset; the others go through resolve_local."""
    offset = _fixed_offset(day, zone)
    if offset is not None:
        return datetime.combine(day, clock, tzinfo=UTC) - offset
    try:
        return resolve_local(datetime.combine(day, clock), zone)
    except NonExistentLocalTimeError as exc:
        raise BadValue(
            f"{what} {exc.naive:%Y-%m-%d %H:%M} does not exist in {zone.key} (DST gap: the clocks skip it)"
        ) from None


def check_span(start: datetime, end: datetime) -> None:
    if end < start:
        raise BadValue("end is before start")
    if end == start:
        raise BadValue("end equals start (the entry has no duration)")
    if end - start > MAX_DURATION:
        raise BadValue("the entry lasts more than 7 days")
