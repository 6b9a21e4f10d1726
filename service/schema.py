"""The service's tables: the per-consumer event queue, decisions, actions, the outbox, state.

They live on the store's :data:`~orderhub.store.schema.metadata` and are created by the Alembic
branch ``service`` (``store/migrations/versions/service_0001_queue_outbox.py``): change both
together.

Exactly-once rests on three constraints here: a claim row per (consumer, event), a decision per
(consumer, event), and a unique idempotency key per action and per outbox message.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from ..store.schema import BigId, JSONDoc, UTCDateTime, metadata

#: One row per (consumer, event): pending -> leased -> done (or failed after max attempts).
event_claims = Table(
    "event_claims",
    metadata,
    Column("consumer", String(64), nullable=False),
    Column("event_id", BigInteger, nullable=False),
    Column("order_id", String(26), nullable=False),
    Column("status", String(10), nullable=False),
    Column("worker", String(64)),
    Column("token", String(32)),
    Column("lease_until", UTCDateTime),
    Column("attempts", Integer, nullable=False, default=0),
    Column("last_error", Text),
    Column("done_at", UTCDateTime),
    PrimaryKeyConstraint("consumer", "event_id", name="pk_event_claims"),
)
Index("ix_event_claims_status", event_claims.c.consumer, event_claims.c.status,
      event_claims.c.event_id)
Index("ix_event_claims_order", event_claims.c.consumer, event_claims.c.order_id,
      event_claims.c.event_id)

#: How far each consumer has copied the event log into ``event_claims``.
consumer_offsets = Table(
    "consumer_offsets",
    metadata,
    Column("consumer", String(64), primary_key=True),
    Column("enqueued_upto", BigInteger, nullable=False, default=0),
    Column("settled_upto", BigInteger, nullable=False, default=0),
    Column("swept_at", UTCDateTime),
)

decisions = Table(
    "decisions",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("consumer", String(64), nullable=False),
    Column("event_id", BigInteger, nullable=False),
    Column("event_type", String(32), nullable=False),
    Column("order_id", String(26), nullable=False),
    Column("outcome", String(10), nullable=False),
    Column("rules_version", String(64)),
    Column("flows_version", String(64)),
    Column("actions", JSONDoc, nullable=False),
    Column("messages", Integer, nullable=False, default=0),
    Column("error", Text),
    Column("worker", String(64)),
    Column("at", UTCDateTime, nullable=False),
    UniqueConstraint("consumer", "event_id", name="uq_decisions_event"),
)
Index("ix_decisions_order", decisions.c.order_id, decisions.c.id)

#: Actions taken on orders (hold shipment, mark for review, ...), once each by key.
order_actions = Table(
    "order_actions",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("idempotency_key", String(200), nullable=False),
    Column("order_id", String(26), nullable=False),
    Column("kind", String(64), nullable=False),
    Column("params", JSONDoc, nullable=False),
    Column("decision_event_id", BigInteger, nullable=False),
    Column("at", UTCDateTime, nullable=False),
    UniqueConstraint("idempotency_key", name="uq_order_actions_key"),
)
Index("ix_order_actions_order", order_actions.c.order_id)

outbox = Table(
    "outbox",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("kind", String(16), nullable=False),
    Column("idempotency_key", String(200), nullable=False),
    Column("order_id", String(26)),
    Column("payload", JSONDoc, nullable=False),
    Column("status", String(10), nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", UTCDateTime, nullable=False),
    Column("last_error", Text),
    Column("created_at", UTCDateTime, nullable=False),
    Column("sent_at", UTCDateTime),
    UniqueConstraint("idempotency_key", name="uq_outbox_key"),
)
Index("ix_outbox_due", outbox.c.status, outbox.c.next_attempt_at)

#: Small shared state: node heartbeats with their counters, reload requests.
service_state = Table(
    "service_state",
    metadata,
    Column("key", String(128), primary_key=True),
    Column("value", JSONDoc, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)
