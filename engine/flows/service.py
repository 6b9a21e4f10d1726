"""Flows in a workspace: loading them against its warehouses, routing stored orders.

:func:`workspace_flows` loads a workspace's flows with its warehouse set and regions.
:func:`route_events` is what a worker runs: read order events after a cursor, route the orders
whose events trigger a flow, store the decisions and reservations in one batch each.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from ...gcpause import paused_gc
from .flowset import FlowSet
from .loader import load_flows
from .router import Router
from .runtime import RouteResult
from .state import RoutingState
from .stock import RoutingStore
from .warehouses import Network


def workspace_network(ws: Any) -> Network:
    """The workspace's warehouses (the example set when its config has none) and regions."""
    from ...builtins.geo import default_geo
    from ...config import CONFIG_NAME, default_warehouses

    cfg = ws.config
    geo = default_geo()
    if cfg.regions:
        geo = geo.with_regions(cfg.regions, source=str(ws.root / CONFIG_NAME))
    return Network(cfg.warehouses or default_warehouses(), geo)


def workspace_flows(ws: Any, paths: Path | str | list[Path] | None = None) -> FlowSet:
    """Load ``paths`` (default: the workspace's ``flows/``) against its warehouses."""
    return load_flows(paths or ws.content_dir("flows"), network=workspace_network(ws),
                      timezone=ws.config.timezone)


def routing_state(ws: Any, now: datetime) -> RoutingState:
    """Current stock and today's pending load from the workspace's store."""
    from ...connectors.transforms import zone

    rs = RoutingStore(ws.store.engine)
    state = RoutingState(rs.load_stock())
    state.load.pending.update(rs.load_today(now, zone(ws.config.timezone)))
    return state


@dataclass
class EventRun:
    results: list[RouteResult] = field(default_factory=list)
    last_event: int = 0
    events: int = 0


def route_events(store: Any, flows: FlowSet, state: RoutingState, *, after: int = 0,
                 limit: int = 5000, now: datetime | None = None) -> EventRun:
    """Route the orders whose events (after event id ``after``) trigger a flow; store the
    decisions and the stock reservations.  Returns the results and the last event id seen."""
    run = EventRun(last_event=after)
    events = store.events(after=after, limit=limit)
    wanted = flows.events
    router = Router(flows, state, now=now, history=store)
    with paused_gc():
        for ev in events:
            run.events += 1
            run.last_event = ev.id
            if ev.type in wanted:
                run.results.append(router.route(store.get(ev.order_id), ev.type))
    RoutingStore(store.engine).write(run.results, state.stock, now=now)
    return run
