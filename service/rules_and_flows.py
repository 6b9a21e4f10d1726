"""The default evaluator: the risk rules, then the routing flows, whichever are installed.

The service must be useful before both are finished: a missing piece (the module is not there
yet, or the workspace has no files for it) contributes no actions and a version of ``None``.
Loading goes through each piece's own loader, which compiles, type-checks and runs the embedded
examples, raising positioned errors; hot reload keeps the last good set when it raises.
"""

from __future__ import annotations

import importlib
from typing import Any

from ..model import Order
from ..store.orders import OrderEvent
from .evaluator import Action, EvalContext, Evaluation, Message, Versions

#: Events that (re)evaluate the risk rules.
RULE_EVENTS = frozenset({"paid", "refund_requested", "address_changed", "created"})
#: Events that trigger routing ("new order stored and paid").
FLOW_EVENTS = frozenset({"paid"})


def _optional(module: str, name: str) -> Any:
    try:
        return getattr(importlib.import_module(module), name, None)
    except ImportError:
        return None


class RulesAndFlowsEvaluator:
    def __init__(self, ruleset: Any = None, flows: Any = None) -> None:
        self.ruleset = ruleset
        self.flows = flows
        self.versions = Versions(
            rules=getattr(ruleset, "version", None) if ruleset is not None else None,
            flows=getattr(flows, "version", None) if flows is not None else None,
        )

    def evaluate(self, order: Order, event: OrderEvent, ctx: EvalContext) -> Evaluation:
        out = Evaluation(versions=self.versions)
        if self.ruleset is not None and event.type in RULE_EVENTS:
            decision = self.ruleset.evaluate(order, now=ctx.now)
            for planned in decision.actions():
                _add_planned(out, planned, order)
        if self.flows is not None and event.type in FLOW_EVENTS:
            _add_route(out, self.flows.route(order, ctx), order)
        return out


def _add_planned(out: Evaluation, planned: Any, order: Order) -> None:
    """A rule's planned action: messages go to the outbox, the rest are order actions."""
    data = planned.model_dump(mode="json") if hasattr(planned, "model_dump") else dict(planned)
    kind, key, params = data["kind"], data["idempotency_key"], data.get("params", {})
    if data.get("shadow"):
        out.actions.append(Action(f"shadow:{kind}", key, params))
        return
    if kind == "sms":
        out.messages.append(Message("sms", key, {"phone": params.get("phone"),
                                                 "text": params.get("text"),
                                                 "order": order.platform_order_no}))
    elif kind == "notify":
        channel = params.get("channel", "wecom")
        if channel in ("wecom", "sms", "wms", "logistics"):
            out.messages.append(Message(channel, key, {"content": params.get("text", ""),
                                                       **params}))
        out.actions.append(Action(kind, key, params))
    else:
        out.actions.append(Action(kind, key, params))


def _add_route(out: Evaluation, result: Any, order: Order) -> None:
    """A routing result: the warehouse choice as an action, its messages to the outbox."""
    if result is None:
        return
    data = result.model_dump(mode="json") if hasattr(result, "model_dump") else dict(result)
    warehouse = data.get("warehouse")
    if warehouse:
        out.actions.append(Action("route", f"route:{order.id}:{warehouse}",
                                  {"warehouse": warehouse}))
    for action in data.get("actions", []):
        out.actions.append(Action(action["kind"], action["idempotency_key"],
                                  action.get("params", {})))
    for message in data.get("messages", []):
        out.messages.append(Message(message["kind"], message["idempotency_key"],
                                    message.get("payload", {})))


def rules_and_flows(workspace: Any) -> RulesAndFlowsEvaluator:
    """Load whichever of rules and flows are installed; raises positioned errors."""
    ruleset = None
    load_rules = _optional("orderhub.engine", "load_rules") or \
        _optional("orderhub.engine.rules", "load_rules")
    if load_rules is not None:
        ruleset = load_rules(workspace.content_dir("rules"))
    flows = None
    load_flows = _optional("orderhub.engine", "load_flows") or \
        _optional("orderhub.engine.flows", "load_flows")
    if load_flows is not None:
        flows = load_flows(workspace.content_dir("flows"))
    return RulesAndFlowsEvaluator(ruleset, flows)
