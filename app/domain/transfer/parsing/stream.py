"""The file as a lazy stream of rows: bytes decoded incrementally, lines and records
bounded, each record read by its format's reader (`parse_file`).
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Iterable, Iterator
from typing import IO, Final
from zoneinfo import ZoneInfo

from app.domain.transfer.backup_format import Backup, BackupError, decode_backup
from app.domain.transfer.parsing.columns import Layout, detect, preview, resolve
from app.domain.transfer.parsing.kimai import kimai_row
from app.domain.transfer.parsing.momentum import backup_rows, momentum_row, read_limited
from app.domain.transfer.parsing.shared import (
    BOM,
    FORMAT_LABELS,
    FORMATS,
    HEAD_BYTES,
    MAGIC,
    MAX_FIELD_CHARS,
    MAX_LINE_CHARS,
    MAX_ROW_ERRORS,
    BadValue,
    ImportFileError,
    ParsedRow,
    RowError,
)
from app.domain.transfer.parsing.toggl import toggl_row

_ROW_READERS: Final = {
    "toggl": toggl_row,
    "clockify": toggl_row,
    "kimai": kimai_row,
    "momentum": momentum_row,
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
    while size < HEAD_BYTES:
        chunk = stream.read(HEAD_BYTES - size)
        if not chunk:
            break
        parts.append(chunk)
        size += len(chunk)
    return b"".join(parts)


def _check_text(head: bytes) -> None:
    """Refuse binary and non-UTF-8 files from their first bytes, before any parsing."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ImportFileError("the file is UTF-16 text; save it as CSV in UTF-8 and import it again")
    for magic, what in MAGIC:
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
    return head.removeprefix(BOM).lstrip()[:1] == b"{"


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
    if not head.removeprefix(BOM).strip():
        raise ImportFileError("the file is empty")
    _check_text(head)
    if is_json_backup(head):
        if fmt not in ("auto", "momentum"):
            raise ImportFileError(
                f"this is a JSON file, not a {FORMAT_LABELS[fmt]}; JSON is read as a Momentum backup"
            )
        try:
            backup = decode_backup(read_limited(head, stream).removeprefix(BOM))
        except BackupError as exc:
            raise ImportFileError(str(exc)) from None
        return ParsedFile("momentum-backup", backup_rows(backup), None, backup)

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
        detected = detect(header, None)
        pending: list[str] | None = None
        if detected is None:
            pending = next(records, None)  # Kimai in an unknown language: recognise its layout
            detected = detect(header, pending)
        if detected is None:
            raise ImportFileError(
                "unrecognised header: expected a Toggl, Clockify, Kimai or Momentum export "
                f"(row {header_row} has: {preview(header)})"
            )
        layout = resolve(detected, header)
        first_rows = [(records.row, pending)] if pending is not None else []
        rows = _csv_rows(records, layout, zone, first_rows)
    else:
        layout = resolve(fmt, header)
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
    records: _Records, layout: Layout, zone: ZoneInfo, first_rows: list[tuple[int, list[str]]]
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
        except BadValue as exc:
            errors += 1
            yield RowError(n, f"row {n}: {exc}")
            if errors >= MAX_ROW_ERRORS:
                raise ImportFileError(
                    f"too many bad rows; stopped at row {n} after {errors} errors "
                    f"(is this really a {FORMAT_LABELS[layout.fmt]}?)"
                ) from None
