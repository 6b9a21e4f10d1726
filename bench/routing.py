"""Route 100,000 orders through the article's flow (flows/routing.yaml); print throughput.

Orders are built in-process (random destinations over China's cities, 1-3 lines, 8 % with a
cold-chain item); stock is plentiful with a few holes.  Decisions (with their traces) and stock
reservations are written to a SQLite store in batches of 5,000, as ``orderhub flows route``
does.  Two runs over the same orders:

- ``daily``: warehouse thresholds that fit 100,000 orders a day (the example config's 500 a
  warehouse fit a shop with ~3,000): each is ``--capacity`` (default 1.2) x the orders the
  warehouse is the first choice for.  GZ starts the run half full, so it goes over its
  threshold and diverts its overflow to the nearest warehouses.
- ``diversion``: the example config's thresholds as they are (500 a day) against N orders:
  every warehouse is over its threshold within the first few thousand orders, so nearly every
  order takes the divert path and finds every other warehouse busy too.

Each batch is stored by a :class:`BatchWriter` (one transaction: decisions with their traces,
a stock ledger row per order and SKU reserved, one stock update per warehouse and SKU) while
the next batch is routed.  Figures: wall time,
CPU time of both threads (``time.process_time``; read it when others share the machine),
routing alone (the sum of the per-order times), and per-order routing latency (median, p99;
with the store on, these include waits for the writer thread's turn at the GIL).  Each run
ends with a fingerprint of every decision (order, warehouse, diverted from, reservations,
actions) and, with the store, of the stock table and ledger it left: a change that must not
change routing must leave both as they were.

    python bench/routing.py [N] [--no-store] [--run daily|diversion|both] [--capacity 1.2]
                            [--no-freeze]

The orders are built before timing and then frozen out of the garbage collector
(``gc.freeze``): they stand for the batch a worker has just read, not for state the router
keeps; ``--no-freeze`` shows the cost of collecting over 100,000 prebuilt orders.
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import random
import statistics
import sys
import tempfile
import time
from collections import Counter
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from orderhub.config import default_warehouses
from orderhub.engine.routing import (
    FlowSet,
    Network,
    Router,
    RoutingState,
    StockLevels,
    load_flows,
)
from orderhub.engine.routing.stock import RoutingStore
from orderhub.engine.routing.writer import BatchWriter
from orderhub.gcpause import paused_gc
from orderhub.geo import default_geo
from orderhub.model import LineItem, Order, Receiver
from orderhub.store import connect

ROOT = Path(__file__).resolve().parent.parent
TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2025, 11, 11, 10, 0, tzinfo=TZ)
SKUS = [f"SKU-{i:03d}" for i in range(60)]
COLD = [f"CC-{i:02d}" for i in range(6)]
BATCH = 5000


def make_orders(n: int, rng: random.Random) -> list[Order]:
    cities = [(c.province, c.name) for c in default_geo().cities()]
    out = []
    for i in range(n):
        province, city = rng.choice(cities)
        lines = [(rng.choice(SKUS), rng.randint(1, 3)) for _ in range(rng.randint(1, 3))]
        if rng.random() < 0.08:
            lines.append((rng.choice(COLD), 1))
        out.append(Order(
            id=f"01BENCH{i:019d}", platform="taobao", platform_order_no=str(10**15 + i),
            status="paid", created_at=NOW, paid_at=NOW,
            receiver=Receiver(name="买家", phone=f"139{i:08d}", province=province, city=city,
                              address="某路1号"),
            items=[LineItem(sku=s, title=s, quantity=q, unit_price=Decimal("9.90"),
                            attributes={"cold_chain": s.startswith("CC-")}) for s, q in lines],
            payment=Decimal("99.00")))
    return out


def scaled_flows(orders: list[Order], capacity: float | None) -> FlowSet:
    """The article's flow on the example warehouses.  With ``capacity``, each warehouse's
    threshold is ``capacity`` x the orders it is the first choice for (cold-chain orders: the
    cold warehouse; others: the warehouse serving their region)."""
    warehouses = default_warehouses()
    if capacity is None:
        return load_flows(ROOT / "flows", warehouses=warehouses)
    network = Network(warehouses)
    cold = next(w.code for w in warehouses if "cold_chain" in w.capabilities)
    share = Counter()
    for o in orders:
        if any(i.cold_chain for i in o.items):
            share[cold] += 1
            continue
        r = o.receiver
        region = network.destination(r.province, r.city, r.district, r.address).region
        share.update(network.primary_for(region)[:1])
    warehouses = [w.model_copy(update={"daily_threshold": max(1, round(capacity * share[w.code]))})
                  for w in warehouses]
    return load_flows(ROOT / "flows", warehouses=warehouses)


@dataclass
class Run:
    wall: float = 0.0
    cpu: float = 0.0
    latencies: list[int] = field(default_factory=list)
    diverted: int = 0
    kept_over: int = 0
    stockouts: int = 0
    #: every decision (order, warehouse, diverted from, reservations), hashed in order
    digest: Any = field(default_factory=hashlib.sha256)


def run(name: str, orders: list[Order], flows: FlowSet, use_store: bool) -> None:
    rng = random.Random(7)
    codes = flows.network.codes
    stock = StockLevels((w, s, 0 if rng.random() < 0.05 else 10**6, 0)
                        for w in codes for s in SKUS + COLD)
    state = RoutingState(stock)
    gz = flows.network.warehouses["GZ"].threshold or 0
    state.load.pending["GZ"] = start_gz = gz // 2
    tmp = tempfile.TemporaryDirectory()
    store = None
    if use_store:
        store = RoutingStore(connect(f"sqlite:///{tmp.name}/bench.db"))
        store.put_stock(stock.rows(), now=NOW)
    router = Router(flows, state, now=NOW)
    r = route_all(orders, router, store)
    n = len(orders)
    print(f"\n== {name}: thresholds "
          + ", ".join(f"{c} {flows.network.warehouses[c].threshold:,}" for c in codes))
    print(f"routed {n:,} orders in {r.wall:.2f} s wall: {n / r.wall:,.0f} orders/s "
          f"({'with' if store else 'without'} batched store writes of decisions + traces)")
    print(f"CPU {r.cpu:.2f} s: {n / r.cpu:,.0f} orders per CPU-second (both threads; "
          f"routing alone {n / (sum(r.latencies) / 1e9):,.0f} orders/s)")
    lat = sorted(r.latencies)
    print(f"per order (routing): median {statistics.median(lat) / 1000:.1f} µs, "
          f"p99 {lat[int(len(lat) * 0.99)] / 1000:.1f} µs (wall)")
    print(f"diverted {r.diverted:,}; over threshold and kept {r.kept_over:,}; "
          f"stock-outs {r.stockouts:,}; end-of-day load: "
          + ", ".join(f"{w} {state.load.load(w) - (start_gz if w == 'GZ' else 0):,}"
                      for w in codes))
    print(f"decisions fingerprint {r.digest.hexdigest()[:16]}"
          + (f"; stored stock fingerprint {stored_stock(store)}" if store else ""))
    tmp.cleanup()


def stored_stock(store: RoutingStore) -> str:
    """The stock table and the ledger's reservations as routing left them, hashed: the
    same orders routed the same way must leave the same rows."""
    from sqlalchemy import func, select

    from orderhub.engine.routing.ledger import stock_ledger
    from orderhub.engine.routing.stock import stock_table

    digest = hashlib.sha256()
    with store.engine.connect() as conn:
        for row in conn.execute(select(stock_table.c.warehouse, stock_table.c.sku,
                                       stock_table.c.on_hand, stock_table.c.reserved)
                                .order_by(stock_table.c.warehouse, stock_table.c.sku)):
            digest.update(repr(tuple(row)).encode())
        ledger = conn.execute(select(stock_ledger.c.kind, func.count(),
                                     func.sum(stock_ledger.c.reserved))
                              .group_by(stock_ledger.c.kind).order_by(stock_ledger.c.kind))
        digest.update(repr([tuple(row) for row in ledger]).encode())
    return digest.hexdigest()[:16]


def route_all(orders: list[Order], router: Router, store: RoutingStore | None) -> Run:
    """Route in batches; each batch is stored (one transaction) by a :class:`BatchWriter`
    while the next one is routed, as ``orderhub flows route`` does."""
    r = Run()
    cpu = time.process_time
    started, cpu_started = time.perf_counter(), cpu()
    with ExitStack() as stack:
        writer = stack.enter_context(BatchWriter(store, now=NOW)) if store else None
        route_batches(orders, router, writer, r)
    r.wall = time.perf_counter() - started
    r.cpu = cpu() - cpu_started
    return r


def route_batches(orders: list[Order], router: Router, writer: BatchWriter | None,
                  r: Run) -> None:
    clock = time.perf_counter_ns
    latencies = r.latencies
    for i in range(0, len(orders), BATCH):
        results = []
        with paused_gc():  # as route_events and route_many do
            for order in orders[i:i + BATCH]:
                a = clock()
                results.append(router.route(order, "paid"))
                latencies.append(clock() - a)
        if writer is not None:
            writer.submit(results, router.state.stock)
        for res in results:
            r.digest.update(repr((res.order_id, res.warehouse, res.diverted_from,
                                  res.reserved, [a.idempotency_key for a in res.actions]))
                            .encode())
            r.diverted += res.diverted_from is not None
            r.stockouts += res.stockout
            r.kept_over += any("no other warehouse can take" in x for x in res.reasons)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("n", nargs="?", type=int, default=100_000)
    p.add_argument("--no-store", action="store_true", help="route only, write nothing")
    p.add_argument("--run", choices=["daily", "diversion", "both"], default="both")
    p.add_argument("--capacity", type=float, default=1.2,
                   help="daily run: thresholds as a multiple of each warehouse's expected "
                        "orders (default 1.2)")
    p.add_argument("--no-freeze", action="store_true",
                   help="leave the prebuilt orders to the garbage collector")
    args = p.parse_args()
    t0 = time.perf_counter()
    orders = make_orders(args.n, random.Random(7))
    print(f"built {args.n:,} orders in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    if not args.no_freeze:
        gc.collect()
        gc.freeze()
    if args.run in ("daily", "both"):
        run(f"daily (thresholds for {args.n:,} orders a day)", orders,
            scaled_flows(orders, args.capacity), not args.no_store)
    if args.run in ("diversion", "both"):
        run("diversion (the example's 500 a day: every warehouse over)", orders,
            scaled_flows(orders, None), not args.no_store)


if __name__ == "__main__":
    main()
