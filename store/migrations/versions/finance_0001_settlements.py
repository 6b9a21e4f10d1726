"""Finance: settlement lines imported from platform bills.

Revision ID: finance_0001
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

from orderhub.store.schema import BigId, JSONDoc, Money, UTCDateTime

revision = "finance_0001"
down_revision = "0001"
branch_labels = ("finance",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "settlement_lines",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("platform", sa.String(16), nullable=False),
        sa.Column("shop", sa.String(64), nullable=False),
        sa.Column("line_id", sa.String(128), nullable=False),
        sa.Column("order_no", sa.String(64)),
        sa.Column("sub_ref", sa.String(64)),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("amount", Money, nullable=False),
        sa.Column("occurred_at", UTCDateTime, nullable=False),
        sa.Column("description", sa.Text),
        sa.Column("source", sa.String(64)),
        sa.Column("file", sa.Text),
        sa.Column("raw", JSONDoc, nullable=False),
        sa.Column("imported_at", UTCDateTime, nullable=False),
        sa.UniqueConstraint("platform", "line_id", name="uq_settlement_lines_platform_line"),
    )
    op.create_index("ix_settlement_lines_order", "settlement_lines", ["platform", "order_no"])
    op.create_index("ix_settlement_lines_occurred", "settlement_lines", ["occurred_at"])


def downgrade() -> None:
    op.drop_table("settlement_lines")
