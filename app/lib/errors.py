"""Domain errors. Controllers never build error responses by hand: these are turned
into `{"ok": false, "error": ...}` for the API and into friendly pages or inline
form errors for HTML (see app.lib.htmx)."""

from __future__ import annotations


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
