"""The default evaluator: the risk rules, then the routing flows, whichever are installed.

The service must be useful before both are finished: a missing piece (the module is not there,
or the workspace has no files for it) contributes no actions and a version of ``None``.
Loading goes through each piece's own loader, which compiles, type-checks and runs the embedded
examples, raising positioned :class:`~orderhub.errors.SourceErrors`; hot reload keeps the last
good set when it raises.

Rules run on ``created``, ``paid``, ``refund_requested`` and ``address_changed`` events (their
dedup keys make a re-run harmless); flows run on the events their triggers name, once per
order: an order routed before keeps its warehouse and its reservation (the service commits the
routing, its reservations and the decision together).  Rule actions
``sms`` and ``notify`` become outbox messages (the rule's idempotency key); a flow's messages get
a key of flow, order, channel and position, so re-routing the order never sends them twice.
"""

from __future__ import annotations

import hashlib
import importlib
from typing import Any

from ..model import Order
from ..store.orders import OrderEvent
from .evaluator import MESSAGE_KINDS, Action, EvalContext, Evaluation, Message, Versions

#: Events that (re)evaluate the risk rules.
RULE_EVENTS = frozenset({"created", "paid", "refund_requested", "address_changed"})


def _optional(module: str, name: str) -> Any:
    try:
        return getattr(importlib.import_module(module), name, None)
    except ImportError:
        return None


def flows_version(flows: Any) -> str | None:
    if flows is None or not len(flows):
        return None
    digest = hashlib.sha256()
    for f in sorted(flows, key=lambda f: f.name):
        digest.update(f"{f.name}:{f.version}\n".encode())
    lists = getattr(flows, "lists", None)
    if lists is not None and lists.version is not None:  # a flow's lookup table changed
        digest.update(f"lists:{lists.version}\n".encode())
    return digest.hexdigest()[:12]


class RulesAndFlowsEvaluator:
    def __init__(self, ruleset: Any = None, flows: Any = None, workspace: Any = None) -> None:
        self.ruleset = ruleset if ruleset is not None and len(ruleset) else None
        self.flows = flows if flows is not None and len(flows) else None
        self.workspace = workspace
        self.versions = Versions(
            rules=self.ruleset.version if self.ruleset is not None else None,
            flows=flows_version(self.flows),
        )
        self._router: tuple[EvalContext, Any] | None = None

    def evaluate(self, order: Order, event: OrderEvent, ctx: EvalContext) -> Evaluation:
        out = Evaluation(versions=self.versions)
        if self.ruleset is not None and event.type in RULE_EVENTS:
            decision = self.ruleset.evaluate(order, now=ctx.now, history=ctx.store)
            if decision.errors:
                raise RuntimeError("; ".join(decision.errors))
            planned_actions = decision.actions
            for planned in planned_actions() if callable(planned_actions) else planned_actions:
                _add_planned(out, planned, order)
        if self.routes(event.type) and order.id not in ctx.routed:
            result = self._router_for(ctx).route(order, event.type)
            if result.error:
                raise RuntimeError(result.error)
            _add_route(out, result, order)
            if result.flow:
                out.routes.append(result)
                ctx.routed.add(order.id)  # type: ignore[arg-type]  # a stored order has its id
        return out

    def routes(self, event_type: str) -> bool:
        """Whether ``event_type`` triggers a flow (which may reserve stock)."""
        return self.flows is not None and event_type in self.flows.events

    def _router_for(self, ctx: EvalContext) -> Any:
        """One router per batch (the context is per batch): stock and load read once.  The
        batch's context itself is the key, not its ``id()``: the next batch's context may get
        the address of a freed one, and must not route on an earlier batch's stock."""
        if self._router is None or self._router[0] is not ctx:
            from ..engine.flows.router import Router
            from ..engine.flows.service import routing_state

            state = routing_state(self.workspace, ctx.now, ctx.skus) if self.workspace \
                else None
            # called only with flows loaded (see handles)
            router = Router(self.flows, state, now=ctx.now, history=ctx.store,  # type: ignore[arg-type]
                            trace=False)
            self._router = (ctx, router)
        return self._router[1]


def _add_planned(out: Evaluation, planned: Any, order: Order) -> None:
    """A rule's planned action: messages go to the outbox, the rest are order actions."""
    data = planned.model_dump(mode="json")
    kind, key, params = data["kind"], data["idempotency_key"], data.get("params", {})
    if data.get("shadow"):
        out.actions.append(Action(f"shadow:{kind}", key, params))
        return
    out.actions.append(Action(kind, key, {**params, "rule": data.get("rule")}))
    if kind == "sms":
        out.messages.append(Message("sms", key, {"phone": params.get("phone"),
                                                 "text": params.get("text"),
                                                 "order": order.platform_order_no}))
    elif kind == "notify" and params.get("channel", "wecom") in MESSAGE_KINDS:
        channel = params.get("channel", "wecom")
        out.messages.append(Message(channel, key, {"content": params.get("text", ""),
                                                   **params}))


def _add_route(out: Evaluation, result: Any, order: Order) -> None:
    """A routing result: the warehouse as an action, its messages to the outbox."""
    if result.warehouse:
        out.actions.append(Action("route", f"route:{order.id}:{result.flow}",
                                  {"warehouse": result.warehouse, "flow": result.flow,
                                   "diverted_from": result.diverted_from,
                                   "region": result.region}))
    for action in result.actions:
        params = {**action.params, "source": action.source}
        if action.reason:
            params["reason"] = action.reason
        out.actions.append(Action(action.kind, action.idempotency_key, params))
    for i, message in enumerate(result.messages):
        key = f"flow:{result.flow}:{order.id}:{message.channel}:{i}"
        if message.channel == "wms":  # the WMS contract: the document itself (docs/wms.md)
            out.messages.append(Message("wms", key, {"to": message.to,
                                                     "document": message.payload}))
            continue
        payload = {**message.payload, "to": message.to, "warehouse": message.warehouse,
                   "order": order.platform_order_no}
        if message.channel in MESSAGE_KINDS:
            out.messages.append(Message(message.channel, key, payload))
        else:  # e.g. a pick list line: recorded, printed by its own command
            out.actions.append(Action(message.channel, key, payload))


def rules_and_flows(workspace: Any) -> RulesAndFlowsEvaluator:
    """Load whichever of rules and flows are installed; raises positioned errors."""
    ruleset = None
    load_rules = _optional("orderhub.engine.rules", "load_rules")
    if load_rules is not None:
        ruleset = load_rules(workspace.content_dir("rules"), timezone=workspace.config.timezone,
                             lists=workspace.path(workspace.config.lists))
    flows = None
    workspace_flows = _optional("orderhub.engine.flows.service", "workspace_flows")
    if workspace_flows is not None:
        flows = workspace_flows(workspace)
    return RulesAndFlowsEvaluator(ruleset, flows, workspace)
