"""An order stopped at the warehouse and then released goes to the warehouse again; an order
held before it was ever routed is routed when a person releases it."""

from __future__ import annotations

import importlib.util
from pathlib import Path

_spec = importlib.util.spec_from_file_location(
    "fulfilment_support", Path(__file__).with_name("fulfilment_support.py"))
fs = importlib.util.module_from_spec(_spec)  # type: ignore[arg-type]
_spec.loader.exec_module(fs)  # type: ignore[union-attr]

from orderhub.engine.routing.ledger import open_reservations  # noqa: E402
from orderhub.engine.routing.stock import RoutingStore  # noqa: E402
from orderhub.fulfilment import holds, stages  # noqa: E402
from orderhub.model import Order  # noqa: E402


def _stage(ws, order_id: str) -> str:  # type: ignore[no-untyped-def]
    with ws.store.engine.connect() as conn:
        return stages.stage_of(conn, order_id)


def test_a_hold_after_release_intercepts_and_its_release_sends_the_order_again(
        tmp_path: Path, db_url: str) -> None:
    with fs.WmsStandIn() as wms:
        ws = fs.workspace(tmp_path / "ws", db_url, wms.url)
        svc = fs.service(ws)
        ws.store.upsert([fs.order("H1")])
        fs.drain(svc)
        fs.deliver(ws)
        order_id = ws.store.get("taobao:H1").id
        holds.hold(ws, "taobao:H1", "客户来电：先别发", "alice")
        fs.deliver(ws)
        assert len(wms.intercepts) == 1 and _stage(ws, order_id) == "routed"
        holds.release(ws, "taobao:H1", "客户确认可以发", "alice")
        fs.deliver(ws)
        assert _stage(ws, order_id) == "released"
        assert [b["type"] for b in wms.received] == ["order", "intercept", "order"]
        assert len(wms.orders) == 2 and not wms.invalid  # two keys: sent, stopped, sent again
        svc.shutdown()


def test_an_order_held_before_routing_is_routed_when_released(
        tmp_path: Path, db_url: str) -> None:
    with fs.WmsStandIn() as wms:
        ws = fs.workspace(tmp_path / "ws", db_url, wms.url)
        svc = fs.service(ws)
        ws.store.upsert([fs.order("H2", refund_after=3)])  # pulled with its refund: no route
        fs.drain(svc)
        order_id = ws.store.get("taobao:H2").id
        assert _stage(ws, order_id) == "new"
        # the buyer withdraws the refund: the platform's refund hold closes by itself
        ws.store.upsert([fs.order("H2", refund_after=3, refund_status="closed",
                                  status="paid", modified=20)])
        fs.drain(svc)
        (left,) = holds.list_holds(ws, order="taobao:H2")
        assert left.kind == "risk_hold"  # the rule's hold waits for a person
        holds.release(ws, "taobao:H2", "买家已撤销退款，核实无风险", "bob")
        fs.deliver(ws)
        assert _stage(ws, order_id) == "released"
        assert [p["order_id"] for p in wms.orders.values()] == [order_id]
        with ws.store.engine.connect() as conn:
            assert open_reservations(conn, order_id) == {("SH", fs.SKU): 1}
        svc.shutdown()


def test_a_cold_chain_order_waits_for_cold_stock_and_is_routed_when_it_arrives(
        tmp_path: Path, db_url: str) -> None:
    with fs.WmsStandIn() as wms:
        ws = fs.workspace(tmp_path / "ws", db_url, wms.url)  # mugs at SH and WH, no crabs
        svc = fs.service(ws)
        doc = fs.order("C1").model_dump()
        doc["items"] = [{**doc["items"][0], "sku": "CRAB", "title": "大闸蟹",
                         "attributes": {"cold_chain": True}}]
        ws.store.upsert([Order.model_validate(doc)])
        fs.drain(svc)
        fs.deliver(ws)
        order_id = ws.store.get("taobao:C1").id
        (held,) = holds.list_holds(ws, order="taobao:C1")
        assert held.kind == "no_stock" and not wms.orders  # waiting, nothing pushed
        assert _stage(ws, order_id) == "new"
        with ws.store.engine.connect() as conn:
            assert open_reservations(conn, order_id) == {}
        # the crabs arrive at the cold store; purchasing releases the hold
        RoutingStore(ws.store.engine).put_stock([("SH-COLD", "CRAB", 5, 0)])
        holds.release(ws, "taobao:C1", "冷链到货", "bob")
        fs.deliver(ws)
        assert _stage(ws, order_id) == "released"
        assert [(p["order_id"], p["warehouse"]) for p in wms.orders.values()] == [
            (order_id, "SH-COLD")]
        with ws.store.engine.connect() as conn:
            assert open_reservations(conn, order_id) == {("SH-COLD", "CRAB"): 1}
        svc.shutdown()
