"""undo snapshots (Deleted · Undo) and the user's refuse_overlaps setting (CONTRACT section 2).

Revision ID: a9c3e5f7b2d4
Revises: a1b2c3d4e5f6
Create Date: 2026-12-01 23:50:00
"""

from __future__ import annotations

import sqlalchemy as sa
from advanced_alchemy.types import DateTimeUTC
from alembic import op

revision = "a9c3e5f7b2d4"
down_revision = "a1b2c3d4e5f6"
branch_labels = None
depends_on = None


_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("refuse_overlaps", sa.Boolean(), server_default=sa.text("false"), nullable=False))
    op.create_table(
        "undo_snapshots",
        sa.Column("id", _ID, nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("created_at", DateTimeUTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_undo_snapshots_user_id_users"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_undo_snapshots")),
    )
    op.create_index("ix_undo_snapshots_user_created", "undo_snapshots", ["user_id", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_undo_snapshots_user_created", table_name="undo_snapshots")
    op.drop_table("undo_snapshots")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("refuse_overlaps")
