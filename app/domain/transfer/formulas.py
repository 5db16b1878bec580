"""Spreadsheet formula neutralisation for the CSV exports (CONTRACT section 6;
docs/import-export.md, "Formulas in CSV files").

A spreadsheet runs a cell that starts with `=`, `+`, `-` or `@` (and, after a tab or a
carriage return, some of them still do) as a formula: `=HYPERLINK(...)` in an entry's
notes would become a link in the accountant's sheet. Such a text cell is written with a
leading `'`, which spreadsheets show as plain text. To keep Momentum's own entries.csv
an exact round trip, a cell that already starts with `'`s before such a character gets
one more `'`, so the importer can always remove exactly one:

    neutralise(s) = "'" + s   when s matches ^'*[=+\\-@\\t\\r]
    restore(t)    = t[1:]     when t matches ^'+[=+\\-@\\t\\r]

restore(neutralise(s)) == s for every s. The backup JSON is never touched.
"""

from __future__ import annotations

from typing import Final

TRIGGERS: Final = frozenset("=+-@\t\r")
FIRST_CHARS: Final = TRIGGERS | {"'"}


def _quotes_then_trigger(text: str) -> bool:
    r"""text matches ^'*[=+\-@\t\r]"""
    rest = text.lstrip("'")
    return rest != "" and rest[0] in TRIGGERS


def neutralise(text: str) -> str:
    """The cell as written to a CSV export."""
    if text and text[0] in FIRST_CHARS and _quotes_then_trigger(text):
        return "'" + text
    return text


def restore(text: str) -> str:
    """The cell as Momentum's importer reads it back from its own entries.csv."""
    if text[:1] == "'" and _quotes_then_trigger(text):
        return text[1:]
    return text
