"""What was last queued for each shop's listing (service/stock_sync.py).

Revision ID: stocksync_0001
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

from orderhub.store.schema import UTCDateTime

revision = "stocksync_0001"
down_revision = "0001"
branch_labels = ("stocksync",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "stock_pushes",
        sa.Column("shop", sa.String(128), primary_key=True),
        sa.Column("sku", sa.String(64), primary_key=True),
        sa.Column("quantity", sa.Integer, nullable=False),
        sa.Column("queued_at", UTCDateTime, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("stock_pushes")
