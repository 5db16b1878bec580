"""users.theme and users.shortcuts: the workspace preferences (CONTRACT section 7).

`theme` is auto | light | dark; `shortcuts` is the user's remapping of the single-key
shortcuts (null = the defaults; docs/keyboard.md).

Revision ID: a7d3c9e1f402
Revises: b6e1d4c8a2f9
Create Date: 2026-12-01 23:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "a7d3c9e1f402"
down_revision = "b6e1d4c8a2f9"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("theme", sa.String(5), nullable=False, server_default="auto"))
        batch_op.add_column(sa.Column("shortcuts", sa.JSON(), nullable=True))
        batch_op.create_check_constraint(op.f("ck_users_theme"), "theme IN ('auto', 'light', 'dark')")


def downgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_users_theme"), type_="check")
        batch_op.drop_column("shortcuts")
        batch_op.drop_column("theme")
