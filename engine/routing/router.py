"""Routing orders through flows: pick the flow an event triggers, run it, collect results.

:class:`Router` keeps one evaluation context and the shared :class:`RoutingState` for a batch,
so the per-order cost is the nodes' own work.  :func:`route_orders` is the one-call API the
dry-run and the simulation use.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from ...dsl import EvalContext, HistorySource
from ...gcpause import paused_gc
from ...model import Order, OrderStatus
from .flowset import CompiledFlow, FlowSet
from .runtime import FlowRuntimeError, RouteResult, RunState
from .state import LoadBook, RoutingState, StockLevels
from .trace import Trace

_PAID_LIKE = frozenset({OrderStatus.paid, OrderStatus.shipped, OrderStatus.completed})


def order_event(order: Order) -> str:
    """The event an order stands for when none is given: ``paid`` once paid, else ``created``."""
    return "paid" if order.paid_at is not None or order.status in _PAID_LIKE else "created"


class Router:
    """Routes orders one at a time on a shared, changing :class:`RoutingState`."""

    def __init__(self, flows: FlowSet, state: RoutingState | None = None, *,
                 now: datetime | None = None, history: HistorySource | None = None,
                 trace: bool = True) -> None:
        self.flows = flows
        self.state = state or RoutingState()
        self.ctx = EvalContext(now=now, history=history, timezone=flows.timezone,
                               lists=getattr(flows, "lists", None))
        self.keep_trace = trace
        self._by_event: dict[str, list[CompiledFlow]] = {}
        for f in sorted(flows, key=lambda f: f.name):
            if f.event:
                self._by_event.setdefault(f.event, []).append(f)
        self._only = {event: found[0] for event, found in self._by_event.items()
                      if len(found) == 1 and found[0].when is None}

    def select(self, order: Order, event: str) -> CompiledFlow | None:
        """The first flow (by name) that ``event`` triggers and whose condition holds."""
        ctx = self.ctx
        ctx.order = order
        ctx.variables = {}
        for f in self._by_event.get(event, ()):
            if f.when is None or f.when.evaluate(order, ctx):
                return f
        return None

    def route(self, order: Order, event: str | None = None) -> RouteResult:
        event = event or order_event(order)
        only = self._only.get(event)  # one flow, no condition: nothing to select
        if only is not None:
            return self.run(only, order)
        flow = self.select(order, event)
        if flow is None:
            candidates = self._by_event.get(event, ())
            why = f"no flow is triggered by {event!r}" if not candidates else "; ".join(
                f"flow {f.name}: trigger condition `{f.when.source}` is false"
                for f in candidates if f.when is not None)
            return RouteResult(order.id, order.label, None, None, reasons=[why])
        return self.run(flow, order)

    def run(self, flow: CompiledFlow, order: Order) -> RouteResult:
        """Run ``flow`` on ``order`` (trigger not checked)."""
        ctx = self.ctx
        ctx.order = order
        ctx.variables = {}
        trace = Trace(flow.name, flow.version) if self.keep_trace else None
        result = RouteResult(order.id, order.label, flow.name, flow.version,
                             carrier=order.carrier, trace=trace)
        try:
            flow.run(RunState(order, ctx, self.flows.network, self.state, result, trace))
        except FlowRuntimeError as exc:
            result.error = str(exc)
            result.reasons.append(f"error: {exc}")
        return result

    def route_many(self, orders: Iterable[Order], event: str | None = None) -> list[RouteResult]:
        with paused_gc():
            return [self.route(o, event) for o in orders]


def route_orders(orders: Iterable[Order], flows: FlowSet,
                 stock: StockLevels | Mapping[tuple[str, str], int] | RoutingState | None = None,
                 *, load: Mapping[str, int] | None = None, event: str | None = None,
                 now: datetime | None = None, history: HistorySource | None = None,
                 copy: bool = True, trace: bool = True) -> list[RouteResult]:
    """Route ``orders`` through ``flows`` against ``stock`` and today's ``load``.

    ``stock``: a StockLevels, ``{(warehouse, sku): on_hand}``, or a whole RoutingState.  With
    ``copy`` (the default) the given state is not changed: a what-if run.  One RouteResult per
    order, in order.
    """
    state = _state(stock, load)
    if copy:
        state = state.copy()
    router = Router(flows, state, now=now, history=history, trace=trace)
    return router.route_many(orders, event)


def route_replayed(orders: Sequence[Order], flows: FlowSet, state: RoutingState, *,
                   clock: Callable[[Order], datetime], history: HistorySource | None = None,
                   load_of_day: Callable[[datetime], Mapping[str, int]] | None = None,
                   trace: bool = True) -> list[RouteResult]:
    """Route ``orders`` (in arrival order) each at its own ``clock``, on a copy of ``state``.

    A warehouse's load is a day's pending orders, so when the clock passes midnight (the
    shop's) the load book starts again from ``load_of_day(clock)`` (the store's pending
    orders that day; nothing without a store): a week of sample orders never piles up as if
    it were one day.  Stock carries over, as reservations do."""
    router = Router(flows, state.copy(), history=history, trace=trace)
    tz = router.ctx.tz
    day = None
    results = []
    with paused_gc():
        for order in orders:
            now = clock(order)
            today = now.astimezone(tz).date()
            if day is not None and today != day:
                router.state.load = LoadBook(dict(load_of_day(now)) if load_of_day else {})
            day = today
            router.ctx.now = now
            results.append(router.route(order))
    return results


def _state(stock: Any, load: Mapping[str, int] | None) -> RoutingState:
    if isinstance(stock, RoutingState):
        state = stock
    elif isinstance(stock, StockLevels):
        state = RoutingState(stock)
    elif stock is None:
        state = RoutingState()
    else:
        state = RoutingState(StockLevels.from_mapping(stock))
    for code, n in (load or {}).items():
        state.load.pending[code] = n
    return state
