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

import queue
import threading
from collections.abc import Sequence
from datetime import UTC, datetime
from types import TracebackType

from sqlalchemy import Connection

from ... import gcpause
from .ledger import reserve_routes
from .runtime import RouteResult
from .state import StockLevels
from .stock import RoutingStore

_Batch = tuple[Sequence[RouteResult], datetime]


class BatchWriter:
    """Writes submitted batches in order on one thread and one connection."""

    def __init__(self, store: RoutingStore, *, now: datetime | None = None,
                 backlog: int = 2) -> None:
        self.store = store
        self.now = now
        self.stored = 0
        self._queue: queue.Queue[_Batch | None] = queue.Queue(maxsize=backlog)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="routing-writer", daemon=True)
        self._thread.start()

    def submit(self, results: Sequence[RouteResult], stock: StockLevels) -> None:
        """Queue a batch's decisions and the stock its results reserved (waits while
        ``backlog`` batches are already queued).  The reservations are written as increments
        with their ledger rows, so ``stock``'s record of changes is only cleared here.

        The cyclic garbage collector stays paused (:mod:`orderhub.gcpause`) until the batch
        is stored: its results live until then, and a collection in between would scan
        every one of them (after a batch of 5,000 orders, 100,000 objects or more) for no
        garbage."""
        self._raise()
        if not self._thread.is_alive():  # closed: nobody would store it (or end its pause)
            raise RuntimeError("BatchWriter.submit after close")
        stock.changed.clear()
        gcpause.pause()
        try:
            self._queue.put((results, self.now or datetime.now(UTC)))
        except BaseException:
            gcpause.resume()
            raise

    def close(self) -> None:
        """Wait for every queued batch to be stored; raise the first failure."""
        if self._thread.is_alive():
            self._queue.put(None)
            self._thread.join()
        self._raise()

    def __enter__(self) -> BatchWriter:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if kind is None:
            self.close()
        else:  # the caller failed: stop after what is queued, keep the caller's error
            self._queue.put(None)
            self._thread.join()

    def _raise(self) -> None:
        if self._error is not None:
            error, self._error = self._error, None
            raise error

    def _run(self) -> None:
        store = self.store
        with store.engine.connect() as conn:
            while (batch := self._queue.get()) is not None:
                try:
                    if self._error is None:  # else drain: nothing after a failed batch
                        self._store(conn, *batch)
                except BaseException as exc:  # noqa: BLE001 - handed to the routing thread
                    self._error = exc
                finally:
                    batch = None  # its results may go before the collector is back on
                    gcpause.resume()  # the pause its submit opened

    def _store(self, conn: Connection, results: Sequence[RouteResult], now: datetime) -> None:
        with conn.begin():
            self.stored += self.store.insert_decisions(conn, results, now)
            reserve_routes(conn, results, now=now)
