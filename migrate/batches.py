"""Migration batches: which file and mapping imported which orders, so a batch can be undone.

Every order a migration creates carries its batch id in ``orders.batch``; the
``migration_batches`` table records the run (file, mapping, times, counts, state).  Rolling a
batch back deletes exactly the orders that carry its id, their events and its rejects.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, Column, Integer, String, Table, Text, delete, func, select, update

from ..errors import NotFound
from ..store import OrderStore
from ..store.bulk import insert_on_conflict
from ..store.history import historical_orders
from ..store.schema import UTCDateTime, metadata, order_events, orders, rejects

migration_batches = Table(
    "migration_batches",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("file", Text, nullable=False),
    Column("mapping", Text, nullable=False),
    Column("started", UTCDateTime, nullable=False),
    Column("finished", UTCDateTime),
    Column("state", String(16), nullable=False),
    Column("runs", Integer, nullable=False, default=1),
    Column("counts", JSON, nullable=False),
)


@dataclass(frozen=True, slots=True)
class BatchInfo:
    """One migration batch as ``orderhub migrate list`` shows it.  ``orders`` is counted live."""

    id: str
    file: str
    mapping: str
    started: datetime
    finished: datetime | None
    state: str
    runs: int
    counts: dict[str, Any]
    orders: int


def begin(store: OrderStore, batch: str, file: str, mapping: str, now: datetime | None = None
          ) -> None:
    """Record that a run of ``batch`` started (a re-run of the same batch counts another run)."""
    now = now or datetime.now(UTC)
    stmt = insert_on_conflict(store.engine.dialect.name, migration_batches).values(
        id=batch, file=file, mapping=mapping, started=now, finished=None, state="running",
        runs=1, counts={},
    )
    stmt = stmt.on_conflict_do_update(
        index_elements=["id"],
        set_={"state": "running", "finished": None, "runs": migration_batches.c.runs + 1},
    )
    with store.engine.begin() as conn:
        conn.execute(stmt)
        conn.execute(delete(rejects).where(rejects.c.batch == batch))


def finish(store: OrderStore, batch: str, counts: dict[str, Any]) -> None:
    with store.engine.begin() as conn:
        conn.execute(update(migration_batches).where(migration_batches.c.id == batch)
                     .values(state="done", finished=datetime.now(UTC), counts=counts))


def fail(store: OrderStore, batch: str | None) -> None:
    """Mark a run that stopped on an error: state ``failed`` (its orders so far stay, and
    ``orderhub migrate rollback`` removes them).  Never raises over the original error."""
    if batch is None:
        return
    try:
        with store.engine.begin() as conn:
            conn.execute(update(migration_batches)
                         .where(migration_batches.c.id == batch,
                                migration_batches.c.state == "running")
                         .values(state="failed", finished=datetime.now(UTC)))
    except Exception:  # noqa: BLE001 - the database may be what failed; keep its error
        return


def list_batches(store: OrderStore) -> list[BatchInfo]:
    """All batches, oldest first, with the number of orders each still holds."""
    live = (select(orders.c.batch, func.count().label("n"))
            .where(orders.c.batch.is_not(None)).group_by(orders.c.batch).subquery())
    query = (select(migration_batches, func.coalesce(live.c.n, 0))
             .outerjoin(live, live.c.batch == migration_batches.c.id)
             .order_by(migration_batches.c.started, migration_batches.c.id))
    with store.engine.connect() as conn:
        return [BatchInfo(*row) for row in conn.execute(query)]


def rollback(store: OrderStore, batch: str) -> dict[str, int]:
    """Delete the batch's orders, their events and its rejects; the batch is kept as history.

    Raises :class:`NotFound` for a batch id that no run recorded.
    """
    ids = select(orders.c.id).where(orders.c.batch == batch)
    with store.engine.begin() as conn:
        known = conn.execute(select(migration_batches.c.id)
                             .where(migration_batches.c.id == batch)).first()
        if known is None:
            names = [r[0] for r in conn.execute(select(migration_batches.c.id)
                                                .order_by(migration_batches.c.started))]
            raise NotFound(f"no migration batch {batch!r} (known: {', '.join(names) or 'none'};"
                           " see `orderhub migrate list`)")
        events = conn.execute(delete(order_events).where(order_events.c.order_id.in_(ids)))
        conn.execute(delete(historical_orders).where(historical_orders.c.order_id.in_(ids)))
        gone = conn.execute(delete(orders).where(orders.c.batch == batch))
        dropped = conn.execute(delete(rejects).where(rejects.c.batch == batch))
        conn.execute(update(migration_batches).where(migration_batches.c.id == batch)
                     .values(state="rolled_back", finished=datetime.now(UTC)))
    return {"orders": gone.rowcount, "events": events.rowcount, "rejects": dropped.rowcount}
