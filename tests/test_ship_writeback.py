"""Shipping written back to the platforms: ``platform_ship`` outbox messages delivered by the real
Dispatcher through the simulator (a real HTTP server on 127.0.0.1), then pulled back into the
store, on SQLite and PostgreSQL."""

from __future__ import annotations

import importlib.util
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import insert, update

from orderhub.config import Workspace
from orderhub.connectors.pull import pull_shop
from orderhub.connectors.shops import ShopConfig
from orderhub.service.channels import DeliveryError, ShipRejected
from orderhub.service.config import ServiceConfig
from orderhub.service.dispatcher import Dispatcher
from orderhub.service.outbox import Outbox, OutboxMessage
from orderhub.service.schema import outbox as outbox_table
from orderhub.service.ship_channel import PlatformShip
from orderhub.simulator import Simulator
from orderhub.simulator.shipping import parcels
from orderhub.store import OrderStore
from orderhub.synth.logical import LogicalOrder

_spec = importlib.util.spec_from_file_location(
    "service_support", Path(__file__).with_name("service_support.py"))
sup = importlib.util.module_from_spec(_spec)  # type: ignore[arg-type]
_spec.loader.exec_module(sup)  # type: ignore[union-attr]

PLATFORMS = ["taobao", "jd", "pdd", "douyin"]
#: what each platform's order API says of a shipped order (platforms.md section 6)
SHIPPED_STATUS = {"taobao": "WAIT_BUYER_CONFIRM_GOODS", "jd": "WAIT_GOODS_RECEIVE_CONFIRM",
                  "pdd": "2", "douyin": "3"}


@pytest.fixture
def sim():  # type: ignore[no-untyped-def]
    with Simulator(seed=21, orders=60, history_hours=2) as s:
        yield s


def sim_shops(sim: Simulator, monkeypatch: pytest.MonkeyPatch,
              **settings: Any) -> dict[str, ShopConfig]:
    env: dict[str, str] = {}
    shops = sim.shops(env, all={"window": {"initial_hours": 3}, **settings})
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return {s.platform: s for s in shops}


def paid_order(sim: Simulator, platform: str, *, lines: int = 1, skip: int = 0) -> LogicalOrder:
    found = [o for o in sim.world.orders[platform].values()
             if o.status == "paid" and len(o.items) >= lines]
    return sorted(found, key=lambda o: o.order_no)[skip]


def payload(order: LogicalOrder, tracking: str, *, carrier: str = "ZTO", shop: str | None = None,
            lines: list[dict[str, Any]] | None = None, shipment: str = "SHP-1") -> dict[str, Any]:
    return {"shop": shop, "platform": order.platform, "platform_order_no": order.order_no,
            "carrier": carrier, "tracking_no": tracking, "lines": lines,
            "shipment_id": f"{shipment}-{order.order_no}"}


def enqueue(store: OrderStore, body: dict[str, Any], key: str) -> int:
    now = datetime.now(UTC)
    with store.engine.begin() as conn:
        result = conn.execute(insert(outbox_table).values(
            kind="platform_ship", idempotency_key=key, order_id=None, payload=body,
            status="pending", attempts=0, next_attempt_at=now, created_at=now))
        return int(result.inserted_primary_key[0])


def dispatcher(store: OrderStore, shops: dict[str, ShopConfig], **kwargs: Any) -> Dispatcher:
    channel = PlatformShip(list(shops.values()), **kwargs)
    return Dispatcher(Outbox(store.engine), ServiceConfig(send_concurrency=1),
                      platform_ship=channel)


def deliver(d: Dispatcher) -> None:
    while d.step():
        pass


def pull_later(sim: Simulator, store: OrderStore, shop: ShopConfig) -> Any:
    """The next scheduled pull: the platform's clock moved on past the pull's lag."""
    sim.world.clock.advance(600)
    until = datetime.fromtimestamp(sim.world.clock.now() - 200, UTC)  # the platforms' "now"
    return pull_shop(store, shop, until=until)


def test_a_shipment_of_each_platform_is_written_back_once_and_pulled_as_shipped(
        sim: Simulator, store: OrderStore, monkeypatch: pytest.MonkeyPatch) -> None:
    shops = sim_shops(sim, monkeypatch)
    d = dispatcher(store, shops)
    outbox = Outbox(store.engine)
    orders = {p: paid_order(sim, p) for p in PLATFORMS}
    tracking = {p: f"7{i}0000012345{i}" for i, p in enumerate(PLATFORMS)}
    for p in PLATFORMS:
        pull_shop(store, shops[p])
        assert store.get(f"{p}:{orders[p].order_no}").status == "paid"
        enqueue(store, payload(orders[p], tracking[p]), f"ship:{p}")
    deliver(d)
    assert outbox.backlog() == {"pending": 0, "sending": 0, "sent": 4, "dead": 0}

    for p in PLATFORMS:
        pull_later(sim, store, shops[p])
        got = store.get(f"{p}:{orders[p].order_no}")
        assert got.status == "shipped" and got.tracking_no == tracking[p], p
        assert str(got.platform_status) == SHIPPED_STATUS[p]
    raw = {p: store.get(f"{p}:{orders[p].order_no}").raw for p in PLATFORMS}
    lines = raw["taobao"]["orders"]["order"]
    assert {(x["invoice_no"], x["logistics_company"]) for x in lines} == \
        {(tracking["taobao"], "中通快递")}
    assert raw["jd"]["waybill"] == tracking["jd"]
    assert raw["pdd"]["order_status"] == 2 and raw["pdd"]["tracking_number"] == tracking["pdd"]
    assert [(x["tracking_no"], x["company"]) for x in raw["douyin"]["logistics_info"]] == \
        [(tracking["douyin"], "zhongtong")]
    sent = {e["platform"]: e["params"] for e in sim.requests if e.get("api") in (
        "taobao.logistics.offline.send", "jingdong.pop.order.shipment",
        "pdd.logistics.online.send", "order.logisticsAdd")}
    assert sent["taobao"]["company_code"] == "ZTO"
    assert sent["jd"]["logiCoprId"] == "1499" and sent["pdd"]["logistics_id"] == "115"
    assert sent["douyin"]["company_code"] == "zhongtong"

    # the same message again (a crash after sending, before recording it) and a second message
    # for the same shipment: both succeed and nothing changes on the platforms
    with store.engine.begin() as conn:
        conn.execute(update(outbox_table).values(status="pending",
                                                 next_attempt_at=datetime.now(UTC)))
    for p in PLATFORMS:
        enqueue(store, payload(orders[p], tracking[p]), f"ship-again:{p}")
    changes = sim.world.changes
    deliver(d)
    assert outbox.backlog() == {"pending": 0, "sending": 0, "sent": 8, "dead": 0}
    assert sim.world.changes == changes
    assert all(len(parcels(sim.world, p, orders[p].order_no)) == 1 for p in PLATFORMS)
    for p in PLATFORMS:
        assert pull_later(sim, store, shops[p]).updated == 0, p


def test_a_refunding_order_is_refused_and_its_message_goes_dead_with_on_dead_told(
        sim: Simulator, store: OrderStore, monkeypatch: pytest.MonkeyPatch) -> None:
    shops = sim_shops(sim, monkeypatch)
    d = dispatcher(store, shops)
    told: list[tuple[OutboxMessage, DeliveryError]] = []
    d.on_dead.append(lambda message, exc: told.append((message, exc)))
    orders = {p: paid_order(sim, p) for p in PLATFORMS}
    ids = {}
    for p in PLATFORMS:
        sim.request_refund(p, orders[p].order_no)
        ids[p] = enqueue(store, payload(orders[p], "78000000000001"), f"ship:{p}")
    deliver(d)

    outbox = Outbox(store.engine)
    assert outbox.backlog()["dead"] == 4
    assert sorted(m.id for m, _ in told) == sorted(ids.values())
    for message, exc in told:
        assert isinstance(exc, ShipRejected) and exc.reason == "refunding", exc
        assert message.status == "dead" and message.attempts == 1
        assert "refunding" in (outbox.get(message.id).last_error or "")
    assert all(not parcels(sim.world, p, orders[p].order_no) for p in PLATFORMS)
    refusals = {e["platform"]: e["error"] for e in sim.requests if e.get("error")}
    assert refusals == {"taobao": "ship:B04", "pdd": "ship:sim.order-refunding",
                        "douyin": "ship:60040"}  # JD refuses inside a successful answer
    for p in PLATFORMS:
        assert pull_later(sim, store, shops[p]).rejected == 0
        assert store.get(f"{p}:{orders[p].order_no}").status == "refunding"


@pytest.mark.parametrize("platform", ["taobao", "douyin"])
def test_a_split_shipment_ships_some_lines_now_and_the_rest_later(
        platform: str, sim: Simulator, store: OrderStore,
        monkeypatch: pytest.MonkeyPatch) -> None:
    shops = sim_shops(sim, monkeypatch)
    d = dispatcher(store, shops)
    order = paid_order(sim, platform, lines=2)
    first, rest = order.items[0], order.items[1:]
    part = payload(order, "78111111111111", lines=[{"line_id": first.line_id,
                                                    "quantity": first.qty}], shipment="A")
    enqueue(store, part, "ship:A")
    deliver(d)
    pull_later(sim, store, shops[platform])
    got = store.get(f"{platform}:{order.order_no}")
    assert got.status == "paid"  # a partial shipment stays paid until everything ships
    if platform == "taobao":
        assert got.platform_status == "SELLER_CONSIGNED_PART"
        lines = {x["oid_str"]: x.get("invoice_no") for x in got.raw["orders"]["order"]}
        assert lines == {first.line_id: "78111111111111",
                         **{i.line_id: None for i in rest}}
        sub_tid = [e["params"] for e in sim.requests
                   if e.get("api") == "taobao.logistics.offline.send"][0]
        assert sub_tid["is_split"] == "1" and sub_tid["sub_tid"] == first.line_id
    else:
        assert str(got.platform_status) == "101"
        assert [x["tracking_no"] for x in got.raw["logistics_info"]] == ["78111111111111"]

    # the first parcel again, under a new message: nothing more ships
    enqueue(store, part, "ship:A-again")
    deliver(d)
    assert len(parcels(sim.world, platform, order.order_no)) == 1

    enqueue(store, payload(order, "78222222222222", shipment="B", lines=[
        {"line_id": i.line_id, "quantity": i.qty} for i in rest]), "ship:B")
    deliver(d)
    assert Outbox(store.engine).backlog() == {"pending": 0, "sending": 0, "sent": 3, "dead": 0}
    pull_later(sim, store, shops[platform])
    got = store.get(f"{platform}:{order.order_no}")
    assert got.status == "shipped"
    if platform == "taobao":
        lines = {x["oid_str"]: x.get("invoice_no") for x in got.raw["orders"]["order"]}
        assert lines == {first.line_id: "78111111111111",
                         **{i.line_id: "78222222222222" for i in rest}}
    else:
        assert [x["tracking_no"] for x in got.raw["logistics_info"]] == \
            ["78111111111111", "78222222222222"]


def test_the_service_delivers_shipments_with_the_workspaces_shops_and_carriers(
        sim: Simulator, db_url: str, tmp_path: Path) -> None:
    """``orderhub run`` (a real child process) builds the channel from orderhub.yaml's shops
    and the workspace's carriers.yaml."""
    env: dict[str, str] = {}
    shops = sim.shops(env)
    ws = sup.write_workspace(tmp_path / "ws", db_url)
    config = json.loads((ws / "orderhub.yaml").read_text(encoding="utf-8"))
    config["shops"] = [s.model_dump(mode="json", exclude_defaults=True) for s in shops]
    (ws / "orderhub.yaml").write_text(json.dumps(config, ensure_ascii=False), encoding="utf-8")
    (ws / "carriers.yaml").write_text(
        "carriers:\n  - {code: ZTO2, name: 中通快递(二部), douyin: zhongtong}\n", encoding="utf-8")
    store = Workspace.load(ws).store
    good, refunding = paid_order(sim, "douyin"), paid_order(sim, "douyin", skip=1)
    sim.request_refund("douyin", refunding.order_no)
    enqueue(store, payload(good, "78333333333333", carrier="ZTO2", shop="sim-douyin"), "a")
    enqueue(store, payload(refunding, "78444444444444", carrier="ZTO2"), "b")
    proc = sup.spawn(ws, "run", "--no-schedules", "--exit-when-idle", "0.5", env=env)
    assert proc.wait(timeout=90) == 0
    outbox = Outbox(store.engine)
    assert outbox.backlog() == {"pending": 0, "sending": 0, "sent": 1, "dead": 1}
    (dead,) = outbox.list(status="dead")
    assert dead.payload["platform_order_no"] == refunding.order_no
    assert "refunding" in (dead.last_error or "")
    (parcel,) = parcels(sim.world, "douyin", good.order_no)
    assert (parcel.company, parcel.tracking_no) == ("zhongtong", "78333333333333")
    store.engine.dispose()
