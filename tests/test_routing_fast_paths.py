"""The routing nodes' shortcuts decide exactly what their full paths do.

The inventory node takes the first candidate without walking the plan when it has every line,
and the load-threshold node keeps a warehouse below its threshold without asking the load
book; both shortcuts are turned off here (``FAST_PATH``) and the same random orders are routed
both ways, against stock with holes and thresholds low enough that fallbacks, stock-outs,
diversions and hysteresis all happen: every result (warehouse, reasons, reservations,
actions, messages, trace) and the stock and load left must be the same."""

from __future__ import annotations

import random
import sys
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from flows_helpers import NOW  # noqa: E402

from orderhub.config import default_warehouses  # noqa: E402
from orderhub.engine.routing import (  # noqa: E402
    Router,
    RoutingState,
    StockLevels,
    load_flow_text,
    load_flows,
)
from orderhub.engine.routing.nodes import inventory, threshold  # noqa: E402
from orderhub.geo import default_geo  # noqa: E402
from orderhub.model import LineItem, Order, Receiver  # noqa: E402

FLOWS = Path(__file__).resolve().parent.parent / "flows"
SKUS = [f"S{i}" for i in range(8)] + ["COLD1", "COLD2"]

#: the peer benchmark's shape: a table of candidates, then the nearest, no hysteresis
PLAN_FLOW = """
name: plan
trigger: {event: paid}
start: cold
nodes:
  cold:
    type: decision
    cases: [{when: "any item in items: item.cold_chain", goto: cold_stock}]
    default: region
  cold_stock: {type: inventory, candidates: [SH-COLD], out_of_stock: hold, next: to_cold}
  to_cold: {type: assign, warehouse: SH-COLD}
  region: {type: geofence, unknown: hold, next: stock}
  stock: {type: inventory, then_nearest: true, out_of_stock: hold, next: load}
  load: {type: load_threshold, hysteresis: 0, next: assign}
  assign: {type: assign}
  hold: {type: hold, name: no_warehouse}
"""


def _orders(n: int, seed: int) -> list[Order]:
    rng = random.Random(seed)
    cities = [(c.province, c.name) for c in default_geo().cities()]
    out = []
    for i in range(n):
        province, city = rng.choice(cities)
        if rng.random() < 0.03:
            province, city = None, None  # no region: the geofence's unknown path
        lines = [(rng.choice(SKUS[:8]), rng.randint(1, 4)) for _ in range(rng.randint(1, 3))]
        if rng.random() < 0.1:
            lines.append((rng.choice(SKUS[8:]), 1))
        out.append(Order(
            id=f"01FAST{seed:04d}{i:016d}", platform="taobao", platform_order_no=str(i),
            status="paid", created_at=NOW, paid_at=NOW,
            receiver=Receiver(province=province, city=city, address="某路1号"),
            items=[LineItem(sku=s, quantity=q, attributes={"cold_chain": s.startswith("COLD")})
                   for s, q in lines]))
    return out


def _state(seed: int) -> RoutingState:
    rng = random.Random(seed)
    codes = [w.code for w in default_warehouses()]
    stock = StockLevels((w, s, 0 if rng.random() < 0.2 else rng.randint(1, 60), 0)
                        for w in codes for s in SKUS)
    state = RoutingState(stock)
    for w in codes:
        state.load.pending[w] = rng.randint(0, 58)
    # diverting from an earlier batch: some stay so (above the lower mark), some stop
    state.load.diverting = set(rng.sample(codes, 3))
    return state


def _load(which: str, fast: bool, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setattr(inventory, "FAST_PATH", fast)
    monkeypatch.setattr(threshold, "FAST_PATH", fast)
    warehouses = [w.model_copy(update={"daily_threshold": 60}) for w in default_warehouses()]
    if which == "article":
        return load_flows(FLOWS, warehouses=warehouses)
    return load_flow_text(PLAN_FLOW, warehouses=warehouses)


def _run(flows: Any, orders: list[Order], seed: int, trace: bool) -> tuple[list[Any], Any]:
    state = _state(seed)
    router = Router(flows, state, now=NOW, trace=trace)
    results = router.route_many(orders)
    out = [(r.as_json(trace=trace), r.reserved) for r in results]
    left = (state.stock.rows(), sorted(state.stock.changed), dict(state.load.pending),
            sorted(state.load.diverting))
    return out, left


@pytest.mark.parametrize("which", ["article", "plan"])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_shortcuts_decide_what_the_full_paths_do(which: str, seed: int,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    orders = _orders(600, seed)
    fast, full = _load(which, True, monkeypatch), _load(which, False, monkeypatch)
    for trace in (True, False):
        got, want = _run(fast, orders, seed, trace), _run(full, orders, seed, trace)
        assert got == want
    # the runs saw every path the shortcuts skip
    results = Router(fast, _state(seed), now=NOW).route_many(orders)
    assert sum(r.diverted_from is not None for r in results) >= 3
    assert sum(r.stockout for r in results) > 5
    assert sum(any("ships it" in x for x in r.reasons) for r in results) > 5


def test_reasons_are_the_same_with_and_without_a_trace(monkeypatch: pytest.MonkeyPatch) -> None:
    """Nodes skip what only a trace shows; what the result says must not change."""
    flows = _load("article", True, monkeypatch)
    orders = _orders(600, 9)
    with_trace, _ = _run(flows, orders, 9, True)
    without, _ = _run(flows, orders, 9, False)
    for (a, ra), (b, rb) in zip(with_trace, without, strict=True):
        a.pop("trace", None)
        assert (a, ra) == (b, rb)
