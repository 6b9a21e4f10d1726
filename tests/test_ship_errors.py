"""What goes wrong when shipping is written back: unknown carriers, bad tracking numbers, bad
payloads and shops, platform codes as data, transient trouble, the simulator's checks."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import insert

from orderhub.connectors.carriers import CarrierTable
from orderhub.connectors.http import RequestRejected, ServerError
from orderhub.connectors.pull import make_client
from orderhub.connectors.shipping import NeedsCheck, ShipCodes, ShipRefused, precheck
from orderhub.connectors.shops import ShopConfig
from orderhub.errors import SourceErrors
from orderhub.service.channels import DeliveryError, ShipRejected
from orderhub.service.config import ServiceConfig
from orderhub.service.dispatcher import Dispatcher
from orderhub.service.outbox import Outbox
from orderhub.service.schema import outbox as outbox_table
from orderhub.service.ship_channel import PlatformShip
from orderhub.simulator import Simulator
from orderhub.simulator.shipping import parcels
from orderhub.store import OrderStore
from orderhub.synth.logical import LogicalOrder


@pytest.fixture
def sim():  # type: ignore[no-untyped-def]
    with Simulator(seed=5, orders=30, history_hours=2) as s:
        yield s


def sim_shops(sim: Simulator, monkeypatch: pytest.MonkeyPatch,
              **settings: Any) -> dict[str, ShopConfig]:
    env: dict[str, str] = {}
    shops = sim.shops(env, **settings)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return {s.platform: s for s in shops}


def paid(sim: Simulator, platform: str) -> LogicalOrder:
    return sorted((o for o in sim.world.orders[platform].values() if o.status == "paid"),
                  key=lambda o: o.order_no)[0]


def body(order: LogicalOrder, **changes: Any) -> dict[str, Any]:
    out = {"shop": None, "platform": order.platform, "platform_order_no": order.order_no,
           "carrier": "ZTO", "tracking_no": "78000000000099", "lines": None,
           "shipment_id": f"S-{order.order_no}"}
    return {**out, **changes}


def ship_calls(sim: Simulator) -> list[dict[str, Any]]:
    apis = ("taobao.logistics.offline.send", "jingdong.pop.order.shipment",
            "pdd.logistics.online.send", "order.logisticsAdd", "order.logisticsAddSinglePack")
    return [e for e in sim.requests if e.get("api") in apis]


def test_a_carrier_a_platform_cannot_take_is_refused_naming_carrier_and_platform(
        sim: Simulator, monkeypatch: pytest.MonkeyPatch) -> None:
    channel = PlatformShip(list(sim_shops(sim, monkeypatch).values()))
    with pytest.raises(ShipRejected) as no_code:
        channel.send(body(paid(sim, "pdd"), carrier="JTSD"), "k1")
    assert no_code.value.reason == "carrier" and not no_code.value.retryable
    assert "JTSD" in str(no_code.value) and "pdd" in str(no_code.value)
    with pytest.raises(ShipRejected, match=r"'DHL' is not in the carrier table \(shipping a "
                       r"taobao order\)") as unknown:
        channel.send(body(paid(sim, "taobao"), carrier="DHL"), "k2")
    assert unknown.value.reason == "carrier"
    assert ship_calls(sim) == []


@pytest.mark.parametrize("platform", ["taobao", "douyin"])
def test_a_malformed_tracking_number_is_refused_as_bad_tracking(
        platform: str, sim: Simulator, monkeypatch: pytest.MonkeyPatch) -> None:
    channel = PlatformShip(list(sim_shops(sim, monkeypatch).values()))
    order = paid(sim, platform)
    with pytest.raises(ShipRejected) as refused:
        channel.send(body(order, tracking_no="ZT-12"), "k")
    assert refused.value.reason == "bad_tracking"
    assert [e["error"] for e in ship_calls(sim)] == \
        [{"taobao": "ship:B60", "douyin": "ship:60017"}[platform]]
    assert not parcels(sim.world, platform, order.order_no)


def test_bad_payloads_and_shops_are_refused_with_what_is_wrong(
        sim: Simulator, monkeypatch: pytest.MonkeyPatch) -> None:
    shops = sim_shops(sim, monkeypatch)
    channel = PlatformShip(list(shops.values()))
    order = paid(sim, "jd")
    with pytest.raises(DeliveryError, match="tracking_no") as missing:
        channel.send({k: v for k, v in body(order).items() if k != "tracking_no"}, "k")
    assert not missing.value.retryable
    with pytest.raises(DeliveryError, match="no shop named 'nope'") as no_shop:
        channel.send(body(order, shop="nope"), "k")
    assert not no_shop.value.retryable
    with pytest.raises(DeliveryError, match="is a taobao shop"):
        channel.send(body(order, shop="sim-taobao"), "k")
    with pytest.raises(ShipRejected, match="JD ships whole orders") as split:
        channel.send(body(order, lines=[{"line_id": "1", "quantity": 1}]), "k")
    assert split.value.reason == "split_unsupported"
    two = PlatformShip([*shops.values(), shops["jd"].model_copy(update={"name": "jd-2"})])
    with pytest.raises(DeliveryError, match="2 jd shops"):
        two.send(body(order), "k")
    assert ship_calls(sim) == []


def test_the_platforms_refusal_codes_are_data_a_workspace_can_extend(
        sim: Simulator, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    shops = list(sim_shops(sim, monkeypatch).values())
    first, second = sorted((o for o in sim.world.orders["jd"].values() if o.status == "paid"),
                           key=lambda o: o.order_no)[:2]
    sim.request_refund("jd", first.order_no)
    sim.request_refund("jd", second.order_no)
    # no code table for JD: the refusal is understood by re-reading the order
    with pytest.raises(ShipRejected) as reread:
        PlatformShip(shops).send(body(first), "k1")
    assert reread.value.reason == "refunding"
    assert len(sim.calls("jd", "jingdong.pop.order.get")) == 1
    # once the shop has seen the code, the workspace says what it means
    (tmp_path / "ship_errors.yaml").write_text("jd:\n  sim.order-locked: refunding\n",
                                               encoding="utf-8")
    with pytest.raises(ShipRejected) as known:
        PlatformShip(shops, codes=ShipCodes.for_workspace(tmp_path)).send(body(second), "k2")
    assert known.value.reason == "refunding"
    assert len(sim.calls("jd", "jingdong.pop.order.get")) == 1
    (tmp_path / "ship_errors.yaml").write_text("jd:\n  sim.order-locked: refundin\n",
                                               encoding="utf-8")
    with pytest.raises(SourceErrors, match=r"ship_errors.yaml:2:\d+"):
        ShipCodes.for_workspace(tmp_path)


def test_the_carrier_table_reports_bad_rows_by_position_and_takes_workspace_rows(
        tmp_path: Path) -> None:
    path = tmp_path / "carriers.yaml"
    path.write_text("carriers:\n"
                    "  - {code: JTSD, name: 极兔速递, pdd: 384}\n"
                    "  - {code: ZTO, name: 中通快递, jd: 中通}\n"
                    "  - {code: JTSD, name: 极兔}\n", encoding="utf-8")
    with pytest.raises(SourceErrors) as bad:
        CarrierTable.for_workspace(tmp_path)
    text = str(bad.value)
    assert f"{path}:3:" in text and "jd" in text
    path.write_text("carriers:\n  - {code: JTSD, name: 极兔速递, pdd: 384}\n"
                    "  - {code: JTSD, name: 极兔}\n", encoding="utf-8")
    with pytest.raises(SourceErrors, match=r"carriers.yaml:3:\d+.*already given in row 0"):
        CarrierTable.for_workspace(tmp_path)
    path.write_text("carriers:\n  - {code: JTSD, name: 极兔速递, pdd: 384, douyin: jtexpress}\n",
                    encoding="utf-8")
    table = CarrierTable.for_workspace(tmp_path)
    assert table.platform_code("jtsd", "pdd") == 384
    assert table.platform_code("ZTO", "jd") == 1499  # built-in rows stay


def test_ship_error_codes_are_classified_before_the_platforms_generic_check(
        sim: Simulator, monkeypatch: pytest.MonkeyPatch) -> None:
    shops = sim_shops(sim, monkeypatch)
    codes = ShipCodes.load()

    def top(sub: str) -> dict[str, Any]:
        return {"error_response": {"code": 15, "msg": "Remote service error",
                                   "sub_code": f"isv.logistics-offline-service-error:{sub}"}}

    def dy(number: str) -> dict[str, Any]:
        return {"code": 50002, "msg": "业务处理失败",
                "sub_code": f"isv.business-failed:{number}"}

    taobao = precheck(make_client(shops["taobao"]), codes.table("taobao"))
    douyin = precheck(make_client(shops["douyin"]), codes.table("douyin"))
    for check, answer, expected in [
            (taobao, top("B150"), ServerError), (taobao, top("S01"), ServerError),
            (taobao, top("B04"), NeedsCheck), (taobao, top("B60"), ShipRefused),
            (taobao, top("X99"), NeedsCheck), (douyin, dy("60109"), ServerError),
            (douyin, dy("60040"), ShipRefused), (douyin, dy("60110"), NeedsCheck),
            (douyin, dy("61234"), NeedsCheck)]:
        with pytest.raises(expected):
            check(answer)
    assert ServerError("x").retryable and not NeedsCheck("x").retryable
    with pytest.raises(ShipRefused) as refunding:
        douyin(dy("60068"))
    assert refunding.value.reason == "refunding"
    taobao({"logistics_offline_send_response": {"shipping": {"is_success": True}}})


def test_a_platform_that_keeps_failing_leaves_the_message_to_retry_later(
        sim: Simulator, store: OrderStore, monkeypatch: pytest.MonkeyPatch) -> None:
    shops = sim_shops(sim, monkeypatch, all={"retries": 2})
    outbox = Outbox(store.engine)
    d = Dispatcher(outbox, ServiceConfig(send_concurrency=1),
                   platform_ship=PlatformShip(list(shops.values())))
    dead: list[Any] = []
    d.on_dead.append(lambda m, e: dead.append(m))
    order = paid(sim, "pdd")
    now = datetime.now(UTC)
    with store.engine.begin() as conn:
        conn.execute(insert(outbox_table).values(
            kind="platform_ship", idempotency_key="k", payload=body(order), status="pending",
            attempts=0, next_attempt_at=now, created_at=now))
    sim.set_faults(server_error=5, platforms=["pdd"])
    assert d.step() == 1
    message = outbox.list()[0]
    assert message.status == "pending" and "platform unavailable" in (message.last_error or "")
    assert dead == [] and not parcels(sim.world, "pdd", order.order_no)
    sim.set_faults(server_error=0)
    outbox.retry(message.id)
    assert d.step() == 1
    assert outbox.get(message.id).status == "sent"
    assert len(parcels(sim.world, "pdd", order.order_no)) == 1


def test_the_simulator_checks_ship_calls_like_any_other(
        sim: Simulator, monkeypatch: pytest.MonkeyPatch) -> None:
    shops = sim_shops(sim, monkeypatch)
    order = paid(sim, "taobao")
    client = make_client(shops["taobao"])
    with pytest.raises(RequestRejected, match="out_sid is required"):
        client.call("taobao.logistics.offline.send", {"tid": order.order_no,
                                                       "company_code": "ZTO"})
    with pytest.raises(RequestRejected, match="company_code XX"):
        client.call("taobao.logistics.offline.send", {"tid": order.order_no, "out_sid": "x",
                                                       "company_code": "XX"})
    monkeypatch.setenv("SIM_DOUYIN_SECRET", "not-the-secret")
    with pytest.raises(DeliveryError, match="authentication failed") as wrong:
        PlatformShip([shops["douyin"]]).send(body(paid(sim, "douyin")), "k")
    assert not wrong.value.retryable
    assert [e["error"] for e in ship_calls(sim)] == ["parameter", "parameter", "signature"]


def test_douyin_ships_part_of_a_lines_units_and_refuses_more_than_is_left(
        sim: Simulator, monkeypatch: pytest.MonkeyPatch) -> None:
    channel = PlatformShip(list(sim_shops(sim, monkeypatch).values()))
    order = next(o for o in sorted(sim.world.orders["douyin"].values(), key=lambda o: o.order_no)
                 if o.status == "paid" and any(i.qty >= 2 for i in o.items))
    line = next(i for i in order.items if i.qty >= 2)
    channel.send(body(order, lines=[{"line_id": line.line_id, "quantity": 1}],
                      shipment_id="P1"), "k1")
    assert order.status == "paid"
    with pytest.raises(ShipRejected) as too_many:
        channel.send(body(order, tracking_no="78000000000100", shipment_id="P2",
                          lines=[{"line_id": line.line_id, "quantity": line.qty}]), "k2")
    assert too_many.value.reason == "rejected" and "待发货" in str(too_many.value)
    rest = [{"line_id": i.line_id, "quantity": i.qty - (1 if i is line else 0)}
            for i in order.items]
    channel.send(body(order, tracking_no="78000000000101", shipment_id="P3", lines=rest), "k3")
    assert order.status == "shipped"
    assert [p.tracking_no for p in parcels(sim.world, "douyin", order.order_no)] == \
        ["78000000000099", "78000000000101"]
    sent = [e["params"] for e in ship_calls(sim) if e["error"] is None]
    assert sent[0]["shipped_order_info"] == [{"shipped_order_id": line.line_id,
                                              "shipped_num": 1}]
    assert sent[0]["request_id"] == "P1"


def test_the_simulator_puts_an_order_into_refunding_on_request(sim: Simulator) -> None:
    order = paid(sim, "pdd")
    answer = httpx.post(f"{sim.url}/_sim/refund",
                        json={"platform": "pdd", "order_no": order.order_no})
    assert answer.status_code == 200 and order.status == "refunding"
    missing = httpx.post(f"{sim.url}/_sim/refund", json={"platform": "pdd", "order_no": "0"})
    assert missing.status_code == 404


def test_taobao_refuses_to_ship_part_of_a_sub_orders_units(
        sim: Simulator, monkeypatch: pytest.MonkeyPatch) -> None:
    channel = PlatformShip(list(sim_shops(sim, monkeypatch).values()))
    order = next(o for o in sorted(sim.world.orders["taobao"].values(), key=lambda o: o.order_no)
                 if o.status == "paid" and any(i.qty >= 2 for i in o.items))
    line = next(i for i in order.items if i.qty >= 2)
    with pytest.raises(ShipRejected, match="ships whole sub-orders") as part:
        channel.send(body(order, lines=[{"line_id": line.line_id, "quantity": 1}]), "k")
    assert part.value.reason == "split_unsupported"
    assert ship_calls(sim) == [] and order.status == "paid"


def test_a_failing_on_dead_callback_does_not_stop_the_others_or_delivery(
        sim: Simulator, store: OrderStore, monkeypatch: pytest.MonkeyPatch) -> None:
    shops = sim_shops(sim, monkeypatch)
    outbox = Outbox(store.engine)
    d = Dispatcher(outbox, ServiceConfig(send_concurrency=1, max_attempts=1),
                   platform_ship=PlatformShip(list(shops.values())))
    seen: list[str] = []

    def broken(message: Any, exc: Any) -> None:
        raise RuntimeError("task system down")

    d.on_dead.extend([broken, lambda m, e: seen.append(m.payload["platform_order_no"])])
    refunding, good = sorted((o for o in sim.world.orders["pdd"].values()
                              if o.status == "paid"), key=lambda o: o.order_no)[:2]
    sim.request_refund("pdd", refunding.order_no)
    now = datetime.now(UTC)
    with store.engine.begin() as conn:
        for key, order in (("a", refunding), ("b", good)):
            conn.execute(insert(outbox_table).values(
                kind="platform_ship", idempotency_key=key, payload=body(order),
                status="pending", attempts=0, next_attempt_at=now, created_at=now))
    assert d.step() == 2
    assert seen == [refunding.order_no]
    assert outbox.backlog() == {"pending": 0, "sending": 0, "sent": 1, "dead": 1}
