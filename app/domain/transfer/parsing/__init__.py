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

The package: `shared.py` (limits, row types, value readers), `columns.py` (layouts,
detection, cell readers), one module per source format (`toggl.py` for Toggl and
Clockify, `kimai.py`, `momentum.py`), and `stream.py` (bytes → lines → rows).
"""

from __future__ import annotations

from app.domain.transfer.parsing.shared import (
    FORMAT_LABELS,
    FORMATS,
    MAX_ROW_ERRORS,
    ImportFileError,
    ParsedRow,
    RowError,
)
from app.domain.transfer.parsing.stream import ParsedFile, is_json_backup, parse_file

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
