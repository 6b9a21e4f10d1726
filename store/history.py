"""Orders brought in as history: stored and visible, but never acted on.

``orderhub migrate run`` and ``orderhub ingest --history`` mark the orders they store, in the
same transaction as the orders and their events (:meth:`OrderStore.upsert` with
``history=``).  Whatever reacts to order events leaves these orders alone: the service's queue
never enqueues their events (so no rule, flow, message or reservation), and ``orderhub flows
route`` skips them.  Marking is for good: a later snapshot of a migrated order is still
history.  Only orders the history import inserts are marked: one the store already held live
stays live, so its platform updates still reach the rules.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from sqlalchemy import Column, Connection, String, Table, select

from .bulk import insert_on_conflict
from .schema import UTCDateTime, metadata

historical_orders = Table(
    "historical_orders",
    metadata,
    Column("order_id", String(26), primary_key=True),
    Column("source", String(64), nullable=False),  # "migrate <batch>", "ingest --history"
    Column("at", UTCDateTime, nullable=False),
)


def mark_historical(conn: Connection, order_ids: Iterable[str], source: str, *,
                    now: datetime | None = None) -> int:
    """Mark orders as history (already marked ones keep their first mark).  Returns how many
    were newly marked."""
    ids = sorted(set(order_ids))
    if not ids:
        return 0
    now = now or datetime.now(UTC)
    added = 0
    for i in range(0, len(ids), 500):
        stmt = insert_on_conflict(conn.dialect.name, historical_orders).on_conflict_do_nothing()
        result = conn.execute(stmt, [{"order_id": o, "source": source[:64], "at": now}
                                     for o in ids[i:i + 500]])
        added += max(result.rowcount or 0, 0)
    return added


def historical_among(conn: Connection, order_ids: Iterable[str]) -> set[str]:
    """Those of ``order_ids`` that are history."""
    ids = sorted(set(order_ids))
    found: set[str] = set()
    for i in range(0, len(ids), 500):
        found.update(conn.execute(select(historical_orders.c.order_id).where(
            historical_orders.c.order_id.in_(ids[i:i + 500]))).scalars())
    return found


def is_historical(conn: Connection, order_id: str) -> bool:
    return bool(historical_among(conn, [order_id]))
