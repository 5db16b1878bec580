"""Momentum's own formats: entries.csv (UTC columns) and backup.json read as rows
(docs/import-export.md).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import IO
from zoneinfo import ZoneInfo

from app.domain.transfer.backup_format import MAX_BACKUP_BYTES, Backup
from app.domain.transfer.formulas import restore
from app.domain.transfer.parsing.columns import Layout, bool_cell, raw_cell
from app.domain.transfer.parsing.shared import (
    MAX_NAME_CHARS,
    MAX_PROJECT_CHARS,
    MAX_ROW_ERRORS,
    MAX_TEXT_CHARS,
    BadValue,
    ImportFileError,
    ParsedRow,
    RowError,
    check_span,
    split_tags,
)


def _utc_cell(row: list[str], layout: Layout, key: str) -> datetime:
    raw = raw_cell(row, layout, key).strip()
    if not raw:
        raise BadValue(f"{layout.label[key]} is empty")
    try:
        value = datetime.fromisoformat(raw)
    except ValueError:
        raise BadValue(f"{layout.label[key]} {raw[:40]!r} is not an RFC 3339 date-time") from None
    if value.tzinfo is None:
        raise BadValue(f"{layout.label[key]} {raw[:40]!r} has no UTC offset")
    return value.astimezone(UTC)


def _momentum_tags(row: list[str], layout: Layout) -> tuple[str, ...]:
    raw = raw_cell(row, layout, "tags").strip()
    if not raw:
        return ()
    if not raw.startswith("["):
        return split_tags(raw)  # hand-edited: a plain comma-separated list
    try:
        tags = json.loads(raw)
    except ValueError:
        tags = None
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        raise BadValue(f"{layout.label['tags']} {raw[:40]!r} is not a JSON list of strings")
    return tuple(tags)


def _restored_text(row: list[str], layout: Layout, key: str) -> str:
    """A text cell kept exactly, its formula guard removed before the length is checked."""
    value = restore(raw_cell(row, layout, key))
    if len(value) > MAX_TEXT_CHARS:
        raise BadValue(f"{layout.label[key]} is longer than {MAX_TEXT_CHARS} characters ({len(value)})")
    return value


def momentum_row(n: int, row: list[str], layout: Layout, zone: ZoneInfo) -> ParsedRow:
    """Momentum's own entries.csv: UTC columns, values kept exactly (round trip)."""
    start = _utc_cell(row, layout, "start_utc")
    end = _utc_cell(row, layout, "end_utc")
    check_span(start, end)
    # The export neutralised formula-like cells with a leading "'": take it off again
    # (app/domain/transfer/formulas.py), so the round trip stays exact.
    project = restore(raw_cell(row, layout, "project"))
    task = restore(raw_cell(row, layout, "task"))
    if len(project) > MAX_PROJECT_CHARS:
        raise BadValue(f"{layout.label['project']} is longer than {MAX_PROJECT_CHARS} characters")
    if len(task) > MAX_NAME_CHARS:
        raise BadValue(f"{layout.label['task']} is longer than {MAX_NAME_CHARS} characters")
    return ParsedRow(
        row=n,
        start=start,
        end=end,
        project=project or None,
        client=None,
        task=task or None,
        description=_restored_text(row, layout, "notes"),
        billable=bool_cell(row, layout, "billable"),
        tags=_momentum_tags(row, layout),
        outcome=_restored_text(row, layout, "outcome"),
    )


# ---------------------------------------------------------------- Momentum backup


def read_limited(head: bytes, stream: IO[bytes]) -> bytes:
    parts = [head]
    size = len(head)
    while chunk := stream.read(1 << 20):
        size += len(chunk)
        if size > MAX_BACKUP_BYTES:
            raise ImportFileError(
                f"the backup is larger than {MAX_BACKUP_BYTES // (1 << 20)} MB; "
                "import its entries.csv instead, or split it"
            )
        parts.append(chunk)
    return b"".join(parts)


def backup_rows(backup: Backup) -> Iterator[ParsedRow | RowError]:
    """The completed entries of a backup as rows (row = the entry's 1-based position).

    A running timer (no end) is left out: it is not an entry yet. Restoring everything
    else a backup holds (colours, goals, settings) is the import service's job.
    """
    projects = {p.id: p for p in backup.projects}
    tasks = {t.id: t.name for t in backup.tasks}
    errors = 0
    for n, entry in enumerate(backup.entries, start=1):
        if entry.end_time is None:
            continue
        project = projects.get(entry.project_id) if entry.project_id is not None else None
        try:
            check_span(entry.start_time, entry.end_time)
            for what, value in (("notes", entry.notes), ("outcome", entry.outcome)):
                if len(value) > MAX_TEXT_CHARS:
                    raise BadValue(f"{what} is longer than {MAX_TEXT_CHARS} characters ({len(value)})")
        except BadValue as exc:
            errors += 1
            yield RowError(n, f"entry {n}: {exc}")
            if errors >= MAX_ROW_ERRORS:
                raise ImportFileError(f"too many bad entries; stopped at entry {n}") from None
            continue
        yield ParsedRow(
            row=n,
            start=entry.start_time.astimezone(UTC),
            end=entry.end_time.astimezone(UTC),
            project=project.name if project else None,
            client=project.client if project else None,
            task=tasks.get(entry.task_id) if entry.task_id is not None else None,
            description=entry.notes,
            billable=entry.billable,
            tags=tuple(entry.tags),
            outcome=entry.outcome,
        )
