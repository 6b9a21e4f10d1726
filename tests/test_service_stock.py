"""Routing through the service reserves stock in the decision's own transaction: exactly the
units on hand go to the preferred warehouse, then the fallback; a worker that dies between claim
and commit, a late commit after a takeover, and a full replay of the events reserve nothing twice.
"""

from __future__ import annotations

import importlib.util
import threading
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, text

_spec = importlib.util.spec_from_file_location(
    "service_support", Path(__file__).with_name("service_support.py"))
sup = importlib.util.module_from_spec(_spec)  # type: ignore[arg-type]
_spec.loader.exec_module(sup)  # type: ignore[union-attr]

from orderhub.config import Workspace, init_workspace  # noqa: E402
from orderhub.engine.routing.stock import (  # noqa: E402
    SKU_LOCK_CLASS,
    RoutingStore,
    route_decisions,
    sku_lock_keys,
    stock_table,
)
from orderhub.model import Order  # noqa: E402
from orderhub.service import Service  # noqa: E402
from orderhub.service.queue import EventQueue  # noqa: E402
from orderhub.service.schema import decisions, order_actions  # noqa: E402

SKU = "MUG-350"
ON_HAND_SH = 7  # 华东 orders prefer SH, then WH


def _orders(n: int, start: int = 0, paid: bool = True, sku: str = SKU) -> list[Order]:
    """华东 orders of one mug each: created, and (when ``paid``) paid a minute later."""
    return [Order.model_validate({**o.model_dump(), "items": [
        {"sku": sku, "title": "马克杯 350ml", "quantity": 1, "unit_price": "99.00"}],
        "modified_at": o.created_at + timedelta(minutes=1 if paid else 0)})
        for o in sup.make_orders(n, start=start, paid=paid)]


def _service(root: Path, consumer: str = "main") -> Service:
    ws = Workspace.load(root)
    ws.config.service.consumer = consumer
    return Service(ws, dispatch=False, schedules=False)


def _drain(svc: Service) -> int:
    n = 0
    while k := svc.step():
        n += k
    return n


def _reserved(engine, sku: str = SKU) -> dict[str, int]:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        return {w: r for w, r in conn.execute(select(stock_table.c.warehouse,
                                                     stock_table.c.reserved)
                                              .where(stock_table.c.sku == sku))}


def _routes(engine) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        return [(r.order_id, r.warehouse) for r in conn.execute(
            select(route_decisions).order_by(route_decisions.c.id))]


def test_paid_orders_take_exactly_the_stock_on_hand_and_replays_reserve_nothing_twice(
        tmp_path: Path, db_url: str) -> None:
    root = tmp_path / "ws"
    init_workspace(root, samples=False)
    with (root / "orderhub.yaml").open("a", encoding="utf-8") as f:
        f.write(f"database: {db_url}\nservice: {{watch: false, batch_size: 10}}\n")
    svc = _service(root)
    svc.start()
    engine = svc.engine
    RoutingStore(engine).put_stock([("SH", SKU, ON_HAND_SH, 0), ("WH", SKU, 100, 0)])
    svc.store.upsert(_orders(4))
    assert _drain(svc) == 8
    assert _reserved(engine) == {"SH": 4, "WH": 0}

    # a worker claims the next paid orders, routes them in memory, and dies before its commit
    svc.store.upsert(_orders(16, start=4, paid=False))
    assert _drain(svc) == 16  # created: nothing to route yet
    svc.store.upsert(_orders(16, start=4))
    now = datetime.now(UTC)
    dead = EventQueue(engine, "main", "dead-worker", lease_seconds=60)
    dead.enqueue(now)
    lost = dead.claim(10, now)
    in_memory = svc.evaluate(lost)
    assert sum(len(o.evaluation.routes) for o in in_memory if o.evaluation) == 10
    assert _reserved(engine) == {"SH": 4, "WH": 0}  # nothing of it reached the store
    # after its lease, the events are taken over and finished
    svc.queue.lease = timedelta(seconds=60)
    later = now + timedelta(seconds=61)
    takeover = EventQueue(engine, "main", "takeover", lease_seconds=60)
    took = takeover.claim(10, later)
    assert {c.event_id for c in lost.claims} <= {c.event_id for c in took.claims}
    takeover.complete(took, svc.evaluate(took), later)
    _drain(svc)
    # the dead worker wakes up and commits late: its reservations are not applied
    assert dead.complete(lost, in_memory, later) == []

    routed = _routes(engine)
    assert len(routed) == 20 and len({o for o, _ in routed}) == 20
    assert [w for _, w in routed] == ["SH"] * ON_HAND_SH + ["WH"] * (20 - ON_HAND_SH)
    assert _reserved(engine) == {"SH": ON_HAND_SH, "WH": 20 - ON_HAND_SH}
    with engine.connect() as conn:
        route_actions = Counter(conn.execute(select(order_actions.c.order_id)
                                             .where(order_actions.c.kind == "route")).scalars())
    assert len(route_actions) == 20 and set(route_actions.values()) == {1}
    svc.shutdown()

    # replaying every event (a second consumer reads the whole log) routes no order again
    replay = _service(root, consumer="replay")
    replay.start()
    assert _drain(replay) == 56
    replay.shutdown()
    assert sup.count(engine, decisions, decisions.c.consumer == "replay") == 56
    assert _routes(engine) == routed
    assert _reserved(engine) == {"SH": ON_HAND_SH, "WH": 20 - ON_HAND_SH}


@pytest.mark.postgres
def test_two_workers_routing_at_once_never_reserve_the_same_units(tmp_path: Path,
                                                                 pg_url: str) -> None:
    root = tmp_path / "ws"
    init_workspace(root, samples=False)
    with (root / "orderhub.yaml").open("a", encoding="utf-8") as f:
        f.write(f"database: {pg_url}\nservice: {{watch: false, batch_size: 5}}\n")
    workers = [_service(root), _service(root)]
    for w in workers:
        w.start()
    engine = workers[0].engine
    RoutingStore(engine).put_stock([("SH", SKU, ON_HAND_SH, 0), ("WH", SKU, 100, 0)])
    workers[0].store.upsert(_orders(40))
    done = [0, 0]

    def run(i: int) -> None:
        idle = 0
        while idle < 3:  # both keep claiming until the queue stays empty
            n = workers[i].step()
            done[i] += n
            idle = 0 if n else idle + 1

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    for w in workers:
        w.shutdown()
    assert sum(done) == 80 and all(done)  # both workers took part
    routed = _routes(engine)
    assert len({o for o, _ in routed}) == len(routed) == 40
    assert Counter(w for _, w in routed) == {"SH": ON_HAND_SH, "WH": 40 - ON_HAND_SH}
    assert _reserved(engine) == {"SH": ON_HAND_SH, "WH": 40 - ON_HAND_SH}


OTHER_SKU = "TEA-100"  # locked under another key than SKU (checked below)


def _two_workers(root: Path, pg_url: str, skus: tuple[str, str]) -> list[Service]:
    """Two workers of batch size 5, with 5 paid 华东 orders of ``skus[0]`` queued before 5 of
    ``skus[1]`` (their created events processed already), and 7 units of each on hand at SH
    (the first choice), 100 at WH."""
    init_workspace(root, samples=False)
    with (root / "orderhub.yaml").open("a", encoding="utf-8") as f:
        f.write(f"database: {pg_url}\nservice: {{watch: false, batch_size: 5}}\n")
    workers = [_service(root), _service(root)]
    for w in workers:
        w.start()
    engine = workers[0].engine
    RoutingStore(engine).put_stock([(w, s, n, 0) for s in set(skus)
                                    for w, n in (("SH", ON_HAND_SH), ("WH", 100))])
    first, second = _orders(5, sku=skus[0]), _orders(5, start=5, sku=skus[1])
    workers[0].store.upsert(_orders(5, paid=False, sku=skus[0])
                            + _orders(5, start=5, paid=False, sku=skus[1]))
    assert _drain(workers[0]) == 10  # created: nothing routed
    workers[0].store.upsert(first)
    workers[0].store.upsert(second)
    return workers


def _routing_locks(engine, skus: tuple[str, ...]) -> list[tuple[int, int, bool]]:  # type: ignore[no-untyped-def]
    """(backend pid, key, granted) of every routing stock lock on ``skus`` held or awaited.

    Advisory locks are database-wide: other runs on the same database (another test session, a
    benchmark) hold their own, so only this test's SKUs are looked at."""
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text(
            "SELECT pid, objid::int, granted FROM pg_locks WHERE locktype = 'advisory' "
            "AND classid = :c AND objid::int = ANY(:keys) ORDER BY pid"),
            {"c": SKU_LOCK_CLASS, "keys": list(sku_lock_keys(list(skus)))})]


def _inside_routing(worker: Service, on_enter) -> None:  # type: ignore[no-untyped-def]
    """Call ``on_enter()`` when ``worker`` evaluates a routing batch: inside its transaction,
    after it took its stock locks and before it commits."""
    evaluate = worker._evaluate

    def wrapped(batch, live, events, docs, ctx, parsed=None):  # type: ignore[no-untyped-def]
        if ctx.skus is not None:
            on_enter()
        return evaluate(batch, live, events, docs, ctx, parsed)

    worker._evaluate = wrapped  # type: ignore[method-assign]


@pytest.mark.postgres
def test_workers_routing_different_skus_hold_their_stock_locks_at_the_same_time(
        tmp_path: Path, pg_url: str) -> None:
    assert sku_lock_keys([SKU]) != sku_lock_keys([OTHER_SKU])
    workers = _two_workers(tmp_path / "ws", pg_url, (SKU, OTHER_SKU))
    engine = workers[0].engine
    seen: list[list[tuple[int, int, bool]]] = []
    # each worker waits inside its locked transaction until the other is inside its own:
    # one global lock would keep the second out, and the barrier would break (no hang)
    both_in = threading.Barrier(
        2, action=lambda: seen.append(_routing_locks(engine, (SKU, OTHER_SKU))), timeout=60)
    first_in = threading.Event()

    def enter() -> None:
        first_in.set()
        both_in.wait()

    for w in workers:
        _inside_routing(w, enter)
    done = [0, 0]
    errors: list[BaseException] = []

    def run(i: int) -> None:
        try:
            done[i] = workers[i].step()
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            errors.append(exc)
            both_in.abort()

    threads = [threading.Thread(target=run, args=(0,))]
    threads[0].start()
    assert first_in.wait(60)  # the first worker has claimed its batch and locked its SKU
    threads.append(threading.Thread(target=run, args=(1,)))
    threads[1].start()
    for t in threads:
        t.join(timeout=60)
    for w in workers:
        w.shutdown()
    assert not errors, errors
    assert done == [5, 5]
    locks = seen[0]
    assert len({pid for pid, _, _ in locks}) == 2 and all(granted for *_, granted in locks)
    assert {key for _, key, _ in locks} == set(sku_lock_keys([SKU, OTHER_SKU]))
    # each SKU's 7 units at SH went to its first 5 orders, exactly
    assert _reserved(engine) == {"SH": 5, "WH": 0}
    assert _reserved(engine, OTHER_SKU) == {"SH": 5, "WH": 0}


@pytest.mark.postgres
def test_workers_routing_the_same_sku_take_turns_and_reserve_exactly_the_stock(
        tmp_path: Path, pg_url: str) -> None:
    workers = _two_workers(tmp_path / "ws", pg_url, (SKU, SKU))
    engine = workers[0].engine
    first_in, go_on = threading.Event(), threading.Event()
    waiting: list[list[tuple[int, int, bool]]] = []

    def hold_first() -> None:
        if not first_in.is_set():
            first_in.set()
            assert go_on.wait(90)

    for w in workers:
        _inside_routing(w, hold_first)
    done = [0, 0]
    threads = [threading.Thread(target=lambda i=i: done.__setitem__(i, workers[i].step()))
               for i in range(2)]
    threads[0].start()
    assert first_in.wait(60)
    threads[1].start()
    # the second worker waits for the first's lock on the SKU (polled until seen, not timed)
    for _ in range(1200):
        locks = _routing_locks(engine, (SKU,))
        if any(not granted for *_, granted in locks):
            waiting.append(locks)
            break
        threading.Event().wait(0.05)
    go_on.set()
    for t in threads:
        t.join(timeout=60)
    for w in workers:
        w.shutdown()
    assert done == [5, 5]
    assert waiting, "the second worker never waited for the first's lock"
    assert len({key for _, key, _ in waiting[0]}) == 1  # one SKU, one key, two takers
    routed = _routes(engine)
    assert Counter(w for _, w in routed) == {"SH": ON_HAND_SH, "WH": 10 - ON_HAND_SH}
    assert _reserved(engine) == {"SH": ON_HAND_SH, "WH": 10 - ON_HAND_SH}


def test_each_batch_routes_on_the_stock_as_it_is_then(tmp_path: Path, db_url: str) -> None:
    """A stock count between two batches is seen by the second: routing never keeps an
    earlier batch's stock in memory."""
    root = tmp_path / "ws"
    init_workspace(root, samples=False)
    with (root / "orderhub.yaml").open("a", encoding="utf-8") as f:
        f.write(f"database: {db_url}\nservice: {{watch: false, batch_size: 10}}\n")
    svc = _service(root)
    svc.start()
    store = RoutingStore(svc.engine)
    store.put_stock([("SH", SKU, 100, 0), ("WH", SKU, 100, 0)])
    for start in range(0, 6, 2):
        svc.store.upsert(_orders(2, start=start))
        _drain(svc)
        # the shelf at SH is counted again: nothing left there
        store.put_stock([("SH", SKU, 0, 0), ("WH", SKU, 100, 0)])
    svc.shutdown()
    assert [w for _, w in _routes(svc.engine)] == ["SH", "SH"] + ["WH"] * 4
