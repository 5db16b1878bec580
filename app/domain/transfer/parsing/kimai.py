"""Kimai CSV exports (docs/import-export.md).
"""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from app.domain.transfer.parsing.columns import Layout, date_cell, parsed_row, time_cell
from app.domain.transfer.parsing.shared import ParsedRow, local


def kimai_row(n: int, row: list[str], layout: Layout, zone: ZoneInfo) -> ParsedRow:
    day = date_cell(row, layout, "date")
    start_clock = time_cell(row, layout, "from")
    end_clock = time_cell(row, layout, "to")
    # Kimai writes only the start date; an entry that ends past midnight has To < From.
    end_day = day + timedelta(days=1) if end_clock < start_clock else day
    start = local(day, start_clock, zone, "start")
    end = local(end_day, end_clock, zone, "end")
    return parsed_row(n, row, layout, start, end)
