"""Stock ledger, historical orders, and the ``flows route`` cursor.

``stock_ledger``: one row per change to on-hand or reserved stock, with its cause.
``historical_orders``: orders brought in as history (``migrate run``, ``ingest --history``);
the service and ``flows route`` leave them alone.  ``route_cursors``: how far ``orderhub flows
route`` has read the event log.

Revision ID: stock_0001
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

from orderhub.store.schema import BigId, UTCDateTime

revision = "stock_0001"
down_revision = "0001"
branch_labels = ("stock",)
depends_on = "flows_0001"


def upgrade() -> None:
    op.create_table(
        "stock_ledger",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("warehouse", sa.String(32), nullable=False),
        sa.Column("sku", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("on_hand", sa.Integer, nullable=False),
        sa.Column("reserved", sa.Integer, nullable=False),
        sa.Column("order_id", sa.String(26)),
        sa.Column("cause", sa.Text),
        sa.Column("actor", sa.String(64)),
        sa.Column("at", UTCDateTime, nullable=False),
    )
    op.create_index("ix_stock_ledger_order", "stock_ledger", ["order_id"])
    ship = sa.text("kind = 'ship'")
    op.create_index("uq_stock_ledger_ship", "stock_ledger",
                    ["order_id", "cause", "warehouse", "sku"], unique=True,
                    sqlite_where=ship, postgresql_where=ship)
    op.create_table(
        "historical_orders",
        sa.Column("order_id", sa.String(26), primary_key=True),
        sa.Column("source", sa.String(64), nullable=False),
        sa.Column("at", UTCDateTime, nullable=False),
    )
    op.create_table(
        "route_cursors",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("last_event", sa.BigInteger, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("route_cursors")
    op.drop_table("historical_orders")
    op.drop_table("stock_ledger")
