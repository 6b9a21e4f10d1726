"""Batches stored on a background thread, in the order handed over, while the next is made.

A batch's database writes are mostly the database's own work (SQLite's inserts and index
updates, a PostgreSQL round trip), which runs without holding Python's GIL; on a machine with
a second core it can overlap with preparing the next batch instead of adding to it.  Each
batch is written by one thread, in order; the first failure is raised to the submitting thread
at its next :meth:`~OrderedWriter.put`, :meth:`~OrderedWriter.drain` or
:meth:`~OrderedWriter.close`, and nothing after a failed batch is written.

The cyclic garbage collector stays paused (:mod:`orderhub.gcpause`) from a batch's put until it
is stored: a batch lives until then, and a collection in between would scan every one of its
objects (tens of thousands) for no garbage.
"""

from __future__ import annotations

import queue
import threading
from contextlib import AbstractContextManager, nullcontext
from types import TracebackType
from typing import Any, Generic, Self, TypeVar

from . import gcpause

T = TypeVar("T")


class OrderedWriter(Generic[T]):
    """Writes submitted batches in order on one thread.  Subclasses say how (:meth:`write`)
    and, if the thread keeps something open between batches, what (:meth:`opened`)."""

    def __init__(self, name: str, *, backlog: int = 2) -> None:
        self._queue: queue.Queue[T | None] = queue.Queue(maxsize=backlog)
        self._error: BaseException | None = None
        self._closed = False
        #: started by the first batch: until then the process has no thread of ours, and a
        #: worker process can still be forked from it (connectors/parallel.py)
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def opened(self) -> AbstractContextManager[Any]:
        """What the thread holds open while it writes (a connection); nothing by default."""
        return nullcontext()

    def write(self, held: Any, batch: T) -> None:
        """Store one batch, on the writer's thread; ``held`` is what :meth:`opened` gave."""
        raise NotImplementedError

    def put(self, batch: T) -> None:
        """Queue a batch (waits while ``backlog`` batches are already queued)."""
        self.check()
        if not self._thread.is_alive():
            self._thread.start()
        gcpause.pause()
        try:
            self._queue.put(batch)
        except BaseException:
            gcpause.resume()
            raise

    def check(self) -> None:
        """Raise a failure of an earlier batch, or if the writer was closed (a batch put now
        would never be stored, nor its collector pause ended)."""
        self._raise()
        if self._closed:
            raise RuntimeError(f"{type(self).__name__}: a batch submitted after close")

    def drain(self) -> None:
        """Wait until every batch submitted so far is stored; raise the first failure."""
        self._queue.join()
        self._raise()

    def close(self) -> None:
        """Wait for every queued batch to be stored; raise the first failure."""
        self._stop()
        self._raise()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if kind is None:
            self.close()
        else:  # the caller failed: stop after what is queued, keep the caller's error
            self._stop()

    def _stop(self) -> None:
        self._closed = True
        if self._thread.is_alive():
            self._queue.put(None)
            self._thread.join()

    def _raise(self) -> None:
        if self._error is not None:  # kept: every later call fails too, nothing is written
            raise self._error

    def _run(self) -> None:
        done = False
        try:
            with self.opened() as held:
                self._loop(held)
                done = True
        except BaseException as exc:  # noqa: BLE001 - handed to the submitting thread
            self._error = self._error or exc
        if not done:  # what could not be opened: every batch still queued is dropped
            self._loop(None, failed=True)

    def _loop(self, held: Any, *, failed: bool = False) -> None:
        while (batch := self._queue.get()) is not None:
            try:
                if self._error is None and not failed:  # else drain: nothing after a failure
                    self.write(held, batch)
            except BaseException as exc:  # noqa: BLE001 - handed to the submitting thread
                self._error = exc
            finally:
                batch = None  # it may go before the collector is back on
                gcpause.resume()  # the pause its put opened
                self._queue.task_done()
        self._queue.task_done()  # the closing None
