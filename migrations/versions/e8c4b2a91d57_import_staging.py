"""Imports that share the database: import jobs (the per-user import lock and crash
cleanup) and the staging tables an import fills in short transactions before one final
transaction makes its entries visible (docs/import-export.md).

Revision ID: e8c4b2a91d57
Revises: d3f8b5c1a9e7
Create Date: 2026-12-01 12:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from advanced_alchemy.types import DateTimeUTC
from alembic import op

revision = "e8c4b2a91d57"
down_revision = "d3f8b5c1a9e7"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "import_jobs",
        sa.Column("id", _ID, nullable=False),
        sa.Column("key", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("host", sa.String(length=255), nullable=False),
        sa.Column("heartbeat_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("created_at", DateTimeUTC(timezone=True), nullable=False),
        sa.Column("finished_at", DateTimeUTC(timezone=True), nullable=True),
        sa.Column("temp_path", sa.String(length=1024), nullable=True),
        sa.Column("rows", sa.BigInteger(), nullable=False),
        sa.Column("bytes_read", sa.BigInteger(), nullable=False),
        sa.Column("total_bytes", sa.BigInteger(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("result", sa.Text(), nullable=True),
        sa.CheckConstraint("state IN ('running', 'done', 'failed')", name=op.f("ck_import_jobs_state")),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_import_jobs_user_id_users"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_jobs")),
        sa.UniqueConstraint("key", name=op.f("uq_import_jobs_key")),
    )
    op.create_index(op.f("ix_import_jobs_user_id"), "import_jobs", ["user_id"])
    op.create_index("uq_import_jobs_one_running", "import_jobs", ["user_id"], unique=True,
                    sqlite_where=sa.text("state = 'running'"), postgresql_where=sa.text("state = 'running'"))
    op.create_table(
        "import_staging",
        sa.Column("id", _ID, nullable=False),
        sa.Column("job_id", sa.BigInteger(), nullable=False),
        sa.Column("row", sa.Integer(), nullable=False),
        sa.Column("start_us", sa.BigInteger(), nullable=False),
        sa.Column("end_us", sa.BigInteger(), nullable=False),
        sa.Column("project_key", sa.Integer(), nullable=True),
        sa.Column("task_key", sa.Integer(), nullable=True),
        sa.Column("billable", sa.Boolean(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("outcome", sa.Text(), nullable=False),
        sa.Column("tags", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_staging")),
    )
    op.create_index(op.f("ix_import_staging_job_id"), "import_staging", ["job_id"])
    op.create_table(
        "import_staging_refs",
        sa.Column("id", _ID, nullable=False),
        sa.Column("job_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=1), nullable=False),
        sa.Column("key", sa.Integer(), nullable=False),
        sa.Column("ref_id", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_staging_refs")),
        sa.UniqueConstraint("job_id", "kind", "key", name="uq_import_staging_refs_job_kind_key"),
    )


def downgrade() -> None:
    op.drop_table("import_staging_refs")
    op.drop_index(op.f("ix_import_staging_job_id"), table_name="import_staging")
    op.drop_table("import_staging")
    op.drop_index("uq_import_jobs_one_running", table_name="import_jobs")
    op.drop_index(op.f("ix_import_jobs_user_id"), table_name="import_jobs")
    op.drop_table("import_jobs")
