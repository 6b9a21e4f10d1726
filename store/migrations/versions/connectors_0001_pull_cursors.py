"""Pull cursors: each shop's modified-time high-water mark.

Revision ID: connectors_0001
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

from orderhub.store.schema import UTCDateTime

revision = "connectors_0001"
down_revision = "0001"
branch_labels = ("connectors",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "pull_cursors",
        sa.Column("shop", sa.String(128), primary_key=True),
        sa.Column("platform", sa.String(16), nullable=False),
        sa.Column("position", UTCDateTime, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("pull_cursors")
