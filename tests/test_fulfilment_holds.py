"""Holds stop orders before the warehouse; a refund after release intercepts them; a person
releases a frozen order and its WMS push goes out once (the real rules and flows, the service's
own transaction, a loopback WMS that validates the contract)."""

from __future__ import annotations

import importlib.util
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select

_spec = importlib.util.spec_from_file_location(
    "fulfilment_support", Path(__file__).with_name("fulfilment_support.py"))
fs = importlib.util.module_from_spec(_spec)  # type: ignore[arg-type]
_spec.loader.exec_module(fs)  # type: ignore[union-attr]

from orderhub.engine.routing.ledger import open_reservations  # noqa: E402
from orderhub.fulfilment import holds, hooks, stages, tasks, timeline  # noqa: E402
from orderhub.service.schema import order_actions, outbox  # noqa: E402


def _outbox(ws, order_id: str, kind: str = "wms") -> list:  # type: ignore[no-untyped-def]
    with ws.store.engine.connect() as conn:
        return list(conn.execute(select(outbox).where(outbox.c.order_id == order_id,
                                                      outbox.c.kind == kind)))


def _picks(ws, order_id: str) -> int:  # type: ignore[no-untyped-def]
    with ws.store.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(order_actions).where(
            order_actions.c.order_id == order_id, order_actions.c.kind == "pick_list")).scalar())


def _stage(ws, order_id: str) -> str:  # type: ignore[no-untyped-def]
    with ws.store.engine.connect() as conn:
        return stages.stage_of(conn, order_id)


def test_a_refund_pulled_before_release_holds_the_order_with_a_cs_task(
        tmp_path: Path, db_url: str) -> None:
    ws = fs.workspace(tmp_path / "ws", db_url)
    svc = fs.service(ws)
    ws.store.upsert([fs.order("R1", refund_after=5), fs.order("OK1", minutes=1)])
    before = datetime.now(UTC)
    fs.drain(svc)
    held = ws.store.get("taobao:R1").id
    fine = ws.store.get("taobao:OK1").id
    assert _outbox(ws, held) == [] and _picks(ws, held) == 0
    assert len(_outbox(ws, fine)) == 1 and _picks(ws, fine) == 1
    assert _stage(ws, fine) == "released"
    open_ = holds.list_holds(ws, order="taobao:R1")
    assert {h.kind for h in open_} >= {"risk_hold"} and all(h.blocking for h in open_)
    (task,) = tasks.list_tasks(ws, queue="cs", order="taobao:R1")
    assert task.title.startswith("高风险退单") and task.status == "open"
    assert before + timedelta(minutes=29) < task.due_at <= datetime.now(UTC) + \
        timedelta(minutes=30)
    from click.testing import CliRunner

    from orderhub.cli import main

    shown = CliRunner().invoke(main, ["-w", str(ws.root), "orders", "show", "taobao:R1",
                                      "--format", "json"])
    state = json.loads(shown.output)["fulfilment"]
    assert state["held"] and {h["kind"] for h in state["holds"]} == {"risk_hold", "refund"}
    entries = timeline.timeline(ws, "taobao:R1")
    kinds = [(e.source, e.kind) for e in entries]
    assert ("fulfilment", "hold") in kinds and ("rules", "rule_hit") in kinds
    assert ("fulfilment", "task") in kinds and ("outbox", "wms") not in kinds
    svc.shutdown()


def test_a_refund_after_the_wms_push_intercepts_once_and_releases_stock_when_it_completes(
        tmp_path: Path, db_url: str) -> None:
    with fs.WmsStandIn() as wms:
        ws = fs.workspace(tmp_path / "ws", db_url, wms.url)
        svc = fs.service(ws)
        ws.store.upsert([fs.order("R2")])
        fs.drain(svc)
        order_id = ws.store.get("taobao:R2").id
        assert _stage(ws, order_id) == "released"
        fs.deliver(ws)
        assert len(wms.orders) == 1 and not wms.invalid
        (pushed,) = wms.orders.values()
        assert pushed["type"] == "order" and pushed["order_id"] == order_id
        with ws.store.engine.connect() as conn:
            assert open_reservations(conn, order_id) == {("SH", fs.SKU): 1}
        # the next pull, 5 minutes later, brings the refund request: one intercept, and the
        # intercept hooks (the waybill's cancellation) run in the same transaction
        told: list[tuple[str, str]] = []

        def cancel_waybill(conn, order_id, reason, now):  # type: ignore[no-untyped-def]
            told.append((order_id, reason))

        hooks.on_intercept(cancel_waybill)
        try:
            ws.store.upsert([fs.order("R2", refund_after=5, modified=6)])
            fs.drain(svc)
        finally:
            hooks.remove(cancel_waybill)
        assert [o for o, _ in told] == [order_id]
        ws.store.upsert([fs.order("R2", refund_after=5, modified=7)])  # unchanged: nothing
        fs.drain(svc)
        fs.deliver(ws)
        assert len(wms.intercepts) == 1 and not wms.invalid
        (stop,) = wms.intercepts.values()
        assert stop["order_id"] == order_id and stop["warehouse"] == "SH"
        with ws.store.engine.connect() as conn:
            assert open_reservations(conn, order_id) == {("SH", fs.SKU): 1}
        # the refund completes: the reservation is released, the order cancelled
        ws.store.upsert([fs.order("R2", refund_after=5, refund_status="refunded", modified=30)])
        fs.drain(svc)
        with ws.store.engine.connect() as conn:
            assert open_reservations(conn, order_id) == {}
        assert _stage(ws, order_id) == "cancelled"
        assert len([b for b in wms.received if b["type"] == "intercept"]) == 1
        svc.shutdown()


def test_a_refund_after_shipping_opens_a_logistics_intercept_task(
        tmp_path: Path, db_url: str) -> None:
    from orderhub.fulfilment import ship

    with fs.WmsStandIn() as wms:
        ws = fs.workspace(tmp_path / "ws", db_url, wms.url)
        svc = fs.service(ws)
        ws.store.upsert([fs.order("R3")])
        fs.drain(svc)
        ship(ws, "taobao:R3", "ZTO", "ZT1234567890", person="packer")
        ws.store.upsert([fs.order("R3", refund_after=30, modified=31)])
        fs.drain(svc)
        fs.deliver(ws)
        assert wms.intercepts == {}  # the parcel left: the WMS cannot stop it
        (task,) = [t for t in tasks.list_tasks(ws, order="taobao:R3")
                   if t.title.startswith("物流拦截")]
        assert "ZTO ZT1234567890" in task.title and task.queue == "cs"
        svc.shutdown()


def test_a_wms_answering_too_late_opens_a_warehouse_task(tmp_path: Path, db_url: str) -> None:
    with fs.WmsStandIn() as wms:
        ws = fs.workspace(tmp_path / "ws", db_url, wms.url)
        svc = fs.service(ws)
        ws.store.upsert([fs.order("R4")])
        fs.drain(svc)
        order_id = ws.store.get("taobao:R4").id
        fs.deliver(ws)
        wms.packed.add(order_id)
        holds.hold(ws, "taobao:R4", "客户来电要求暂停", "alice")
        fs.deliver(ws)
        (task,) = tasks.list_tasks(ws, queue="warehouse", order="taobao:R4")
        assert "ALREADY_PACKED" in task.title
        svc.shutdown()


def test_three_orders_by_one_phone_are_frozen_until_a_person_releases_one(
        tmp_path: Path, db_url: str) -> None:
    with fs.WmsStandIn() as wms:
        ws = fs.workspace(tmp_path / "ws", db_url, wms.url)
        svc = fs.service(ws)
        for i in range(3):  # pulled an hour apart
            ws.store.upsert([fs.order(f"P{i}", minutes=60 * i, phone="13900000009")])
            fs.drain(svc)
        fs.deliver(ws)
        ids = [ws.store.get(f"taobao:P{i}").id for i in range(3)]
        frozen = [i for i in ids if any(h.kind == "freeze" for h in
                                        holds.list_holds(ws, order=i))]
        assert frozen == [ids[2]]  # the third order of the day
        assert _outbox(ws, ids[2]) == [] and _picks(ws, ids[2]) == 0
        assert _stage(ws, ids[2]) == "routed"
        assert {p["order_id"] for p in wms.orders.values()} == set(ids[:2])
        holds.release(ws, ids[2], "客户确认三单均为本人购买", "bob")
        holds.release(ws, ids[2], "again", "bob") if holds.list_holds(ws, order=ids[2]) \
            else None
        fs.drain(svc)
        fs.deliver(ws)
        fs.deliver(ws)
        assert [p["order_id"] for p in wms.orders.values()].count(ids[2]) == 1
        assert len(_outbox(ws, ids[2])) == 1 and _picks(ws, ids[2]) == 1
        assert _stage(ws, ids[2]) == "released"
        entries = timeline.timeline(ws, ids[2])
        release = [e for e in entries if e.kind == "release"]
        assert release and release[0].who == "person bob"
        assert release[0].what == "客户确认三单均为本人购买"
        svc.shutdown()
