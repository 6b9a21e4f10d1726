"""Shops' OAuth tokens, encrypted at rest (connectors/tokens.py).

Revision ID: tokens_0001
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

from orderhub.store.schema import UTCDateTime

revision = "tokens_0001"
down_revision = "0001"
branch_labels = ("tokens",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "shop_tokens",
        sa.Column("shop", sa.String(128), primary_key=True),
        sa.Column("platform", sa.String(16), nullable=False),
        sa.Column("access_token", sa.Text, nullable=False),
        sa.Column("refresh_token", sa.Text),
        sa.Column("expires_at", UTCDateTime),
        sa.Column("authorized_at", UTCDateTime, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("shop_tokens")
