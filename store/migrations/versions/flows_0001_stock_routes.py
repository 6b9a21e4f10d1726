"""Routing flows: stock per warehouse and SKU, routing decisions with traces.

Revision ID: flows_0001
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

from orderhub.store.schema import BigId, JSONDoc, UTCDateTime

revision = "flows_0001"
down_revision = "0001"
branch_labels = ("flows",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "stock",
        sa.Column("warehouse", sa.String(32), primary_key=True),
        sa.Column("sku", sa.String(64), primary_key=True),
        sa.Column("on_hand", sa.Integer, nullable=False),
        sa.Column("reserved", sa.Integer, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
    )
    op.create_table(
        "route_decisions",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("order_id", sa.String(26), nullable=False),
        sa.Column("flow", sa.String(64)),
        sa.Column("version", sa.String(16)),
        sa.Column("warehouse", sa.String(32)),
        sa.Column("diverted_from", sa.String(32)),
        sa.Column("result", JSONDoc, nullable=False),
        sa.Column("trace", sa.Text),
        sa.Column("at", UTCDateTime, nullable=False),
    )
    op.create_index("ix_route_decisions_order", "route_decisions", ["order_id", "id"])
    op.create_index("ix_route_decisions_wh_at", "route_decisions", ["warehouse", "at"])


def downgrade() -> None:
    op.drop_table("route_decisions")
    op.drop_table("stock")
