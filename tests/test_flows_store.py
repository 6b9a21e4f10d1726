"""Routed batches in the store: decisions with traces and stock reservations, written in one
transaction per batch, also from a background writer, on SQLite and PostgreSQL."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from flows_helpers import NOW, full_stock, order  # noqa: E402

from orderhub.engine.routing import Router, RoutingState, StockLevels, load_flows  # noqa: E402
from orderhub.engine.routing.stock import RoutingStore  # noqa: E402
from orderhub.engine.routing.writer import BatchWriter  # noqa: E402
from orderhub.store import connect  # noqa: E402

FLOWS = Path(__file__).resolve().parent.parent / "flows"


@pytest.fixture(scope="module")
def flows():  # type: ignore[no-untyped-def]
    return load_flows(FLOWS)


def _reserved(store: RoutingStore) -> dict[tuple[str, str], int]:
    return {(w, s): r for w, s, _, r in store.load_stock().rows() if r}


@pytest.mark.parametrize("how", ["write", "writer"])
def test_batches_store_decisions_traces_and_reservations(flows, db_url, how) -> None:  # type: ignore[no-untyped-def]
    store = RoutingStore(connect(db_url))
    store.put_stock(StockLevels.from_mapping(full_stock(1000)).rows(), now=NOW)
    state = RoutingState(StockLevels.from_mapping(full_stock(1000)))
    state.load.pending["GZ"] = 499
    router = Router(flows, state, now=NOW)
    batches = [[router.route(order("广东省", "广州市", ("TOWEL", 2))) for _ in range(3)]]
    batches.append([router.route(order("上海市", "上海市", ("CRAB", 1))),
                    router.route(order("广东省", "广州市", ("TOWEL", 5000)))])
    if how == "write":
        with store.connection() as conn:
            stored = sum(store.write(b, state.stock, now=NOW, conn=conn) for b in batches)
    else:
        with BatchWriter(store, now=NOW) as writer:
            for b in batches:
                writer.submit(b, state.stock)
        stored = writer.stored
    assert stored == 5
    results = [r for b in batches for r in b]
    assert [r.warehouse for r in results] == ["GZ", "WH", "WH", "SH-COLD", None]
    for r in results:
        (d,) = store.decisions(r.order_id)
        assert d["result"]["warehouse"] == r.warehouse
        assert d["result"]["reasons"] == r.reasons
        assert d["trace"] == r.trace.as_json()  # every step, with why, read back the same
    assert _reserved(store) == {("GZ", "TOWEL"): 2, ("WH", "TOWEL"): 4, ("SH-COLD", "CRAB"): 1}
    store.engine.dispose()


def test_a_failed_write_is_raised_to_the_router_side(flows, tmp_path) -> None:  # type: ignore[no-untyped-def]
    store = RoutingStore(connect(f"sqlite:///{tmp_path / 'o.db'}"))
    with store.engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE route_decisions")
    state = RoutingState(StockLevels.from_mapping(full_stock()))
    router = Router(flows, state, now=NOW)
    with pytest.raises(Exception, match="route_decisions"), BatchWriter(store) as writer:
        writer.submit([router.route(order())], state.stock)
    store.engine.dispose()


@pytest.mark.parametrize("fail", [False, True])
def test_the_writer_keeps_the_collector_paused_till_stored(flows, tmp_path, fail) -> None:  # type: ignore[no-untyped-def]
    """A submitted batch keeps the cyclic collector off until the writer thread has stored
    it (its results are not scanned meanwhile), and the collector is on again afterwards,
    also when a write failed."""
    import gc
    import threading

    store = RoutingStore(connect(f"sqlite:///{tmp_path / 'o.db'}"))
    if fail:
        with store.engine.begin() as conn:
            conn.exec_driver_sql("DROP TABLE route_decisions")
    state = RoutingState(StockLevels.from_mapping(full_stock()))
    router = Router(flows, state, now=NOW)
    seen: list[bool] = []
    gate = threading.Event()
    insert = store.insert_decisions

    def slow_insert(conn, results, now):  # type: ignore[no-untyped-def]
        seen.append(gc.isenabled())
        gate.wait(5)
        return insert(conn, results, now)

    store.insert_decisions = slow_insert  # type: ignore[method-assign]
    assert gc.isenabled()
    try:
        with BatchWriter(store, now=NOW) as writer:
            writer.submit([router.route(order()) for _ in range(3)], state.stock)
            assert not gc.isenabled()  # queued or being written: paused
            gate.set()
            writer.submit([router.route(order())], state.stock)
    except Exception as exc:  # noqa: BLE001 - the dropped table, raised on the router side
        assert fail and "route_decisions" in str(exc)
    else:
        assert not fail and writer.stored == 4
    assert seen and not any(seen)
    assert gc.isenabled()
    store.engine.dispose()


def test_a_closed_writer_takes_no_more_batches(flows, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A batch submitted after close would never be stored, nor its collector pause ended."""
    import gc

    store = RoutingStore(connect(f"sqlite:///{tmp_path / 'o.db'}"))
    state = RoutingState(StockLevels.from_mapping(full_stock()))
    router = Router(flows, state, now=NOW)
    with BatchWriter(store, now=NOW) as writer:
        writer.submit([router.route(order())], state.stock)
    with pytest.raises(RuntimeError, match="after close"):
        writer.submit([router.route(order())], state.stock)
    assert gc.isenabled() and writer.stored == 1
    store.engine.dispose()
