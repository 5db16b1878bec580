"""entries.csv lines straight from database rows, for the fast exports of SQLite
(sqlite_export.py) and PostgreSQL (postgres_export.py) (issue 12 part 7: 25,000 entries
in at most 200 ms over HTTP; docs/performance.md).

The general writer (csv_formats.entries_csv_rows) builds an ExportEntry per row, converts
each instant into the zone and lets `csv.writer` quote the cells. Here a row is
`(id, project, task, start, end, billable, notes, outcome, tags)` with the instants as
UTC text in SQLite's storage shape (`YYYY-MM-DD HH:MM:SS.ffffff`, which sorts like time;
PostgreSQL's query writes them so) and the tags as stored JSON text, and a line is one
f-string:

* the zone's offsets over the exported range are listed once (`offset_spans`: every
  change of offset, found to the second; cached); rows come in start order, so the span
  of a start is the previous row's until the text passes the span's end;
* a span's offset in whole hours (or minutes) moves only the hour (and minute) digits:
  a table maps the UTC `HH` (or `HH:MM`) to the local one, and the date stays the UTC
  date unless the local time falls on another day, which takes the general conversion;
* text cells are neutralised (formulas.py) and quoted as `csv.writer` quotes them once
  per distinct value (a small cache), tags re-encoded once per distinct stored value.

A row stored in another text shape is written by the general code (`entries_csv_row`),
so the file is byte for byte what `entries_csv_rows` writes — across DST changes,
offsets with minutes or seconds, microseconds and any text (tests/integration/
test_sqlite_export.py and test_postgres_export.py compare the two).
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
import re
from bisect import bisect_right
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta, timezone
from functools import lru_cache
from typing import Any, Final
from zoneinfo import ZoneInfo

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncConnection

from app.db.models import Project, Task
from app.domain.transfer.csv_formats import ExportEntry, entries_csv_row
from app.domain.transfer.formulas import neutralise

STORED_FORMAT: Final = "%Y-%m-%d %H:%M:%S.%f"
_STORED_LENGTH: Final = 26
_DAY: Final = timedelta(days=1)
_CACHE_LIMIT: Final = 1024  # distinct texts remembered at a time (memory stays bounded)
_NEEDS_QUOTES: Final = re.compile('[,"\r\n]').search  # what makes csv.writer quote a cell (QUOTE_MINIMAL)


def _offset(instant: datetime, zone: ZoneInfo) -> timedelta:
    offset = instant.astimezone(zone).utcoffset()
    assert offset is not None
    return offset


def _first_change(lo: datetime, hi: datetime, zone: ZoneInfo) -> datetime:
    """The first whole second in (lo, hi] whose offset differs from lo's."""
    before = _offset(lo, zone)
    low, high = 0, int((hi - lo).total_seconds())
    while high - low > 1:
        mid = (low + high) // 2
        if _offset(lo + timedelta(seconds=mid), zone) == before:
            low = mid
        else:
            high = mid
    return lo + timedelta(seconds=high)


def day_floor(instant: datetime) -> datetime:
    return instant.replace(hour=0, minute=0, second=0, microsecond=0)


@lru_cache(maxsize=64)
def offset_spans(zone: ZoneInfo, first: datetime, last: datetime) -> list[tuple[datetime, timedelta]]:
    """[(span start, offset)] covering [first, last] (aware UTC): the first span starts at
    `first`, each later one where the offset changes. The zone is sampled every 12 hours
    and each change found to the second (no zone changes twice within 12 hours)."""
    step = _DAY / 2
    spans = [(first, _offset(first, zone))]
    cursor = first
    while cursor < last:
        ahead = min(cursor + step, last)
        while _offset(ahead, zone) != spans[-1][1]:
            change = _first_change(cursor, ahead, zone)
            spans.append((change, _offset(change, zone)))
            cursor = change
        cursor = ahead
    return spans


def stored_text(value: datetime) -> str:
    """An aware instant as SQLite stores it (naive UTC text)."""
    return value.astimezone(UTC).replace(tzinfo=None).strftime(STORED_FORMAT)


def parse_stored(value: Any) -> datetime | None:
    """A stored instant's text as aware UTC; None when it is not one."""
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _suffix(offset: timedelta) -> str:
    """The offset as isoformat() writes it after the seconds: '+01:00', '-03:30', '+00:53:28'."""
    return datetime(2000, 1, 1, tzinfo=timezone(offset)).isoformat()[19:]


def _grain(offset: timedelta) -> int:
    """How much of `YYYY-MM-DD HH:MM:SS` the offset changes: up to the hour (13), the minute
    (16) or the second (19)."""
    seconds = int(offset.total_seconds())
    return 13 if seconds % 3600 == 0 else 16 if seconds % 60 == 0 else 19


def _clock_table(offset: timedelta, grain: int) -> dict[str, str]:
    """UTC `HH` (grain 13) or `HH:MM` (grain 16) -> local `THH` / `THH:MM`, for the times of
    day that stay on the same date; empty for an offset with seconds (grain 19)."""
    if grain == 13:
        shift = int(offset.total_seconds()) // 3600
        return {f"{h:02d}": f"T{h + shift:02d}" for h in range(24) if 0 <= h + shift < 24}
    if grain == 16:
        shift = int(offset.total_seconds()) // 60
        return {
            f"{m // 60:02d}:{m % 60:02d}": f"T{(m + shift) // 60:02d}:{(m + shift) % 60:02d}"
            for m in range(1440)
            if 0 <= m + shift < 1440
        }
    return {}


def _tags_json(stored: Any) -> str:
    """The tags column as entries_csv_rows writes it, from the stored JSON text."""
    parsed = json.loads(stored) if stored else []
    return json.dumps(list(parsed or ()), ensure_ascii=False, separators=(",", ":"))


def _quoted(text: str) -> str:
    """A cell as csv.writer writes it: quoted when it holds a comma, a quote or a line
    break, its quotes doubled."""
    if _NEEDS_QUOTES(text):
        return '"' + text.replace('"', '""') + '"'
    return text


def text_cell(value: str | None) -> str:
    """A text column's cell exactly as entries_csv_rows writes it (neutralised, quoted)."""
    return _quoted(neutralise(value or ""))


class MissingNames(Exception):
    """Rows name projects or tasks that EntryLines was not told about (created after the
    export read the names): the caller looks them up and calls `add_names`."""

    def __init__(self, projects: set[int], tasks: set[int]) -> None:
        super().__init__(f"unknown project ids {sorted(projects)}, task ids {sorted(tasks)}")
        self.projects, self.tasks = projects, tasks


class EntryLines:
    """entries.csv lines (without the header) for rows
    `(id, project_id, task_id, start, end, billable, notes, outcome, tags)` whose instants
    lie in [first, last] (aware UTC), as the module docstring describes. The projects' and
    tasks' names come from `add_names` (an id without a row: None, an empty cell)."""

    def __init__(self, zone: ZoneInfo, first: datetime, last: datetime) -> None:
        self._zone = zone
        covered = day_floor(max(first, last)) + _DAY
        spans = offset_spans(zone, day_floor(first), covered)
        self._starts = [stored_text(begins) for begins, _ in spans]
        # Instants outside [first day, last day + 1) take the general code.
        self._ends = [*self._starts[1:], stored_text(covered)]
        self._shifts = [offset for _, offset in spans]
        # Cells and suffixes below carry the comma (or line break) that follows them in a line.
        self._suffixes = [_suffix(offset) + "," for offset in self._shifts]
        self._grains = [_grain(offset) for offset in self._shifts]
        tables: dict[timedelta, dict[str, str]] = {}
        self._tables = [
            tables.setdefault(offset, _clock_table(offset, grain))
            for offset, grain in zip(self._shifts, self._grains, strict=True)
        ]
        self._span = 0
        self._project_names: dict[int | None, str | None] = {None: None}
        self._task_names: dict[int | None, str | None] = {None: None}
        self._project_cells: dict[int | None, str] = {None: ","}
        self._task_cells: dict[int | None, str] = {None: ","}
        self._cells: dict[str, str] = {}
        self._tags: dict[Any, str] = {}
        self._odd = io.StringIO()
        self._odd_writer = csv.writer(self._odd, lineterminator="\r\n")

    def add_names(self, projects: Mapping[int | None, str | None], tasks: Mapping[int | None, str | None]) -> None:
        """Project and task names by id."""
        self._project_names.update(projects)
        self._task_names.update(tasks)
        self._project_cells.update((key, text_cell(name) + ",") for key, name in projects.items())
        self._task_cells.update((key, text_cell(name) + ",") for key, name in tasks.items())

    def _missing(self, rows: Iterable[Sequence[Any]]) -> MissingNames:
        projects, tasks = self._project_names, self._task_names
        return MissingNames(
            {row[1] for row in rows if row[1] not in projects}, {row[2] for row in rows if row[2] not in tasks}
        )

    def _local_prefix(self, stored: str, span: int) -> str:
        """The local `YYYY-MM-DDTHH[:MM[:SS]]` of a stored instant in span `span`, up to its grain."""
        return (datetime.fromisoformat(stored) + self._shifts[span]).isoformat()[: self._grains[span]]

    def _odd_line(self, row: Sequence[Any]) -> str:
        """A row whose instants are not in the stored text shape, by the general code."""
        eid, project_id, task_id, s, e, billable, notes, outcome, tags = row
        start, end = parse_stored(s), parse_stored(e)
        if start is None or end is None:
            raise ValueError(f"entry {eid}: a stored instant that cannot be read")
        entry = ExportEntry(
            id=eid, project=self._project_names[project_id], task=self._task_names[task_id], start=start, end=end,
            billable=bool(billable), notes=notes or "", outcome=outcome or "",
            tags=tuple(json.loads(tags) or ()) if tags else (),
        )
        self._odd_writer.writerow(entries_csv_row(entry, self._zone))
        line = self._odd.getvalue()
        self._odd.seek(0)
        self._odd.truncate()
        return line

    def text(self, rows: Sequence[Sequence[Any]]) -> str:
        """The lines of `rows`, in their order, as one string; MissingNames when a row names
        a project or task that `add_names` did not give (nothing is consumed then: call
        again after adding them)."""
        cells, tag_cells, project_cells, task_cells = self._cells, self._tags, self._project_cells, self._task_cells
        if len(cells) > _CACHE_LIMIT:
            cells.clear()
        if len(tag_cells) > _CACHE_LIMIT:
            tag_cells.clear()
        starts, ends, grains, tables, suffixes = self._starts, self._ends, self._grains, self._tables, self._suffixes
        local_prefix, parse, find, needs_cell = self._local_prefix, datetime.fromisoformat, bisect_right, text_cell
        span = self._span
        lo, hi, grain, table, suffix = starts[span], ends[span], grains[span], tables[span], suffixes[span]
        first, limit = starts[0], ends[-1]
        lines: list[str] = []
        append = lines.append
        for row in rows:
            eid, project_id, task_id, s, e, billable, notes, outcome, tags = row
            project_cell = project_cells.get(project_id)
            task_cell = task_cells.get(task_id)
            if project_cell is None or task_cell is None:
                raise self._missing(rows)
            if (
                len(s) != _STORED_LENGTH or len(e) != _STORED_LENGTH or s[10] != " " or e[10] != " "
                or not s[20:].isdigit() or not e[20:].isdigit() or s < first or e < s or e >= limit
            ):
                append(self._odd_line(row))
                continue
            if not lo <= s < hi:  # the start is in a later span (or, out of order, another one)
                span = find(starts, s) - 1
                lo, hi, grain, table, suffix = starts[span], ends[span], grains[span], tables[span], suffixes[span]
            clock = table.get(s[11:grain])
            start_local = s[:10] + clock if clock is not None else local_prefix(s, span)
            start_rest = s[grain:19] if s[20:] == "000000" else s[grain:]
            if lo <= e < hi:
                end_grain, end_suffix = grain, suffix
                clock = table.get(e[11:grain])
                end_local = e[:10] + clock if clock is not None else local_prefix(e, span)
            else:
                end_span = find(starts, e) - 1
                end_grain, end_suffix = grains[end_span], suffixes[end_span]
                end_local = local_prefix(e, end_span)
            end_rest = e[end_grain:19] if e[20:] == "000000" else e[end_grain:]
            duration = parse(e) - parse(s)
            notes_cell = cells.get(notes)
            if notes_cell is None:
                notes_cell = cells[notes] = needs_cell(notes) + ","
            outcome_cell = cells.get(outcome)
            if outcome_cell is None:
                outcome_cell = cells[outcome] = needs_cell(outcome) + ","
            tags_cell = tag_cells.get(tags)
            if tags_cell is None:
                tags_cell = tag_cells[tags] = _quoted(_tags_json(tags)) + "\r\n"
            # At most 30 parts (the trailing commas and line break come with the cached
            # cells): CPython builds a longer f-string as a list and `''.join`s it.
            append(
                f"{eid},{project_cell}{task_cell}{start_local}{start_rest}{suffix}{end_local}{end_rest}{end_suffix}"
                f"{s[:10]}T{s[11:grain]}{start_rest}Z,{e[:10]}T{e[11:end_grain]}{end_rest}Z,"
                f"{duration.days * 86_400 + duration.seconds if not duration.microseconds else _fraction(duration)},"
                f"{'true,' if billable else 'false,'}{notes_cell}{outcome_cell}{tags_cell}"
            )
        self._span = span
        return "".join(lines)


Names = tuple[dict[int | None, str | None], dict[int | None, str | None]]
NameLoader = Callable[[set[int] | None, set[int] | None], Awaitable[Names]]


async def stream_lines(
    lines: EntryLines,
    fetch: Callable[[], Awaitable[Sequence[Sequence[Any]]]],
    names: NameLoader,
) -> AsyncIterator[str]:
    """The lines of every batch `fetch()` returns (an empty one ends it), a batch ahead: the
    driver reads the next batch while this one is formatted. `names(None, None)` gives the
    names of the user's projects and tasks before the first batch, `names(project_ids,
    task_ids)` those of ids met later (a project created while the export runs)."""
    lines.add_names(*await names(None, None))
    ahead = asyncio.ensure_future(fetch())
    try:
        while batch := await ahead:
            ahead = asyncio.ensure_future(fetch())
            try:
                text = lines.text(batch)
            except MissingNames as missing:
                await asyncio.wait([ahead])  # the connection must be idle for the look-up
                projects, tasks = await names(missing.projects, missing.tasks)
                # An id without a row (none: foreign keys) reads as no name, as the general join does.
                lines.add_names(
                    {key: projects.get(key) for key in missing.projects}, {key: tasks.get(key) for key in missing.tasks}
                )
                text = lines.text(batch)
            yield text
    finally:
        ahead.cancel()  # the client went away: the read-ahead's rows are not wanted


def _fraction(duration: timedelta) -> str:
    return f"{duration.total_seconds():.6f}".rstrip("0")


def names_loader(connection: AsyncConnection, user_id: int) -> NameLoader:
    """`names` for stream_lines, read through `connection` (the export's transaction)."""

    async def by_id(query: Select[int, str]) -> dict[int | None, str | None]:
        return {key: name for key, name in await connection.execute(query)}

    async def names(projects: set[int] | None, tasks: set[int] | None) -> Names:
        found_projects: dict[int | None, str | None] = {}
        found_tasks: dict[int | None, str | None] = {}
        if projects is None or projects:
            query = select(Project.id, Project.name)
            found_projects = await by_id(
                query.where(Project.user_id == user_id) if projects is None else query.where(Project.id.in_(projects))
            )
        if tasks is None or tasks:
            query = select(Task.id, Task.name)
            found_tasks = await by_id(
                query.where(Task.user_id == user_id) if tasks is None else query.where(Task.id.in_(tasks))
            )
        return found_projects, found_tasks

    return names
