"""entries.csv on SQLite, without the ORM (issue 12 part 7: 25,000 entries in at most
200 ms over HTTP; docs/performance.md).

The general stream (exporting.py) spends most of its time on SQLAlchemy's per-row
machinery and on converting each instant into the zone. Here:

* the rows come straight from the driver's cursor (aiosqlite), a batch at a time, and the
  next batch is read in the driver's thread while this one is formatted;
* the zone's offsets over the exported range are listed once (`offset_spans`: every
  change of offset, found to the second; cached), and each instant finds its span by
  comparing its stored text (`YYYY-MM-DD HH:MM:SS.ffffff`, UTC, which sorts like time)
  with the spans' starts — so a local time is one addition and `isoformat()`;
* text cells are neutralised (formulas.py) only when their first character could need
  it, tags are re-encoded once per distinct stored value, and `csv.writer.writerows`
  quotes each batch.

A row stored in another text shape is written by the general code (`entries_csv_row`),
so the file is byte for byte what `entries_csv_rows` writes — across DST changes,
offsets with minutes or seconds, microseconds and any text
(tests/integration/test_sqlite_export.py compares the two).
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
from bisect import bisect_right
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta, timezone
from functools import lru_cache
from typing import Any, Final
from zoneinfo import ZoneInfo

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from app.domain.transfer.csv_formats import ExportEntry, entries_csv_row, entries_csv_rows
from app.domain.transfer.formulas import FIRST_CHARS, neutralise

_TEXT_FORMAT: Final = "%Y-%m-%d %H:%M:%S.%f"
_DAY: Final = timedelta(days=1)


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


def _day_floor(instant: datetime) -> datetime:
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


def _suffix(offset: timedelta) -> str:
    """The offset as isoformat() writes it after the seconds: '+01:00', '-03:30', '+00:53:28'."""
    return datetime(2000, 1, 1, tzinfo=timezone(offset)).isoformat()[19:]


_SELECT: Final = (
    "SELECT te.id, p.name, t.name, te.start_time, te.end_time, te.billable, te.notes, te.outcome, te.tags "
    "FROM time_entries AS te LEFT OUTER JOIN projects AS p ON p.id = te.project_id "
    "LEFT OUTER JOIN tasks AS t ON t.id = te.task_id WHERE {where} ORDER BY te.start_time, te.id"
)


def _where(bounded_start: bool, bounded_end: bool, prefix: str = "") -> str:
    where = [f"{prefix}user_id = :user_id", f"{prefix}end_time IS NOT NULL"]
    if bounded_start:
        where.append(f"{prefix}start_time >= :start")
    if bounded_end:
        where.append(f"{prefix}start_time < :end")
    return " AND ".join(where)


def _stored(value: datetime) -> str:
    """An aware instant as SQLite stores it (naive UTC text)."""
    return value.astimezone(UTC).replace(tzinfo=None).strftime(_TEXT_FORMAT)


def _parse(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value).replace(tzinfo=UTC)
    except ValueError:
        return None


def _tags_json(stored: Any) -> str:
    """The tags column as entries_csv_rows writes it, from the stored JSON text."""
    parsed = json.loads(stored) if stored else []
    return json.dumps(list(parsed or ()), ensure_ascii=False, separators=(",", ":"))


def _general_row(raw: tuple[Any, ...], tags: Any, zone: ZoneInfo) -> tuple[object, ...]:
    """A row whose stored instants are not in SQLite's usual text, by the general code."""
    eid, project, task, s, e, billable, notes, outcome = raw
    start, end = _parse(s), _parse(e)
    if start is None or end is None:
        raise ValueError(f"entry {eid}: a stored instant that cannot be read")
    entry = ExportEntry(id=eid, project=project, task=task, start=start, end=end, billable=bool(billable),
                        notes=notes or "", outcome=outcome or "", tags=tuple(json.loads(tags) or ()) if tags else ())
    return entries_csv_row(entry, zone)


async def sqlite_entries_csv(
    session: AsyncSession,
    user_id: int,
    zone: ZoneInfo,
    *,
    start: datetime | None,
    end: datetime | None,
    batch_size: int = 2000,
) -> AsyncIterator[str]:
    """entries.csv (header included) for the entries starting in [start, end), streamed in
    batches of `batch_size` rows through the driver's cursor."""
    yield "".join(entries_csv_rows((), zone))
    params: dict[str, Any] = {"user_id": user_id}
    if start is not None:
        params["start"] = _stored(start)
    if end is not None:
        params["end"] = _stored(end)
    bounded = (start is not None, end is not None)
    connection = await session.connection()
    first_text, last_text = (await connection.execute(
        text(f"SELECT min(start_time), max(end_time) FROM time_entries WHERE {_where(*bounded)}"), params)).one()
    first, last = _parse(first_text), _parse(last_text)
    if first is None or last is None:
        return
    spans = offset_spans(zone, _day_floor(first), _day_floor(max(first, last)) + _DAY)
    bounds = [_stored(begins) for begins, _ in spans]
    shifts = [offset for _, offset in spans]
    suffixes = [_suffix(offset) for offset in shifts]
    raw_connection = await connection.get_raw_connection()
    driver: Any = raw_connection.driver_connection
    tags_cells: dict[Any, str] = {}
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    parse, find, first_chars = datetime.fromisoformat, bisect_right, FIRST_CHARS
    async with driver.execute(_SELECT.format(where=_where(*bounded, prefix="te.")), params) as cursor:
        # The driver reads the next batch in its thread while this one is formatted here.
        ahead = asyncio.ensure_future(cursor.fetchmany(batch_size))
        while batch := await ahead:
            ahead = asyncio.ensure_future(cursor.fetchmany(batch_size))
            rows: list[tuple[Any, ...]] = []
            for eid, project, task, s, e, billable, notes, outcome, tags in batch:
                cell = tags_cells.get(tags)
                if cell is None:
                    cell = tags_cells[tags] = _tags_json(tags)
                if len(s) != 26 or len(e) != 26 or s[10] != " " or e[10] != " ":
                    rows.append(_general_row((eid, project, task, s, e, billable, notes, outcome), tags, zone))
                    continue
                begin, finish = parse(s), parse(e)
                i, j = find(bounds, s) - 1, find(bounds, e) - 1
                span = finish - begin
                project, task, notes, outcome = project or "", task or "", notes or "", outcome or ""
                rows.append((
                    eid,
                    neutralise(project) if project and project[0] in first_chars else project,
                    neutralise(task) if task and task[0] in first_chars else task,
                    (begin + shifts[i]).isoformat() + suffixes[i],
                    (finish + shifts[j]).isoformat() + suffixes[j],
                    begin.isoformat() + "Z",
                    finish.isoformat() + "Z",
                    span.days * 86_400 + span.seconds if not span.microseconds
                    else f"{span.total_seconds():.6f}".rstrip("0"),
                    "true" if billable else "false",
                    neutralise(notes) if notes and notes[0] in first_chars else notes,
                    neutralise(outcome) if outcome and outcome[0] in first_chars else outcome,
                    cell,
                ))
            writer.writerows(rows)
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
