"""Waves with the fulfilment stages: released orders get numbers, held ones are listed, printing
moves them to picking, and an intercept cancels the waybill at the platform exactly once."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

from orderhub.config import Workspace
from orderhub.fulfilment import stages
from orderhub.service.dispatcher import Dispatcher
from orderhub.service.outbox import Outbox
from orderhub.simulator import Simulator
from orderhub.waybills.intercept import KIND, WaybillCancel
from orderhub.waybills.scan import ship_scanned
from orderhub.waybills.service import Waybills


def _load(name: str):  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location(name, Path(__file__).with_name(f"{name}.py"))
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


fs = _load("fulfilment_support")
support = _load("waybills_support")


def _deliver(ws: Workspace) -> int:
    d = Dispatcher(Outbox(ws.store.engine), ws.config.service)
    d.channels[KIND] = WaybillCancel.for_workspace(ws)
    total = 0
    while n := d.step():
        total += n
    d.client.close()
    return total


def _stage(ws: Workspace, order_id: str) -> str:
    with ws.store.engine.connect() as conn:
        return stages.stage_of(conn, order_id)


def test_wave_of_released_orders_with_holds_picking_and_intercept(
        tmp_path: Path, db_url: str) -> None:
    root = tmp_path / "ws"
    with fs.WmsStandIn() as wms, Simulator(orders=1) as sim:
        fs.workspace(root, db_url, wms.url)
        shops = [s.model_dump(exclude_none=True) for s in sim.shops()]
        config = support.waybills_config().model_dump(exclude_none=True)
        with (root / "orderhub.yaml").open("a", encoding="utf-8") as f:
            f.write(f"shops: {json.dumps(shops, ensure_ascii=False)}\n"
                    f"waybills: {json.dumps(config, ensure_ascii=False)}\n")
        ws = Workspace.load(root)
        svc = fs.service(ws)
        ws.store.upsert([fs.order("A1", phone="13800000011"),
                         fs.order("A2", minutes=1, phone="13800000012"),
                         fs.order("V1", minutes=2, phone="13800000013",
                                  address="文三路地铁站附近")])
        fs.drain(svc)
        a1, a2, v1 = (ws.store.get(f"taobao:{n}").id for n in ("A1", "A2", "V1"))
        assert _stage(ws, a1) == "released" and _stage(ws, v1) == "routed"  # held: 地址待确认

        wb = Waybills.of(ws)
        result = wb.take("SH", wave="W")
        assert sorted(r.order_id for r in result.issued) == sorted([a1, a2])
        [held] = result.held
        assert held["order_id"] == v1 and "hold #" in held["reason"]
        assert v1 not in {r.order_id for r in wb.list()}  # never asked for a number
        assert len(sim.waybills.numbers_for("taobao", "V1")) == 0
        assert wb.rows.wave("W").skipped[0]["order_id"] == v1  # the wave remembers it

        wb.print_pdf("W", tmp_path / "w.pdf")
        assert _stage(ws, a1) == "picking" and _stage(ws, a2) == "picking"

        # a refund request reaches A1 at the warehouse: intercept -> the waybill is cancelled
        code = next(r.waybill_code for r in result.issued if r.order_id == a1)
        ws.store.upsert([fs.order("A1", refund_after=5, modified=6, phone="13800000011")])
        fs.drain(svc)
        _deliver(ws)
        assert sim.waybills.cancels[code] == 1 and sim.waybills.by_code[code].cancelled
        assert {r.order_id: r.status for r in wb.list()} == {a1: "cancelled", a2: "issued"}
        # the next change of A1 and another delivery round send nothing more
        ws.store.upsert([fs.order("A1", refund_after=5, modified=8, phone="13800000011")])
        fs.drain(svc)
        _deliver(ws)
        assert sim.waybills.cancels[code] == 1
        other = next(r.waybill_code for r in result.issued if r.order_id == a2)
        assert sim.waybills.cancels[other] == 0

        # the packer scans A2's label: it ships with that number and its carrier
        shipment = ship_scanned(ws, other or "", person="packer-1")
        assert shipment.order_id == a2 and shipment.tracking_no == other
        assert shipment.carrier == "YTO" and _stage(ws, a2) == "shipped"
        assert ship_scanned(ws, other or "").created is False  # a second scan changes nothing
        wb.close()
        svc.shutdown()


def test_account_carriers_map_to_orderhub_carrier_codes() -> None:
    from orderhub.connectors.carriers import CarrierTable
    from orderhub.waybills.scan import carrier_code

    table = CarrierTable.load()
    assert carrier_code(table, "douyin", "zhongtong") == "ZTO"
    assert carrier_code(table, "taobao", "YTO") == "YTO"
    assert carrier_code(table, "jd", "YUNDA") == "YUNDA"
    assert carrier_code(table, "pdd", "NEWCO") == "NEWCO"
