"""What a node sees while it runs (:class:`RunState`) and what a run produces
(:class:`RouteResult` with its actions and outgoing messages).

Messages are data: a WeCom robot post, an SMS, a WMS push or a pick-list line is queued on the
result, never sent inline.  Whoever owns the outbox sends them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ...errors import OrderhubError, SourceSpan
from .trace import Trace, Why

if TYPE_CHECKING:
    from ...dsl import EvalContext
    from ...model import Order
    from .state import RoutingState
    from .warehouses import Destination, Network

#: A compiled node: runs on the state, returns the id of the next node (None ends the flow).
Step = Callable[["RunState"], "str | None"]


class FlowRuntimeError(OrderhubError):
    """A node failed while routing an order; names the flow, node and ``file:line``."""

    def __init__(self, message: str, *, flow: str, node: str, span: SourceSpan | None) -> None:
        self.flow, self.node, self.span = flow, node, span
        where = f" ({span})" if span else ""
        super().__init__(f"flow {flow!r}, node {node!r}{where}: {message}")

    def render(self) -> str:
        return str(self)


@dataclass(slots=True)
class FlowAction:
    """hold / flag / task from a flow node, shaped like the rules' planned actions
    (:class:`orderhub.engine.rule_actions.PlannedAction`): ``kind`` and ``params`` (hold:
    ``target``; flag: ``flag``; task: ``queue``, ``title``), plus where it came from and an
    idempotency key so routing an order twice never queues the same action twice."""

    kind: str
    params: dict[str, Any]
    source: str
    idempotency_key: str
    reason: str | None = None

    def summary(self) -> str:
        p = self.params
        if self.kind == "task":
            return f"task [{p.get('queue')}] {p.get('title')}"
        return f"{self.kind} {p.get('target') or p.get('flag') or ''}".strip()

    def as_json(self) -> dict[str, Any]:
        out = {"kind": self.kind, "params": dict(self.params), "source": self.source,
               "idempotency_key": self.idempotency_key}
        if self.reason:
            out["reason"] = self.reason
        return out


class OutgoingMessage:
    """A message to send later: ``channel`` wecom | sms | wms | pick_list.

    ``to``: the webhook URL, phone number or WMS endpoint; ``payload``: the JSON body (WeCom:
    ``{"msgtype": "markdown", ...}``; SMS: ``{"phone", "text"}``; WMS: the order for the
    warehouse; pick list: the lines to pick).

    Nodes on the hot path pass ``build`` (called with the message) and its ``source``
    instead of ``payload``:
    most messages of a big routing batch are queued or counted long before anyone reads their
    body, so the WMS document or the rendered template is made on first access to ``payload``
    (once).  ``build`` must only read values fixed at queue time (see the output and notify
    nodes), so a late body is the same as an early one."""

    __slots__ = ("channel", "to", "warehouse", "order_id", "source", "_payload", "_build")

    def __init__(self, channel: str, to: str | None, warehouse: str | None,
                 payload: dict[str, Any] | None = None, order_id: str | None = None, *,
                 build: Callable[[OutgoingMessage], dict[str, Any]] | None = None,
                 source: Any = None) -> None:
        self.channel = channel
        self.to = to
        self.warehouse = warehouse
        self.order_id = order_id
        self.source = source  # what ``build`` makes the body from (the order, a snapshot)
        self._payload = payload
        self._build = build if payload is None else None

    @property
    def payload(self) -> dict[str, Any]:
        if self._payload is None:
            build, self._build = self._build, None
            self._payload = build(self) if build is not None else {}
        return self._payload

    def __repr__(self) -> str:
        return (f"OutgoingMessage({self.channel!r}, {self.to!r}, {self.warehouse!r}, "
                f"order_id={self.order_id!r})")

    def as_json(self) -> dict[str, Any]:
        return {"channel": self.channel, "to": self.to, "warehouse": self.warehouse,
                "order_id": self.order_id, "payload": self.payload}


@dataclass(slots=True)
class RouteResult:
    """The outcome of routing one order."""

    order_id: str | None
    order: str
    flow: str | None
    version: str | None
    warehouse: str | None = None
    path: list[str] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)
    actions: list[FlowAction] = field(default_factory=list)
    messages: list[OutgoingMessage] = field(default_factory=list)
    diverted_from: str | None = None
    stockout: bool = False
    region: str | None = None
    #: the carrier the order goes with: a flow's ``set carrier``, or what the rules set
    carrier: str | None = None
    error: str | None = None
    trace: Trace | None = None
    #: (warehouse, merchant SKU, quantity) this routing reserved, for writing back elsewhere
    reserved: list[tuple[str, str, int]] = field(default_factory=list)

    def as_json(self, *, trace: bool = False) -> dict[str, Any]:
        """``flow``, ``warehouse``, ``path``, ``reasons`` (the dry-run's ``route`` object) and
        the rest; ``trace=True`` adds every step."""
        out: dict[str, Any] = {
            "flow": self.flow, "version": self.version, "warehouse": self.warehouse,
            "path": list(self.path), "reasons": list(self.reasons),
            "region": self.region, "diverted_from": self.diverted_from,
            "carrier": self.carrier,
            "stockout": self.stockout,
            "actions": [a.as_json() for a in self.actions],
            "messages": [m.as_json() for m in self.messages],
        }
        if self.error:
            out["error"] = self.error
        if trace and self.trace is not None:
            out["trace"] = self.trace.as_json()
        return out


class RunState:
    """One order's run: the order, flow variables, the shared routing state, and the result
    being built.  Nodes read and write it; it is not shared between orders."""

    __slots__ = ("order", "vars", "ctx", "network", "routing", "result", "trace", "flow",
                 "_needs", "_wants", "_dest", "depth", "_steps", "tracing", "covered")

    def __init__(self, order: Order, ctx: EvalContext, network: Network,
                 routing: RoutingState, result: RouteResult, trace: Trace | None) -> None:
        self.order = order
        self.ctx = ctx
        self.vars: dict[str, Any] = ctx.variables
        self.network = network
        self.routing = routing
        self.result = result
        self.trace = trace
        #: where :meth:`step` records (None: nobody keeps this run's trace)
        self._steps = trace.raw.append if trace is not None else None
        #: whether steps are kept: a node may skip making what only a trace would show
        self.tracing = trace is not None
        #: the warehouse a stock check last found holding every line of the order (an
        #: ``assign`` right after need not check again)
        self.covered: str | None = None
        self.flow: str | None = None  # the sub-flow being run, for trace steps
        self._needs: dict[str, int] | None = None
        self._wants: frozenset[str] | None = None
        self._dest: Destination | None = None
        self.depth = 0

    def step(self, node: str, type_: str, why: Why, values: dict[str, Any] | None = None,
             considered: list[tuple[str, bool, Why]] | None = None) -> None:
        add = self._steps
        if add is not None:
            # trailing Nones left out (most steps): a stored trace is a fifth smaller, and
            # read back the same (TraceStep's defaults)
            if considered is None and self.flow is None:
                add((node, type_, why) if values is None else (node, type_, why, values))
            else:
                add((node, type_, why, values, considered, self.flow))

    def reason(self, text: str) -> None:
        self.result.reasons.append(text)

    @property
    def needs(self) -> dict[str, int]:
        """Quantity per merchant SKU over the order's lines (lines without a SKU are skipped)."""
        if self._needs is None:
            needs: dict[str, int] = {}
            for item in self.order.items:
                if item.sku and item.quantity:
                    needs[item.sku] = needs.get(item.sku, 0) + item.quantity
            self._needs = needs
        return self._needs

    @property
    def wants(self) -> frozenset[str]:
        """The warehouse capabilities the order's items need (an item whose attribute of that
        name is true, e.g. ``cold_chain`` from the catalog)."""
        if self._wants is None:
            caps = self.network.capabilities
            self._wants = frozenset(c for c in caps for item in self.order.items
                                    if item.attributes.get(c))
        return self._wants

    @property
    def destination(self) -> Destination:
        if self._dest is None:
            r = self.order.receiver
            self._dest = self.network.destination(r.province, r.city, r.district, r.address)
        return self._dest
