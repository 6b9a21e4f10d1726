"""The service: event claims, consumer offsets, decisions, actions, outbox, service state.

Revision ID: service_0001
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

from orderhub.store.schema import BigId, JSONDoc, UTCDateTime

revision = "service_0001"
down_revision = "0001"
branch_labels = ("service",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "event_claims",
        sa.Column("consumer", sa.String(64), nullable=False),
        sa.Column("event_id", sa.BigInteger, nullable=False),
        sa.Column("order_id", sa.String(26), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("worker", sa.String(64)),
        sa.Column("token", sa.String(32)),
        sa.Column("lease_until", UTCDateTime),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("last_error", sa.Text),
        sa.Column("done_at", UTCDateTime),
        sa.PrimaryKeyConstraint("consumer", "event_id", name="pk_event_claims"),
    )
    op.create_index("ix_event_claims_status", "event_claims", ["consumer", "status", "event_id"])
    op.create_index("ix_event_claims_order", "event_claims", ["consumer", "order_id", "event_id"])
    op.create_table(
        "consumer_offsets",
        sa.Column("consumer", sa.String(64), primary_key=True),
        sa.Column("enqueued_upto", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("settled_upto", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("swept_at", UTCDateTime),
    )
    op.create_table(
        "decisions",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("consumer", sa.String(64), nullable=False),
        sa.Column("event_id", sa.BigInteger, nullable=False),
        sa.Column("event_type", sa.String(32), nullable=False),
        sa.Column("order_id", sa.String(26), nullable=False),
        sa.Column("outcome", sa.String(10), nullable=False),
        sa.Column("rules_version", sa.String(64)),
        sa.Column("flows_version", sa.String(64)),
        sa.Column("actions", JSONDoc, nullable=False),
        sa.Column("messages", sa.Integer, nullable=False, server_default="0"),
        sa.Column("error", sa.Text),
        sa.Column("worker", sa.String(64)),
        sa.Column("at", UTCDateTime, nullable=False),
        sa.UniqueConstraint("consumer", "event_id", name="uq_decisions_event"),
    )
    op.create_index("ix_decisions_order", "decisions", ["order_id", "id"])
    op.create_table(
        "order_actions",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("idempotency_key", sa.String(200), nullable=False),
        sa.Column("order_id", sa.String(26), nullable=False),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("params", JSONDoc, nullable=False),
        sa.Column("decision_event_id", sa.BigInteger, nullable=False),
        sa.Column("at", UTCDateTime, nullable=False),
        sa.UniqueConstraint("idempotency_key", name="uq_order_actions_key"),
    )
    op.create_index("ix_order_actions_order", "order_actions", ["order_id"])
    op.create_table(
        "outbox",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("idempotency_key", sa.String(200), nullable=False),
        sa.Column("order_id", sa.String(26)),
        sa.Column("payload", JSONDoc, nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("next_attempt_at", UTCDateTime, nullable=False),
        sa.Column("last_error", sa.Text),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("sent_at", UTCDateTime),
        sa.UniqueConstraint("idempotency_key", name="uq_outbox_key"),
    )
    op.create_index("ix_outbox_due", "outbox", ["status", "next_attempt_at"])
    op.create_table(
        "service_state",
        sa.Column("key", sa.String(128), primary_key=True),
        sa.Column("value", JSONDoc, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
    )


def downgrade() -> None:
    for name in ("service_state", "outbox", "order_actions", "decisions", "consumer_offsets",
                 "event_claims"):
        op.drop_table(name)
