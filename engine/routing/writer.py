"""Storing routed batches on a background thread while the next batch is routed.

A batch's writes are mostly the database's own work (SQLite's inserts and index updates run
without holding Python's GIL), so on a machine with a second core they can overlap with
routing the next batch instead of adding to it.  Each batch is still one transaction, in the
order submitted; a batch's reservations are its results' own (``RouteResult.reserved``), written
as increments with their ledger rows, so later routing does not leak into an earlier batch.

    with BatchWriter(RoutingStore(engine), now=now) as writer:
        for batch in batches:
            writer.submit([router.route(o) for o in batch], router.state.stock)
    # leaving the block waits for the last batch; a failed write is raised there (or by the
    # next submit)
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from datetime import UTC, datetime

from sqlalchemy import Connection

from ...background import OrderedWriter
from .ledger import reserve_routes
from .runtime import RouteResult
from .state import StockLevels
from .stock import RoutingStore

_Batch = tuple[Sequence[RouteResult], datetime]


class BatchWriter(OrderedWriter[_Batch]):
    """Writes submitted batches in order on one thread and one connection."""

    def __init__(self, store: RoutingStore, *, now: datetime | None = None,
                 backlog: int = 2) -> None:
        self.store = store
        self.now = now
        self.stored = 0
        super().__init__("routing-writer", backlog=backlog)

    def submit(self, results: Sequence[RouteResult], stock: StockLevels) -> None:
        """Queue a batch's decisions and the stock its results reserved (waits while
        ``backlog`` batches are already queued).  The reservations are written as increments
        with their ledger rows, so ``stock``'s record of changes is only cleared here."""
        self.check()
        stock.changed.clear()
        self.put((results, self.now or datetime.now(UTC)))

    def opened(self) -> AbstractContextManager[Connection]:
        return self.store.engine.connect()

    def write(self, held: Connection, batch: _Batch) -> None:
        self._store(held, *batch)

    def _store(self, conn: Connection, results: Sequence[RouteResult], now: datetime) -> None:
        with conn.begin():
            self.stored += self.store.insert_decisions(conn, results, now)
            reserve_routes(conn, results, now=now)
