"""``assign``, ``hold``, ``flag``, ``task``: settle the warehouse, or act like a rule does."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from ...engine.flows.compiler import NodeCompiler
from ...engine.flows.model import LinearNode
from ...engine.flows.runtime import Action, RunState, Step
from . import register
from .inventory import shortage_text


@register
class AssignNode(LinearNode):
    """Assign the order to ``warehouse`` (default: the ``warehouse`` variable) and reserve its
    stock; the warehouse's load today goes up by one."""

    type: Literal["assign"]
    warehouse: str | None = Field(None, description="warehouse code; default: the variable")
    reason: str | None = Field(None, description="why, in the analyst's words")
    reserve: bool = Field(True, description="reserve the order's stock in the warehouse")

    def compile(self, c: NodeCompiler) -> Step:
        node, nxt, why, reserve = c.node, self.next, self.reason, self.reserve
        fixed = c.warehouse(("warehouse",), self.warehouse) if self.warehouse else None
        network = c.network
        assigned = {code: f"assigned to {w.name} ({code})"
                    for code, w in network.warehouses.items()}

        def assign(rs: RunState) -> str | None:
            code = fixed or rs.vars.get("warehouse")
            if code is None or code not in assigned:
                raise c.runtime_error(f"no warehouse to assign (warehouse variable is {code!r})")
            rs.vars["warehouse"] = code
            result = rs.result
            result.warehouse = code
            result.reasons.append(why or assigned[code])
            if reserve:
                stock = rs.routing.stock
                needs = rs.needs
                # the stock check that chose ``code`` for this order has just seen it covered
                if rs.covered != code and not stock.covers(code, needs):
                    result.stockout = True
                    rs.reason(f"{code} is short: {shortage_text(stock.shortages(code, needs))}")
                stock.reserve(code, needs)
                rs.covered = None  # not any more: its units are this order's now
                result.reserved += [(code, sku, qty) for sku, qty in needs.items()]
            pending = rs.routing.load.pending
            pending[code] = n = pending.get(code, 0) + 1
            if rs.tracing:
                rs.step(node, "assign", assigned[code], {"load": n})
            return nxt

        return assign


class _ActionNode(LinearNode):
    reason: str | None = Field(None, description="added to the order's routing reasons")

    def _make(self, c: NodeCompiler, kind: str, params: dict[str, str]) -> Step:
        node, nxt, reason = c.node, self.next, self.reason
        source = f"flow {c.flow}/{c.node}"
        key_base = f"flow:{c.flow}:{c.node}:{kind}"
        label = params.get("target") or params.get("flag") or params.get("queue")

        def act(rs: RunState) -> str | None:
            key = f"{key_base}:{rs.order.id or rs.order.label}"
            rs.result.actions.append(Action(kind, dict(params), source, key, reason))
            if reason:
                rs.reason(reason)
            rs.step(node, kind, f"{kind} {label}")
            return nxt

        return act


@register
class HoldNode(_ActionNode):
    """Hold the order (stop waybill printing) under a reason code, e.g. ``no_stock``."""

    type: Literal["hold"]
    name: str = Field(description="hold reason code")

    def compile(self, c: NodeCompiler) -> Step:
        return self._make(c, "hold", {"target": self.name})


@register
class FlagNode(_ActionNode):
    """Mark the order, e.g. ``diverted`` or ``needs_confirmation``."""

    type: Literal["flag"]
    name: str = Field(description="flag name")

    def compile(self, c: NodeCompiler) -> Step:
        return self._make(c, "flag", {"flag": self.name})


@register
class TaskNode(_ActionNode):
    """Push a task to a people queue (customer service, warehouse)."""

    type: Literal["task"]
    queue: str = Field(description="queue name, e.g. cs or warehouse")
    title: str = Field(description="task title")

    def compile(self, c: NodeCompiler) -> Step:
        return self._make(c, "task", {"queue": self.queue, "title": self.title})
