"""Fields rules and flows set on an order (tags, carrier, custom attributes, memo).

Revision ID: fields_0001
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

from orderhub.store.schema import JSONDoc, UTCDateTime

revision = "fields_0001"
down_revision = "0001"
branch_labels = ("fields",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "order_fields",
        sa.Column("order_id", sa.String(26), nullable=False),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("value", JSONDoc),
        sa.Column("set_by", sa.String(200)),
        sa.Column("at", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint("order_id", "name", name="pk_order_fields"),
    )


def downgrade() -> None:
    op.drop_table("order_fields")
