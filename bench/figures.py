"""Figures the benchmarks share: one definition of a percentile, one p50/p95 line.

Nearest rank: the value at rank ceil(q/100 * n) of the sorted sample, so every figure printed is
a latency that was really measured, never an interpolation between two."""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0-100) of ``values`` by nearest rank; 0.0 for none."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return float(ordered[min(rank, len(ordered)) - 1])


def p50_p95(ms: Sequence[float]) -> str:
    """``p50 … ms  p95 … ms  (n=…)`` of latencies in milliseconds."""
    if not ms:
        return "no samples"
    return (f"p50 {statistics.median(ms):6.1f} ms  p95 {percentile(ms, 95):6.1f} ms  "
            f"(n={len(ms)})")
