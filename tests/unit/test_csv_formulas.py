"""Formula neutralisation in CSV exports (CONTRACT section 6; app/domain/transfer/formulas.py)."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.domain.transfer.csv_formats import ExportEntry, entries_csv_rows
from app.domain.transfer.formulas import neutralise, restore


@pytest.mark.parametrize(
    ("cell", "written"),
    [
        ('=HYPERLINK("http://evil.example","x")', '\'=HYPERLINK("http://evil.example","x")'),
        ("+1+2", "'+1+2"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tcmd", "'\tcmd"),
        ("\rcmd", "'\rcmd"),
        ("'=already quoted", "''=already quoted"),
        ("plain notes", "plain notes"),
        ("a=b", "a=b"),
        ("'just a quote", "'just a quote"),
        ("'", "'"),
        ("", ""),
        (" =leading space", " =leading space"),
    ],
)
def test_cells_that_start_like_a_formula_get_a_leading_quote(cell: str, written: str) -> None:
    assert neutralise(cell) == written
    assert restore(written) == cell


@given(st.text(alphabet=st.sampled_from("'=+-@\t\rab ,\""), max_size=12))
def test_restore_undoes_neutralise_for_every_text(text: str) -> None:
    assert restore(neutralise(text)) == text


@given(st.text(max_size=20))
def test_no_written_cell_starts_like_a_formula(text: str) -> None:
    assert neutralise(text)[:1] not in set("=+-@\t\r")


def test_entries_csv_neutralises_project_task_notes_and_outcome() -> None:
    entry = ExportEntry(
        id=1,
        project="=cmd|' /C calc'!A0",
        task="+task",
        start=datetime(2026, 3, 2, 9, tzinfo=UTC),
        end=datetime(2026, 3, 2, 10, tzinfo=UTC),
        billable=True,
        notes='=HYPERLINK("http://evil.example")',
        outcome="@outcome",
        tags=("-tag",),
    )
    text = "".join(entries_csv_rows([entry], ZoneInfo("UTC")))
    header, row = list(csv.reader(io.StringIO(text)))
    cells = dict(zip(header, row, strict=True))
    assert cells["project"] == "'=cmd|' /C calc'!A0"
    assert cells["task"] == "'+task"
    assert cells["notes"] == '\'=HYPERLINK("http://evil.example")'
    assert cells["outcome"] == "'@outcome"
    assert cells["tags"] == '["-tag"]'  # a JSON list starts with "["
    assert cells["start_utc"] == "2026-03-02T09:00:00Z"
