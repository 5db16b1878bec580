"""Domain errors. Controllers never build error responses by hand: these are turned
into `{"ok": false, "error": ...}` for the API and into friendly pages or inline
form errors for HTML (see app.lib.htmx)."""

from __future__ import annotations

import errno

from sqlalchemy import exc as sa_exc


class AppError(Exception):
    status_code = 400

    def __init__(self, message: str, *, field: str | None = None) -> None:
        self.message = message
        self.field = field
        super().__init__(f"{field}: {message}" if field else message)

    @property
    def text(self) -> str:
        return str(self)


class ValidationError(AppError):
    status_code = 400


class UnprocessableError(ValidationError):
    """Well-formed input that breaks a rule (a layout missing a card, a start time in the future): 422."""

    status_code = 422


class NotFoundError(AppError):
    status_code = 404

    def __init__(self, what: str = "object") -> None:
        super().__init__(f"{what} not found")


class ConflictError(AppError):
    status_code = 409


class AuthError(AppError):
    status_code = 401


class RateLimitedError(AppError):
    status_code = 429


class ForbiddenError(AppError):
    status_code = 403


class PayloadTooLargeError(AppError):
    status_code = 413


class UnsupportedMediaTypeError(AppError):
    status_code = 415
RETRY_AFTER_SECONDS = 5
"""`Retry-After` of a 503 while the database is unreachable (CONTRACT section 6)."""

# SQLSTATE classes and codes of a lost or refused connection: 08xxx connection exceptions,
# 57P01 admin shutdown, 57P02 crash shutdown, 57P03 cannot connect now (starting up).
_CONNECTION_SQLSTATES = frozenset({"57P01", "57P02", "57P03"})
_CONNECTION_ERRNOS = frozenset({errno.EHOSTUNREACH, errno.ENETUNREACH, errno.ETIMEDOUT, errno.EHOSTDOWN})


def _sqlstate(error: BaseException) -> str:
    code = getattr(error, "sqlstate", None) or getattr(error, "pgcode", None)
    return code if isinstance(code, str) else ""


def is_database_unavailable(error: BaseException) -> bool:
    """True when `error` (or what caused it) means the database cannot be reached right
    now: refused or dropped connections, a server shutting down or starting, a pool
    timeout. Such requests answer 503 with `Retry-After`, never 500."""
    seen: set[int] = set()
    pending: list[BaseException] = [error]
    while pending:
        current = pending.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, sa_exc.DBAPIError) and current.connection_invalidated:
            return True
        if isinstance(current, sa_exc.InterfaceError | sa_exc.TimeoutError):
            return True
        if isinstance(current, sa_exc.OperationalError):
            return True  # PostgreSQL: server gone or refusing; SQLite: locked or unreadable file
        if isinstance(current, ConnectionError | TimeoutError):
            return True
        if isinstance(current, OSError) and current.errno in _CONNECTION_ERRNOS:
            return True  # host or network unreachable, connect() timed out
        code = _sqlstate(current)
        if code.startswith("08") or code in _CONNECTION_SQLSTATES:
            return True
        name = type(current).__name__
        if type(current).__module__.startswith("asyncpg") and name in {
            "ConnectionDoesNotExistError",
            "InterfaceError",
            "InternalClientError",
            "ConnectionFailureError",
        }:
            return True
        if isinstance(current, BaseExceptionGroup):  # dependencies resolved concurrently (Litestar)
            pending.extend(current.exceptions)
        orig = getattr(current, "orig", None)  # the driver's error inside SQLAlchemy's
        pending.extend(e for e in (orig, current.__cause__, current.__context__) if isinstance(e, BaseException))
    return False
