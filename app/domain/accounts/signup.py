"""Sign-up: the /register form's checks, the new user (the form's `sign_up`, the CLI's
`create_user`) and the sign-up rate limit."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import User
from app.domain.accounts.hashing import hash_password
from app.domain.accounts.validation import (
    validate_email,
    validate_password,
    validate_standard_hours,
    validate_timezone,
)
from app.lib import cache as cache_lib
from app.lib.errors import RateLimitedError, ValidationError

SIGNUP_LIMIT = 10  # sign-ups an hour from one client address (CONTRACT section 6)
SIGNUP_WINDOW = 60 * 60


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
