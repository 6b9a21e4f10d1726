"""How fast the synthetic generator makes and renders orders (prints figures, asserts nothing).

Times are process CPU time, so other load on the machine skews them less.

    python bench/synth_bench.py [N]      (default N = 100000 per platform)
"""

from __future__ import annotations

import sys
import time
from datetime import datetime

from orderhub.synth import PLATFORMS, SHANGHAI, generate_orders, render_many


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    start = datetime(2025, 11, 11, tzinfo=SHANGHAI)
    print(f"{'platform':8} {'generate/s':>11} {'render/s':>10} {'both/s':>8}  (n={n})")
    for pf in PLATFORMS:
        t0 = time.process_time()
        orders = generate_orders(n, 42, start, pf)
        t1 = time.process_time()
        render_many(orders, pf)
        t2 = time.process_time()
        print(f"{pf:8} {n / (t1 - t0):11,.0f} {n / (t2 - t1):10,.0f} {n / (t2 - t0):8,.0f}")


if __name__ == "__main__":
    main()
