"""``geofence``: the receiver's province/city/district (or parsed address text) -> region.

Sets the variables ``region``, ``province``, ``city`` and ``district``.  Regions are the
standard split (华东, 华南, 华北, 华中, 西南, 西北, 东北) or the workspace's ``regions:``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

from pydantic import Field

from ..compiler import NodeCompiler
from ..model import LinearNode, Loc
from ..runtime import RunState, Step
from . import register


@register
class GeofenceNode(LinearNode):
    """Find the destination's region; ``unknown`` is where orders go whose region is unknown."""

    type: Literal["geofence"]
    unknown: str | None = Field(None, description="node for addresses no region matches")

    def edges(self) -> Iterable[tuple[Loc, str]]:
        out = list(super().edges())
        if self.unknown:
            out.append((("unknown",), self.unknown))
        return out

    def compile(self, c: NodeCompiler) -> Step:
        node, nxt, unknown = c.node, self.next, self.unknown

        def locate(rs: RunState) -> str | None:
            d = rs.destination
            v = rs.vars
            v["region"], v["province"], v["city"], v["district"] = \
                d.region, d.province, d.city, d.district
            rs.result.region = d.region
            if d.region is None:
                target = unknown or nxt
                rs.step(node, "geofence", f"destination unknown → {target}",
                        {"address": rs.order.receiver.address})
                return target
            if rs.tracing:
                rs.step(node, "geofence", ("{} is in {} (from {})", d.where, d.region,
                                           d.source), {"region": d.region})
            return nxt

        return locate
