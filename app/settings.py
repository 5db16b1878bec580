"""One frozen Settings object read from MOMENTUM_* environment variables (CONTRACT section 1)."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from functools import lru_cache

from app.lib.time import is_valid_timezone


class SettingsError(RuntimeError):
    """A setting is missing or invalid; the message names the variable."""


def _bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise SettingsError(f"{name} must be true or false, not {raw!r}")


@dataclass(frozen=True, slots=True)
class Settings:
    database_url: str
    cache_url: str
    secret_key: str
    timezone: str
    allow_signup: bool
    env: str

    @property
    def dev(self) -> bool:
        """Development or test: a generated key is allowed and cookies work over plain http."""
        return self.env in {"development", "test"}

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @classmethod
    def from_env(cls) -> Settings:
        env = os.environ.get("MOMENTUM_ENV", "production").strip().lower() or "production"
        if env not in {"production", "development", "test"}:
            raise SettingsError(f"MOMENTUM_ENV must be production, development or test, not {env!r}")
        secret = os.environ.get("MOMENTUM_SECRET_KEY", "").strip()
        if not secret:
            if env == "production":
                raise SettingsError(
                    "MOMENTUM_SECRET_KEY is required in production "
                    "(set MOMENTUM_ENV=development to generate one for local use)"
                )
            secret = _dev_secret()
        elif len(secret) < 16:
            raise SettingsError("MOMENTUM_SECRET_KEY must be at least 16 characters")
        tz = os.environ.get("MOMENTUM_TIMEZONE", "UTC").strip() or "UTC"
        if not is_valid_timezone(tz):
            raise SettingsError(f"MOMENTUM_TIMEZONE is not an IANA time zone: {tz!r}")
        return cls(
            database_url=os.environ.get("MOMENTUM_DATABASE_URL", "").strip() or "sqlite+aiosqlite:///./momentum.db",
            cache_url=os.environ.get("MOMENTUM_CACHE_URL", "").strip() or "mem://",
            secret_key=secret,
            timezone=tz,
            allow_signup=_bool("MOMENTUM_ALLOW_SIGNUP", True),
            env=env,
        )


@lru_cache(maxsize=1)
def _dev_secret() -> str:
    # One key per process is enough for development; several workers of one
    # `momentum serve` share it through the environment (see cli.serve).
    return secrets.token_urlsafe(32)


def get_settings() -> Settings:
    return Settings.from_env()
