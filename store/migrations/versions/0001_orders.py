"""Orders, their event log, and rejected records.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

from orderhub.store.schema import BigId, JSONDoc, Money, UTCDateTime

revision = "0001"
down_revision = None
branch_labels = ("core",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "orders",
        sa.Column("id", sa.String(26), primary_key=True),
        sa.Column("platform", sa.String(16), nullable=False),
        sa.Column("shop_id", sa.String(64), nullable=False),
        sa.Column("platform_order_no", sa.String(64), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("platform_status", sa.String(64)),
        sa.Column("timezone", sa.String(40), nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("paid_at", UTCDateTime),
        sa.Column("modified_at", UTCDateTime),
        sa.Column("shipped_at", UTCDateTime),
        sa.Column("completed_at", UTCDateTime),
        sa.Column("buyer_nick", sa.String(128)),
        sa.Column("receiver_name", sa.String(256)),
        sa.Column("receiver_phone", sa.String(64)),
        sa.Column("receiver_province", sa.String(64)),
        sa.Column("receiver_city", sa.String(64)),
        sa.Column("receiver_district", sa.String(64)),
        sa.Column("receiver_address", sa.Text),
        sa.Column("goods_total", Money, nullable=False),
        sa.Column("discount", Money, nullable=False),
        sa.Column("post_fee", Money, nullable=False),
        sa.Column("payment", Money, nullable=False),
        sa.Column("refund_status", sa.String(16)),
        sa.Column("refund_requested_at", UTCDateTime),
        sa.Column("refund_amount", Money),
        sa.Column("tracking_no", sa.String(64)),
        sa.Column("doc", sa.Text, nullable=False),
        sa.Column("content_hash", sa.String(32), nullable=False),
        sa.Column("fingerprint", sa.String(32)),
        sa.Column("source", sa.String(64)),
        sa.Column("batch", sa.String(64)),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("ingested_at", UTCDateTime, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        sa.UniqueConstraint("platform", "platform_order_no", name="uq_orders_platform_no"),
    )
    op.create_index("ix_orders_phone_created", "orders", ["receiver_phone", "created_at"])
    op.create_index("ix_orders_status_created", "orders", ["status", "created_at"])
    op.create_index("ix_orders_batch", "orders", ["batch"])
    op.create_table(
        "order_events",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("order_id", sa.String(26), nullable=False),
        sa.Column("type", sa.String(32), nullable=False),
        sa.Column("at", UTCDateTime, nullable=False),
        sa.Column("data", JSONDoc, nullable=False),
    )
    op.create_index("ix_order_events_order", "order_events", ["order_id", "id"])
    op.create_table(
        "rejects",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("source", sa.String(64)),
        sa.Column("file", sa.Text),
        sa.Column("record", sa.Integer),
        sa.Column("platform_order_no", sa.String(64)),
        sa.Column("field", sa.String(128)),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("raw", sa.Text),
        sa.Column("batch", sa.String(64)),
        sa.Column("at", UTCDateTime, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("rejects")
    op.drop_table("order_events")
    op.drop_table("orders")
