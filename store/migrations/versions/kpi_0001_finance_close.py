"""KPIs: reconciliation reports and their differences (the finance close).

Revision ID: kpi_0001
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

from orderhub.store.schema import BigId, UTCDateTime

revision = "kpi_0001"
down_revision = "0001"
branch_labels = ("kpi",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "reconciliation_reports",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("label", sa.String(32), nullable=False),
        sa.Column("shop", sa.String(64)),
        sa.Column("period_start", UTCDateTime, nullable=False),
        sa.Column("period_end", UTCDateTime, nullable=False),
        sa.Column("generated_at", UTCDateTime, nullable=False),
        sa.Column("differences", sa.Integer, nullable=False),
    )
    op.create_index("ix_reconciliation_reports_end", "reconciliation_reports", ["period_end"])
    op.create_table(
        "reconciliation_differences",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("platform", sa.String(16), nullable=False),
        sa.Column("shop", sa.String(64)),
        sa.Column("order_no", sa.String(64)),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("period_end", UTCDateTime, nullable=False),
        sa.Column("found_at", UTCDateTime, nullable=False),
        sa.Column("resolved_at", UTCDateTime),
        sa.UniqueConstraint("key", name="uq_reconciliation_differences_key"),
    )
    op.create_index("ix_reconciliation_differences_found", "reconciliation_differences",
                    ["found_at"])


def downgrade() -> None:
    op.drop_table("reconciliation_differences")
    op.drop_table("reconciliation_reports")
