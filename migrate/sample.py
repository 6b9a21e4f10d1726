"""``check --sample N``: import the first N good rows into a scratch database, end to end.

The scratch store is a SQLite file in a temporary folder, thrown away afterwards, so the real
store is never touched.  After the import, the workspace's rules (``orderhub.engine.ruleset``)
and routing flows (``orderhub.engine.routing``) run on the sample.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..connectors.mapping import Mapping
from ..model import Order
from ..store import OrderStore
from .convert import Converted, Converter, batch_id


@dataclass
class SampleReport:
    """What happened to the sample: orders stored, events they made, what rules/flows said."""

    requested: int
    imported: int = 0
    events: int = 0
    statuses: dict[str, int] = field(default_factory=dict)
    engine: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"requested": self.requested, "imported": self.imported, "events": self.events,
                "statuses": self.statuses, "engine": self.engine}


def sample(path: Path, mapping: Mapping, n: int, workspace: Any = None) -> SampleReport:
    """Import the first ``n`` importable rows of ``path`` into a scratch store and run the
    workspace's rules and flows on them."""
    report = SampleReport(n)
    orders: list[Order] = []
    batch = batch_id(path, mapping)
    for out in Converter(mapping, Path(path)).outcomes():
        if isinstance(out, Converted):
            out.order.batch = batch
            orders.append(out.order)
            if len(orders) >= n:
                break
    with tempfile.TemporaryDirectory(prefix="orderhub-sample-") as tmp:
        store = OrderStore.open(f"sqlite:///{Path(tmp) / 'sample.db'}")
        try:
            result = store.upsert(orders)
            report.imported, report.events = result.new + result.updated, result.events
            report.statuses = {s: n for s, n in store.counts_by("status")}
            report.engine = run_rules_and_flows(store, workspace)
        finally:
            store.engine.dispose()
    return report


def run_rules_and_flows(store: OrderStore, workspace: Any) -> list[str]:
    """Run the workspace's rules and routing flows on every order of the scratch store; one
    line per finding for the report.  Nothing outside the scratch store is written: flows route
    against empty stock (a what-if), rules count history in the scratch store."""
    if workspace is None:
        return ["rules and flows: no workspace given; sample import only"]
    from collections import Counter

    from ..errors import OrderhubError

    orders = store.list(limit=None)
    lines: list[str] = []
    try:
        from ..engine.ruleset import load_rules

        ruleset = load_rules(workspace.content_dir("rules"),
                             timezone=workspace.config.timezone, run_examples=False)
        decisions = ruleset.evaluate_batch(orders, ruleset.context(history=store))
        fired = Counter(f.rule for d in decisions for f in d.fired)
        errors = sum(len(d.errors) for d in decisions)
        lines.append(f"rules: {len(ruleset)} rule(s) on {len(orders)} order(s); "
                     + (", ".join(f"{r} fired {n}x" for r, n in fired.most_common())
                        or "none fired") + (f"; {errors} error(s)" if errors else ""))
    except OrderhubError as exc:
        lines.append(f"rules: cannot run: {exc}")
    try:
        from ..engine.routing import RoutingState, route_orders
        from ..engine.routing.workspace import workspace_flows

        routes = route_orders(orders, workspace_flows(workspace), RoutingState(), history=store,
                              trace=False)
        where = Counter(r.error and "error" or r.warehouse or "not routed" for r in routes)
        lines.append(f"flows: {len(routes)} order(s) routed against empty stock; "
                     + ", ".join(f"{w} {n}" for w, n in where.most_common()))
    except OrderhubError as exc:
        lines.append(f"flows: cannot run: {exc}")
    return lines
