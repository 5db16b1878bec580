"""HMAC helpers shared by the session cookie and the CSRF token (docs/setup.md, "Security")."""

from __future__ import annotations

import hashlib
import hmac


def sign(secret: str, value: str) -> str:
    """`value.mac`: the session cookie carries the session id signed with the secret key."""
    mac = hmac.new(secret.encode(), value.encode(), hashlib.sha256).hexdigest()[:32]
    return f"{value}.{mac}"


def unsign(secret: str, signed: str) -> str | None:
    value, _, mac = signed.rpartition(".")
    if not value or not hmac.compare_digest(sign(secret, value), signed):
        return None
    return value


def session_csrf_token(secret: str, session_id: str) -> str:
    """The CSRF token of one browser session: an HMAC of its session id.

    Bound to the session (CONTRACT section 6): a token read or planted from another
    session is worth nothing here, and a login, which always starts a new session, gives
    a new token. Derived rather than stored, so any instance sharing the key can check it.
    """
    return hmac.new(secret.encode(), b"csrf:" + session_id.encode(), hashlib.sha256).hexdigest()
