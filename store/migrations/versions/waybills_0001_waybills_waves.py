"""Electronic waybills: one row per order and package, and the waves that took them.

Revision ID: waybills_0001
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

from orderhub.store.schema import BigId, JSONDoc, UTCDateTime

revision = "waybills_0001"
down_revision = "0001"
branch_labels = ("waybills",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "waybills",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("order_id", sa.String(26), nullable=False),
        sa.Column("package", sa.String(16), nullable=False),
        sa.Column("request_key", sa.String(48), nullable=False),
        sa.Column("platform", sa.String(16), nullable=False),
        sa.Column("order_label", sa.String(96), nullable=False),
        sa.Column("warehouse", sa.String(32), nullable=False),
        sa.Column("wave", sa.String(64)),
        sa.Column("shop", sa.String(64), nullable=False),
        sa.Column("carrier", sa.String(32), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("waybill_code", sa.String(64)),
        sa.Column("parent_waybill_code", sa.String(64)),
        sa.Column("sort_code", sa.String(64)),
        sa.Column("short_address", sa.String(128)),
        sa.Column("package_center", sa.String(128)),
        sa.Column("print_data", JSONDoc),
        sa.Column("error_code", sa.String(64)),
        sa.Column("error", sa.Text),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("cancelled_codes", JSONDoc),
        sa.Column("print_task", sa.String(64)),
        sa.Column("printed_at", UTCDateTime),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        sa.UniqueConstraint("order_id", "package", name="uq_waybills_order_package"),
    )
    op.create_index("ix_waybills_wave", "waybills", ["wave"])
    op.create_index("ix_waybills_code", "waybills", ["waybill_code"])
    op.create_table(
        "waves",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("warehouse", sa.String(32), nullable=False),
        sa.Column("filters", JSONDoc, nullable=False),
        sa.Column("skipped", JSONDoc, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("waves")
    op.drop_table("waybills")
