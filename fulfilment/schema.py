"""The fulfilment tables: stage per order, its log, holds, tasks, the audit trail, outputs
waiting on a hold, and shipments.

They live on the store's :data:`~orderhub.store.schema.metadata` and are created by the Alembic
branch ``fulfilment`` (``store/migrations/versions/fulfilment_0001_holds_tasks.py``): change both
together.  Every row that must happen once carries a unique key (a hold's, a task's, a waiting
output's idempotency key; a shipment's order + carrier + tracking number), so replaying the
event that caused it changes nothing.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from ..store.schema import BigId, JSONDoc, UTCDateTime, metadata

#: The order's fulfilment stage (no row: ``new``); see :mod:`.stages`.
fulfilment_orders = Table(
    "fulfilment_orders",
    metadata,
    Column("order_id", String(26), primary_key=True),
    Column("stage", String(16), nullable=False),
    Column("warehouse", String(32)),
    Column("updated_at", UTCDateTime, nullable=False),
)
Index("ix_fulfilment_orders_stage", fulfilment_orders.c.stage)

#: Everything fulfilment did to an order, with who and why: the order's own timeline entries.
fulfilment_log = Table(
    "fulfilment_log",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("order_id", String(26), nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Column("kind", String(24), nullable=False),  # stage, hold, release, flag, task, intercept...
    Column("stage_from", String(16)),
    Column("stage_to", String(16)),
    Column("actor_kind", String(12), nullable=False),  # rule, flow, person, platform, system
    Column("actor", String(128)),
    Column("why", Text),
    Column("data", JSONDoc),
)
Index("ix_fulfilment_log_order", fulfilment_log.c.order_id, fulfilment_log.c.id)

holds = Table(
    "holds",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("key", String(200), nullable=False),
    Column("order_id", String(26), nullable=False),
    Column("kind", String(24), nullable=False),
    Column("blocking", Boolean, nullable=False),
    Column("reason", Text),
    Column("source_kind", String(12), nullable=False),
    Column("source", String(128)),
    Column("opened_at", UTCDateTime, nullable=False),
    Column("released_at", UTCDateTime),
    Column("released_by", String(128)),
    Column("release_reason", Text),
    UniqueConstraint("key", name="uq_holds_key"),
)
Index("ix_holds_order", holds.c.order_id, holds.c.released_at)
Index("ix_holds_open", holds.c.released_at, holds.c.opened_at)

tasks = Table(
    "tasks",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("key", String(200), nullable=False),
    Column("order_id", String(26)),
    Column("queue", String(32), nullable=False),
    Column("title", Text, nullable=False),
    Column("priority", Integer, nullable=False),
    Column("status", String(10), nullable=False),
    Column("assignee", String(128)),
    Column("source_kind", String(12), nullable=False),
    Column("source", String(128)),
    Column("created_at", UTCDateTime, nullable=False),
    Column("due_at", UTCDateTime),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("notes", JSONDoc, nullable=False),
    Column("resolution", JSONDoc),
    Column("data", JSONDoc),
    UniqueConstraint("key", name="uq_tasks_key"),
)
Index("ix_tasks_queue", tasks.c.queue, tasks.c.status, tasks.c.due_at)
Index("ix_tasks_order", tasks.c.order_id)

#: Every human action: who, when, what, before and after.
audit_log = Table(
    "audit_log",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("at", UTCDateTime, nullable=False),
    Column("person", String(128), nullable=False),
    Column("action", String(32), nullable=False),
    Column("target_kind", String(16), nullable=False),
    Column("target", String(64), nullable=False),
    Column("order_id", String(26)),
    Column("reason", Text),
    Column("before", JSONDoc),
    Column("after", JSONDoc),
)
Index("ix_audit_order", audit_log.c.order_id, audit_log.c.id)

#: Warehouse outputs (WMS push, pick-list line) of an order on hold: sent when it is released.
held_outputs = Table(
    "held_outputs",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("idempotency_key", String(200), nullable=False),
    Column("order_id", String(26), nullable=False),
    Column("target", String(8), nullable=False),  # outbox | action
    Column("kind", String(32), nullable=False),
    Column("payload", JSONDoc, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("status", String(10), nullable=False),  # waiting, released, dropped
    Column("closed_at", UTCDateTime),
    UniqueConstraint("idempotency_key", name="uq_held_outputs_key"),
)
Index("ix_held_outputs_order", held_outputs.c.order_id, held_outputs.c.status)

shipments = Table(
    "shipments",
    metadata,
    Column("id", String(26), primary_key=True),
    Column("order_id", String(26), nullable=False),
    Column("warehouse", String(32)),
    Column("carrier", String(16), nullable=False),
    Column("tracking_no", String(64), nullable=False),
    Column("lines", JSONDoc),  # null: the whole order; else [{"line_id", "sku", "quantity"}]
    Column("shipped_at", UTCDateTime, nullable=False),
    Column("shipped_by", String(128)),
    UniqueConstraint("order_id", "carrier", "tracking_no", name="uq_shipments_parcel"),
)
Index("ix_shipments_order", shipments.c.order_id)
Index("ix_shipments_tracking", shipments.c.tracking_no)
