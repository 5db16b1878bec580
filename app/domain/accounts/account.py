"""The account page's services: change the password, list and end sessions, delete the
account with every row it owns (docs/setup.md, "Your account")."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import ImportJob, User, UserSession
from app.db.ownership import delete_user_rows
from app.db.uow import unit_of_work
from app.domain.accounts.hashing import hash_password, sha256
from app.domain.accounts.login import authenticate
from app.domain.accounts.validation import validate_password
from app.lib.errors import AuthError, ConflictError, ValidationError


async def check_password(db: AsyncSession, email: str, password: str, client_ip: str, *, field: str) -> None:
    """The signed-in user's own password, with the login's rate limits: a wrong one counts
    as a failed attempt for the email (5 in 15 minutes block it, 429), so a stolen session
    cannot guess it. A wrong password is a ValidationError naming `field`."""
    try:
        await authenticate(db, email, password, client_ip)
    except AuthError as exc:
        raise ValidationError("is not correct", field=field) from exc


def _rowcount(result: object) -> int:
    return int(result.rowcount) if isinstance(result, CursorResult) else 0


async def change_password(
    db: AsyncSession, user_id: int, email: str, *, current: str, new: str, client_ip: str, keep: str | None
) -> int:
    """Check the current password, set the new one, end every session but `keep` (the
    caller's own session id; None ends them all). Returns the number of sessions ended.
    API tokens stay valid (revoke them on the account page)."""
    await check_password(db, email, current, client_ip, field="current_password")
    try:
        validate_password(new)
    except ValidationError as exc:
        raise ValidationError(exc.message, field="new_password") from exc
    if new == current:
        raise ValidationError("must differ from the current password", field="new_password")
    password_hash = hash_password(new)  # slow on purpose: before the user's lock
    return await _store_password(db, user_id, password_hash, sha256(keep) if keep else None)


@unit_of_work(source="account")
async def _store_password(db: AsyncSession, user_id: int, password_hash: str, keep_digest: str | None) -> int:
    await db.execute(
        update(User)
        .where(User.id == user_id)
        .values(password_hash=password_hash)
        .execution_options(synchronize_session=False)
    )
    return await _end_sessions(db, user_id, keep_digest)


async def _end_sessions(db: AsyncSession, user_id: int, keep_digest: str | None) -> int:
    statement = delete(UserSession).where(UserSession.user_id == user_id)
    if keep_digest is not None:
        statement = statement.where(UserSession.token_hash != keep_digest)
    return _rowcount(await db.execute(statement.execution_options(synchronize_session=False)))


async def list_sessions(db: AsyncSession, user_id: int) -> list[UserSession]:
    """The user's sessions that still work, most recently seen first."""
    now = datetime.now(UTC)
    rows = await db.scalars(
        select(UserSession)
        .where(UserSession.user_id == user_id, UserSession.expires_at > now)
        .order_by(UserSession.last_seen_at.desc(), UserSession.id.desc())
    )
    return list(rows)


@unit_of_work(source="account")
async def end_other_sessions(db: AsyncSession, user_id: int, keep: str | None) -> int:
    """Sign out every session of the user but `keep` (the caller's); the number ended."""
    return await _end_sessions(db, user_id, sha256(keep) if keep else None)


@unit_of_work(source="account")
async def end_session_by_id(db: AsyncSession, user_id: int, session_id: int) -> bool:
    """Sign out one of the user's sessions; False when it is not theirs (or gone)."""
    result = await db.execute(
        delete(UserSession)
        .where(UserSession.id == session_id, UserSession.user_id == user_id)
        .execution_options(synchronize_session=False)
    )
    return _rowcount(result) > 0


async def delete_account(
    db: AsyncSession, user_id: int, email: str, *, password: str, client_ip: str
) -> dict[str, int]:
    """Check the password, then delete every row the user owns in every table and the
    user (app/db/ownership.py), in one unit of work. Returns rows deleted per table."""
    await check_password(db, email, password, client_ip, field="password")
    return await _delete_everything(db, user_id)


@unit_of_work(source="account")
async def _delete_everything(db: AsyncSession, user_id: int) -> dict[str, int]:
    # A running import writes staged rows from a task of its own: deleting under it would
    # leave them behind. It ends within minutes (or is reaped when its process died).
    running = await db.scalar(
        select(func.count()).select_from(ImportJob).where(ImportJob.user_id == user_id, ImportJob.state == "running")
    )
    if running:
        raise ConflictError("an import is still running; delete the account when it has finished")
    return await delete_user_rows(db, user_id)


def describe_agent(user_agent: str | None) -> str:
    """A short, human name for a browser's User-Agent ("Firefox on Linux")."""
    agent = user_agent or ""
    if not agent:
        return "Unknown browser"
    browser = next(
        (
            name
            for key, name in (
                ("Edg/", "Edge"),
                ("OPR/", "Opera"),
                ("Firefox/", "Firefox"),
                ("Chromium/", "Chromium"),
                ("HeadlessChrome/", "Headless Chrome"),
                ("Chrome/", "Chrome"),
                ("Safari/", "Safari"),
                ("curl/", "curl"),
                ("python-httpx", "Python script"),
                ("testclient", "Test client"),
            )
            if key in agent
        ),
        None,
    )
    system = next(
        (
            name
            for key, name in (
                ("Android", "Android"),
                ("iPhone", "iPhone"),
                ("iPad", "iPad"),
                ("Windows", "Windows"),
                ("Mac OS X", "macOS"),
                ("CrOS", "ChromeOS"),
                ("Linux", "Linux"),
            )
            if key in agent
        ),
        None,
    )
    if browser and system:
        return f"{browser} on {system}"
    return browser or system or agent[:60]
