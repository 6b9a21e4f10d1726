"""The event queue: every event once per consumer, in order per order, replay-safe."""

from __future__ import annotations

import importlib.util
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

_spec = importlib.util.spec_from_file_location(
    "service_support", Path(__file__).with_name("service_support.py"))
sup = importlib.util.module_from_spec(_spec)  # type: ignore[arg-type]
_spec.loader.exec_module(sup)  # type: ignore[union-attr]

from orderhub.config import Workspace  # noqa: E402
from orderhub.service import Service  # noqa: E402
from orderhub.service.queue import EventQueue  # noqa: E402
from orderhub.service.schema import decisions, event_claims, order_actions, outbox  # noqa: E402


def _service(tmp_path: Path, db_url: str, **cfg: object) -> Service:
    ws = Workspace.load(sup.write_workspace(tmp_path / "ws", db_url, **cfg))
    return Service(ws, dispatch=False, schedules=False)


def _drain(svc: Service) -> int:
    n = 0
    while k := svc.step():
        n += k
    return n


def test_every_event_is_processed_once_and_new_events_later(tmp_path: Path, db_url: str) -> None:
    svc = _service(tmp_path, db_url, rules="tag = v\nmessage_every = 3\n")
    svc.start()
    store = svc.store
    store.upsert(sup.make_orders(150))
    assert _drain(svc) == 300
    assert _drain(svc) == 0  # nothing twice
    engine = store.engine
    assert sup.count(engine, decisions) == 300
    assert sup.count(engine, order_actions) == 300
    assert sup.count(engine, outbox) == 100
    # the orders change (shipped): only the new events are processed
    from orderhub.model import Order
    shipped = [Order.model_validate({
        **o.model_dump(), "status": "shipped", "tracking_no": f"SF{i}",
        "modified_at": o.modified_at + timedelta(hours=1)})
        for i, o in enumerate(sup.make_orders(10))]
    result = store.upsert(shipped)
    assert _drain(svc) == result.events > 0
    assert sup.count(engine, decisions) == 300 + result.events
    # each order's decisions follow its event order
    with engine.connect() as conn:
        from sqlalchemy import select
        rows = conn.execute(select(decisions.c.order_id, decisions.c.event_id, decisions.c.id)
                            .order_by(decisions.c.id)).all()
    seen: dict[str, int] = {}
    for order_id, event_id, _ in rows:
        assert event_id > seen.get(order_id, 0)
        seen[order_id] = event_id
    svc.shutdown()


def test_a_worker_that_dies_after_claiming_loses_and_repeats_nothing(tmp_path: Path,
                                                                     db_url: str) -> None:
    svc = _service(tmp_path, db_url, rules="tag = v\nmessage_every = 1\n")
    svc.start()
    svc.store.upsert(sup.make_orders(40))
    now = datetime.now(UTC)
    dead = EventQueue(svc.engine, "main", "dead-worker", lease_seconds=3)
    dead.enqueue(now)
    lost = dead.claim(30, now)
    outcomes = svc.evaluate(lost)  # evaluated, never committed: the worker "dies" here
    # while the lease runs, nobody else gets those events
    other = EventQueue(svc.engine, "main", "other", lease_seconds=3)
    taken = other.claim(100, now)
    assert not {c.event_id for c in taken.claims} & {c.event_id for c in lost.claims}
    other.release(taken)
    # after the lease, another worker takes them over and finishes everything
    later = now + timedelta(seconds=5)
    took = other.claim(100, later)
    assert {c.event_id for c in lost.claims} <= {c.event_id for c in took.claims}
    other.complete(took, svc.evaluate(took), later)
    assert _drain(svc) == 80 - len(took.claims)
    # the dead worker wakes up and tries to commit: nothing of it is kept
    assert dead.complete(lost, outcomes, later) == []
    engine = svc.engine
    assert sup.count(engine, decisions) == 80
    assert sup.count(engine, order_actions) == 80
    assert sup.count(engine, outbox) == 80
    assert sup.duplicates(engine, decisions.c.event_id) == 0
    svc.shutdown()


def test_an_order_waits_for_its_earlier_event_leased_elsewhere(tmp_path: Path,
                                                               db_url: str) -> None:
    svc = _service(tmp_path, db_url)
    svc.start()
    svc.store.upsert(sup.make_orders(20))  # events: created, paid per order
    now = datetime.now(UTC)
    a = EventQueue(svc.engine, "main", "a")
    b = EventQueue(svc.engine, "main", "b")
    a.enqueue(now)
    first = a.claim(5, now)
    assert len({c.order_id for c in first.claims}) == len(first.claims) == 5
    second = b.claim(100, now)
    assert not {c.order_id for c in first.claims} & {c.order_id for c in second.claims}
    # b got only each remaining order's first event: one per order
    assert len({c.order_id for c in second.claims}) == len(second.claims)
    a.complete(first, svc.evaluate(first), now)
    b.complete(second, svc.evaluate(second), now)
    assert _drain(svc) == 40 - 5 - len(second.claims)
    svc.shutdown()


def test_a_failing_evaluation_is_retried_then_set_aside(tmp_path: Path, db_url: str) -> None:
    svc = _service(tmp_path, db_url, max_attempts=2)
    svc.start()
    good = sup.make_orders(3)
    svc.store.upsert(good)
    # break one order's stored document so that evaluating it raises
    from sqlalchemy import update

    from orderhub.store.schema import orders
    with svc.engine.begin() as conn:
        conn.execute(update(orders).where(orders.c.platform_order_no == good[0].platform_order_no)
                     .values(doc='{"platform": "taobao"}'))
    _drain(svc)
    engine = svc.engine
    assert sup.count(engine, event_claims, event_claims.c.status == "failed") == 2
    assert sup.count(engine, decisions, decisions.c.outcome == "error") == 2
    assert sup.count(engine, decisions, decisions.c.outcome == "ok") == 4
    from orderhub.service import state
    lag = state.queue_lag(engine, "main")
    assert lag["unprocessed"] == 0 and lag["failed"] == 2
    svc.shutdown()


@pytest.mark.parametrize("bad", ["tag one\n", "speed = 3\n", "message_every = many\n"])
def test_a_service_does_not_start_on_broken_rules(tmp_path: Path, bad: str) -> None:
    from orderhub.service import ServiceError

    svc = _service(tmp_path, f"sqlite:///{tmp_path / 'x.db'}", rules=bad)
    with pytest.raises(ServiceError) as err:
        svc.start()
    assert "tiny.tiny:1:" in str(err.value)
