"""Input bounds checked where a value is decoded (CONTRACT section 6, "No client input
gives a 5xx"): ids inside the database's integer range, datetimes inside 1970–2200 and
carrying an offset, bounded tag lists. A violation is a 4xx naming the field, raised
before any other work.

- Body ids are `Id` (msgspec `Meta`): out of range → 400 naming the field.
- Path ids are `PathId`: out of range → 404, exactly as if the object did not exist
  (app.lib.htmx.error_response turns a path parameter's validation error into a 404).
- Optional query ids are `OptionalQueryId`: out of range → 400 naming the parameter.
- JSON bodies with datetimes derive from `Body`, whose `__post_init__` checks the year of
  every datetime field (msgspec has no range constraint for datetimes).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Final

import msgspec
from litestar.params import PathParameter, QueryParameter

from app.lib.errors import ValidationError

MAX_ID: Final = 2**63 - 1  # BIGINT on PostgreSQL, INTEGER on SQLite
MIN_YEAR: Final = 1970
MAX_YEAR: Final = 2200
MAX_TAGS: Final = 20
MAX_TAG_LEN: Final = 40

Id = Annotated[int, msgspec.Meta(ge=1, le=MAX_ID, description="an object id")]
PathId = Annotated[int, PathParameter(ge=1, le=MAX_ID, description="an object id")]
OptionalQueryId = Annotated[int | None, QueryParameter(ge=1, le=MAX_ID, description="an object id")]
# The year is checked by `Body.__post_init__`, the offset by the service
# (app/domain/tracking/validation.py require_aware); the description documents both.
Stamp = Annotated[datetime, msgspec.Meta(description=f"RFC 3339 with an offset, years {MIN_YEAR}–{MAX_YEAR}")]
OFFSET_MESSAGE: Final = "must carry a UTC offset (RFC 3339, e.g. 2026-03-11T09:00:00+01:00)"
Tag = Annotated[str, msgspec.Meta(max_length=MAX_TAG_LEN)]
Tags = Annotated[list[Tag], msgspec.Meta(max_length=MAX_TAGS, description=f"at most {MAX_TAGS} tags")]


def year_error(value: date, field: str) -> str | None:
    """The message for a date or datetime outside 1970–2200, else None.

    Checked on the value's own (local) year, so nothing is converted, and nothing can
    overflow, before the check."""
    if MIN_YEAR <= value.year <= MAX_YEAR:
        return None
    return f"{field}: must be between {MIN_YEAR} and {MAX_YEAR}"


def check_year(value: date, field: str) -> None:
    """Raise ValidationError (400, naming the field) for a date outside 1970–2200."""
    if year_error(value, field) is not None:
        raise ValidationError(f"must be between {MIN_YEAR} and {MAX_YEAR}", field=field)


class Body(msgspec.Struct, forbid_unknown_fields=True):
    """Base of JSON request bodies: every date and datetime field lies in 1970–2200.

    A ValueError raised here becomes msgspec's ValidationError, which Litestar answers
    with 400 (the message starts with the field's name)."""

    def __post_init__(self) -> None:
        for name in self.__struct_fields__:
            value = getattr(self, name)
            if isinstance(value, date) and (message := year_error(value, name)) is not None:
                raise ValueError(message)
