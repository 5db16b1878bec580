"""card_layouts: each user's card layout of My productivity and Home (CONTRACT section 7).

Revision ID: b6e1d4c8a2f9
Revises: a7d3e1f9c2b4
Create Date: 2026-12-01 23:50:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "b6e1d4c8a2f9"
down_revision = "a7d3e1f9c2b4"
branch_labels = None
depends_on = None


_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "card_layouts",
        sa.Column("id", _ID, nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("page", sa.String(20), nullable=False),
        sa.Column("cards", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_card_layouts_user_id_users"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_card_layouts")),
        sa.UniqueConstraint("user_id", "page", name="uq_card_layouts_user_page"),
    )


def downgrade() -> None:
    op.drop_table("card_layouts")
