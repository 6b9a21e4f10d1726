"""Real worker processes with the real rules and flows, one killed with SIGKILL mid-run: every
order is released once and pushed to the WMS once; held orders are not pushed at all."""

from __future__ import annotations

import importlib.util
import signal
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import select

_spec = importlib.util.spec_from_file_location(
    "fulfilment_support", Path(__file__).with_name("fulfilment_support.py"))
fs = importlib.util.module_from_spec(_spec)  # type: ignore[arg-type]
_spec.loader.exec_module(fs)  # type: ignore[union-attr]
_sup = importlib.util.spec_from_file_location(
    "service_support", Path(__file__).with_name("service_support.py"))
sup = importlib.util.module_from_spec(_sup)  # type: ignore[arg-type]
_sup.loader.exec_module(sup)  # type: ignore[union-attr]

from orderhub.fulfilment.schema import fulfilment_log  # noqa: E402
from orderhub.service.schema import decisions, outbox  # noqa: E402

ORDERS = 400


@pytest.mark.slow
@pytest.mark.postgres
def test_workers_through_a_kill_9_release_and_push_each_order_exactly_once(
        tmp_path: Path, pg_url: str) -> None:
    with fs.WmsStandIn() as wms:
        ws = fs.workspace(tmp_path / "ws", pg_url, wms.url, stock=ORDERS)
        engine = ws.store.engine
        orders = [fs.order(f"K{i:04d}", minutes=i * 0.1, phone=f"137{i:08d}",
                           refund_after=5 if i % 10 == 0 else None) for i in range(ORDERS)]
        ws.store.upsert(orders)
        events = sup.count(engine, decisions) + len(
            ws.store.events(after=0, limit=10**6))
        workers = [sup.spawn(ws.root, "worker", log=tmp_path / f"w{i}.log") for i in range(3)]
        try:
            sup.wait_until(lambda: sup.count(engine, decisions) > events // 4, 90, "progress")
            workers[0].send_signal(signal.SIGKILL)
            workers[0].wait(timeout=10)
            sup.wait_until(lambda: sup.count(engine, decisions) == events, 180,
                           "every event decided")
            sup.wait_until(lambda: sup.count(engine, outbox, outbox.c.status == "sent")
                           >= sup.count(engine, outbox, outbox.c.kind == "wms"), 120,
                           "the WMS pushes delivered")
        finally:
            for w in workers:
                if w.poll() is None:
                    w.send_signal(signal.SIGTERM)
            for w in workers:
                w.wait(timeout=30)
        ids = {o.platform_order_no: ws.store.get(f"taobao:{o.platform_order_no}").id
               for o in orders}
        held = {ids[o.platform_order_no] for o in orders if o.refund is not None}
        with engine.connect() as conn:
            released = Counter(conn.execute(select(fulfilment_log.c.order_id).where(
                fulfilment_log.c.kind == "stage",
                fulfilment_log.c.stage_to == "released")).scalars())
            pushes = Counter(conn.execute(select(outbox.c.order_id).where(
                outbox.c.kind == "wms")).scalars())
        assert set(released) == set(ids.values()) - held
        assert set(released.values()) == {1}
        assert set(pushes) == set(released) and set(pushes.values()) == {1}
        received = Counter(p["order_id"] for p in wms.orders.values())
        assert set(received) == set(released) and set(received.values()) == {1}
        assert not wms.invalid
