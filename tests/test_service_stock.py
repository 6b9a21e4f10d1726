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
from sqlalchemy import select

_spec = importlib.util.spec_from_file_location(
    "service_support", Path(__file__).with_name("service_support.py"))
sup = importlib.util.module_from_spec(_spec)  # type: ignore[arg-type]
_spec.loader.exec_module(sup)  # type: ignore[union-attr]

from orderhub.config import Workspace, init_workspace  # noqa: E402
from orderhub.engine.routing.stock import RoutingStore, route_decisions, stock_table  # noqa: E402
from orderhub.model import Order  # noqa: E402
from orderhub.service import Service  # noqa: E402
from orderhub.service.queue import EventQueue  # noqa: E402
from orderhub.service.schema import decisions, order_actions  # noqa: E402

SKU = "MUG-350"
ON_HAND_SH = 7  # 华东 orders prefer SH, then WH


def _orders(n: int, start: int = 0, paid: bool = True) -> list[Order]:
    """华东 orders of one mug each: created, and (when ``paid``) paid a minute later."""
    return [Order.model_validate({**o.model_dump(), "items": [
        {"sku": SKU, "title": "马克杯 350ml", "quantity": 1, "unit_price": "99.00"}],
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


def _reserved(engine) -> dict[str, int]:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        return {w: r for w, r in conn.execute(select(stock_table.c.warehouse,
                                                     stock_table.c.reserved)
                                              .where(stock_table.c.sku == SKU))}


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
