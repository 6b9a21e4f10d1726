"""The article's flow (flows/routing.yaml) routes orders the way a person expects."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from flows_helpers import NOW, full_stock, order  # noqa: E402

from orderhub.engine.routing import (  # noqa: E402
    Router,
    RoutingState,
    StockLevels,
    load_flows,
    route_orders,
)

FLOWS = Path(__file__).resolve().parent.parent / "flows"


@pytest.fixture(scope="module")
def flows():  # type: ignore[no-untyped-def]
    return load_flows(FLOWS)


@pytest.mark.parametrize(("province", "city", "warehouse"), [
    ("广东省", "广州市", "GZ"),
    ("广东省", "深圳市", "GZ"),
    ("浙江省", "杭州市", "SH"),
    ("北京市", "北京市", "BJ"),
    ("黑龙江省", "哈尔滨市", "BJ"),
    ("四川省", "成都市", "CD"),
    ("湖北省", "武汉市", "WH"),
    ("新疆维吾尔自治区", "乌鲁木齐市", "CD"),
])
def test_orders_go_to_their_regions_warehouse(flows, province, city, warehouse) -> None:  # type: ignore[no-untyped-def]
    (r,) = route_orders([order(province, city)], flows, full_stock(), now=NOW)
    assert r.warehouse == warehouse, r.reasons
    assert r.flow == "routing"
    assert r.path[:5] == ["cold_chain", "region", "primary_warehouse", "stock", "load"]


def test_address_text_alone_is_enough(flows) -> None:  # type: ignore[no-untyped-def]
    o = order(None, None, address="广东省广州市天河区体育西路100号")
    (r,) = route_orders([o], flows, full_stock(), now=NOW)
    assert r.warehouse == "GZ"
    assert "address text" in "\n".join(r.trace.lines())


@pytest.mark.parametrize(("province", "city"), [("广东省", "广州市"), ("西藏自治区", "拉萨市"),
                                                ("北京市", "北京市")])
def test_cold_chain_goes_to_the_shanghai_cold_warehouse_from_anywhere(  # type: ignore[no-untyped-def]
        flows, province, city) -> None:
    (r,) = route_orders([order(province, city, ("CRAB", 1), ("TOWEL", 1))], flows, full_stock(),
                        now=NOW)
    assert r.warehouse == "SH-COLD"
    assert r.path[:3] == ["cold_chain", "cold_stock", "to_cold_warehouse"]
    assert any("冷链" in reason for reason in r.reasons)
    assert [m.channel for m in r.messages][:1] == ["wms"]


def test_cold_chain_without_cold_stock_waits_on_a_no_stock_hold(flows) -> None:  # type: ignore[no-untyped-def]
    stock = full_stock()
    stock[("SH-COLD", "CRAB")] = 0  # every ordinary warehouse has crabs: none may ship them
    (r,) = route_orders([order("上海市", "上海市", ("CRAB", 1))], flows, stock, now=NOW)
    assert r.warehouse is None and r.stockout and not r.reserved
    assert [(a.kind, a.params.get("target")) for a in r.actions] == [
        ("hold", "no_stock"), ("task", None)]
    assert not any(m.channel == "wms" for m in r.messages)
    step = next(s for s in r.trace.steps if s.node == "cold_stock")
    assert step.considered == [("SH-COLD", False, "out of stock: CRAB need 1, none available")]


def test_out_of_stock_first_choice_falls_back(flows) -> None:  # type: ignore[no-untyped-def]
    stock = full_stock()
    stock[("GZ", "PILLOW")] = 1
    (r,) = route_orders([order("广东省", "广州市", ("PILLOW", 2))], flows, stock, now=NOW)
    assert r.warehouse == "WH"  # the table's fallback for 华南
    step = next(s for s in r.trace.steps if s.node == "stock")
    assert step.considered[0] == ("GZ", False, "out of stock: PILLOW need 2, 1 available")
    assert step.considered[1][:2] == ("WH", True)


def test_nothing_in_stock_holds_the_order_and_asks_purchasing(flows) -> None:  # type: ignore[no-untyped-def]
    (r,) = route_orders([order("广东省", "广州市", ("PILLOW", 1))], flows, {}, now=NOW)
    assert r.warehouse is None and r.stockout
    assert [a.kind for a in r.actions] == ["hold", "task"]
    assert r.actions[0].params == {"target": "no_stock"}


def test_after_the_threshold_orders_go_to_the_nearest_warehouse_below_it(flows) -> None:  # type: ignore[no-untyped-def]
    # GZ is at its threshold (500); WH (Wuhan) is nearer to Guangzhou than SH, BJ or CD
    results = route_orders([order("广东省", "广州市")], flows, full_stock(),
                           load={"GZ": 500}, now=NOW)
    r = results[0]
    assert r.warehouse == "WH" and r.diverted_from == "GZ"
    assert "diverted" in " ".join(r.reasons)
    # the lead of the receiving warehouse is told on WeCom
    wecom = [m for m in r.messages if m.channel == "wecom"]
    assert len(wecom) == 1 and "武汉仓" in wecom[0].payload["markdown"]["content"]
    assert "<@zhou.huazhong>" in wecom[0].payload["markdown"]["content"]


def test_divert_skips_busy_and_empty_warehouses(flows) -> None:  # type: ignore[no-untyped-def]
    stock = full_stock()
    stock[("WH", "TOWEL")] = 0
    (r,) = route_orders([order("广东省", "广州市")], flows, stock,
                        load={"GZ": 600, "CD": 500}, now=NOW)
    step = next(s for s in r.trace.steps if s.node == "load")
    verdicts = {w: ok for w, ok, _ in step.considered}
    assert verdicts["WH"] is False  # out of stock
    assert r.warehouse == "SH"  # next nearest to Guangzhou with stock and room
    assert verdicts.get("CD") is None or verdicts["CD"] is False


def test_the_order_that_reaches_the_threshold_is_the_first_diverted(flows) -> None:  # type: ignore[no-untyped-def]
    state = RoutingState(StockLevels.from_mapping(full_stock(10_000)))
    state.load.pending["GZ"] = 498
    router = Router(flows, state, now=NOW)
    got = [router.route(order("广东省", "广州市")).warehouse for _ in range(4)]
    assert got == ["GZ", "GZ", "WH", "WH"]


def test_hysteresis_keeps_diverting_until_load_falls_below_the_low_mark(flows) -> None:  # type: ignore[no-untyped-def]
    state = RoutingState(StockLevels.from_mapping(full_stock(10_000)))
    state.load.pending["GZ"] = 500
    router = Router(flows, state, now=NOW)
    assert router.route(order("广东省", "广州市")).warehouse == "WH"
    state.load.pending["GZ"] = 480  # some shipped; still above 450 (threshold x 0.9)
    assert router.route(order("广东省", "广州市")).warehouse == "WH"
    state.load.pending["GZ"] = 449
    assert router.route(order("广东省", "广州市")).warehouse == "GZ"


def test_assignment_reserves_stock_and_counts_load(flows) -> None:  # type: ignore[no-untyped-def]
    state = RoutingState(StockLevels.from_mapping({("GZ", "TOWEL"): 3, ("WH", "TOWEL"): 5}))
    router = Router(flows, state, now=NOW)
    got = [router.route(order("广东省", "广州市", ("TOWEL", 2))).warehouse for _ in range(3)]
    assert got == ["GZ", "WH", "WH"]
    assert state.stock.available("GZ", "TOWEL") == 1
    assert state.stock.available("WH", "TOWEL") == 1
    assert state.load.pending == {"GZ": 1, "WH": 2}


def test_route_orders_does_not_change_the_given_stock(flows) -> None:  # type: ignore[no-untyped-def]
    stock = StockLevels.from_mapping(full_stock(5))
    route_orders([order()], flows, stock, now=NOW)
    assert stock.available("GZ", "TOWEL") == 5


def test_unpaid_or_refunding_orders_are_not_routed(flows) -> None:  # type: ignore[no-untyped-def]
    (r,) = route_orders([order(status="pending_payment")], flows, full_stock(), now=NOW)
    assert r.flow is None and r.warehouse is None
    assert "no flow is triggered by 'created'" in r.reasons[0]


def test_unknown_address_becomes_a_task_and_a_hold(flows) -> None:  # type: ignore[no-untyped-def]
    (r,) = route_orders([order(None, None, address="门口")], flows, full_stock(), now=NOW)
    assert r.warehouse is None
    assert [(a.kind, a.params.get("queue") or a.params.get("target")) for a in r.actions] == \
        [("task", "cs"), ("hold", "address_unknown")]


def test_outputs_are_queued_as_data(flows) -> None:  # type: ignore[no-untyped-def]
    (r,) = route_orders([order("广东省", "广州市", ("TOWEL", 2))], flows, full_stock(), now=NOW)
    channels = [m.channel for m in r.messages]
    assert channels == ["wms", "pick_list"]
    wms = r.messages[0].payload
    assert wms["type"] == "order" and wms["warehouse"] == "GZ"
    assert wms["items"] == [{"line_id": None, "sku": "TOWEL", "title": "TOWEL",
                             "properties": None, "quantity": 2}]


def test_as_json_has_the_dry_run_keys_and_trace_explains_every_step(flows) -> None:  # type: ignore[no-untyped-def]
    (r,) = route_orders([order("广东省", "广州市")], flows, full_stock(), now=NOW)
    doc = r.as_json(trace=True)
    assert {"flow", "warehouse", "path", "reasons"} <= doc.keys()
    assert doc["version"] == r.version and len(r.version) == 12
    steps = doc["trace"]["steps"]
    assert [s["node"] for s in steps] == r.path
    region = next(s for s in steps if s["node"] == "region")
    assert region["values"] == {"region": "华南"}
    assert "广东省 广州市 is in 华南" in region["why"]


def test_shortages_are_said_in_words_never_as_a_negative_count(flows) -> None:  # type: ignore[no-untyped-def]
    from orderhub.engine.routing import StockLevels

    # GZ has 2 pillows on hand and 25 reserved: none available, not "have -23"
    rows = [(w, s, n, 0) for (w, s), n in full_stock().items() if (w, s) != ("GZ", "PILLOW")]
    stock = StockLevels([*rows, ("GZ", "PILLOW", 2, 25)])
    (r,) = route_orders([order("广东省", "广州市", ("PILLOW", 4))], flows, stock, now=NOW)
    step = next(s for s in r.trace.steps if s.node == "stock")
    assert step.considered[0] == ("GZ", False, "out of stock: PILLOW need 4, none available")
    assert "-23" not in " ".join(r.reasons)
