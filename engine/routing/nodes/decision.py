"""``decision``: ordered cases with conditions; the first true one wins, else ``default``."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from ..compiler import NodeCompiler
from ..model import Loc, NodeSpec
from ..runtime import RunState, Step
from . import register
from .notify import template_context


class Case(BaseModel):
    model_config = ConfigDict(extra="forbid")

    when: str = Field(description="condition (expression language)")
    goto: str = Field(description="node to continue with when the condition is true")
    reason: str | None = Field(None, description="added to the order's routing reasons")


@register
class DecisionNode(NodeSpec):
    """Ordered cases; the first whose ``when`` is true decides; ``default`` otherwise."""

    type: Literal["decision"]
    cases: list[Case] = Field(min_length=1)
    default: str | None = Field(None, description="node for orders no case matches (required)")

    needs_default = True

    def edges(self) -> Iterable[tuple[Loc, str]]:
        out: list[tuple[Loc, str]] = [(("cases", i, "goto"), c.goto)
                                      for i, c in enumerate(self.cases)]
        if self.default:
            out.append((("default",), self.default))
        return out

    def compile(self, c: NodeCompiler) -> Step:
        cases = []
        for i, case in enumerate(self.cases):
            expr = c.expr(("cases", i, "when"), case.when)
            if expr is not None:
                reason: Any = case.reason
                if reason and ("{{" in reason or "{%" in reason):  # rendered per order
                    reason = c.text_template(("cases", i, "reason"), reason)
                cases.append((expr.evaluate, case.goto, case.when, reason))
        # Why each case was taken, written once (the texts depend only on the case).
        whys = []
        for i, (_, goto, text, _) in enumerate(cases, 1):
            why = f"case {i} `{text}` is true → {goto}"
            whys.append(f"cases 1-{i - 1} false; {why}" if i > 1 else why)
        tests = [(test, goto, why, reason)
                 for (test, goto, _, reason), why in zip(cases, whys, strict=True)]
        node, default = c.node, self.default
        no_case = f"no case is true → default {default}"

        def decide(rs: RunState) -> str | None:
            order, ctx = rs.order, rs.ctx
            for test, goto, why, reason in tests:
                if test(order, ctx):
                    if rs.tracing:
                        rs.step(node, "decision", why)
                    if reason:
                        rs.reason(reason if isinstance(reason, str)
                                  else reason(template_context(rs)))
                    return goto
            if rs.tracing:
                rs.step(node, "decision", no_case)
            return default

        return decide
