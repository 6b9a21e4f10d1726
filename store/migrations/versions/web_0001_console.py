"""Staff console: users, sessions, login failures; order search indexes.

The audit trail is fulfilment's ``audit_log`` (branch ``fulfilment``).

Revision ID: web_0001
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

from orderhub.store.schema import BigId, UTCDateTime

revision = "web_0001"
down_revision = "0001"
branch_labels = ("web",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "web_users",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("password_hash", sa.Text, nullable=False),
        sa.Column("disabled", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
    )
    op.create_table(
        "web_sessions",
        sa.Column("id_hash", sa.String(64), primary_key=True),
        sa.Column("user_name", sa.String(64), nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("last_seen", UTCDateTime, nullable=False),
        sa.Column("expires_at", UTCDateTime, nullable=False),
    )
    op.create_index("ix_web_sessions_user", "web_sessions", ["user_name"])
    op.create_table(
        "web_login_failures",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("user_name", sa.String(64), nullable=False),
        sa.Column("client", sa.String(64)),
        sa.Column("at", UTCDateTime, nullable=False),
    )
    op.create_index("ix_web_login_failures_user_at", "web_login_failures", ["user_name", "at"])
    op.create_index("ix_orders_tracking_no", "orders", ["tracking_no"])
    op.create_index("ix_orders_receiver_name", "orders", ["receiver_name"])
    op.create_index("ix_orders_platform_order_no", "orders", ["platform_order_no"])
    op.create_index("ix_orders_created_at", "orders", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_orders_created_at", "orders")
    op.drop_index("ix_orders_platform_order_no", "orders")
    op.drop_index("ix_orders_receiver_name", "orders")
    op.drop_index("ix_orders_tracking_no", "orders")
    op.drop_table("web_login_failures")
    op.drop_table("web_sessions")
    op.drop_table("web_users")
