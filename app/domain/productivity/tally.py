"""Stage 1 of the stats: the exact per-day / per-hour tally (docs/productivity.md).

`tally` splits every entry exactly, in integer microseconds, across the local days
and local clock hours it overlaps (CONTRACT 4, "Attribution"), using the precomputed
boundaries of `app.lib.time.LocalDays` / `LocalHours`. `figures.py` rounds these sums.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from app.domain.tracking.schemas import EntryRow
from app.lib.time import LocalDays, get_zone, iso_monday, local_grid, to_micros

DAILY_DAYS = 14
HEATMAP_DAYS = 84


# ---------------------------------------------------------------- the load window


def load_start_date(today: date, period: int) -> date:
    """Earliest local date whose entries the computation needs.

    min(today − (period − 1), today − 83, Monday of last ISO week, today − 13): the
    window, the heatmap, last week (for the week_change insight) and the daily
    breakdown.
    """
    return min(
        today - timedelta(days=period - 1),
        today - timedelta(days=HEATMAP_DAYS - 1),
        iso_monday(today) - timedelta(days=7),
        today - timedelta(days=DAILY_DAYS - 1),
    )


# ---------------------------------------------------------------- stage 1: exact sums


@dataclass(slots=True)
class Tally:
    """Exact microsecond sums over the loaded days, from which every figure is rounded.

    Day lists are indexed like `days` (load start .. today); the window is
    `days[window_index:]`. Only completed entries are counted, except `live_*`.
    """

    days: LocalDays
    window_index: int
    week_index: int
    day_us: list[int]
    day_billable_us: list[int]
    day_entries: list[int]  # completed entries starting that day
    hour_us: list[int]  # 24 local clock hours, the window only
    project_us: dict[int | None, int] = field(default_factory=dict)  # the window
    project_billable_us: dict[int | None, int] = field(default_factory=dict)
    project_entries: dict[int | None, int] = field(default_factory=dict)
    week_project_us: dict[int, int] = field(default_factory=dict)  # this week, projects only
    session_us: list[int] = field(default_factory=list)  # lengths of entries starting in the window
    live_today_us: int = 0  # the running timer's part inside today
    live_week_us: int = 0  # the running timer's part inside this week

    @property
    def window_us(self) -> int:
        return sum(self.day_us[self.window_index :])


def _overlap(start: int, end: int, lo: int, hi: int) -> int:
    return max(0, min(end, hi) - max(start, lo))


def tally(entries: Sequence[EntryRow], zone_name: str, today: date, period: int, now: datetime) -> Tally:
    """Split every entry exactly across the loaded local days and the window's clock hours.

    CONTRACT 4, "Attribution": seconds go to every local day (and local clock hour)
    an entry overlaps; "Session figures" (counts, lengths) belong to the day on which
    the entry starts. Parts outside load start .. today are dropped.
    """
    zone = get_zone(zone_name)
    window_first = today - timedelta(days=period - 1)
    days, hours = local_grid(zone, load_start_date(today, period), today, window_first)
    count = len(days)
    bounds = days.bounds
    window_index = days.index(window_first)
    week_index = days.index(iso_monday(today))
    window_start, week_start, today_start, grid_end = (
        bounds[window_index],
        bounds[week_index],
        bounds[count - 1],
        bounds[count],
    )
    now_us = to_micros(now)

    t = Tally(
        days=days,
        window_index=window_index,
        week_index=week_index,
        day_us=[0] * count,
        day_billable_us=[0] * count,
        day_entries=[0] * count,
        hour_us=[0] * 24,
    )
    day_us, day_billable_us, hour_us = t.day_us, t.day_billable_us, t.hour_us
    project_us: defaultdict[int | None, int] = defaultdict(int)
    project_billable_us: defaultdict[int | None, int] = defaultdict(int)
    project_entries: defaultdict[int | None, int] = defaultdict(int)
    week_project_us: defaultdict[int, int] = defaultdict(int)

    for entry in entries:
        start = to_micros(entry.start)
        if entry.end is None:  # the running timer: live fields only
            t.live_today_us += _overlap(start, now_us, today_start, grid_end)
            t.live_week_us += _overlap(start, now_us, week_start, grid_end)
            continue
        end = to_micros(entry.end)
        if end <= start:
            continue
        project_id = entry.project_id
        days.add_to(day_us, start, end)
        hi = end if end < grid_end else grid_end
        window_part = hi - window_start if start <= window_start else hi - start
        window_part = window_part if window_part > 0 else 0
        if window_part:
            project_us[project_id] += window_part
            hours.add_to(hour_us, start, end)
        if entry.billable:
            days.add_to(day_billable_us, start, end)
            if window_part:
                project_billable_us[project_id] += window_part
        week_part = hi - week_start if start <= week_start else hi - start
        if week_part > 0 and project_id is not None:
            week_project_us[project_id] += week_part
        first = days.index_at(start)
        if 0 <= first < count:
            t.day_entries[first] += 1
            if first >= window_index:
                t.session_us.append(end - start)
                project_entries[project_id] += 1

    t.project_us = dict(project_us)
    t.project_billable_us = dict(project_billable_us)
    t.project_entries = dict(project_entries)
    t.week_project_us = dict(week_project_us)
    return t
