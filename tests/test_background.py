"""Batches stored on a background thread (background.py): in order, failures raised to the
thread that submits, nothing written after a failure, nothing left hanging."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any

import pytest

from orderhub.background import OrderedWriter


class Recorder(OrderedWriter[int]):
    def __init__(self, *, fail_on: int | None = None, open_fails: bool = False) -> None:
        self.written: list[tuple[int, str]] = []
        self.fail_on, self.open_fails = fail_on, open_fails
        self.release = threading.Event()
        self.release.set()
        super().__init__("test-writer")

    def opened(self) -> AbstractContextManager[Any]:
        @contextmanager
        def held() -> Iterator[str]:
            if self.open_fails:
                raise ConnectionError("database is down")
            yield "conn"
        return held()

    def write(self, held: Any, batch: int) -> None:
        self.release.wait(5)
        if batch == self.fail_on:
            raise ValueError(f"batch {batch} refused")
        self.written.append((batch, threading.current_thread().name))


def test_batches_are_written_in_order_on_the_writers_thread() -> None:
    with Recorder() as writer:
        for i in range(20):
            writer.put(i)
    assert writer.written == [(i, "test-writer") for i in range(20)]


def test_drain_waits_for_every_batch_put_so_far() -> None:
    writer = Recorder()
    writer.release.clear()
    writer.put(1)
    writer.put(2)
    assert writer.written == []
    writer.release.set()
    writer.drain()
    assert [b for b, _ in writer.written] == [1, 2]
    writer.close()


def test_a_failure_reaches_the_submitter_and_nothing_after_it_is_written() -> None:
    writer = Recorder(fail_on=2)
    for i in range(1, 4):
        writer.put(i)
    with pytest.raises(ValueError, match="batch 2 refused"):
        writer.drain()
    with pytest.raises(ValueError, match="batch 2 refused"):
        writer.put(4)
    with pytest.raises(ValueError, match="batch 2 refused"):
        writer.close()
    assert [b for b, _ in writer.written] == [1]


def test_a_writer_that_cannot_open_raises_and_does_not_hang() -> None:
    writer = Recorder(open_fails=True)
    with pytest.raises(ConnectionError, match="database is down"):
        for i in range(5):  # more than the backlog: would block if nobody took them
            writer.put(i)
    with pytest.raises(ConnectionError, match="database is down"):
        writer.close()
    assert writer.written == []
    assert gc.isenabled(), "a dropped batch kept the collector paused"


def test_the_collector_is_paused_until_a_batch_is_stored() -> None:
    assert gc.isenabled()
    writer = Recorder()
    writer.release.clear()
    writer.put(1)
    assert not gc.isenabled(), "a queued batch would be scanned by every collection"
    writer.release.set()
    writer.close()
    assert gc.isenabled()


def test_put_after_close_is_refused() -> None:
    writer = Recorder()
    writer.close()
    with pytest.raises(RuntimeError, match="after close"):
        writer.put(1)
