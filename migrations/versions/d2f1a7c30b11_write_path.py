"""The write path: a per-user data version (docs/architecture.md, "The write path").

Every unit of work starts with ``UPDATE users SET data_version = data_version + 1``: the
row lock serialises one user's writes on PostgreSQL, and the version keys every cached
figure, so a cache that lost a write (Redis restarted, hung or evicted) can never serve a
payload computed before it.

Revision ID: d2f1a7c30b11
Revises: c7e2a9d41f03
Create Date: 2026-12-01 11:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "d2f1a7c30b11"
down_revision = "c7e2a9d41f03"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("data_version", sa.BigInteger(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("data_version")
