"""``assign``, ``hold``, ``flag``, ``task``: settle the warehouse, or act like a rule does."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

from pydantic import Field

from ...fields import set_value, with_outcomes
from ..compiler import NodeCompiler
from ..model import LinearNode
from ..runtime import FlowAction, RunState, Step
from . import register
from .inventory import shortage_text
from .notify import template_context


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
        reasons = {code: why or text for code, text in assigned.items()}

        def assign(rs: RunState) -> str | None:
            code = fixed or rs.vars.get("warehouse")
            if code is None or code not in assigned:
                raise c.runtime_error(f"no warehouse to assign (warehouse variable is {code!r})")
            rs.vars["warehouse"] = code
            result = rs.result
            result.warehouse = code
            result.reasons.append(reasons[code])
            if reserve:
                stock = rs.routing.stock
                needs = rs.needs
                # the stock check that chose ``code`` for this order has just seen it covered
                if rs.covered != code and not stock.covers(code, needs):
                    result.stockout = True
                    rs.reason(f"{code} is short: {shortage_text(stock.shortages(code, needs))}")
                result.reserved += stock.reserve(code, needs)
                rs.covered = None  # not any more: its units are this order's now
            pending = rs.routing.load.pending
            pending[code] = n = pending.get(code, 0) + 1
            if rs.tracing:
                rs.step(node, "assign", assigned[code], {"load": n})
            return nxt

        return assign


class _ActionNode(LinearNode):
    reason: str | None = Field(None, description="added to the order's routing reasons "
                                                 "(a template, like a task title)")

    def _make(self, c: NodeCompiler, kind: str, params: dict[str, str],
              templated: tuple[str, ...] = ()) -> Step:
        """The node's step.  ``templated``: the params rendered per order (a task title), as
        is ``reason``: every text a flow writes for people is a template."""
        node, nxt = c.node, self.next
        source = f"flow {c.flow}/{c.node}"
        key_base = f"flow:{c.flow}:{c.node}:{kind}"
        label = params.get("target") or params.get("flag") or params.get("queue")
        texts = {k: c.text_template((k,), params[k]) for k in templated}
        reason = c.text_template(("reason",), self.reason) if self.reason else None

        def act(rs: RunState) -> str | None:
            key = f"{key_base}:{rs.order.id or rs.order.label}"
            values = dict(params)
            why = None
            if texts or reason is not None:
                context = template_context(rs)
                values.update({k: render(context) for k, render in texts.items()})
                why = reason(context) if reason is not None else None
            rs.result.actions.append(FlowAction(kind, values, source, key, why))
            rs.order = with_outcomes(rs.order, rs.result.actions[-1:])  # flags, holds
            if why:
                rs.reason(why)
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
        return self._make(c, "task", {"queue": self.queue, "title": self.title}, ("title",))


@register
class SetNode(LinearNode):
    """Set fields of the order, as a rule's ``set`` does: the nodes after it, the WMS push
    and the stored order see the new values.  Texts are templates, so a decision table's
    output becomes a field: ``carrier: "{{ vars.carrier }}"``.  ``tags`` are added."""

    type: Literal["set"]
    carrier: str | None = Field(None, description="the preferred carrier (e.g. ZTO, SF)")
    seller_memo: str | None = Field(None, description="the seller memo the warehouse sees")
    buyer_message: str | None = None
    tags: list[str] = Field(default_factory=list, description="tags to add")
    attributes: dict[str, Any] = Field(default_factory=dict,
                                       description="custom attributes to set (name: value)")
    reason: str | None = Field(None, description="added to the order's routing reasons")

    def compile(self, c: NodeCompiler) -> Step:
        node, nxt = c.node, self.next
        source = f"flow {c.flow}/{c.node}"
        key_base = f"flow:{c.flow}:{c.node}:set"
        values: list[tuple[str, Any]] = []
        for name in ("carrier", "seller_memo", "buyer_message"):
            text = getattr(self, name)
            if text is not None:
                values.append((name, c.text_template((name,), text)))
        values += [("tags", c.text_template(("tags", i), t)) for i, t in enumerate(self.tags)]
        values += [(f"attributes.{k}", c.text_template(("attributes", k), v)
                    if isinstance(v, str) else _constant(v)) for k, v in self.attributes.items()]
        if not values:
            c.error((), "a set node sets nothing",
                    "give carrier, seller_memo, buyer_message, tags or attributes")
        reason = c.text_template(("reason",), self.reason) if self.reason else None

        def set_fields(rs: RunState) -> str | None:
            context = template_context(rs)
            done = []
            for name, render in values:
                value = render(context)
                value = None if value == "" else value
                rs.order = set_value(rs.order, name, value)
                rs.result.actions.append(FlowAction(
                    "set", {"field": name, "value": value}, source,
                    f"{key_base}:{name}:{rs.order.id or rs.order.label}"))
                done.append(f"{name} = {value!r}")
            rs.result.carrier = rs.order.carrier
            if reason is not None:
                rs.reason(reason(context))
            rs.step(node, "set", "set " + ", ".join(done))
            return nxt

        return set_fields


def _constant(value: Any) -> Callable[[dict[str, Any]], Any]:
    return lambda _context: value
