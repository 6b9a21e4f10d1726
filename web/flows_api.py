"""What the Flows page does: the workspace's flows as diagrams, and the what-if of
:mod:`orderhub.engine.routing.whatif` with changed warehouse thresholds over a day's orders."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from ..engine.routing.loader import load_flows
from ..engine.routing.outputs import SimulationReport
from ..engine.routing.whatif import simulate
from ..engine.routing.workspace import workspace_flows, workspace_network
from .flowchart import Diagram, diagram


def diagrams(ws: Any) -> list[Diagram]:
    return [diagram(f) for f in workspace_flows(ws)]


def thresholds(ws: Any) -> dict[str, tuple[str, int | None]]:
    """Warehouse code -> (name, daily threshold) as configured."""
    return {w.code: (w.name, w.daily_threshold) for w in workspace_network(ws).configs}


def latest_day(store: Any, tz: ZoneInfo) -> date:
    """Today, or the day of the newest stored order when nothing was ordered today."""
    today = datetime.now(tz).date()
    found = store.list(since=datetime.combine(today, time(), tz), limit=1)
    if found:
        return today
    total = store.count()
    last = store.list(offset=max(0, total - 1), limit=1)
    return last[0].created_at.astimezone(tz).date() if last else today


def what_if(ws: Any, store: Any, changed: dict[str, int], day: date) -> SimulationReport:
    """The day's stored orders through the flows, with ``changed`` thresholds; writes nothing."""
    tz = ZoneInfo(ws.config.timezone)
    base = workspace_network(ws)
    configs = [w.model_copy(update={"daily_threshold": changed[w.code]})
               if w.code in changed else w for w in base.configs]
    flows = load_flows(ws.content_dir("flows"), network=type(base)(configs, base.geo),
                       timezone=ws.config.timezone)
    start = datetime.combine(day, time(), tz)
    orders = store.list(since=start, until=start + timedelta(days=1), limit=None)
    return simulate(ws, orders, flows=flows, now=start + timedelta(hours=23, minutes=59)).report
