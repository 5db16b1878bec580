"""users.history_version: the version of a user's old history, kept in the database.

Moved (with data_version) by a write that changes days older than every stats window;
it keys the cached history summary, so a cache restored from disk or missing a write
can never serve a summary computed before it (CONTRACT section 6, "Redis outage").

Revision ID: e4c9b2a7d615
Revises: e8c4b2a91d57
Create Date: 2026-12-02 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "e4c9b2a7d615"
down_revision = "e8c4b2a91d57"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("history_version", sa.BigInteger(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("history_version")
