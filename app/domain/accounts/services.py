"""Accounts: users, passwords (argon2id), browser sessions, API tokens, rate limits."""

from __future__ import annotations

import functools
import hashlib
import json
import secrets
import sqlite3
from collections.abc import Callable, Iterable
from contextlib import AbstractAsyncContextManager
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, null, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.db import rollups
from app.db.models import ApiToken, User, UserSession
from app.db.rawsql import read_utc
from app.db.uow import current_work, unit_of_work
from app.domain.accounts.credentials import CredentialReader, PgCredentialReader
from app.domain.accounts.schemas import CurrentUser
from app.domain.accounts.token_usage import remember_write
from app.lib import cache as cache_lib
from app.lib.errors import AuthError, RateLimitedError, ValidationError
from app.lib.signing import sign as sign  # re-exported: the cookie signature lives in lib
from app.lib.signing import unsign as unsign
from app.lib.time import is_valid_timezone

SESSION_TTL = timedelta(days=30)
MIN_PASSWORD = 8
FAILED_LIMIT = 5
FAILED_WINDOW = 15 * 60
IP_LIMIT_PER_MINUTE = 30
SIGNUP_LIMIT = 10  # sign-ups an hour from one client address (CONTRACT section 6)
SIGNUP_WINDOW = 60 * 60

_hasher = PasswordHasher()  # argon2id with the library's recommended parameters
# A hash to verify against when the email is unknown, so timing does not reveal accounts.
_DUMMY_HASH = _hasher.hash("momentum-dummy-password")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def sha256(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def normalize_email(email: str) -> str:
    return email.strip().lower()


# ------------------------------------------------------------------ validation


def validate_email(email: str) -> str:
    value = normalize_email(email)
    local, _, domain = value.partition("@")
    if not local or "." not in domain or len(value) > 320 or any(c.isspace() for c in value):
        raise ValidationError("must be a valid email address", field="email")
    return value


def validate_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise ValidationError(f"must be at least {MIN_PASSWORD} characters", field="password")
    if len(password) > 1024:
        raise ValidationError("must be at most 1024 characters", field="password")
    return password


def validate_timezone(tz: str | None, *, required: bool = False) -> str | None:
    if tz is None or tz == "":
        if required:
            raise ValidationError("is required", field="timezone")
        return None
    if not is_valid_timezone(tz):
        raise ValidationError(f"{tz!r} is not an IANA time zone (e.g. Europe/Berlin)", field="timezone")
    return tz


def validate_standard_hours(value: float) -> float:
    if not isinstance(value, int | float) or isinstance(value, bool) or not (0 < value <= 24):
        raise ValidationError("must be more than 0 and at most 24", field="standard_hours_per_day")
    return float(value)


def validate_working_days(days: Iterable[int]) -> list[int]:
    values = list(days)
    if any(isinstance(d, bool) or not isinstance(d, int) or not 1 <= d <= 7 for d in values):
        raise ValidationError("must be ISO weekdays 1 (Monday) to 7 (Sunday)", field="working_days")
    return sorted(set(values))


def validate_streak_min(value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 24 * 60:
        raise ValidationError("must be a whole number of minutes from 0 to 1440", field="streak_min_minutes")
    return value


def to_current_user(user: User) -> CurrentUser:
    return CurrentUser(
        id=user.id,
        email=user.email,
        timezone=user.timezone,
        standard_hours_per_day=user.standard_hours_per_day,
        working_days=tuple(user.working_days or ()),
        streak_min_minutes=user.streak_min_minutes or 0,
        streak_skip_non_working=bool(user.streak_skip_non_working),
        refuse_overlaps=bool(user.refuse_overlaps),
    )


# ------------------------------------------------------------------ users


def _new_user(email: str, password: str, timezone: str | None, standard_hours_per_day: float) -> User:
    """Validate every field and build the (unsaved) user; raises ValidationError."""
    email = validate_email(email)
    validate_password(password)
    tz = validate_timezone(timezone)
    hours = validate_standard_hours(standard_hours_per_day)
    return User(email=email, password_hash=hash_password(password), timezone=tz, standard_hours_per_day=hours)


def signup_errors(email: str, password: str, password_confirm: str, timezone: str | None, hours: str) -> dict[str, str]:
    """Every problem of a sign-up form at once, by field (empty when it is valid). Depends
    only on what was typed, never on which accounts exist (no enumeration)."""
    errors: dict[str, str] = {}

    def check(field: str, validate: Callable[[], object]) -> None:
        try:
            validate()
        except ValidationError as exc:
            errors[exc.field or field] = exc.message

    check("email", lambda: validate_email(email))
    check("password", lambda: validate_password(password))
    if password != password_confirm:
        errors["password_confirm"] = "the two passwords differ"
    check("timezone", lambda: validate_timezone(timezone))
    try:
        value = float(hours or "8")
    except ValueError:
        errors["standard_hours_per_day"] = "must be a number"
    else:
        check("standard_hours_per_day", lambda: validate_standard_hours(value))
    return errors


async def _email_taken(db: AsyncSession, email: str) -> bool:
    return bool(await db.scalar(select(func.count()).select_from(User).where(User.email == email)))


async def create_user(
    db: AsyncSession,
    *,
    email: str,
    password: str,
    timezone: str | None,
    standard_hours_per_day: float = 8.0,
) -> User:
    """For the CLI and the operator: a taken email is an error naming the field."""
    user = _new_user(email, password, timezone, standard_hours_per_day)
    if await _email_taken(db, user.email):
        raise ValidationError("is already registered", field="email")
    db.add(user)
    try:
        await db.flush()
    except IntegrityError as exc:
        raise ValidationError("is already registered", field="email") from exc
    return user


async def sign_up(
    db: AsyncSession,
    *,
    email: str,
    password: str,
    timezone: str | None,
    standard_hours_per_day: float = 8.0,
) -> User | None:
    """The /register form: the new user, or None when the email already has an account.

    The caller answers both the same way (docs/setup.md, "Sign-up"), so the form never
    tells whether an email is registered; the password is hashed either way, so the time
    it takes tells nothing either. Invalid input is still a ValidationError: it depends
    only on what was typed, not on who exists.
    """
    user = _new_user(email, password, timezone, standard_hours_per_day)
    if await _email_taken(db, user.email):
        return None
    try:
        async with db.begin_nested():  # a lost race with another sign-up rolls back only this
            db.add(user)
            await db.flush()
    except IntegrityError:
        return None
    return user


async def check_signup_rate(client_ip: str) -> None:
    """CONTRACT section 6: more than 10 sign-up attempts an hour from one address → 429."""
    if await cache_lib.hit_counter(f"rl:signup:{client_ip}", SIGNUP_WINDOW) > SIGNUP_LIMIT:
        raise RateLimitedError("too many sign-ups from this address; try again in an hour")


# ------------------------------------------------------------------ rate limits


async def check_rate_limits(email: str, client_ip: str) -> None:
    """CONTRACT section 3: >30 attempts a minute from one address, or an email blocked
    after 5 failures within 15 minutes, answer 429."""
    minute = int(datetime.now(UTC).timestamp() // 60)
    if await cache_lib.hit_counter(f"rl:ip:{client_ip}:{minute}", 60) > IP_LIMIT_PER_MINUTE:
        raise RateLimitedError("too many attempts from this address; try again in a minute")
    if await cache_lib.get_counter(f"rl:block:{sha256(email)}"):
        raise RateLimitedError("too many failed attempts for this account; try again in 15 minutes")


async def record_failure(email: str) -> None:
    key = sha256(email)
    failures = await cache_lib.hit_counter(f"rl:fail:{key}", FAILED_WINDOW)
    if failures >= FAILED_LIMIT:
        await cache_lib.set_counter(f"rl:block:{key}", 1, FAILED_WINDOW)
        await cache_lib.delete_counter(f"rl:fail:{key}")


async def authenticate(db: AsyncSession, email: str, password: str, client_ip: str) -> User:
    """Check credentials with rate limiting; raises AuthError or RateLimitedError."""
    email = normalize_email(email)
    await check_rate_limits(email, client_ip)
    user = await db.scalar(select(User).where(User.email == email))
    ok = verify_password(user.password_hash if user else _DUMMY_HASH, password)
    if not user or not ok:
        await record_failure(email)
        raise AuthError("wrong email or password")
    await cache_lib.delete_counter(f"rl:fail:{sha256(email)}")
    return user


# ------------------------------------------------------------------ browser sessions


async def create_session(db: AsyncSession, user_id: int, user_agent: str | None = None) -> str:
    """A new session id (the caller signs it into the cookie). Called on every login,
    so a session id fixed before login is never promoted."""
    raw = secrets.token_urlsafe(32)
    now = datetime.now(UTC)
    digest = sha256(raw)
    agent = (user_agent or "").strip()[:300] or None
    db.add(
        UserSession(
            token_hash=digest,
            user_id=user_id,
            created_at=now,
            expires_at=now + SESSION_TTL,
            last_seen_at=now,
            user_agent=agent,
        )
    )
    await db.flush()
    remember_write(digest)  # seen just now: no last-seen write for a minute
    return raw


async def end_session(db: AsyncSession, raw: str) -> None:
    await db.execute(delete(UserSession).where(UserSession.token_hash == sha256(raw)))


OpenSession = Callable[[], AbstractAsyncContextManager[AsyncSession]]

_USER_COLUMNS = (
    User.id,
    User.email,
    User.timezone,
    User.standard_hours_per_day,
    User.working_days,
    User.streak_min_minutes,
    User.streak_skip_non_working,
    User.refuse_overlaps,
    User.data_version,
    User.created_at,
    User.theme,
    User.shortcuts,
    User.history_version,
)


@functools.lru_cache(maxsize=1024)
def _days_from_text(text: str) -> tuple[int, ...]:
    """users.working_days read as JSON text, parsed once per distinct text (every request
    reads one of a few; a tuple, so no caller can change what the next request reads)."""
    return tuple(json.loads(text) or ())


async def user_for_credential(
    kind: str, raw: str, open_db: OpenSession, fast: CredentialReader | None = None
) -> CurrentUser | None:
    """The user behind a session id (kind "s") or an API token (kind "t"), or None.

    One indexed query on every request (the credential's unique hash joined with its
    user), never a cache: a logged-out session or a revoked token is dead the moment its
    row is gone, whatever a cache restored from disk or missed during a hang
    (CONTRACT section 6). The row also carries the user's data version, which keys the
    cached figures (docs/productivity.md, "Freshness"). `fast` reads it at the driver's
    level (app/domain/accounts/credentials.py): on a SQLite file on the calling thread —
    when SQLite cannot answer at once, the query goes through the ORM like every other —
    and on PostgreSQL with asyncpg directly.
    """
    digest = sha256(raw)
    row: Any = None
    answered = False
    if isinstance(fast, PgCredentialReader):
        row = await fast.fetch(kind, digest)
        answered = True
    elif fast is not None:
        try:
            row = fast.read(kind, digest)
            answered = True
        except sqlite3.Error:
            answered = False
    if not answered:
        async with open_db() as db:
            if kind == "s":
                statement = (
                    select(*_USER_COLUMNS, UserSession.expires_at)
                    .join(UserSession, UserSession.user_id == User.id)
                    .where(UserSession.token_hash == digest)
                )
            else:
                statement = (
                    select(*_USER_COLUMNS, null())
                    .join(ApiToken, ApiToken.user_id == User.id)
                    .where(ApiToken.token_hash == digest)
                )
            row = (await db.execute(statement)).first()
    if row is None:
        return None
    user_id, email, zone, hours, days, streak_min, skip, refuse, version, created, theme, shortcuts = row[:12]
    history, expires = row[12:]
    if kind == "s" and read_utc(expires) <= datetime.now(UTC):  # type: ignore[operator]
        return None
    if isinstance(days, str):  # JSON columns read as text by the fast path
        days = _days_from_text(days)
    if isinstance(shortcuts, str):
        shortcuts = json.loads(shortcuts)
    return CurrentUser(
        id=user_id,
        email=email,
        timezone=zone,
        standard_hours_per_day=hours,
        working_days=tuple(days or ()),
        streak_min_minutes=streak_min or 0,
        streak_skip_non_working=bool(skip),
        refuse_overlaps=bool(refuse),
        data_version=int(version),
        created_stamp=time_stamp(read_utc(created)),  # type: ignore[arg-type]
        theme=theme or "auto",
        shortcuts=shortcuts or None,
        history_version=int(history) if history is not None else None,
    )


def time_stamp(value: datetime) -> int:
    """An instant as integer microseconds since the epoch (for cache keys)."""
    return int(value.timestamp() * 1_000_000)


# ------------------------------------------------------------------ API tokens

TOKEN_PREFIX = "mtm_"


async def create_token(db: AsyncSession, user_id: int, name: str) -> tuple[ApiToken, str]:
    name = name.strip()
    if not name or len(name) > 100:
        raise ValidationError("must be 1 to 100 characters", field="name")
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user_id=user_id, name=name, token_hash=sha256(raw))
    db.add(token)
    await db.flush()
    return token, raw


async def delete_token(db: AsyncSession, user_id: int, token_id: int) -> bool:
    token = await db.scalar(select(ApiToken).where(ApiToken.id == token_id, ApiToken.user_id == user_id))
    if token is None:
        return False
    await db.delete(token)
    return True


async def list_tokens(db: AsyncSession, user_id: int) -> list[ApiToken]:
    return list(await db.scalars(select(ApiToken).where(ApiToken.user_id == user_id).order_by(ApiToken.id)))


# ------------------------------------------------------------------ settings


@unit_of_work()
async def update_settings(
    db: AsyncSession,
    user_id: int,
    *,
    timezone: str | None | msgspec.UnsetType = msgspec.UNSET,
    standard_hours_per_day: float | msgspec.UnsetType = msgspec.UNSET,
    working_days: list[int] | msgspec.UnsetType = msgspec.UNSET,
    streak_min_minutes: int | msgspec.UnsetType = msgspec.UNSET,
    streak_skip_non_working: bool | msgspec.UnsetType = msgspec.UNSET,
    refuse_overlaps: bool | msgspec.UnsetType = msgspec.UNSET,
) -> tuple[User, bool]:
    """Validate and apply; returns (user, zone_changed). Nothing is written on error."""
    user = await db.get(User, user_id)
    if user is None:
        raise AuthError("authentication required")
    changes: dict[str, object] = {}
    if timezone is not msgspec.UNSET:
        changes["timezone"] = validate_timezone(timezone)
    if standard_hours_per_day is not msgspec.UNSET:
        changes["standard_hours_per_day"] = validate_standard_hours(standard_hours_per_day)
    if working_days is not msgspec.UNSET:
        changes["working_days"] = validate_working_days(working_days)
    if streak_min_minutes is not msgspec.UNSET:
        changes["streak_min_minutes"] = validate_streak_min(streak_min_minutes)
    if streak_skip_non_working is not msgspec.UNSET:
        changes["streak_skip_non_working"] = bool(streak_skip_non_working)
    if refuse_overlaps is not msgspec.UNSET:
        changes["refuse_overlaps"] = bool(refuse_overlaps)
    zone_changed = "timezone" in changes and changes["timezone"] != user.timezone
    for key, value in changes.items():
        setattr(user, key, value)
    await db.flush()
    work = current_work(db)
    if zone_changed and work is not None:
        # Local days move with the zone: the whole rollup is rebuilt in this transaction.
        await rollups.rebuild_all(db, user.id, user.timezone or work.default_zone)
    return user, zone_changed
