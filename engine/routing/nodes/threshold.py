"""``load_threshold``: divert from a warehouse that has too many pending orders today.

When the chosen warehouse's pending orders today reach its threshold (its ``daily_threshold``
or the node's ``threshold``), the order goes to the nearest warehouse (by distance from the
destination) that is below its own lower mark and has every line in stock.  Hysteresis: a
warehouse keeps diverting until its load falls below ``threshold x (1 - hysteresis)``, and only
warehouses below that mark take diverted orders, so assignments do not flap.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from ..compiler import NodeCompiler
from ..model import LinearNode
from ..runtime import RunState, Step
from ..trace import Why
from . import register
from .inventory import shortage_text

#: The under-threshold shortcut of :class:`LoadThresholdNode` (tests turn it off to check it
#: against :meth:`LoadBook.over` alone).
FAST_PATH = True


@register
class LoadThresholdNode(LinearNode):
    """Keep the chosen ``warehouse`` unless it is over its daily threshold; then divert."""

    type: Literal["load_threshold"]
    threshold: int | None = Field(None, ge=0, description="pending orders a day, for every "
                                                          "warehouse; default: each one's own")
    hysteresis: float = Field(0.1, ge=0, lt=1, description="fraction below the threshold a "
                                                           "warehouse must fall to stop diverting")
    max_distance_km: float | None = Field(None, gt=0, description="divert no farther than this")
    require: list[str] = Field(default_factory=list, description="capabilities a target needs")

    def compile(self, c: NodeCompiler) -> Step:
        node, nxt, h = c.node, self.next, self.hysteresis
        network = c.network
        fixed, max_km, require = self.threshold, self.max_distance_km, frozenset(self.require)
        thresholds = {code: fixed if fixed is not None else w.threshold
                      for code, w in network.warehouses.items()}
        caps = {code: w.capabilities for code, w in network.warehouses.items()}
        fast = FAST_PATH

        def balance(rs: RunState) -> str | None:
            code = rs.vars.get("warehouse")
            if code is None or code not in thresholds:
                if rs.tracing:
                    rs.step(node, "load_threshold", f"no warehouse chosen yet → {nxt}")
                return nxt
            load = rs.routing.load
            limit = thresholds[code]
            n = load.pending.get(code, 0)
            # below its threshold and not diverting (most orders): what ``over`` would say
            if (fast and (limit is None or (n < limit and code not in load.diverting))) or \
                    not load.over(code, limit, h):
                if rs.tracing:
                    rs.step(node, "load_threshold", ("{} has {} pending today, threshold {}",
                                                     code, n, limit),
                            {"load": n, "threshold": limit})
                return nxt
            considered: list[tuple[str, bool, Why]] = []
            note = considered.append if rs.tracing else None  # why not each: for the trace
            stock, needs = rs.routing.stock, rs.needs
            for other, km in rs.destination.nearest:
                if other == code:
                    continue
                if max_km is not None and (km is None or km > max_km):
                    if note:
                        note((other, False, ("{:.0f} km, farther than {:g} km", km or 0,
                                             max_km)))
                    break
                if require and not require <= caps[other]:
                    if note:
                        note((other, False, ("lacks {}", ", ".join(require))))
                    continue
                if not network.warehouses[other].accepts(rs.wants):
                    if note:
                        note((other, False, ("takes only {} orders",
                                             ", ".join(sorted(caps[other])))))
                    continue
                other_limit = thresholds[other]
                if not load.can_take(other, other_limit, h):
                    if note:
                        note((other, False, ("{:.0f} km, busy: {} pending (threshold {})",
                                             km or 0, load.load(other), other_limit)))
                    continue
                dist = f"{km:.0f} km" if km is not None else "distance unknown"
                if not stock.covers(other, needs):
                    if note:  # only the trace says what it lacks
                        note((other, False, f"{dist}, out of stock: "
                                            f"{shortage_text(stock.shortages(other, needs))}"))
                    continue
                rs.vars["warehouse"] = rs.covered = other
                rs.vars["diverted_from"] = code
                rs.result.diverted_from = code
                rs.reason(f"{code} has {n} pending orders today (threshold {limit}); diverted "
                          f"to the nearest warehouse below its threshold with stock: {other} "
                          f"({dist})")
                if note:
                    note((other, True, f"{dist}, {load.load(other)} pending, in stock"))
                    rs.step(node, "load_threshold", f"{code} over threshold ({n} ≥ {limit}) → "
                            f"divert to {other}", {"load": n, "threshold": limit}, considered)
                return nxt
            rs.reason(f"{code} is over its threshold ({n} pending, threshold {limit}) but no "
                      "other warehouse can take the order; kept")
            if note:
                rs.step(node, "load_threshold", "over threshold, no warehouse can take it; kept",
                        {"load": n, "threshold": limit}, considered)
            return nxt

        return balance
