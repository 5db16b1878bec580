"""One-shot messages carried across a redirect ("Deleted · Undo", "Added 1:30 to Tue 24 Nov").

A form handler answers 303 and calls `flash(response, request, Flash(...))`: the message
rides in a short-lived signed cookie (`momentum_flash`) and the next page rendered by
`lib.htmx.page` shows it once (templates/components/ui.html.j2 `flash`) and clears the
cookie. Signed with the secret key, so nobody plants a message (or an Undo id) in
another browser; it holds no user data beyond the text the user just caused.
"""

from __future__ import annotations

import base64
from typing import Any

import msgspec
from litestar import Request, Response

from app.lib.csrf import settings_of
from app.lib.signing import sign, unsign

FLASH_COOKIE = "momentum_flash"
FLASH_MAX_AGE = 120  # seconds: long enough to survive the redirect and a slow phone


class Flash(msgspec.Struct, frozen=True, omit_defaults=True):
    text: str
    kind: str = "ok"  # ok | warn | error
    link: str | None = None  # a same-site path, e.g. the day the entry went to
    link_text: str | None = None
    undo: int | None = None  # an undo snapshot id (app/domain/tracking/undo.py)
    undo_seconds: int = 10


def flash(response: Response[Any], request: Request[Any, Any, Any], message: Flash) -> Response[Any]:
    raw = base64.urlsafe_b64encode(msgspec.json.encode(message)).decode().rstrip("=")
    response.set_cookie(
        FLASH_COOKIE,
        sign(settings_of(request).secret_key, raw),
        httponly=True,
        samesite="lax",
        secure=not settings_of(request).dev,
        path="/",
        max_age=FLASH_MAX_AGE,
    )
    return response


def read_flash(request: Request[Any, Any, Any]) -> Flash | None:
    signed = request.cookies.get(FLASH_COOKIE)
    if not signed:
        return None
    raw = unsign(settings_of(request).secret_key, signed)
    if raw is None:
        return None
    try:
        return msgspec.json.decode(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)), type=Flash)
    except (ValueError, msgspec.DecodeError):
        return None


def clear_flash(response: Response[Any]) -> None:
    response.delete_cookie(FLASH_COOKIE, path="/")
