"""What every `momentum` command shares: the one-line error (`CliError`, `fail`), the
settings, and a database session of its own (CONTRACT section 1).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import NoReturn, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.settings import Settings, SettingsError, get_settings

T = TypeVar("T")


class CliError(Exception):
    def __init__(self, message: str, code: int = 2) -> None:
        super().__init__(message)
        self.code = code


def fail(message: str, code: int = 2) -> NoReturn:
    raise CliError(message, code)


def _settings() -> Settings:
    try:
        return get_settings()
    except SettingsError as exc:
        fail(str(exc))


async def with_session(settings: Settings, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    from app.db.config import create_engine, writing
    from app.lib.cache import setup_cache

    setup_cache(settings.cache_url)
    engine = create_engine(settings)
    try:
        with writing():
            async with async_sessionmaker(engine, expire_on_commit=False)() as session:
                result = await work(session)
                await session.commit()
                return result
    finally:
        await engine.dispose()
