"""orderhub on the peer routing benchmark (``../shared/bench/peers/routing_bench.py``).

    python ../shared/bench/peers/routing_bench.py --n 100000 \\
        --engine bench/routing_adapter.py:OrderhubRouter

The bench's flow, wired as a user of orderhub would: the world's warehouses become the
``warehouses:`` of a config (their coordinates as ``location``, their daily thresholds), and the
flow is a YAML file like ``flows/routing.yaml``: cold chain -> SH-COLD (the bench's rule: no
stock check), else a decision table from province to the region's candidates, an ``inventory``
node over them then the nearest warehouses, a ``load_threshold`` node (no hysteresis: the
bench diverts at its threshold exactly), and ``assign``.  A province the world gives no region
is held, as are orders no warehouse can ship.  Stock and load live in orderhub's
:class:`RoutingState`; routing stays in memory (the bench writes nothing).

The bench's orders are plain dicts: ``route_all`` turns each into an :class:`Order` (built
without re-validation, as a trusted in-process source may) with its SKUs folded onto the world's
catalog, and that is timed with the routing.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from collections import defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT.parent) not in sys.path:  # the repository root is the orderhub package
    sys.path.insert(0, str(ROOT.parent))

from pydantic import BaseModel  # noqa: E402

from orderhub.engine.routing import Router, RoutingState, StockLevels, load_flows  # noqa: E402
from orderhub.engine.routing.warehouses import Network, WarehouseConfig  # noqa: E402
from orderhub.gcpause import paused_gc  # noqa: E402
from orderhub.model import LineItem, Order, Receiver  # noqa: E402

#: Where the bench's warehouses are (their names in the config; distances use the world's
#: coordinates, given as each warehouse's ``location``).
PLACES = {"SH-COLD": ("上海市", "上海市"), "SH": ("上海市", "上海市"), "GZ": ("广东省", "广州市"),
          "BJ": ("北京市", "北京市"), "CD": ("四川省", "成都市"), "WH": ("湖北省", "武汉市")}
COLD = "cold_chain"


def flow_yaml(world: dict[str, Any]) -> str:
    """The bench's flow as an orderhub flow file (JSON is YAML)."""
    cold = next(code for code, w in world["warehouses"].items() if w["cold_only"])
    by_region: dict[str, list[str]] = defaultdict(list)
    for province, region in world["regions"].items():
        by_region[region].append(province)
    rows = [{"when": {"province": provinces},
             "then": {"warehouses": world["candidates"][region], "served": True}}
            for region, provinces in by_region.items()]
    nodes = {
        "cold_chain": {"type": "decision", "default": "plan", "cases": [
            {"when": "any item in items: item.cold_chain", "goto": "to_cold"}]},
        "to_cold": {"type": "assign", "warehouse": cold},
        "plan": {"type": "decision_table", "hit": "unique",
                 "inputs": {"province": "receiver.province"}, "rows": rows,
                 "default": {"warehouses": [], "served": False}, "next": "served"},
        "served": {"type": "decision", "default": "stock", "cases": [
            {"when": "not served", "goto": "hold"}]},
        "stock": {"type": "inventory", "candidates": "warehouses", "then_nearest": True,
                  "out_of_stock": "hold", "next": "load"},
        "load": {"type": "load_threshold", "hysteresis": 0, "next": "assign"},
        "assign": {"type": "assign"},
        "hold": {"type": "hold", "name": "no_warehouse"},
    }
    return json.dumps({"name": "peer_routing", "trigger": {"event": "paid"},
                       "start": "cold_chain", "nodes": nodes}, ensure_ascii=False, indent=1)


def warehouses(world: dict[str, Any]) -> list[WarehouseConfig]:
    out = []
    for code, w in world["warehouses"].items():
        province, city = PLACES.get(code, ("上海市", "上海市"))
        out.append(WarehouseConfig(code=code, name=code, province=province, city=city,
                                   location=(w["lat"], w["lon"]),
                                   capabilities=[COLD] if w["cold_only"] else [],
                                   daily_threshold=world["thresholds"][code]))
    return out


class OrderhubRouter:
    name = "orderhub (flow YAML, compiled)"

    def setup(self, world: dict[str, Any]) -> None:
        self.csku = world["catalog_sku"]
        network = Network(warehouses(world))
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "peer_routing.yaml"
            path.write_text(flow_yaml(world), encoding="utf-8")
            flows = load_flows(path, network=network)
        stock = StockLevels((w, s, n, 0) for (w, s), n in world["stock"].items())
        self.router = Router(flows, RoutingState(stock), trace=False)
        self._lines: dict[tuple[str, int, bool], LineItem] = {}
        self._receivers: dict[str, Receiver] = {}

    def route_all(self, orders: list[dict[str, Any]]) -> list[tuple[str, str, str | None]]:
        route, order_of = self.router.route, self._order
        out = []
        with paused_gc():
            for o in orders:
                r = route(order_of(o), "paid")
                out.append((o["order_id"], r.warehouse or "HOLD", r.diverted_from))
        return out

    def _order(self, o: dict[str, Any]) -> Order:
        """The bench's order as an :class:`Order`, SKUs folded onto the world's catalog: a
        validated prototype with the order's values put in (the dicts are the bench's own,
        already valid; validating each again would cost more than routing it).  Lines and
        receivers are shared between orders that have the same ones: routing reads them and
        never changes them."""
        csku, lines, receivers = self.csku, self._lines, self._receivers
        items = []
        for i in o["items"]:
            key = (csku(i["sku"]), i["qty"], i["cold_chain"])
            line = lines.get(key)
            if line is None:
                line = lines[key] = _clone(_COLD_ITEM if key[2] else _ITEM,
                                           {"sku": key[0], "quantity": key[1]})
            items.append(line)
        province = o["receiver_province"]
        receiver = receivers.get(province)
        if receiver is None:
            receiver = receivers[province] = _clone(_RECEIVER, {"province": province})
        # _clone(_ORDER, ...) written out: one of these per routed order
        order = _new_order(Order)
        fields = _ORDER_FIELDS.copy()
        fields["id"] = fields["platform_order_no"] = o["order_id"]
        fields["items"] = items
        fields["receiver"] = receiver
        _set_dict(order, fields)
        _set_fields(order, _ORDER_SET)
        _set_extra(order, None)
        _set_private(order, None)
        return order


#: pydantic's instance slots, set through their descriptors (``object.__setattr__`` looks
#: each one up by name first: a third of building an order here)
_SLOTS = BaseModel.__dict__
_set_dict, _set_fields, _set_extra, _set_private = (
    _SLOTS[n].__set__ for n in ("__dict__", "__pydantic_fields_set__", "__pydantic_extra__",
                                "__pydantic_private__"))


def _clone(proto: Any, values: dict[str, Any]) -> Any:
    """A copy of the pydantic model ``proto`` with ``values`` in place of its own."""
    new = proto.__class__.__new__(proto.__class__)
    fields = proto.__dict__.copy()
    fields.update(values)
    _set_dict(new, fields)
    _set_fields(new, proto.__pydantic_fields_set__)
    _set_extra(new, proto.__pydantic_extra__)
    _set_private(new, proto.__pydantic_private__)
    return new


_ORDER = Order.model_validate({"platform": "taobao", "platform_order_no": "-", "status": "paid",
                               "created_at": "2024-06-18T00:00:00+08:00", "items": []})
_RECEIVER = Receiver()
_ITEM = LineItem(sku="-", quantity=1)
_COLD_ITEM = LineItem(sku="-", quantity=1, attributes={COLD: True})
_new_order = Order.__new__
_ORDER_FIELDS = _ORDER.__dict__
_ORDER_SET = _ORDER.__pydantic_fields_set__
assert _ORDER.__pydantic_extra__ is None and _ORDER.__pydantic_private__ is None


#: the peer benchmarks: ../shared/bench/peers beside the checkout, or $ORDERHUB_PEERS
PEERS = Path(os.environ.get("ORDERHUB_PEERS") or ROOT.parent / "shared" / "bench" / "peers")


def main() -> None:
    """``python bench/routing_adapter.py [N] [ROUNDS]``: the peer bench's hand-written router
    and this adapter on the same orders, taking turns ROUNDS times, timed in CPU seconds of
    this process (steadier than wall time on a shared machine); prints the best of each and
    their ratio, and fails if any warehouse differs."""
    import time

    if not (PEERS / "routing_bench.py").is_file():
        raise SystemExit(
            "bench/routing_adapter.py plugs orderhub into the peer routing benchmark, "
            f"routing_bench.py, expected in {PEERS} (../shared/bench/peers beside this "
            "checkout); this clone has no ../shared. Run it from the project's working copy:\n"
            "    python ../shared/bench/peers/routing_bench.py --n 100000 "
            "--engine bench/routing_adapter.py:OrderhubRouter")
    sys.path.insert(0, str(PEERS))
    import routing_bench as rb  # type: ignore[import-not-found]
    from orders import generate_orders  # type: ignore[import-not-found]

    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    orders = generate_orders(n, seed=20240618)
    orders.sort(key=lambda o: (o["paid_at"] or o["created_at"], o["order_id"]))
    best: dict[str, float] = {}
    results: dict[str, Any] = {}
    for _ in range(rounds):
        for engine in (rb.Baseline(), OrderhubRouter()):
            engine.setup(rb.make_world(n, 20240618))
            started = time.process_time()
            got = engine.route_all(orders)
            spent = time.process_time() - started
            best[engine.name] = min(best.get(engine.name, spent), spent)
            results[engine.name] = [(str(i), str(w), d) for i, w, d in got]
    base, ours = rb.Baseline.name, OrderhubRouter.name
    same = results[base] == results[ours]
    for name in (base, ours):
        print(f"{name}: {best[name] / n * 1e6:.2f} µs per order (CPU, best of {rounds})")
    print(f"orderhub / hand-written: {best[ours] / best[base]:.2f}x; same warehouses: "
          f"{'yes' if same else 'NO'}")
    if not same:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
