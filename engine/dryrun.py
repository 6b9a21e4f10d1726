"""Dry runs: what the rules and flows would do to sample orders, writing nothing.

``orderhub dry-run`` and ``orderhub rules diff`` judge orders read from files (or listed from the
store) against the workspace's history without touching the store, the outbox or the rule
files.  The commands print; the choices of what to judge, against which history and stock, are
made here.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from importlib import resources
from pathlib import Path
from typing import Any, Protocol

from ..catalog import Catalog
from ..dsl.context import HistorySource, MemoryHistory
from ..model import Order
from .routing.runtime import RouteResult
from .routing.workspace import RoutingWorkspace, workspace_flows
from .ruleset import Decision


class DryRunWorkspace(RoutingWorkspace, Protocol):
    """What a dry run needs of a workspace (:class:`orderhub.config.Workspace` is one)."""

    @property
    def existing_store(self) -> Any: ...
    @property
    def database_exists(self) -> bool: ...
    @property
    def catalog(self) -> Catalog: ...
    @property
    def mapping_dirs(self) -> list[Path]: ...


def sample_orders(ws: DryRunWorkspace, files: Sequence[Path], filters: dict[str, Any] | None
                  ) -> tuple[list[Order], HistorySource | None, list[Any]]:
    """The orders to judge, the history they are judged against (never written to), and the
    records of ``files`` that could not be read.  With ``filters`` (``store.list`` arguments)
    the orders come from the store, which is then their history; otherwise from ``files``,
    counted together with the stored orders (when there is a database), each order once."""
    if filters is not None:
        store = ws.store
        return store.list(**filters), store, []
    from ..connectors.ingest import read_orders
    from ..connectors.mapping import mappings
    from ..store.orders import latest_versions

    records, rejects = read_orders(files, mappings=mappings(ws.mapping_dirs), catalog=ws.catalog)
    orders = latest_versions(records)  # an order and its later snapshot: one order
    return orders, MemoryHistory(orders, base=ws.existing_store), rejects


def dry_run_routes(ws: DryRunWorkspace, orders: list[Order], flows_path: Path | None,
                   now: datetime, history: HistorySource | None = None, *,
                   replay: bool = False) -> list[RouteResult] | None:
    """Route the dry run's orders (against a copy of the stored stock) when ``flows_path`` is
    given or the workspace has its own flows folder; None otherwise.

    ``replay``: each order at its own time, in the order given (arrival order), the day's load
    starting afresh each day (see :func:`orderhub.engine.routing.router.route_replayed`); else
    every order at ``now``."""
    from ..connectors.transforms import zone
    from .routing import route_orders
    from .routing.router import route_replayed
    from .routing.whatif import starting_state
    from .ruleset import order_clock

    own = ws.content_dir("flows").resolve()
    packaged = Path(str(resources.files("orderhub.flows"))).resolve()
    # the repository root (an editable install) holds the packaged flows/: not the user's own
    if flows_path is None and own == packaged:
        return None
    flows = workspace_flows(ws, [flows_path] if flows_path else None)
    tz = zone(ws.config.timezone)
    start = order_clock(orders[0], now) if replay and orders else now
    state, _, _ = starting_state(ws, flows, start.astimezone(tz), use_store=ws.database_exists)
    if not replay:
        return route_orders(orders, flows, state, now=now, history=history)  # type: ignore[arg-type]
    today = datetime.now(tz).date()

    def load_of_day(at: datetime) -> dict[str, int]:
        """The store knows the pending load of the current day only; a past day starts
        empty (its orders are the ones replayed)."""
        store = ws.existing_store
        if store is None or at.astimezone(tz).date() != today:
            return {}
        from .routing.stock import RoutingStore

        return RoutingStore(store.engine).load_today(at, tz)

    state.load.pending = dict(load_of_day(start))
    return route_replayed(orders, flows, state, clock=lambda o: order_clock(o, now),
                          history=history, load_of_day=load_of_day)  # type: ignore[arg-type]


def order_label(d: Decision) -> str:
    """``platform:number``, how reports name an order."""
    return f"{d.platform}:{d.platform_order_no}"


def diff_decisions(old: list[Decision], new: list[Decision]) -> dict[str, Any]:
    """Per-order rule changes and per-rule hit counts between two runs over the same orders."""
    changes = []
    hits: dict[str, dict[str, int]] = {}
    for a, b in zip(old, new, strict=True):
        ra, rb = {f.rule for f in a.fired}, {f.rule for f in b.fired}
        for r in ra:
            hits.setdefault(r, {"old": 0, "new": 0})["old"] += 1
        for r in rb:
            hits.setdefault(r, {"old": 0, "new": 0})["new"] += 1
        if ra != rb:
            changes.append({"order": order_label(b), "order_id": b.order_id,
                            "removed": sorted(ra - rb), "added": sorted(rb - ra)})
    return {"orders": changes, "hits": hits}
