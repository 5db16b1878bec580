"""The SQL of a staged CSV import (staging.py; docs/import-export.md, "Imports that share
the database"): writing a chunk of rows to `import_staging`, and the final `INSERT …
SELECT` that copies a job's staged rows into `time_entries`, rendering the epoch
microseconds in the column's own format."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Final

from sqlalchemy import JSON, Table, and_, bindparam, cast, exists, insert, literal_column, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from app.db.models import ImportStaging, ImportStagingRef, TimeEntry


def cast_table(table: object) -> Table:
    assert isinstance(table, Table)
    return table


_STAGING: Final = cast_table(ImportStaging.__table__)
REFS: Final = cast_table(ImportStagingRef.__table__)


_STAGE_COLUMNS: Final = ("job_id", "row", "start_us", "end_us", "project_key", "task_key", "billable", "notes",
                          "outcome", "tags")
_STAGE_SQLITE: Final = (
    f"INSERT INTO import_staging ({', '.join(_STAGE_COLUMNS)}) VALUES ({', '.join('?' * len(_STAGE_COLUMNS))})"
)


async def stage(db: AsyncSession, values: list[dict[str, Any]]) -> None:
    """One executemany of plain values: on SQLite straight to the driver (every value is
    already an int, bool or str: no type processing is needed), elsewhere Core."""
    conn = await db.connection()
    if conn.dialect.name == "sqlite":
        rows = [tuple(v[c] for c in _STAGE_COLUMNS) for v in values]
        await conn.exec_driver_sql(_STAGE_SQLITE, rows)
    else:
        await conn.execute(_STAGING.insert(), values)


def _from_micros_sql(column: ColumnElement[Any], dialect: str) -> ColumnElement[Any]:
    """The database's own rendering of a UTC instant given as epoch microseconds: the format
    DateTimeUTC stores (SQLite: 'YYYY-MM-DD HH:MM:SS.ffffff'; PostgreSQL: timestamptz)."""
    name = column.compile(compile_kwargs={"literal_binds": True})
    if dialect == "postgresql":
        return literal_column(
            f"(to_timestamp({name} / 1000000) + ({name} % 1000000) * interval '1 microsecond')"
        )
    return literal_column(
        f"(strftime('%Y-%m-%d %H:%M:%S', {name} / 1000000, 'unixepoch') || printf('.%06d', {name} % 1000000))"
    )


async def copy_staged(db: AsyncSession, job_id: int, user_id: int, now: datetime, *, recheck: bool) -> int:
    """INSERT INTO time_entries SELECT … FROM import_staging: the job's rows that are not
    (any longer) duplicates of a committed entry. Returns how many were inserted."""
    dialect = db.bind.dialect.name if db.bind is not None else "sqlite"
    s = _STAGING.alias("s")
    p = REFS.alias("p")
    t = REFS.alias("t")
    te = cast_table(TimeEntry.__table__)
    start = _from_micros_sql(s.c.start_us, dialect)
    end = _from_micros_sql(s.c.end_us, dialect)
    tags: ColumnElement[Any] = cast(s.c.tags, JSON) if dialect == "postgresql" else s.c.tags
    stamp = bindparam("now", now, type_=TimeEntry.__table__.c.created_at.type)
    duplicate = exists().where(
        te.c.user_id == user_id,
        te.c.start_time == start,
        te.c.end_time == end,
        te.c.project_id.is_not_distinct_from(p.c.ref_id),
        te.c.notes == s.c.notes,
    )
    query = (
        select(
            bindparam("uid", user_id), p.c.ref_id, t.c.ref_id, start, end, s.c.billable, s.c.notes,
            s.c.outcome, tags, stamp, stamp,
        )
        .select_from(
            s.outerjoin(p, and_(p.c.job_id == s.c.job_id, p.c.kind == "p", p.c.key == s.c.project_key)).outerjoin(
                t, and_(t.c.job_id == s.c.job_id, t.c.kind == "t", t.c.key == s.c.task_key)
            )
        )
        .where(s.c.job_id == job_id)
    )
    if recheck:
        query = query.where(~duplicate)
    columns = ["user_id", "project_id", "task_id", "start_time", "end_time", "billable", "notes", "outcome",
               "tags", "created_at", "updated_at"]
    result = await db.execute(insert(te).from_select(columns, query))
    return int(getattr(result, "rowcount", 0) or 0)

