"""A wave of e-waybills through the simulator, and PDF labels.

    python bench/waybills.py [--orders 10000] [--latency 0.05] [--labels 1000]

Stores ORDERS paid orders (a quarter per platform) routed to warehouse SH in a fresh SQLite
store, starts the simulator with LATENCY seconds added to every waybill API answer, and times
``Waybills.take`` (claim rows, take numbers in each platform's batches with several calls in
flight per account, fetch JD sort codes and print data, Douyin print data, store the answers).
Then renders LABELS labels (100x180 mm, embedded CJK font) with the pick list and packing
slips.  Goals (issue 15): numbers for 10,000 orders under 60 s; 1,000 labels under 10 s.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import tempfile
import time
from collections import Counter
from pathlib import Path

from orderhub.simulator import Simulator
from orderhub.store import OrderStore
from orderhub.waybills.service import Waybills

_spec = importlib.util.spec_from_file_location(
    "waybills_support", Path(__file__).resolve().parent.parent / "tests" / "waybills_support.py")
support = importlib.util.module_from_spec(_spec)  # type: ignore[arg-type]
_spec.loader.exec_module(support)  # type: ignore[union-attr]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--orders", type=int, default=10_000)
    ap.add_argument("--latency", type=float, default=0.05, help="seconds per waybill API call")
    ap.add_argument("--labels", type=int, default=1000)
    ap.add_argument("--jd-concurrency", type=int, default=32,
                    help="JD 无界 takes one order per call: more calls in flight")
    args = ap.parse_args()
    print(f"load before: {os.getloadavg()[0]:.2f} (1 min)")
    with tempfile.TemporaryDirectory() as tmp, Simulator(orders=1, seed=7) as sim:
        store = OrderStore.open(f"sqlite:///{Path(tmp) / 'bench.db'}")
        per = args.orders // 4
        started = time.perf_counter()
        support.store_routed(store, support.make_orders(per))
        print(f"stored and routed {per * 4} orders in {time.perf_counter() - started:.1f} s")
        sim.waybills.latency = args.latency
        config = support.waybills_config(jd={"concurrency": args.jd_concurrency})
        wb = Waybills(store, config, sim.shops(all={"timeout_seconds": 30}))
        started = time.perf_counter()
        result = wb.take("SH", wave="BENCH")
        took = time.perf_counter() - started
        calls = Counter(e.get("api") or f"{e.get('path')} ({e.get('error')})"
                        for e in sim.requests)
        print(f"numbers: {len(result.issued)} issued, {len(result.failed)} failed in "
              f"{took:.1f} s ({len(result.issued) / took:.0f} orders/s) with "
              f"{args.latency * 1000:.0f} ms per call; goal < 60 s")
        print("  calls: " + ", ".join(f"{api} {n}" for api, n in sorted(calls.items())))
        sim.waybills.latency = 0
        rows = wb.wave_rows("BENCH")[: args.labels]
        started = time.perf_counter()
        info = wb.print_pdf("BENCH", Path(tmp) / "labels.pdf", rows=rows)
        rendered = time.perf_counter() - started
        size = Path(info["labels"]).stat().st_size
        print(f"labels: {info['count']} labels + pick list + {info['count']} packing slips in "
              f"{rendered:.1f} s ({size / 1e6:.1f} MB of labels); goal < 10 s")
        wb.close()
    print(f"load after: {os.getloadavg()[0]:.2f} (1 min)")


if __name__ == "__main__":
    main()
