"""What time it is, in one place that tests can pin (notifications, idle time).

`now()` is the real UTC time unless a test has pinned it with `pinned(at)`; code that
decides *when* something is due reads it instead of `datetime.now`, so a test can put
the clock exactly on a threshold and one microsecond before it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

_pinned: datetime | None = None


def now() -> datetime:
    return _pinned if _pinned is not None else datetime.now(UTC)


def pin(at: datetime | None) -> None:
    """Pin the clock at `at` (aware), or release it with None."""
    global _pinned
    if at is not None and at.tzinfo is None:
        raise ValueError("pin an aware datetime")
    _pinned = at.astimezone(UTC) if at is not None else None


@contextmanager
def pinned(at: datetime) -> Iterator[None]:
    previous = _pinned
    pin(at)
    try:
        yield
    finally:
        pin(previous)
