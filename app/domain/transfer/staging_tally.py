"""What a staged CSV import (staging.py) tallies while it reads the file: the projects and
tasks the file names, each under the small key its staging rows carry; the seconds per
local day for the `day_totals` rollup; the counts of the result."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Final

from app.domain.transfer.writer import ImportRowError
from app.lib.time import get_zone, local_date, local_day_bounds, split_by_day, to_micros

_US: Final = 1_000_000


@dataclass
class Names:
    """Projects and tasks named in the file, each given a small key (the staging rows carry keys)."""

    projects: dict[str, int] = field(default_factory=dict)  # casefolded name -> key
    project_rows: list[tuple[str, str | None]] = field(default_factory=list)  # key -> (name, client)
    tasks: dict[tuple[int, str], int] = field(default_factory=dict)
    task_rows: list[tuple[int, str]] = field(default_factory=list)  # key -> (project key, name)

    def project(self, name: str, client: str | None) -> int:
        folded = name.strip().casefold()
        key = self.projects.get(folded)
        if key is None:
            key = self.projects[folded] = len(self.project_rows)
            self.project_rows.append((name.strip(), client))
        return key

    def task(self, project_key: int, name: str) -> int:
        folded = (project_key, name.strip().casefold())
        key = self.tasks.get(folded)
        if key is None:
            key = self.tasks[folded] = len(self.task_rows)
            self.task_rows.append((project_key, name.strip()))
        return key


class Days:
    """Seconds per local day of the rows staged, in the zone of the user's rollup: the final
    transaction adds them to `day_totals` without reading the entries back. Entries are
    mostly in time order, so the current day's bounds are kept and reused."""

    def __init__(self, zone_name: str) -> None:
        self.zone_name = zone_name
        self._zone = get_zone(zone_name)
        self.seconds: dict[date, float] = {}
        self.exact = True  # every duration a whole number of seconds: sums are exact floats
        self._day: date | None = None
        self._lo = self._hi = 0

    def add(self, start: datetime, end: datetime, start_us: int, end_us: int) -> None:
        if (end_us - start_us) % _US:
            self.exact = False
        if not (self._lo <= start_us < self._hi):
            self._day = local_date(start, self._zone)
            lo, hi = local_day_bounds(self._day, self._zone)
            self._lo, self._hi = to_micros(lo), to_micros(hi)
        if end_us <= self._hi and self._day is not None:
            self.seconds[self._day] = self.seconds.get(self._day, 0.0) + (end_us - start_us) / _US
            return
        for day, secs in split_by_day(start, end, self._zone):
            self.seconds[day] = self.seconds.get(day, 0.0) + secs


@dataclass
class Stats:
    rows: int = 0
    created: int = 0
    duplicates: int = 0
    errors: list[ImportRowError] = field(default_factory=list)
    min_us: int | None = None
    max_us: int | None = None
