"""One frozen Settings object read from MOMENTUM_* environment variables (CONTRACT section 1)."""

from __future__ import annotations

import ipaddress
import os
import secrets
import socket
from dataclasses import dataclass, field
from functools import lru_cache

from app.lib.secret_file import SecretFileError, load_or_create, secret_path
from app.lib.time import is_valid_timezone

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./momentum.db"


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


Network = ipaddress.IPv4Network | ipaddress.IPv6Network
LOOPBACK: tuple[Network, ...] = (ipaddress.ip_network("127.0.0.0/8"), ipaddress.ip_network("::1/128"))


def _networks(name: str, default: tuple[Network, ...]) -> tuple[Network, ...]:
    """A comma-separated list of CIDRs (a bare address is a /32 or /128)."""
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    if raw.strip().lower() == "none":
        return ()
    networks: list[Network] = []
    for part in raw.split(","):
        part = part.strip()
        if not part:
            continue
        try:
            networks.append(ipaddress.ip_network(part, strict=False))
        except ValueError:
            raise SettingsError(f"{name} must be comma-separated CIDRs (e.g. 10.0.0.0/8,::1), not {part!r}") from None
    return tuple(networks)


@dataclass(frozen=True, slots=True)
class Settings:
    database_url: str
    cache_url: str
    secret_key: str
    timezone: str
    allow_signup: bool
    env: str
    # docs/setup.md, "Behind a reverse proxy" and "Metrics" (CONTRACT section 6).
    trusted_proxies: tuple[Network, ...] = ()
    metrics_allow: tuple[Network, ...] = field(default=LOOPBACK)
    instance_name: str = ""
    # Hosts rules' webhooks may call (docs/rules.md); empty: no webhook can be created.
    webhook_hosts: tuple[str, ...] = ()

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
            secret = _dev_secret(os.environ.get("MOMENTUM_DATABASE_URL", "").strip() or DEFAULT_DATABASE_URL)
        elif len(secret) < 16:
            raise SettingsError("MOMENTUM_SECRET_KEY must be at least 16 characters")
        tz = os.environ.get("MOMENTUM_TIMEZONE", "UTC").strip() or "UTC"
        if not is_valid_timezone(tz):
            raise SettingsError(f"MOMENTUM_TIMEZONE is not an IANA time zone: {tz!r}")
        return cls(
            database_url=os.environ.get("MOMENTUM_DATABASE_URL", "").strip() or DEFAULT_DATABASE_URL,
            cache_url=os.environ.get("MOMENTUM_CACHE_URL", "").strip() or "mem://",
            secret_key=secret,
            timezone=tz,
            allow_signup=_bool("MOMENTUM_ALLOW_SIGNUP", True),
            env=env,
            trusted_proxies=_networks("MOMENTUM_TRUSTED_PROXIES", ()),
            metrics_allow=_networks("MOMENTUM_METRICS_ALLOW", LOOPBACK),
            instance_name=os.environ.get("MOMENTUM_INSTANCE_NAME", "").strip()[:200] or socket.gethostname(),
            webhook_hosts=_hosts("MOMENTUM_WEBHOOK_HOSTS"),
        )


def _hosts(name: str) -> tuple[str, ...]:
    """A comma-separated list of host names (lower-cased; `host:port` keeps its port)."""
    raw = os.environ.get(name, "")
    return tuple(part.strip().lower() for part in raw.split(",") if part.strip())


@lru_cache(maxsize=8)
def _dev_secret(database_url: str) -> str:
    """Development without MOMENTUM_SECRET_KEY: the key stored beside the database, created
    once (app/lib/secret_file.py), so sessions survive restarts. An in-memory database
    gets one key per process. Workers of one `momentum serve` also share it through the
    environment (see cli.serve)."""
    path = secret_path(database_url)
    if path is None:
        return secrets.token_urlsafe(32)
    try:
        return load_or_create(path)
    except (SecretFileError, OSError) as exc:
        raise SettingsError(f"MOMENTUM_SECRET_KEY is not set and {exc}") from exc


def get_settings() -> Settings:
    return Settings.from_env()
