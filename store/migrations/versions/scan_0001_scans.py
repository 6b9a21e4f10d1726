"""Warehouse scanning: scan events, ship idempotency keys, exceptions, approvals.

Revision ID: scan_0001
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

from orderhub.store.schema import BigId, JSONDoc, UTCDateTime

revision = "scan_0001"
down_revision = "0001"
branch_labels = ("scan",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "scan_events",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("at", UTCDateTime, nullable=False),
        sa.Column("person", sa.String(128), nullable=False),
        sa.Column("order_id", sa.String(26)),
        sa.Column("code", sa.String(128), nullable=False),
        sa.Column("result", sa.String(16), nullable=False),
        sa.Column("sku", sa.String(128)),
        sa.Column("detail", sa.Text),
    )
    op.create_index("ix_scan_events_order", "scan_events", ["order_id", "id"])
    op.create_index("ix_scan_events_result", "scan_events", ["result", "at"])
    op.create_table(
        "scan_ships",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("order_id", sa.String(26), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("result", JSONDoc),
        sa.Column("person", sa.String(128), nullable=False),
        sa.Column("at", UTCDateTime, nullable=False),
    )
    op.create_table(
        "scan_exceptions",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("order_id", sa.String(26), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("note", sa.Text),
        sa.Column("photos", JSONDoc, nullable=False),
        sa.Column("task_id", sa.Integer),
        sa.Column("person", sa.String(128), nullable=False),
        sa.Column("at", UTCDateTime, nullable=False),
    )
    op.create_index("ix_scan_exceptions_order", "scan_exceptions", ["order_id"])
    op.create_table(
        "approvals",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("order_id", sa.String(26), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("requested_by", sa.String(128), nullable=False),
        sa.Column("requested_at", UTCDateTime, nullable=False),
        sa.Column("decided_by", sa.String(128)),
        sa.Column("decided_at", UTCDateTime),
        sa.Column("comment", sa.Text),
    )
    op.create_index("ix_approvals_status", "approvals", ["status", "id"])


def downgrade() -> None:
    op.drop_table("approvals")
    op.drop_table("scan_exceptions")
    op.drop_table("scan_ships")
    op.drop_table("scan_events")
