"""Flows in a workspace: loading them against its warehouses, routing stored orders.

:func:`workspace_flows` loads a workspace's flows with its warehouse set and regions.
:func:`route_events` is ``orderhub flows route``: read order events after its stored cursor,
route each order whose events trigger a flow once, store the decisions, reservations and the
cursor in one transaction a batch.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import Connection

from ...gcpause import paused_gc
from ...model import CONFIG_NAME
from ..recipients import Recipients
from .flowset import FlowSet
from .ledger import reserve_routes
from .loader import load_flows
from .once import ROUTE_CURSOR, read_cursor, routed_already, save_cursor
from .router import Router
from .runtime import RouteResult
from .state import RoutingState
from .stock import RoutingStore, lock_skus, order_skus
from .warehouses import Network, WarehouseConfig, default_warehouses


class RoutingConfig(Protocol):
    """The parts of a workspace's config routing reads."""

    @property
    def timezone(self) -> str: ...
    @property
    def warehouses(self) -> list[WarehouseConfig]: ...
    @property
    def regions(self) -> dict[str, list[str]] | None: ...
    @property
    def lists(self) -> str: ...
    @property
    def recipients(self) -> Mapping[str, Any]: ...


class RoutingWorkspace(Protocol):
    """What routing needs of a workspace.  :class:`orderhub.config.Workspace` is one; the
    engine names the shape here so it never imports the workspace module, a layer above it."""

    @property
    def root(self) -> Path: ...
    @property
    def config(self) -> RoutingConfig: ...
    @property
    def store(self) -> Any: ...
    def content_dir(self, kind: str) -> Path: ...
    def path(self, relative: str) -> Path: ...


def workspace_network(ws: RoutingWorkspace) -> Network:
    """The workspace's warehouses (the example set when its config has none) and regions."""
    from ...geo import default_geo

    cfg = ws.config
    geo = default_geo()
    if cfg.regions:
        geo = geo.with_regions(cfg.regions, source=str(ws.root / CONFIG_NAME))
    return Network(cfg.warehouses or default_warehouses(), geo)


def workspace_flows(ws: RoutingWorkspace, paths: Path | str | list[Path] | None = None) -> FlowSet:
    """Load ``paths`` (default: the workspace's ``flows/``) against its warehouses."""
    return load_flows(paths or ws.content_dir("flows"), network=workspace_network(ws),
                      timezone=ws.config.timezone, lists=ws.path(ws.config.lists),
                      recipients=Recipients(ws.config.recipients))


def routing_state(ws: RoutingWorkspace, now: datetime,
                  skus: Iterable[str] | None = None) -> RoutingState:
    """Current stock (of ``skus`` only, when given: those a router has locked) and today's
    pending load from the workspace's store."""
    from ...connectors.transforms import zone

    rs = RoutingStore(ws.store.engine)
    state = RoutingState(rs.load_stock(skus))
    state.load.pending.update(rs.load_today(now, zone(ws.config.timezone)))
    return state


@dataclass
class EventRun:
    results: list[RouteResult] = field(default_factory=list)
    last_event: int = 0
    events: int = 0
    #: orders whose event would trigger a flow but that were routed before (or are history)
    skipped: int = 0


def route_events(store: Any, flows: FlowSet, state: RoutingState, *, after: int | None = None,
                 limit: int = 5000, now: datetime | None = None,
                 cursor: str = ROUTE_CURSOR) -> EventRun:
    """Route the orders whose events trigger a flow, each order once; store the decisions
    and the stock reservations.  Returns the results and the last event id read.

    Reads the event log after the stored ``cursor`` (or after event id ``after`` when given),
    ``limit`` events a batch, until the end.  An order that already has a routing decision
    (an earlier run, the service) or is history is skipped.  Each batch commits its
    decisions, reservations (with their ledger rows) and the cursor together: running this
    twice reserves what one run does.

    On PostgreSQL a batch is read, routed and written in one transaction holding the locks
    of its orders' SKUs (:func:`~.stock.lock_skus`), with their stock read inside it.  On
    SQLite (one writer at a time, and a writer's transaction would lock out the reads
    routing makes) the batch is routed first and written if nobody moved the
    cursor or routed one of its orders meanwhile; else it is routed again."""
    run = EventRun()
    ctx = _RouteRun(store, flows.events, RoutingStore(store.engine),
                    Router(flows, state, now=now, history=store), state, limit, cursor, now)
    with store.engine.connect() as conn:
        step = _step_locked if conn.dialect.name == "postgresql" else _step_optimistic
        while True:
            with paused_gc():  # a batch's orders and results live until it is written
                done = step(conn, ctx, after)
            if done is None:
                break
            events, batch, skipped = done
            run.results.extend(batch)
            run.events += len(events)
            run.skipped += skipped
            run.last_event = events[-1].id
            after = None if after is None else run.last_event
            if len(events) < limit:
                break
    return run


@dataclass
class _RouteRun:
    store: Any
    wanted: Any
    rs: RoutingStore
    router: Router
    state: RoutingState
    limit: int
    cursor: str
    now: datetime | None

    def plan(self, conn: Connection, start: int) -> tuple[list[Any], list[RouteResult], int]:
        """The events after ``start``, and the routing of their orders not routed yet.

        The SKUs of those orders are locked first (PostgreSQL, to the end of ``conn``'s
        transaction), then their stock and whether they were routed already are read: a
        batch waits only for batches that route the same SKUs."""
        events = self.store.events(after=start, limit=self.limit)
        if not events:
            return events, [], 0
        orders = {e.order_id: self.store.get(e.order_id)
                  for e in events if e.type in self.wanted}
        skus = order_skus(orders.values())
        ids = set(orders)
        if conn.in_transaction():
            lock_skus(conn, skus)
            skip = routed_already(conn, ids)
        else:
            with conn.begin():
                skip = routed_already(conn, ids)
        self.state.stock = self.rs.load_stock(skus)  # as of now
        batch, skipped = _route_batch(self.router, orders, events, self.wanted, skip)
        return events, batch, skipped

    def write(self, conn: Connection, events: list[Any], batch: list[RouteResult]) -> None:
        stamp = self.now or datetime.now(UTC)
        self.rs.insert_decisions(conn, batch, stamp)
        reserve_routes(conn, batch, now=stamp)
        save_cursor(conn, events[-1].id, self.cursor, now=stamp)


_Step = tuple[list[Any], list[RouteResult], int]


def _step_locked(conn: Connection, run: _RouteRun, after: int | None) -> _Step | None:
    with conn.begin():
        start = read_cursor(conn, run.cursor, lock=True) if after is None else after
        events, batch, skipped = run.plan(conn, start)
        if not events:
            return None
        run.write(conn, events, batch)
    return events, batch, skipped


def _step_optimistic(conn: Connection, run: _RouteRun, after: int | None) -> _Step | None:
    while True:
        with conn.begin():
            start = read_cursor(conn, run.cursor) if after is None else after
        events, batch, skipped = run.plan(conn, start)
        if not events:
            return None
        with conn.begin():
            moved = after is None and read_cursor(conn, run.cursor) != start
            if not moved and not routed_already(conn, {r.order_id for r in batch
                                                       if r.order_id}):
                run.write(conn, events, batch)
                return events, batch, skipped


def _route_batch(router: Router, orders: dict[str, Any], events: list[Any], wanted: Any,
                 skip: set[str]) -> tuple[list[RouteResult], int]:
    out, skipped = [], 0
    with paused_gc():
        for ev in events:
            if ev.type not in wanted:
                continue
            if ev.order_id in skip:
                skipped += 1
                continue
            skip.add(ev.order_id)  # a second trigger of the same order in this batch
            out.append(router.route(orders[ev.order_id], ev.type))
    return out, skipped
