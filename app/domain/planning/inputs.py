"""From a project's entries to the forecast's input, through the shared per-day tally.

The per-day split is `app.domain.productivity.compute.tally` (CONTRACT 4,
"Attribution"), the one tally every page reads; this module only adds the time before
the tallied span, which the query layer sums in the database (docs/planning.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from app.domain.planning.forecast import BURN_DAYS, ProjectTime
from app.domain.productivity.tally import load_start_date, tally
from app.domain.tracking.schemas import EntryRow
from app.lib.time import get_zone_or_utc, local_date, local_day_start, to_micros

__all__ = ["project_time", "span_first_day", "span_start"]


def span_first_day(today: date) -> date:
    """The first local day the tally splits: it covers today−27 … today and the whole current month."""
    return load_start_date(today, BURN_DAYS)


def span_start(now: datetime, zone_name: str) -> datetime:
    """The UTC instant the tallied span starts; completed time before it is summed by the database."""
    zone = get_zone_or_utc(zone_name)
    return local_day_start(span_first_day(local_date(now, zone)), zone)


def project_time(
    entries: Sequence[EntryRow],
    zone_name: str,
    now: datetime,
    *,
    earlier_us: int = 0,
    earlier_billable_us: int = 0,
    earlier_first: datetime | None = None,
) -> ProjectTime:
    """The project's `ProjectTime`: `entries` (one project's, overlapping the span) split per local day.

    `earlier_us` / `earlier_billable_us` / `earlier_first`: the completed entries that end
    before the span (their total, billable total and first start). The part before
    the span of an entry crossing into it is added here. The running timer is left out.
    """
    zone = get_zone_or_utc(zone_name)
    today = local_date(now, zone)
    t = tally(entries, zone.key, today, BURN_DAYS, now)
    first_bound = t.days.bounds[0]
    first_start = earlier_first
    for entry in entries:
        if entry.end is None or entry.end <= entry.start:
            continue
        if first_start is None or entry.start < first_start:
            first_start = entry.start
        start = to_micros(entry.start)
        if start < first_bound:
            before = min(to_micros(entry.end), first_bound) - start
            earlier_us += before
            if entry.billable:
                earlier_billable_us += before
    days = t.days
    day_us = {days.first.fromordinal(days.first.toordinal() + i): us for i, us in enumerate(t.day_us) if us}
    billable = {days.first.fromordinal(days.first.toordinal() + i): us for i, us in enumerate(t.day_billable_us) if us}
    return ProjectTime(
        day_us=day_us,
        billable_day_us=billable,
        earlier_us=earlier_us,
        earlier_billable_us=earlier_billable_us,
        first_day=local_date(first_start, zone) if first_start is not None else None,
    )
