"""Delivery settings of notices (docs/notifications.md, "E-mail"), from the environment.

- `MOMENTUM_SMTP_URL`: unset = no e-mail. `smtp://user:pass@host:587?starttls=1` (plain
  SMTP, STARTTLS when `starttls=1`), `smtps://user:pass@host:465` (TLS from the first byte).
  User and password are percent-decoded; `timeout=` (seconds, default 10) is optional.
- `MOMENTUM_SMTP_FROM`: the From address (default `Momentum <momentum@localhost>`).
- `MOMENTUM_SMTP_DAILY_CAP`: at most this many e-mails per user in any 24 hours (default 20).
- `MOMENTUM_PUBLIC_URL`: the address users open Momentum at (`https://time.example.com`),
  for the links in e-mails; without it the e-mails carry paths only.
- `MOMENTUM_NOTIFY_SWEEP_SECONDS`: how often each instance sweeps (default 60; 0 = never,
  which leaves deriving to the bell's poll and sends no e-mail).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from urllib.parse import parse_qs, unquote, urlsplit

from app.settings import SettingsError

DEFAULT_FROM = "Momentum <momentum@localhost>"
DEFAULT_DAILY_CAP = 20
DEFAULT_SWEEP_SECONDS = 60.0


@dataclass(frozen=True, slots=True)
class SmtpConfig:
    host: str
    port: int
    username: str | None = None
    password: str | None = None
    use_tls: bool = False  # smtps://
    start_tls: bool = False  # smtp://…?starttls=1
    timeout: float = 10.0


@dataclass(frozen=True, slots=True)
class NotifyConfig:
    smtp: SmtpConfig | None = None
    sender: str = DEFAULT_FROM
    daily_cap: int = DEFAULT_DAILY_CAP
    public_url: str = ""
    sweep_seconds: float = DEFAULT_SWEEP_SECONDS

    @classmethod
    def from_env(cls) -> NotifyConfig:
        raw_url = os.environ.get("MOMENTUM_SMTP_URL", "").strip()
        return cls(
            smtp=parse_smtp_url(raw_url) if raw_url else None,
            sender=os.environ.get("MOMENTUM_SMTP_FROM", "").strip() or DEFAULT_FROM,
            daily_cap=_number("MOMENTUM_SMTP_DAILY_CAP", DEFAULT_DAILY_CAP, integer=True),  # type: ignore[arg-type]
            public_url=os.environ.get("MOMENTUM_PUBLIC_URL", "").strip().rstrip("/"),
            sweep_seconds=float(_number("MOMENTUM_NOTIFY_SWEEP_SECONDS", DEFAULT_SWEEP_SECONDS)),
        )


def _number(name: str, default: float, *, integer: bool = False) -> float | int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw) if integer else float(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a {'whole ' if integer else ''}number ≥ 0, not {raw!r}") from None
    if value < 0 or value != value:
        raise SettingsError(f"{name} must be ≥ 0, not {raw!r}")
    return value


def parse_smtp_url(url: str) -> SmtpConfig:
    """`smtp://user:pass@host:port?starttls=1` or `smtps://…` → SmtpConfig (SettingsError naming
    MOMENTUM_SMTP_URL otherwise; the password is never echoed)."""
    parts = urlsplit(url)
    if parts.scheme not in {"smtp", "smtps"} or not parts.hostname:
        raise SettingsError("MOMENTUM_SMTP_URL must look like smtp://user:pass@host:587?starttls=1 or smtps://host:465")
    try:
        port = parts.port
    except ValueError:
        raise SettingsError("MOMENTUM_SMTP_URL has an invalid port") from None
    query = parse_qs(parts.query)
    flag = (query.get("starttls") or ["0"])[0].strip().lower()
    try:
        timeout = float((query.get("timeout") or ["10"])[0])
    except ValueError:
        raise SettingsError("MOMENTUM_SMTP_URL: timeout must be a number of seconds") from None
    use_tls = parts.scheme == "smtps"
    return SmtpConfig(
        host=parts.hostname,
        port=port or (465 if use_tls else 25),
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
        use_tls=use_tls,
        start_tls=flag in {"1", "true", "yes", "on"} and not use_tls,
        timeout=timeout,
    )
