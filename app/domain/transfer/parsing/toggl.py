"""Toggl Track and Clockify detailed CSV exports (one reader: the same start/end date and
time columns, docs/import-export.md).
"""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from app.domain.transfer.parsing.columns import Layout, date_cell, parsed_row, raw_cell, time_cell
from app.domain.transfer.parsing.shared import ParsedRow, local


def toggl_row(n: int, row: list[str], layout: Layout, zone: ZoneInfo) -> ParsedRow:
    start_day = date_cell(row, layout, "start_date")
    start_clock = time_cell(row, layout, "start_time")
    end_clock = time_cell(row, layout, "end_time")
    if "end_date" in layout.index and raw_cell(row, layout, "end_date").strip():
        end_day = date_cell(row, layout, "end_date")
    else:
        end_day = start_day + timedelta(days=1) if end_clock < start_clock else start_day
    start = local(start_day, start_clock, zone, "start")
    end = local(end_day, end_clock, zone, "end")
    return parsed_row(n, row, layout, start, end)
