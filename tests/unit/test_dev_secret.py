"""The development secret (issue 9: sessions survive restarts): created once beside the
SQLite database with mode 0600, reused by every later start; production still needs
MOMENTUM_SECRET_KEY."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from app import settings as settings_module
from app.lib.secret_file import FILE_NAME, load_or_create, secret_path
from app.settings import Settings, SettingsError


@pytest.fixture()
def dev_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.setenv("MOMENTUM_ENV", "development")
    monkeypatch.delenv("MOMENTUM_SECRET_KEY", raising=False)
    monkeypatch.setenv("MOMENTUM_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'data' / 'momentum.db'}")
    settings_module._dev_secret.cache_clear()
    yield tmp_path / "data" / FILE_NAME
    settings_module._dev_secret.cache_clear()


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_secret_lives_beside_the_sqlite_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert secret_path(f"sqlite+aiosqlite:///{tmp_path}/x/db.sqlite") == tmp_path / "x" / FILE_NAME
    monkeypatch.chdir(tmp_path)
    assert secret_path("sqlite+aiosqlite:///./momentum.db") == tmp_path / FILE_NAME
    assert secret_path("sqlite+aiosqlite:///:memory:") is None
    assert secret_path("postgresql+asyncpg://u@h/db") == tmp_path / FILE_NAME


def test_created_once_with_mode_0600_and_reused(tmp_path: Path) -> None:
    path = tmp_path / FILE_NAME
    first = load_or_create(path)
    assert len(first) >= 32
    assert mode(path) == 0o600
    assert load_or_create(path) == first
    assert [p.name for p in tmp_path.iterdir()] == [FILE_NAME]  # no temporary file left behind


def test_a_too_open_file_is_tightened_and_still_used(tmp_path: Path) -> None:
    path = tmp_path / FILE_NAME
    path.write_text("an-existing-secret-of-enough-length\n")
    os.chmod(path, 0o644)
    assert load_or_create(path) == "an-existing-secret-of-enough-length"
    assert mode(path) == 0o600


def test_development_settings_survive_a_restart(dev_env: Path) -> None:
    first = Settings.from_env().secret_key
    assert dev_env.exists() and mode(dev_env) == 0o600
    settings_module._dev_secret.cache_clear()  # a new process
    assert Settings.from_env().secret_key == first
    assert dev_env.read_text().strip() == first


def test_an_explicit_secret_wins_and_writes_no_file(dev_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MOMENTUM_SECRET_KEY", "explicit-secret-0123456789")
    assert Settings.from_env().secret_key == "explicit-secret-0123456789"
    assert not dev_env.exists()


def test_production_still_requires_the_secret(dev_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MOMENTUM_ENV", "production")
    with pytest.raises(SettingsError, match="MOMENTUM_SECRET_KEY is required in production"):
        Settings.from_env()
    assert not dev_env.exists()


def test_a_damaged_secret_file_stops_with_a_message_naming_it(dev_env: Path) -> None:
    dev_env.parent.mkdir(parents=True)
    dev_env.write_text("short")
    with pytest.raises(SettingsError, match=r"\.momentum-secret is shorter than 16 characters"):
        Settings.from_env()
