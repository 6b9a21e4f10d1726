"""What-if routing: a batch of orders through a workspace's flows, changing nothing.

``orderhub simulate``, ``orderhub demo`` and the migration's sample check all ask the same
question (what would the flows do to these orders against today's stock and load?), so the
answer lives here, under the commands.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from ...errors import RecordError
from ...model import Order
from .flowset import FlowSet
from .outputs import SimulationReport, summarize
from .router import Router
from .state import RoutingState, StockLevels
from .stock import read_stock_csv
from .workspace import routing_state, workspace_flows


@dataclass
class Simulation:
    report: SimulationReport
    stock_source: str
    skipped: list[RecordError]


def starting_state(ws: Any, flows: FlowSet, now: datetime, stock_csv: Path | None = None, *,
                   use_store: bool = True) -> tuple[RoutingState, str, list[RecordError]]:
    """Stock and today's load to start from, and where the stock came from.

    An explicit CSV wins; else the store's stock; a workspace whose store has no stock yet (no
    ``orderhub stock import`` so far) starts from its ``stock.csv``, so a first what-if is not a
    wall of stock-outs.  ``use_store=False`` never touches the database (a dry-run must not
    create one).
    """
    state = routing_state(ws, now) if use_store else RoutingState()
    if stock_csv is None and len(state.stock) == 0:
        default = ws.path(ws.config.stock)
        if default.is_file():
            stock_csv = default
    if stock_csv is None:
        return state, "the store" if use_store else "nowhere (no stock)", []
    rows, bad = read_stock_csv(stock_csv, flows.network.codes)
    fresh = RoutingState(StockLevels(rows))
    fresh.load.pending.update(state.load.pending)
    return fresh, str(stock_csv), bad


def simulate(ws: Any, orders: Sequence[Order], *, flows: FlowSet | None = None,
             stock_csv: Path | None = None, now: datetime | None = None) -> Simulation:
    """Route ``orders`` on a copy of the starting state; nothing is stored or reserved."""
    from ...connectors.transforms import zone

    flows = flows or workspace_flows(ws)
    now = now or datetime.now(zone(ws.config.timezone))
    before, source, skipped = starting_state(ws, flows, now, stock_csv)
    after = before.copy()
    results = Router(flows, after, now=now).route_many(orders)
    report = summarize(results, flows.network, before, after)
    return Simulation(report, source, skipped)
