"""user_sessions.last_seen_at and user_agent: the account page lists active sessions.

Revision ID: a1c3e5f7b9d2
Revises: f0a9b8c7d6e5
Create Date: 2026-12-02 00:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from advanced_alchemy.types import DateTimeUTC
from alembic import op

revision = "a1c3e5f7b9d2"
down_revision = "f0a9b8c7d6e5"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("user_sessions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("last_seen_at", DateTimeUTC(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("user_agent", sa.String(300), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("user_sessions", schema=None) as batch_op:
        batch_op.drop_column("user_agent")
        batch_op.drop_column("last_seen_at")
