"""Plain-column reads and binds of DateTimeUTC values, for the hot queries that skip
SQLAlchemy's per-row type processing (docs/performance.md)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession


def read_utc(value: datetime | str | None) -> datetime | None:
    """A datetime column read without type processing: aware datetimes on PostgreSQL,
    'YYYY-MM-DD HH:MM:SS.ffffff' text in UTC on SQLite (DateTimeUTC's storage)."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.astimezone(UTC) if value.tzinfo is not None else value.replace(tzinfo=UTC)
    # Appending the offset is ten times cheaper than .replace(tzinfo=UTC) afterwards.
    return datetime.fromisoformat(value + "+00:00")


def bind_utc(db: AsyncSession, value: datetime) -> datetime | str:
    """Bind a UTC datetime the way DateTimeUTC stores it (text on SQLite)."""
    value = value.astimezone(UTC)
    if db.bind is not None and db.bind.dialect.name == "sqlite":
        return sqlite_utc(value)
    return value


def sqlite_utc(value: datetime) -> str:
    """An aware datetime as DateTimeUTC stores it on SQLite: 'YYYY-MM-DD HH:MM:SS.ffffff' in UTC."""
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")
