"""Fulfilment: stage per order and its log, holds, tasks, audit trail, held outputs, shipments.

Revision ID: fulfilment_0001
Revises: 0001

The tables are created from their definitions in ``orderhub.fulfilment.schema`` as they stand
at this first revision; later changes to them get their own revisions with explicit ops.
"""

import sqlalchemy as sa
from alembic import op

revision = "fulfilment_0001"
down_revision = "0001"
branch_labels = ("fulfilment",)
depends_on = None




def _tables() -> list[sa.Table]:
    from orderhub.fulfilment import schema

    copy = sa.MetaData()
    return [getattr(schema, name).to_metadata(copy) for name in
            ("fulfilment_orders", "fulfilment_log", "holds", "tasks", "audit_log",
             "held_outputs", "shipments")]


def upgrade() -> None:
    bind = op.get_bind()
    for table in _tables():
        table.create(bind)


def downgrade() -> None:
    bind = op.get_bind()
    for table in reversed(_tables()):
        table.drop(bind)
