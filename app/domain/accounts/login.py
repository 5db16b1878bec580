"""Login: the password check and its rate limits (CONTRACT section 3)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import User
from app.domain.accounts.hashing import DUMMY_HASH, sha256, verify_password
from app.domain.accounts.validation import normalize_email
from app.lib import cache as cache_lib
from app.lib.errors import AuthError, RateLimitedError

FAILED_LIMIT = 5
FAILED_WINDOW = 15 * 60
IP_LIMIT_PER_MINUTE = 30


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
    ok = verify_password(user.password_hash if user else DUMMY_HASH, password)
    if not user or not ok:
        await record_failure(email)
        raise AuthError("wrong email or password")
    await cache_lib.delete_counter(f"rl:fail:{sha256(email)}")
    return user
