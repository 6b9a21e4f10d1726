"""Orders per second pulled from the simulator into the store, end to end (SQLite).

    python bench/pull.py [--orders 2500] [--page-size 100]

Starts the simulator on a free local port with ORDERS orders per platform placed over the last
day, then pulls every platform's shop into a fresh SQLite store exactly as ``orderhub pull``
does (signed HTTP calls, backward paging, Taobao's full-detail fetches, mapping, upsert with
events, cursor).  Prints orders/s per platform and overall.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from orderhub.connectors.mapping import builtin_mappings
from orderhub.connectors.pull import pull_shop
from orderhub.simulator import Simulator
from orderhub.store import OrderStore


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--orders", type=int, default=2500, help="orders per platform")
    ap.add_argument("--page-size", type=int, default=100)
    args = ap.parse_args()
    builtin_mappings()  # load once, as a long-running service would
    with tempfile.TemporaryDirectory() as tmp, \
            Simulator(seed=42, orders=args.orders, history_hours=24) as sim:
        store = OrderStore.open(f"sqlite:///{Path(tmp) / 'bench.db'}")
        shops = sim.shops(os.environ, all={"window": {"initial_hours": 25,
                                                      "page_size": args.page_size}})
        total_orders, total_time = 0, 0.0
        print(f"simulator: {sim.world.count()} orders on {sim.url}; SQLite store")
        for shop in shops:
            started = time.perf_counter()
            summary = pull_shop(store, shop)
            took = time.perf_counter() - started
            total_orders += summary.new
            total_time += took
            _row(shop.platform, summary.new, summary.requests, took)
        print(f"overall {total_orders:6d} orders  {total_time:6.2f} s  "
              f"{total_orders / total_time:7.0f} orders/s")
        # Taobao again into a second store, reading full trades from the list (no fullinfo)
        other = OrderStore.open(f"sqlite:///{Path(tmp) / 'bench2.db'}")
        lean = shops[0].model_copy(update={"fetch_detail": False})
        started = time.perf_counter()
        summary = pull_shop(other, lean)
        _row("taobao, list fields only (no fullinfo)", summary.new, summary.requests,
             time.perf_counter() - started)
        store.engine.dispose()
        other.engine.dispose()


def _row(label: str, orders: int, requests: int, took: float) -> None:
    print(f"{label:7s} {orders:6d} orders  {requests:5d} requests {took:6.2f} s  "
          f"{orders / took:7.0f} orders/s")


if __name__ == "__main__":
    main()
