"""Decryption on demand: throughput per platform under a quota, added latency per order.

    PYTHONPATH=... python3 bench/decrypt.py [--orders 400] [--per-minute 600]

For each platform, the simulator (real HTTP, receivers encrypted) serves ``--orders`` orders and
the platform's decryptor reveals them in its batches, our limiter set to ``--per-minute`` calls
(the simulator's quota equal to it).  Prints orders/s, calls, and ms per order; state the load.
"""

from __future__ import annotations

import argparse
import os
import time

from orderhub.connectors.decrypt import Sealed
from orderhub.connectors.decryptors import decryptor_for
from orderhub.connectors.pii import PiiSettings
from orderhub.connectors.pull import make_client
from orderhub.simulator import Simulator
from orderhub.simulator.privacy import PrivacySettings


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--orders", type=int, default=400)
    ap.add_argument("--per-minute", type=int, default=600)
    args = ap.parse_args()
    quota = {p: args.per_minute for p in ("taobao", "pdd", "douyin", "jd")}
    privacy = PrivacySettings(encrypt_receivers=True, quota_per_minute=quota)
    print(f"load: {os.getloadavg()[0]:.2f} (1 min avg); {args.orders} orders per platform, "
          f"{args.per_minute} decrypt calls/min allowed")
    with Simulator(port=0, seed=3, orders=args.orders, history_hours=6, privacy=privacy) as sim:
        for shop in sim.shops(None):
            gw = sim.gateways[shop.platform]
            sealed = [Sealed(str(i), o.order_no, gw.render(o))
                      for i, o in enumerate(sim.world.orders[shop.platform].values())]
            dec = decryptor_for(make_client(shop), PiiSettings(per_minute=args.per_minute))
            t0 = time.perf_counter()
            got = dec.reveal(sealed)
            took = time.perf_counter() - t0
            print(f"{shop.platform:7s} {len(got.clear):5d} decrypted {len(got.delayed):4d} "
                  f"delayed {got.calls:4d} calls  {len(got.clear) / took:8.0f} orders/s  "
                  f"{1000 * took / max(1, len(sealed)):6.2f} ms/order added")


if __name__ == "__main__":
    main()
