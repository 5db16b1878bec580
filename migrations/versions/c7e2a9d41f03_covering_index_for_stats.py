"""Covering index for the stats window query.

The productivity stats read (id, project_id, start_time, end_time, billable) of one
user's entries in a time range. With those columns in the index, SQLite and
PostgreSQL answer from the index alone instead of one table lookup per entry.

Revision ID: c7e2a9d41f03
Revises: b41d5fac2315
Create Date: 2026-11-21 20:15:00
"""

from __future__ import annotations

from alembic import op

revision = "c7e2a9d41f03"
down_revision = "b41d5fac2315"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("time_entries", schema=None) as batch_op:
        batch_op.create_index(
            "ix_time_entries_user_start_cover",
            ["user_id", "start_time", "end_time", "project_id", "billable"],
            unique=False,
        )
        batch_op.drop_index("ix_time_entries_user_start")


def downgrade() -> None:
    with op.batch_alter_table("time_entries", schema=None) as batch_op:
        batch_op.create_index("ix_time_entries_user_start", ["user_id", "start_time"], unique=False)
        batch_op.drop_index("ix_time_entries_user_start_cover")
