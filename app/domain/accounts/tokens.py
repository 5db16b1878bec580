"""API tokens: create (the raw token is returned once; only its hash is stored), list and
revoke (docs/setup.md, "Your account")."""

from __future__ import annotations

import secrets

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import ApiToken
from app.domain.accounts.hashing import sha256
from app.lib.errors import ValidationError

TOKEN_PREFIX = "mtm_"


async def create_token(db: AsyncSession, user_id: int, name: str) -> tuple[ApiToken, str]:
    name = name.strip()
    if not name or len(name) > 100:
        raise ValidationError("must be 1 to 100 characters", field="name")
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user_id=user_id, name=name, token_hash=sha256(raw))
    db.add(token)
    await db.flush()
    return token, raw


async def delete_token(db: AsyncSession, user_id: int, token_id: int) -> bool:
    token = await db.scalar(select(ApiToken).where(ApiToken.id == token_id, ApiToken.user_id == user_id))
    if token is None:
        return False
    await db.delete(token)
    return True


async def list_tokens(db: AsyncSession, user_id: int) -> list[ApiToken]:
    return list(await db.scalars(select(ApiToken).where(ApiToken.user_id == user_id).order_by(ApiToken.id)))
