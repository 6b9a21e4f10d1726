"""Route 100,000 orders through the article's flow (flows/routing.yaml); print throughput.

Orders are built in-process (random destinations over China's cities, 1-3 lines, 8 % with a
cold-chain item); stock is plentiful with a few holes; GZ starts near its threshold so
diversions happen.  Decisions (with their traces) and stock reservations are written to a
SQLite store in batches, as ``orderhub flows route`` does.

    python bench/routing.py [N] [--no-store]
"""

from __future__ import annotations

import random
import statistics
import sys
import tempfile
import time
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from orderhub.builtins.geo import default_geo
from orderhub.engine.flows import Router, RoutingState, StockLevels, load_flows
from orderhub.engine.flows.stock import RoutingStore
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


def main() -> None:
    n = int(next((a for a in sys.argv[1:] if a.isdigit()), 100_000))
    use_store = "--no-store" not in sys.argv
    rng = random.Random(7)
    flows = load_flows(ROOT / "flows")
    codes = flows.network.codes
    stock = StockLevels((w, s, 0 if rng.random() < 0.05 else 10**6, 0)
                        for w in codes for s in SKUS + COLD)
    state = RoutingState(stock)
    state.load.pending["GZ"] = 450
    t0 = time.perf_counter()
    orders = make_orders(n, rng)
    print(f"built {n:,} orders in {time.perf_counter() - t0:.1f} s", file=sys.stderr)

    tmp = tempfile.TemporaryDirectory()
    store = RoutingStore(connect(f"sqlite:///{tmp.name}/bench.db")) if use_store else None
    router = Router(flows, state, now=NOW)
    latencies: list[int] = []
    clock = time.perf_counter_ns
    started, cpu_started = time.perf_counter(), time.process_time()
    for i in range(0, n, BATCH):
        results = []
        for order in orders[i:i + BATCH]:
            a = clock()
            results.append(router.route(order, "paid"))
            latencies.append(clock() - a)
        if store is not None:
            store.record(results, now=NOW)
            store.save_reservations(state.stock)
    elapsed = time.perf_counter() - started
    cpu = time.process_time() - cpu_started

    latencies.sort()
    med = statistics.median(latencies) / 1000
    p99 = latencies[int(len(latencies) * 0.99)] / 1000
    assigned = sum(state.load.pending.values()) - 450
    print(f"routed {n:,} orders in {elapsed:.2f} s: {n / elapsed:,.0f} orders/s "
          f"({'with' if use_store else 'without'} batched store writes of decisions + traces)")
    print(f"CPU time {cpu:.2f} s: {n / cpu:,.0f} orders per CPU-second "
          "(the figure to read when the machine is shared)")
    print(f"per order (routing only): median {med:.1f} µs, p99 {p99:.1f} µs")
    print(f"assigned {assigned:,}; load per warehouse: "
          + ", ".join(f"{w} {state.load.load(w):,}" for w in codes))
    tmp.cleanup()


if __name__ == "__main__":
    main()
