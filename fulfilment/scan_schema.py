"""The warehouse scan tables: every scan, each ship call's idempotency key, exceptions with
photos, and approvals waiting for a supervisor.

Created by the Alembic branch ``scan`` (``store/migrations/versions/scan_0001_scans.py``):
change both together.  ``scan_ships.key`` is the phone's own key for one confirm press, so a
replayed offline scan finds the shipment it made the first time instead of shipping again.
"""

from __future__ import annotations

from sqlalchemy import Column, Index, Integer, String, Table, Text

from ..store.schema import BigId, JSONDoc, UTCDateTime, metadata

#: Every scan at the warehouse: what was scanned, by whom, and what it meant.
#: ``result``: order, waybill, item_ok, wrong_item, extra_item, held, unknown, shipped.
#: ``wrong_item`` and ``extra_item`` rows are prevented mis-shipments (the KPIs count them).
scan_events = Table(
    "scan_events",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("at", UTCDateTime, nullable=False),
    Column("person", String(128), nullable=False),
    Column("order_id", String(26)),
    Column("code", String(128), nullable=False),
    Column("result", String(16), nullable=False),
    Column("sku", String(128)),
    Column("detail", Text),
)
Index("ix_scan_events_order", scan_events.c.order_id, scan_events.c.id)
Index("ix_scan_events_result", scan_events.c.result, scan_events.c.at)

#: One row per confirm press (the phone's idempotency key): the shipment it made.
scan_ships = Table(
    "scan_ships",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("order_id", String(26), nullable=False),
    Column("status", String(10), nullable=False),  # pending, shipped
    Column("result", JSONDoc),
    Column("person", String(128), nullable=False),
    Column("at", UTCDateTime, nullable=False),
)

#: Warehouse exceptions (damaged, out of stock, wrong address, missing item, other).
scan_exceptions = Table(
    "scan_exceptions",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("order_id", String(26), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("note", Text),
    Column("photos", JSONDoc, nullable=False),  # [media name, ...]
    Column("task_id", Integer),
    Column("person", String(128), nullable=False),
    Column("at", UTCDateTime, nullable=False),
)
Index("ix_scan_exceptions_order", scan_exceptions.c.order_id)

#: Decisions that need a supervisor: reship, refund, write_off, ship_held.
approvals = Table(
    "approvals",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("order_id", String(26), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("reason", Text, nullable=False),
    Column("status", String(10), nullable=False),  # pending, approved, rejected
    Column("requested_by", String(128), nullable=False),
    Column("requested_at", UTCDateTime, nullable=False),
    Column("decided_by", String(128)),
    Column("decided_at", UTCDateTime),
    Column("comment", Text),
)
Index("ix_approvals_status", approvals.c.status, approvals.c.id)
