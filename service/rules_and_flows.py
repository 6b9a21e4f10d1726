"""The default evaluator: the risk rules, then the routing flows.

A workspace without files for a piece contributes no actions for it.  A piece that cannot be
imported is a broken installation: the error is raised, never a live service without rules.
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
from typing import Any

from ..engine.fields import with_outcomes
from ..fulfilment.holds import kind_for
from ..model import Order
from ..store.orders import OrderEvent
from .evaluator import MESSAGE_KINDS, Evaluation, Message, OrderAction, ServiceContext, Versions

#: Events that (re)evaluate the risk rules.
RULE_EVENTS = frozenset({"created", "paid", "refund_requested", "address_changed"})


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
        self._router: tuple[ServiceContext, Any] | None = None
        #: the batch context and its orders' rule decisions (see :meth:`prepare`)
        self._decided: tuple[ServiceContext, dict[str, Any]] | None = None

    def prepare(self, items: list[tuple[Order, OrderEvent]], ctx: ServiceContext) -> None:
        """Decide the rules for a whole batch before its events are evaluated one by one: the
        history the rules read comes in one query per window for the batch (not one per
        event), and an order with two events in the batch (created, paid) is decided once.
        Explanations are not built: the service records actions, not the why.  When the batch
        cannot be decided at once, each event decides its own order (and fails alone)."""
        self._decided = None
        if self.ruleset is None:
            return
        by_id: dict[str, Order] = {}
        for order, event in items:
            if event.type in RULE_EVENTS and order.id:
                by_id[order.id] = order
        if not by_id:
            return
        try:
            decisions = self.ruleset.evaluate_batch(list(by_id.values()), now=ctx.now,
                                                    history=ctx.store, explain=False)
        except Exception:  # noqa: BLE001 - each event then raises its own error
            return
        self._decided = (ctx, dict(zip(by_id, decisions, strict=True)))

    def _decision(self, order: Order, ctx: ServiceContext) -> Any:
        """The rules' decision for ``order``: from :meth:`prepare`'s batch, or decided now."""
        if self._decided is not None and self._decided[0] is ctx:
            decision = self._decided[1].get(order.id or "")
            if decision is not None:
                return decision
        assert self.ruleset is not None
        return self.ruleset.evaluate(order, now=ctx.now, history=ctx.store, explain=False)

    def evaluate(self, order: Order, event: OrderEvent, ctx: ServiceContext) -> Evaluation:
        out = Evaluation(versions=self.versions)
        if self.ruleset is not None and event.type in RULE_EVENTS:
            decision = self._decision(order, ctx)
            if decision.errors:
                raise RuntimeError("; ".join(decision.errors))
            planned_list = decision.actions
            for planned in planned_list:
                _add_planned(out, planned, order)
            # the flows (and the WMS push) see the order as the rules left it
            order = with_outcomes(order, planned_list, kind_for)
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

    def _router_for(self, ctx: ServiceContext) -> Any:
        """One router per batch (the context is per batch): stock and load read once.  The
        batch's context itself is the key, not its ``id()``: the next batch's context may get
        the address of a freed one, and must not route on an earlier batch's stock."""
        if self._router is None or self._router[0] is not ctx:
            from ..engine.routing.router import Router
            from ..engine.routing.workspace import routing_state

            state = routing_state(self.workspace, ctx.now, ctx.skus) if self.workspace \
                else None
            # called only with flows loaded (see handles)
            router = Router(self.flows, state, now=ctx.now, history=ctx.store,  # type: ignore[arg-type]
                            trace=False)
            self._router = (ctx, router)
        return self._router[1]


def _add_planned(out: Evaluation, planned: Any, order: Order) -> None:
    """A rule's planned action: messages go to the outbox, the rest are order actions."""
    data = planned.as_json()
    kind, key, params = data["kind"], data["idempotency_key"], data["params"]
    if data["shadow"]:
        out.actions.append(OrderAction(f"shadow:{kind}", key, params))
        return
    out.actions.append(OrderAction(kind, key, {**params, "rule": data["rule"]}))
    if kind == "sms":
        out.messages.append(Message("sms", key, {"phone": params.get("phone"),
                                                 "text": params.get("text"),
                                                 "order": order.platform_order_no}))
    elif kind == "notify" and params.get("to") is not None:
        out.messages += _addressed(key, params)
    elif kind == "notify" and params.get("channel", "wecom") in MESSAGE_KINDS:
        channel = params.get("channel", "wecom")
        out.messages.append(Message(channel, key, {"content": params.get("text", ""),
                                                   **params}))


def _addressed(key: str, params: dict[str, Any]) -> list[Message]:
    """``notify CHANNEL to "NAME"``: a WeCom message @-mentioning the recipient's people (on
    its own robot when it has one), or an SMS to each of its phones."""
    from ..engine.recipients import Address, wecom_payload

    address = Address(params["to"], tuple(params.get("mention") or ()),
                      tuple(params.get("phones") or ()), params.get("webhook"))
    text = str(params.get("text", ""))
    if params.get("channel") == "sms":
        return [Message("sms", key if i == 0 else f"{key}:{i}", {"phone": phone, "text": text,
                                                               "recipient": address.name})
                for i, phone in enumerate(address.phones)]
    return [Message("wecom", key, wecom_payload(text, address))]


def _add_route(out: Evaluation, result: Any, order: Order) -> None:
    """A routing result: the warehouse as an action, its messages to the outbox."""
    if result.warehouse:
        out.actions.append(OrderAction("route", f"route:{order.id}:{result.flow}",
                                  {"warehouse": result.warehouse, "flow": result.flow,
                                   "diverted_from": result.diverted_from,
                                   "region": result.region, "carrier": result.carrier}))
    for action in result.actions:
        params = {**action.params, "source": action.source}
        if action.reason:
            params["reason"] = action.reason
        out.actions.append(OrderAction(action.kind, action.idempotency_key, params))
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
            out.actions.append(OrderAction(message.channel, key, payload))


def rules_and_flows(workspace: Any) -> RulesAndFlowsEvaluator:
    """Load the workspace's rules and flows; raises positioned errors."""
    from ..engine.recipients import Recipients
    from ..engine.routing.workspace import workspace_flows
    from ..engine.ruleset import load_rules

    ruleset = load_rules(workspace.content_dir("rules"), timezone=workspace.config.timezone,
                         lists=workspace.path(workspace.config.lists),
                         recipients=Recipients(workspace.config.recipients))
    return RulesAndFlowsEvaluator(ruleset, workspace_flows(workspace), workspace)
