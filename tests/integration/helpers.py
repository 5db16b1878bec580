"""Small helpers for the integration tests: direct DB reads, client addresses, rate-limit counters."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

from anyio.from_thread import BlockingPortal
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.settings import Settings

T = TypeVar("T")


def db_run(settings: Settings, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """Run `work` against the test database on an engine of its own (not the app's)."""
    from app.db.config import create_engine, writing

    async def main() -> T:
        engine = create_engine(settings)
        try:
            with writing():
                async with async_sessionmaker(engine, expire_on_commit=False)() as db:
                    result = await work(db)
                    await db.commit()
                    return result
        finally:
            await engine.dispose()

    loop = asyncio.new_event_loop()
    try:
        return loop.run_until_complete(main())
    finally:
        loop.close()


def db_scalar(settings: Settings, statement: Any) -> Any:
    async def work(db: AsyncSession) -> Any:
        return await db.scalar(statement)

    return db_run(settings, work)


def db_all(settings: Settings, statement: Any) -> list[Any]:
    async def work(db: AsyncSession) -> list[Any]:
        return list((await db.execute(statement)).all())

    return db_run(settings, work)


def unique_address() -> str:
    """A client address no other test uses (so its per-address rate limit is its own)."""
    return f"client-{uuid.uuid4().hex[:12]}"


def with_client_address(app: Any, address: str) -> Any:
    """The app behind a proxy-less connection from `address` (TestClient always says "testclient")."""

    async def asgi(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] in {"http", "websocket"}:
            scope["client"] = (address, 50000)
        await app(scope, receive, send)

    return asgi


def current_minute() -> int:
    return int(datetime.now(UTC).timestamp() // 60)


def clear_rate_limits(portal: BlockingPortal, *, address: str | None = None, emails: tuple[str, ...] = ()) -> None:
    """Delete the rate-limit counters a test created (CONTRACT section 3 limits)."""
    from app.domain.accounts.hashing import sha256
    from app.domain.accounts.validation import normalize_email
    from app.lib.cache import delete_counter

    keys: list[str] = []
    if address is not None:
        minute = current_minute()
        keys += [f"rl:ip:{address}:{m}" for m in (minute - 2, minute - 1, minute)]
        keys.append(f"rl:signup:{address}")
    for email in emails:
        digest = sha256(normalize_email(email))
        keys += [f"rl:fail:{digest}", f"rl:block:{digest}"]
    for key in keys:
        portal.call(delete_counter, key)
