"""A vague address waits for a person; shipping (split, repeated, refused); the CLI over it."""

from __future__ import annotations

import importlib.util
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

_spec = importlib.util.spec_from_file_location(
    "fulfilment_support", Path(__file__).with_name("fulfilment_support.py"))
fs = importlib.util.module_from_spec(_spec)  # type: ignore[arg-type]
_spec.loader.exec_module(fs)  # type: ignore[union-attr]
_sup = importlib.util.spec_from_file_location(
    "service_support", Path(__file__).with_name("service_support.py"))
sup = importlib.util.module_from_spec(_sup)  # type: ignore[arg-type]
_sup.loader.exec_module(sup)  # type: ignore[union-attr]

from orderhub.cli import main  # noqa: E402
from orderhub.engine.routing.stock import stock_table  # noqa: E402
from orderhub.fulfilment import audit, holds, ship, stages, tasks  # noqa: E402
from orderhub.fulfilment.errors import ShipRefused  # noqa: E402
from orderhub.service.schema import outbox  # noqa: E402


def _stage(ws, order_id: str) -> str:  # type: ignore[no-untyped-def]
    with ws.store.engine.connect() as conn:
        return stages.stage_of(conn, order_id)


def _on_hand(ws, warehouse: str = "SH") -> tuple[int, int]:  # type: ignore[no-untyped-def]
    with ws.store.engine.connect() as conn:
        row = conn.execute(select(stock_table.c.on_hand, stock_table.c.reserved).where(
            stock_table.c.warehouse == warehouse, stock_table.c.sku == fs.SKU)).one()
    return row.on_hand, row.reserved


def _cli(ws, *args: str) -> object:  # type: ignore[no-untyped-def]
    return CliRunner().invoke(main, ["-w", str(ws.root), *args], catch_exceptions=False)


@pytest.mark.parametrize("correct", [False, True], ids=["confirmed", "corrected"])
def test_a_vague_address_sends_the_sms_and_waits_for_a_person(
        tmp_path: Path, db_url: str, correct: bool) -> None:
    with fs.WmsStandIn() as wms, sup.Peer() as sms:
        ws = fs.workspace(tmp_path / "ws", db_url, wms.url, sms_url=f"{sms.url}/sms")
        svc = fs.service(ws)
        ws.store.upsert([fs.order("V1", address="体育西路地铁站附近")])
        fs.drain(svc)
        fs.deliver(ws)
        order_id = ws.store.get("taobao:V1").id
        assert len(sms.accepted) == 1
        (body,) = sms.accepted.values()
        assert "地铁站附近" in body["text"]
        assert wms.orders == {}
        (hold,) = holds.list_holds(ws, order="taobao:V1")
        assert hold.kind == "address" and hold.blocking
        assert _stage(ws, order_id) == "routed"
        args = ["orders", "address", "taobao:V1", "--as", "carol"]
        args += ["--address", "体育西路 101 号 2 栋 301 室", "--reason", "买家回复了详细地址"] \
            if correct else ["--reason", "买家电话确认"]
        result = _cli(ws, *args)
        assert result.exit_code == 0, result.output
        fs.drain(svc)  # the address_changed event re-runs the rules: no longer vague
        fs.deliver(ws)
        assert holds.list_holds(ws, order="taobao:V1") == []
        assert _stage(ws, order_id) == "released"
        (pushed,) = wms.orders.values()
        expected = "体育西路 101 号 2 栋 301 室" if correct else "体育西路地铁站附近"
        assert pushed["receiver"]["address"] == expected
        assert _on_hand(ws) == (50, 1)  # re-routing reserved once, not twice
        (entry,) = [e for e in audit.entries(ws.store.engine, order_id=order_id)]
        assert entry.person == "carol"
        assert entry.action == ("correct_address" if correct else "confirm_address")
        shown = json.loads(_cli(ws, "orders", "show", "taobao:V1", "--format", "json").output)
        assert shown["fulfilment"]["stage"] == "released"
        assert any(e["kind"] == "release" and e["who"] == "person carol"
                   for e in shown["timeline"])
        svc.shutdown()


def test_ship_takes_units_off_hand_once_and_writes_back_through_the_outbox(
        tmp_path: Path, db_url: str) -> None:
    ws = fs.workspace(tmp_path / "ws", db_url)
    svc = fs.service(ws)
    ws.store.upsert([fs.order("S1", quantity=3), fs.order("S2", refund_after=5)])
    fs.drain(svc)
    assert _on_hand(ws) == (50, 3)
    # a held order is refused with its hold and reason
    with pytest.raises(ShipRefused, match="refund"):
        ship(ws, "taobao:S2", "ZTO", "ZT0001", person="packer")
    result = _cli(ws, "ship", "taobao:S2", "--carrier", "ZTO", "--tracking", "ZT0001")
    assert result.exit_code == 1 and "hold #" in result.output
    # split: one mug now, two later
    first = ship(ws, "taobao:S1", "ZTO", "ZT0002", items=[("S1-1", 1)], person="packer")
    assert first.stage == "partly_shipped" and _on_hand(ws) == (49, 2)
    again = ship(ws, "taobao:S1", "ZTO", "ZT0002", items=[("S1-1", 1)], person="packer")
    assert not again.created and _on_hand(ws) == (49, 2)
    result = _cli(ws, "ship", "taobao:S1", "--carrier", "zto", "--tracking", "ZT0003",
                  "--as", "packer", "--format", "json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["stage"] == "shipped" and _on_hand(ws) == (47, 0)
    with ws.store.engine.connect() as conn:
        writes = [r.payload for r in conn.execute(select(outbox).where(
            outbox.c.kind == "platform_ship").order_by(outbox.c.id))]
    assert [w["tracking_no"] for w in writes] == ["ZT0002", "ZT0003"]
    assert writes[0]["lines"] == [{"line_id": "S1-1", "quantity": 1}]
    assert set(writes[0]) == {"shop", "platform", "platform_order_no", "carrier",
                              "tracking_no", "lines", "shipment_id"}
    assert writes[1]["carrier"] == "ZTO" and writes[1]["platform"] == "taobao"
    with pytest.raises(ShipRefused, match="shipped"):
        ship(ws, "taobao:S1", "ZTO", "ZT0004", person="packer")
    svc.shutdown()


def test_the_review_queue_from_the_command_line(tmp_path: Path, db_url: str) -> None:
    ws = fs.workspace(tmp_path / "ws", db_url)
    svc = fs.service(ws)
    ws.store.upsert([fs.order("Q1", refund_after=3)])
    fs.drain(svc)
    listed = _cli(ws, "tasks", "list", "--queue", "cs", "--format", "json")
    (task,) = [json.loads(line) for line in listed.output.splitlines()]
    assert task["status"] == "open" and not task["overdue"]
    assert _cli(ws, "tasks", "claim", str(task["id"]), "--as", "alice").exit_code == 0
    mine = _cli(ws, "tasks", "list", "--mine", "--as", "alice", "--format", "json").output
    assert json.loads(mine.splitlines()[0])["assignee"] == "alice"
    held = _cli(ws, "orders", "list", "--held", "--format", "json").output.splitlines()
    assert [json.loads(line)["platform_order_no"] for line in held] == ["Q1"]
    assert _cli(ws, "orders", "list", "--overdue", "--format", "json").output == ""
    later = datetime.now(UTC) + timedelta(minutes=31)
    assert [t.id for t in tasks.list_tasks(ws, overdue=True, now=later)] == [task["id"]]
    new = _cli(ws, "orders", "list", "--stage", "new", "--format", "json").output
    assert [json.loads(line)["platform_order_no"] for line in new.splitlines()] == ["Q1"]
    shown = _cli(ws, "orders", "show", "taobao:Q1")
    assert shown.exit_code == 0 and "timeline" in shown.output and "高风险退单" in shown.output
    done = _cli(ws, "tasks", "done", str(task["id"]), "--as", "alice", "--note", "买家已撤销退款",
                "--release")
    assert done.exit_code == 0, done.output
    again = _cli(ws, "tasks", "cancel", str(task["id"]), "--as", "alice")
    assert again.exit_code == 1 and "is done" in again.output
    assert holds.list_holds(ws, order="taobao:Q1") == []
    assert tasks.list_tasks(ws, queue="cs") == []
    actions = [e.action for e in audit.entries(ws.store.engine)]
    assert actions[:2] == ["task_claim", "task_done"] and "release_hold" in actions
    table = _cli(ws, "holds", "list", "--all")
    assert "alice" in table.output
    cancelled = _cli(ws, "orders", "cancel", "taobao:Q1", "--reason", "买家要求", "--as", "alice")
    assert cancelled.exit_code == 0, cancelled.output
    assert _stage(ws, ws.store.get("taobao:Q1").id) == "cancelled"
    svc.shutdown()
