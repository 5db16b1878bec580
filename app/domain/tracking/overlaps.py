"""Overlapping and long entries (CONTRACT section 2): allowed but never silent.

A created or edited entry that overlaps another of the user's entries, or lasts over 12
hours, is saved and the answer carries `warnings: [{kind: "overlap", entry_id} | {kind:
"long"}]`; with the user's `refuse_overlaps` setting on, an overlap is a 409 naming the
other entry. Intervals are half-open: an entry ending at 10:00 and one starting at 10:00
do not overlap. A running timer covers its start up to now.

The HTML forms ask for a second click instead (pages.py, "Save anyway"); the Entries list
marks every listed entry that overlaps another (`overlapping_ids`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import Project, TimeEntry, User
from app.domain.tracking.schemas import EntryWarning
from app.lib.errors import ConflictError
from app.lib.time import get_zone

LONG_ENTRY = timedelta(hours=12)
SHOWN_OVERLAPS = 3  # a form names this many overlapping entries, then counts the rest
MAX_ENTRY = timedelta(days=7)


async def overlapping(
    db: AsyncSession, user_id: int, start: datetime, end: datetime | None, *,
    exclude_id: int | None = None, now: datetime | None = None, limit: int = 20,
) -> list[TimeEntry]:
    """The user's other entries sharing time with [start, end), oldest first."""
    hi = end if end is not None else (now or start)
    query = select(TimeEntry).where(
        TimeEntry.user_id == user_id,
        TimeEntry.start_time < hi,
        TimeEntry.start_time > start - MAX_ENTRY,  # entries last at most 7 days: keeps it on the index
        or_(TimeEntry.end_time.is_(None), TimeEntry.end_time > start),
    )
    if exclude_id is not None:
        query = query.where(TimeEntry.id != exclude_id)
    return list(await db.scalars(query.order_by(TimeEntry.start_time, TimeEntry.id).limit(limit)))


def warnings_for(start: datetime, end: datetime | None, others: Sequence[TimeEntry]) -> list[EntryWarning]:
    out = [EntryWarning(kind="overlap", entry_id=o.id) for o in others]
    if end is not None and end - start > LONG_ENTRY:
        out.append(EntryWarning(kind="long"))
    return out


async def refuses_overlaps(db: AsyncSession, user_id: int) -> bool:
    return bool(await db.scalar(select(User.refuse_overlaps).where(User.id == user_id)))


def describe(entry: TimeEntry, zone_name: str, project_name: str | None = None) -> str:
    """"the entry Mon 30 Nov 09:00–10:30 (Website)": how a message names another entry."""
    zone = get_zone(zone_name)
    start = entry.start_time.astimezone(zone)
    when = f"{start:%a} {start.day} {start:%b} {start:%H:%M}"
    if entry.end_time is not None:
        end = entry.end_time.astimezone(zone)
        when += f"–{end:%H:%M}" if end.date() == start.date() else f" – {end:%a} {end.day} {end:%b} {end:%H:%M}"
    else:
        when += " (running)"
    what = project_name or (entry.notes[:40] if entry.notes else "")
    return f"the entry {when}" + (f" ({what})" if what else "")


async def check(
    db: AsyncSession, user_id: int, zone_name: str, start: datetime, end: datetime | None, *,
    exclude_id: int | None = None, now: datetime | None = None,
) -> list[EntryWarning]:
    """The warnings of a write about to happen; a 409 naming the other entry when the user
    refuses overlaps. Runs inside the write's unit of work (after the user lock)."""
    others = await overlapping(db, user_id, start, end, exclude_id=exclude_id, now=now)
    if others and await refuses_overlaps(db, user_id):
        other = others[0]
        raise ConflictError(
            f"Overlaps {describe(other, zone_name)} (entry {other.id}); overlapping entries are switched off "
            "in your settings",
            field="start_time",
        )
    return warnings_for(start, end, others)


async def overlapping_ids(db: AsyncSession, user_id: int, entries: Sequence[TimeEntry]) -> dict[int, list[int]]:
    """For the listed entries: {entry id: ids of the other entries it overlaps}, in one query."""
    done = [e for e in entries if e.end_time is not None]
    if not done:
        return {}
    lo = min(e.start_time for e in done)
    hi = max(e.end_time for e in done if e.end_time is not None)
    rows = list(await db.scalars(
        select(TimeEntry).where(
            TimeEntry.user_id == user_id,
            TimeEntry.start_time < hi,
            TimeEntry.start_time > lo - MAX_ENTRY,
            and_(TimeEntry.end_time.is_not(None), TimeEntry.end_time > lo),
        ).order_by(TimeEntry.start_time)
    ))
    out: dict[int, list[int]] = {}
    for entry in done:
        assert entry.end_time is not None
        hits = [
            o.id for o in rows
            if o.id != entry.id and o.end_time is not None
            and o.start_time < entry.end_time and o.end_time > entry.start_time
        ]
        if hits:
            out[entry.id] = hits
    return out


async def describe_warnings(
    db: AsyncSession, user_id: int, zone_name: str, warnings: Sequence[EntryWarning]
) -> list[str]:
    """The warnings as sentences for a form: which entry it overlaps, or that it is long."""
    ids = [w.entry_id for w in warnings if w.kind == "overlap" and w.entry_id is not None]
    rows: dict[int, TimeEntry] = {}
    if ids:
        found = await db.scalars(select(TimeEntry).where(TimeEntry.user_id == user_id, TimeEntry.id.in_(ids)))
        rows = {e.id: e for e in found}
    pids = {e.project_id for e in rows.values() if e.project_id is not None}
    names: dict[int, str] = {}
    if pids:
        names = dict((await db.execute(select(Project.id, Project.name).where(Project.id.in_(pids)))).all())
    out: list[str] = []
    shown = 0
    for w in warnings:
        if w.kind == "overlap" and w.entry_id in rows:
            shown += 1
            if shown > SHOWN_OVERLAPS:
                continue
            other = rows[w.entry_id]
            name = names.get(other.project_id) if other.project_id is not None else None
            out.append(f"It overlaps {describe(other, zone_name, name)}.")
    if shown > SHOWN_OVERLAPS:
        more = shown - SHOWN_OVERLAPS
        out.append(f"It also overlaps {more} other {'entry' if more == 1 else 'entries'}.")
    if any(w.kind == "long" for w in warnings):
        out.append("It lasts more than 12 hours.")
    return out
