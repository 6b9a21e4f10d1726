"""After-sales records pulled from the platforms' refund feeds.

Revision ID: aftersales_0001
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

from orderhub.store.schema import Money, UTCDateTime

revision = "aftersales_0001"
down_revision = "0001"
branch_labels = ("aftersales",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "after_sales",
        sa.Column("platform", sa.String(16), primary_key=True),
        sa.Column("aftersale_id", sa.String(64), primary_key=True),
        sa.Column("shop", sa.String(128), nullable=False),
        sa.Column("platform_order_no", sa.String(64), nullable=False),
        sa.Column("line_id", sa.String(64)),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("raw_status", sa.String(32), nullable=False),
        sa.Column("amount", Money),
        sa.Column("reason", sa.Text),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("modified_at", UTCDateTime, nullable=False),
        sa.Column("raw", sa.Text, nullable=False),
        sa.Column("stored_at", UTCDateTime, nullable=False),
    )
    op.create_index("ix_after_sales_order", "after_sales", ["platform", "platform_order_no"])


def downgrade() -> None:
    op.drop_table("after_sales")
