"""The development secret key, kept in a file beside the database (docs/setup.md, "Settings").

Without MOMENTUM_SECRET_KEY, development mode used to make up a key per start, so every
restart signed everyone out. Now the key is created once, in `.momentum-secret` next to
the SQLite file (mode 0600), and read by every later start and by every worker.
Production never gets here: it requires MOMENTUM_SECRET_KEY (app/settings.py).
"""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
import tempfile
from pathlib import Path

FILE_NAME = ".momentum-secret"
MIN_LENGTH = 16


class SecretFileError(RuntimeError):
    """The file exists but cannot be used; the message names it."""


def secret_path(database_url: str) -> Path | None:
    """Where the secret of this database lives: beside a SQLite file, else in the working
    directory; None for an in-memory SQLite database (nothing to survive a restart)."""
    if database_url.startswith("sqlite"):
        _, sep, rest = database_url.partition(":///")
        target = rest.split("?", 1)[0]
        if not sep or not target or target == ":memory:" or "mode=memory" in database_url:
            return None
        return Path(target).expanduser().absolute().parent / FILE_NAME
    return Path.cwd() / FILE_NAME


def load_or_create(path: Path) -> str:
    """The key stored at `path`, created (0600, atomically, once) when there is none.

    Several workers starting at once agree: the file appears whole or not at all
    (written aside, then hard-linked into place; a lost race reads the winner's key).
    """
    existing = _read(path)
    if existing is not None:
        return existing
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    fd, tmp = tempfile.mkstemp(prefix=".momentum-secret-", dir=path.parent)
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(key + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        with contextlib.suppress(FileExistsError):
            os.link(tmp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
    stored = _read(path)
    if stored is None:  # pragma: no cover - the file vanished between link and read
        raise SecretFileError(f"could not create the development secret {path}")
    return stored


def _read(path: Path) -> str | None:
    try:
        text = path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise SecretFileError(f"cannot read the development secret {path}: {exc}") from exc
    if len(text) < MIN_LENGTH:
        raise SecretFileError(
            f"the development secret {path} is shorter than {MIN_LENGTH} characters; delete it to make a new one"
        )
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        with contextlib.suppress(OSError):
            path.chmod(0o600)  # readable by others: tighten it (the owner keeps access)
    return text
