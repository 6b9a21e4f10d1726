"""``call``: run another flow on the same order and state, then continue with ``next``."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

from pydantic import Field

from ..compiler import NodeCompiler
from ..model import LinearNode, Loc
from ..runtime import RunState, Step
from . import register


@register
class CallNode(LinearNode):
    """Run the flow named ``flow`` (its trigger is ignored), then continue here."""

    type: Literal["call"]
    flow: str = Field(description="name of the flow to run")

    def calls(self) -> Iterable[tuple[Loc, str]]:
        return [(("flow",), self.flow)]

    def compile(self, c: NodeCompiler) -> Step:
        flows, name, node, nxt = c.env.flows, self.flow, c.node, self.next

        def call(rs: RunState) -> str | None:
            sub = flows[name]
            rs.step(node, "call", f"run sub-flow {name} (version {sub.version})")
            outer = rs.flow
            rs.flow, rs.depth = name, rs.depth + 1
            try:
                sub.run(rs)
            finally:
                rs.flow, rs.depth = outer, rs.depth - 1
            return nxt

        return call
