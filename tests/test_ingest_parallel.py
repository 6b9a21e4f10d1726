"""Mapping on a worker process (connectors/parallel.py) stores exactly what one process stores:
the recorded store of tests/data/ingest_expected.json, on both databases, with batches small
enough that an order recurs in the batch after the one that holds it (the worker maps the next
batch before this one is written)."""

from __future__ import annotations

import json
from concurrent.futures import Future
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

import pytest

from orderhub.connectors import parallel
from orderhub.store import OrderStore
from orderhub.tests.ingest_snapshot import EXPECTED, run
from orderhub.tests.test_ingest_equivalence import _compare


@pytest.mark.parametrize("batch_size", [2, 7])
def test_worker_stores_the_same(store: OrderStore, tmp_path: Path, batch_size: int,
                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parallel, "MIN_RECORDS", 1)
    sent = []
    submit = parallel.Mapper.submit

    def counted(self: parallel.Mapper, path: Path, positions: list[tuple[int, str | None]]
                ) -> object:
        future = submit(self, path, positions)
        sent.append(len(positions) if future is not None else 0)
        return future

    monkeypatch.setattr(parallel.Mapper, "submit", counted)
    want = json.loads(EXPECTED.read_text(encoding="utf-8"))
    _compare(run(store, tmp_path / "files", workers=1, batch_size=batch_size), want)
    assert sum(sent) > 20, "the worker mapped next to nothing"


def test_small_inputs_stay_in_process(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(parallel.ENV, raising=False)
    small = tmp_path / "a.json"
    small.write_text("[]", encoding="utf-8")
    assert not parallel.wanted([small], None)
    assert parallel.wanted([small], 1)
    big = tmp_path / "b.json"
    big.write_bytes(b" " * parallel.MIN_BYTES)
    monkeypatch.setattr(parallel.os, "cpu_count", lambda: 2)
    monkeypatch.setattr(parallel.os, "getloadavg", lambda: (0.3, 0.3, 0.3))
    assert parallel.wanted([big], None)
    monkeypatch.setattr(parallel.os, "getloadavg", lambda: (1.5, 0.3, 0.3))
    assert not parallel.wanted([big], None), "no core to spare"
    monkeypatch.setattr(parallel.os, "getloadavg", lambda: (0.3, 0.3, 0.3))
    assert not parallel.wanted([big], 0)
    monkeypatch.setenv(parallel.ENV, "0")
    assert not parallel.wanted([big], None)


def test_a_dead_worker_leaves_the_mapping_to_the_ingest() -> None:
    mapper = parallel.Mapper.__new__(parallel.Mapper)
    mapper._pool, mapper._started, mapper.share = None, None, 0.7
    dead: Future[list[parallel.Mapped]] = Future()
    dead.set_exception(BrokenProcessPool("gone"))
    assert mapper.result(dead) is None
    assert mapper.submit(Path("x.json"), [(0, None)]) is None


def test_spawned_worker_stores_the_same(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Where the ingest has other threads the worker is a fresh interpreter (spawn)."""
    monkeypatch.setattr(parallel, "MIN_RECORDS", 1)
    monkeypatch.setattr(parallel.threading, "active_count", lambda: 2)
    assert parallel._context().get_start_method() == "spawn"
    store = OrderStore.open(f"sqlite:///{tmp_path / 's.db'}")
    want = json.loads(EXPECTED.read_text(encoding="utf-8"))
    _compare(run(store, tmp_path / "files", workers=1, batch_size=5), want)
