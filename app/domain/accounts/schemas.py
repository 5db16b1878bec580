"""Account payloads and the authenticated user as every request sees it."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec

Email = Annotated[str, msgspec.Meta(min_length=3, max_length=320)]


class UserPrefs(msgspec.Struct, frozen=True, gc=False):
    timezone: str  # IANA name, already resolved (User.timezone else MOMENTUM_TIMEZONE)
    standard_hours_per_day: float = 8.0
    working_days: tuple[int, ...] = (1, 2, 3, 4, 5)  # ISO weekdays
    streak_min_minutes: int = 0  # a day counts for the streak with at least this many minutes (0 = any time)
    streak_skip_non_working: bool = False  # non-working days neither break nor extend a streak


class CurrentUser(msgspec.Struct, frozen=True):
    """The signed-in user's settings, read from the database on every request (never an ORM object)."""

    id: int
    email: str
    timezone: str | None
    standard_hours_per_day: float
    working_days: tuple[int, ...]
    streak_min_minutes: int
    streak_skip_non_working: bool
    refuse_overlaps: bool = False  # CONTRACT section 2: overlapping entries are a 409
    # users.data_version as read with the credential on this request (None when unknown):
    # keys the cached figures (docs/productivity.md, "Freshness"); never cache without it.
    data_version: int | None = None
    # users.created_at in microseconds: with the id, names this account even across a
    # database that was recreated while the cache kept its keys.
    created_stamp: int = 0
    # Workspace preferences (CONTRACT section 7; app/domain/workspace/prefs.py), read with
    # the credential so every page knows its theme and shortcuts without another query.
    theme: str = "auto"
    shortcuts: dict[str, Any] | None = None
    # users.history_version as read with the credential (None when unknown): names the
    # cached streak summary, so a cold stats call asks the cache for it together with the
    # figures (app/domain/productivity/services.py); the stats' own snapshot confirms it.
    history_version: int | None = None

    @property
    def cache_id(self) -> str:
        return f"{self.id}.{self.created_stamp}"

    def zone_name(self, default_zone: str) -> str:
        """User.timezone, else MOMENTUM_TIMEZONE (CONTRACT section 4)."""
        return self.timezone or default_zone

    def prefs(self, default_zone: str) -> UserPrefs:
        return UserPrefs(
            timezone=self.zone_name(default_zone),
            standard_hours_per_day=self.standard_hours_per_day,
            working_days=self.working_days,
            streak_min_minutes=self.streak_min_minutes,
            streak_skip_non_working=self.streak_skip_non_working,
        )


class TokenCreate(msgspec.Struct, forbid_unknown_fields=True):
    email: Email
    password: Annotated[str, msgspec.Meta(max_length=1024)]
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=100)] = "API token"


class TokenCreated(msgspec.Struct):
    id: int
    name: str
    token: str
    created_at: str


class TokenOut(msgspec.Struct):
    id: int
    name: str
    created_at: str
    last_used_at: str | None


class MeOut(msgspec.Struct):
    id: int
    email: str
    timezone: str | None
    effective_timezone: str
    standard_hours_per_day: float
    working_days: list[int]
    streak_min_minutes: int
    streak_skip_non_working: bool
    refuse_overlaps: bool = False


class MeUpdate(msgspec.Struct, forbid_unknown_fields=True):
    timezone: str | None | msgspec.UnsetType = msgspec.UNSET
    standard_hours_per_day: float | msgspec.UnsetType = msgspec.UNSET
    working_days: list[int] | msgspec.UnsetType = msgspec.UNSET
    streak_min_minutes: int | msgspec.UnsetType = msgspec.UNSET
    streak_skip_non_working: bool | msgspec.UnsetType = msgspec.UNSET
    refuse_overlaps: bool | msgspec.UnsetType = msgspec.UNSET


# ------------------------------------------------------------------ the account page's API

Password = Annotated[str, msgspec.Meta(max_length=1024)]


class PasswordChange(msgspec.Struct, forbid_unknown_fields=True):
    current_password: Password
    new_password: Password


class PasswordChanged(msgspec.Struct):
    sessions_ended: int  # every other session of the account was signed out


class AccountDelete(msgspec.Struct, forbid_unknown_fields=True):
    password: Password


class SessionOut(msgspec.Struct):
    id: int
    created_at: str
    last_seen_at: str | None
    user_agent: str | None
    device: str  # a short name for the user agent ("Firefox on Linux")
    current: bool  # the session making this request


class SessionsEnded(msgspec.Struct):
    sessions_ended: int
