"""The `momentum` console script (CONTRACT section 1): good input works, bad input is one line on stderr and exit 2."""

from __future__ import annotations

import io
import sqlite3
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from app.cli import main
from app.db.models import User
from app.domain.accounts.hashing import verify_password
from tests.integration.helpers import db_all, db_scalar


@pytest.fixture(autouse=True)
def restore_cache(settings: Any) -> Iterator[None]:
    """Commands set the cache up inside their own event loop; give the app a fresh one afterwards."""
    yield
    from app.lib.cache import setup_cache

    setup_cache(settings.cache_url)


def fresh_email() -> str:
    return f"cli-{uuid.uuid4().hex[:10]}@example.com"


def stdin(monkeypatch: pytest.MonkeyPatch, content: str) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(content))


def one_line_error(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err
    assert err.endswith("\n") and err.count("\n") == 1, err
    return err.rstrip("\n")


def users_with(settings: Any, email: str) -> int:
    return int(db_scalar(settings, select(func.count()).select_from(User).where(User.email == email)))


# ---------------------------------------------------------------- users create


def test_users_create_reads_the_password_from_stdin(
    settings: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    email = fresh_email()
    stdin(monkeypatch, "a long password\n")
    code = main(["users", "create", "--email", email.upper(), "--timezone", "Europe/Berlin",
                 "--standard-hours", "6.5"])
    assert code == 0
    [(user_id, stored_email, zone, hours, password_hash)] = db_all(settings, select(
        User.id, User.email, User.timezone, User.standard_hours_per_day, User.password_hash).where(
        User.email == email))
    assert capsys.readouterr().out == f"created user {email} (id {user_id})\n"
    assert (stored_email, zone, hours) == (email, "Europe/Berlin", 6.5)
    assert verify_password(password_hash, "a long password")
    assert not verify_password(password_hash, "a long password\n")


def test_users_create_can_sign_in_through_the_api(
    settings: Any, monkeypatch: pytest.MonkeyPatch, anon_client: Any
) -> None:
    email = fresh_email()
    stdin(monkeypatch, "another long one\r\n")
    assert main(["users", "create", "--email", email, "--timezone", "UTC"]) == 0
    r = anon_client.post("/api/auth/tokens", json={"email": email, "password": "another long one", "name": "cli"})
    assert r.status_code == 201


@pytest.mark.parametrize(
    ("args", "password", "error"),
    [
        (["--email", "{email}", "--timezone", "Mars/Base"], "a long password\n",
         "momentum: error: --timezone: 'Mars/Base' is not an IANA time zone"),
        (["--email", "not-an-email", "--timezone", "UTC"], "a long password\n",
         "momentum: error: email: must be a valid email address"),
        (["--email", "{email}", "--timezone", "UTC"], "",
         "momentum: error: no password on standard input (pipe it in: echo 'secret…' | momentum users create …)"),
        (["--email", "{email}", "--timezone", "UTC"], "\n",
         "momentum: error: no password on standard input (pipe it in: echo 'secret…' | momentum users create …)"),
        (["--email", "{email}", "--timezone", "UTC"], "short\n",
         "momentum: error: password: must be at least 8 characters"),
        (["--email", "{email}", "--timezone", "UTC", "--standard-hours", "0"], "a long password\n",
         "momentum: error: standard_hours_per_day: must be more than 0 and at most 24"),
        (["--email", "{email}", "--timezone", "UTC", "--standard-hours", "many"], "a long password\n",
         "momentum: error: argument --standard-hours: invalid float value: 'many'"),
        (["--email", "{email}"], "a long password\n",
         "momentum: error: the following arguments are required: --timezone"),
    ],
    ids=["timezone", "email", "no-password", "empty-password", "short-password", "hours", "hours-word",
         "missing-timezone"],
)
def test_users_create_refuses_bad_input_with_exit_2_and_one_line(
    settings: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], args: list[str],
    password: str, error: str
) -> None:
    email = fresh_email()
    stdin(monkeypatch, password)
    argv = ["users", "create", *[a.format(email=email) for a in args]]
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse refuses before main's own handling
        code = int(exc.code or 0)
    assert code == 2
    assert one_line_error(capsys) == error
    assert users_with(settings, email) == 0


def test_users_create_refuses_an_existing_email(
    make_user: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    existing = make_user()
    stdin(monkeypatch, "a long password\n")
    assert main(["users", "create", "--email", existing.email, "--timezone", "UTC"]) == 2
    assert one_line_error(capsys) == "momentum: error: email: is already registered"


# ---------------------------------------------------------------- demo


def test_demo_if_empty_adds_nothing_when_users_exist(
    settings: Any, make_user: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    make_user()
    email = fresh_email()
    assert main(["demo", "--if-empty", "--email", email, "--password", "demo-password", "--years", "0.1"]) == 0
    out = capsys.readouterr().out
    assert "database already has users" in out
    assert "demo login" not in out  # that account does not exist: no login to print
    assert users_with(settings, email) == 0


def test_demo_if_empty_seeds_an_empty_database_once(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "demo.db"
    monkeypatch.setenv("MOMENTUM_DATABASE_URL", f"sqlite+aiosqlite:///{path}")
    assert main(["db", "upgrade"]) == 0
    capsys.readouterr()
    argv = ["demo", "--if-empty", "--email", "demo@example.com", "--password", "demo-password", "--years", "0.25"]
    assert main(argv) == 0
    first = capsys.readouterr().out.splitlines()
    assert first[0].startswith("demo account created with ") and first[0].endswith(" entries over 0.25 year(s)")
    created = int(first[0].split()[4])
    assert created > 50
    assert first[1] == "demo login: demo@example.com / demo-password"

    def counts() -> tuple[int, int]:
        with sqlite3.connect(path) as conn:
            return (conn.execute("SELECT count(*) FROM users").fetchone()[0],
                    conn.execute("SELECT count(*) FROM time_entries").fetchone()[0])

    assert counts() == (1, created)
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "demo account created" not in out
    assert "demo login: demo@example.com / demo-password" in out  # the existing demo login still works
    assert counts() == (1, created)


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (["--years", "0"], "momentum: error: --years must be more than 0 and at most 30"),
        (["--years", "31"], "momentum: error: --years must be more than 0 and at most 30"),
        (["--timezone", "Nowhere/Land"], "momentum: error: --timezone: 'Nowhere/Land' is not an IANA time zone"),
    ],
    ids=["years-0", "years-31", "timezone"],
)
def test_demo_refuses_bad_input_with_exit_2(
    capsys: pytest.CaptureFixture[str], args: list[str], error: str
) -> None:
    assert main(["demo", "--email", fresh_email(), *args]) == 2
    assert one_line_error(capsys) == error


# ---------------------------------------------------------------- import, serve


def test_import_of_a_real_file_creates_its_entries(
    settings: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from app.db.models import TimeEntry

    email = fresh_email()
    stdin(monkeypatch, "a long password\n")
    assert main(["users", "create", "--email", email, "--timezone", "Europe/Berlin"]) == 0
    capsys.readouterr()
    fixture = Path(__file__).resolve().parents[1] / "fixtures" / "imports" / "toggl_detailed_1.csv"
    assert main(["import", str(fixture), "--user", email]) == 0
    out = capsys.readouterr().out
    stored = db_scalar(settings, select(func.count()).select_from(TimeEntry).join(User, User.id == TimeEntry.user_id)
                       .where(User.email == email))
    assert stored > 0
    assert out.startswith(f"created {stored} entries, 0 duplicates skipped"), out
    # the same file again: every row is a duplicate, nothing new
    assert main(["import", str(fixture), "--user", email]) == 0
    assert capsys.readouterr().out.startswith(f"created 0 entries, {stored} duplicates skipped")


def test_import_of_a_missing_file_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "nope.csv"
    assert main(["import", str(missing), "--user", "someone@example.com"]) == 2
    assert one_line_error(capsys) == f"momentum: error: {missing}: no such file"


def test_serve_refuses_a_bad_port(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", "--port", "70000"]) == 2
    assert one_line_error(capsys) == "momentum: error: --port must be 1..65535, not 70000"


def test_serve_refuses_several_workers_without_a_shared_cache(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("MOMENTUM_CACHE_URL", "mem://")
    assert main(["serve", "--workers", "2"]) == 2
    assert one_line_error(capsys).startswith("momentum: error: --workers > 1 needs a shared cache")


def test_an_unknown_command_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["frobnicate"])
    assert exc.value.code == 2
    assert one_line_error(capsys).startswith("momentum: error: argument command: invalid choice: 'frobnicate'")
