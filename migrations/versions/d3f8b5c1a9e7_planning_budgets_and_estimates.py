"""Planning: project budgets and task estimates (CONTRACT section 9).

Projects gain budget_hours, budget_period, hourly_rate, due_date and budget_alerts
(the notice thresholds in percent); tasks gain estimate_minutes and due_date. Batch
mode so that SQLite can add the check constraints (it rebuilds the table).

Revision ID: d3f8b5c1a9e7
Revises: d2f1a7c30b11
Create Date: 2026-11-22 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "d3f8b5c1a9e7"
down_revision = "d2f1a7c30b11"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("projects", schema=None) as batch_op:
        batch_op.add_column(sa.Column("budget_hours", sa.Float(), nullable=True))
        batch_op.add_column(
            sa.Column("budget_period", sa.String(length=10), server_default="total", nullable=False)
        )
        batch_op.add_column(sa.Column("hourly_rate", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("due_date", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("budget_alerts", sa.JSON(), server_default="[80, 100]", nullable=False))
        batch_op.create_check_constraint(
            op.f("ck_projects_budget_hours"), "budget_hours IS NULL OR budget_hours > 0"
        )
        batch_op.create_check_constraint(op.f("ck_projects_budget_period"), "budget_period IN ('total', 'monthly')")
        batch_op.create_check_constraint(op.f("ck_projects_hourly_rate"), "hourly_rate IS NULL OR hourly_rate >= 0")
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.add_column(sa.Column("estimate_minutes", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("due_date", sa.Date(), nullable=True))
        batch_op.create_check_constraint(
            op.f("ck_tasks_estimate_minutes"), "estimate_minutes IS NULL OR estimate_minutes > 0"
        )


def downgrade() -> None:
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_tasks_estimate_minutes"), type_="check")
        batch_op.drop_column("due_date")
        batch_op.drop_column("estimate_minutes")
    with op.batch_alter_table("projects", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_projects_hourly_rate"), type_="check")
        batch_op.drop_constraint(op.f("ck_projects_budget_period"), type_="check")
        batch_op.drop_constraint(op.f("ck_projects_budget_hours"), type_="check")
        batch_op.drop_column("budget_alerts")
        batch_op.drop_column("due_date")
        batch_op.drop_column("hourly_rate")
        batch_op.drop_column("budget_period")
        batch_op.drop_column("budget_hours")
