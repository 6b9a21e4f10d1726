"""``orderhub demo``: the main job, end to end, on the bundled examples and embedded SQLite."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import click

from ..cli import App, pass_app
from ..config import Workspace, init_workspace
from ..connectors.ingest import ingest
from ..engine.ruleset import Decision, load_rules
from ..model import Order
from ._output import flag, note, table
from ._reports import ingest_report, pull_report

DEMO_DIR = Path("orderhub-demo")
#: The bundled examples are a snapshot as of this time (examples/README.md).
SNAPSHOT = datetime(2025, 11, 26, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
#: Orders whose waybill is not printed yet: what exception interception is for.
CHECKED_STATUSES = ("paid", "refunding")


@dataclass
class RiskCheck:
    """The rules' verdict on the stored orders awaiting shipment, at one clock."""

    orders: list[Order]
    decisions: list[Decision]
    hits: Counter[str]
    rule_names: dict[str, str]

    def hit_orders(self, rule_id: str) -> list[str]:
        """``platform:number`` of the orders ``rule_id`` fired on."""
        return [f"{d.platform}:{d.platform_order_no}" for d in self.decisions
                if any(f.rule == rule_id for f in d.fired)]


def risk_check(ws: Workspace, now: datetime = SNAPSHOT,
               statuses: tuple[str, ...] = CHECKED_STATUSES) -> RiskCheck:
    """Evaluate the workspace's rules over its stored orders in ``statuses``; writes nothing.

    History functions count every stored order (all statuses), as the live engine would."""
    ruleset = load_rules(ws.content_dir("rules"), timezone=str(ws.config.timezone))
    orders = [o for status in statuses for o in ws.store.list(status=status, limit=None)]
    decisions = ruleset.evaluate_batch(orders, ruleset.context(now=now, history=ws.store))
    hits = Counter(f.rule for d in decisions for f in d.fired)
    return RiskCheck(orders, decisions, hits, {r.id: r.name for r in ruleset})


def _refund_delay(order: Order) -> timedelta | None:
    if order.refund is None or order.refund.requested_at is None:
        return None
    return order.refund.requested_at - order.created_at


def _show_risk_check(check: RiskCheck, per_rule: int = 2) -> None:
    table("hits per rule", ["rule", "name", "orders"],
          [[rid, name, check.hits.get(rid, 0)] for rid, name in check.rule_names.items()])
    rows: list[list[Any]] = []
    for rid in check.rule_names:
        shown = 0
        for d in check.decisions:
            fired = next((f for f in d.fired if f.rule == rid), None)
            if fired is None or shown == per_rule:
                continue
            shown += 1
            rows.append([f"{d.platform}:{d.platform_order_no}", f"{fired.name} ({rid})",
                         "\n".join(a.summary() for a in fired.actions), "\n".join(fired.why)])
    table(f"example hits (at most {per_rule} per rule)", ["order", "rule", "would do", "why"],
          rows)
    # the article's 10-minute line, on the orders planted around it
    edge = sorted(((delay, o, d) for o, d in zip(check.orders, check.decisions, strict=True)
                   if (delay := _refund_delay(o)) is not None
                   and timedelta(minutes=9, seconds=50) <= delay <= timedelta(minutes=10,
                                                                                seconds=10)),
                  key=lambda t: (t[0], t[1].platform.value))
    table("refunds requested around 10 minutes after ordering", ["order", "refund after",
                                                                 "high_risk_refund"],
          [[f"{o.platform.value}:{o.platform_order_no}", _duration(delay),
            "fires" if any(f.rule == "high_risk_refund" for f in d.fired) else "no"]
           for delay, o, d in edge])


def _duration(delay: timedelta) -> str:
    seconds = int(delay.total_seconds())
    return f"{seconds // 60}m{seconds % 60:02d}s"


@click.command("demo")
@click.option("--keep", is_flag=True, help="Keep the demo database from an earlier run.")
@pass_app
def demo_command(app: App, keep: bool) -> None:
    """Run the whole job on the bundled examples, in ./orderhub-demo (or --workspace).

    Ingests every platform's sample orders and exports (four platforms, with planted duplicates,
    later modifications and malformed records), pulls from the four platforms' order APIs as
    served by the local simulator, then shows what landed and what was rejected.
    Afterwards, explore with e.g. `orderhub -w orderhub-demo orders list`.

    \b
    Examples:
      orderhub demo
      orderhub demo --keep
      orderhub -w /tmp/try-orderhub demo
    """
    root = app.workspace_dir or DEMO_DIR
    if not keep and app.db_url is None:
        for name in ("orderhub.db", "orderhub.db-wal", "orderhub.db-shm"):
            (root / name).unlink(missing_ok=True)
    init_workspace(root)
    ws = Workspace.load(root, db_url=app.db_url)
    samples = root / "samples"
    orders = sorted((samples / "orders").glob("*.json"))
    updates = sorted((samples / "orders" / "updates").glob("*.json"))
    exports = sorted((samples / "exports").glob("ExportOrderList*.csv"))
    flag("1. Ingest", "bold", f"each platform's order API responses into {ws.db_url}")
    ingest_report(ingest(ws.store, orders, catalog=ws.catalog), "table")
    flag("2. Ingest", "bold", "a Taobao 订单报表 export (GBK, with its =\"...\" quirks)")
    ingest_report(ingest(ws.store, exports, catalog=ws.catalog), "table")
    flag("3. Ingest", "bold", "later snapshots: shipped, refunds requested, addresses changed")
    ingest_report(ingest(ws.store, updates, catalog=ws.catalog), "table")
    flag("4. Re-ingest", "bold", "everything: nothing changes the second time")
    ingest_report(ingest(ws.store, orders + updates + exports, catalog=ws.catalog), "table")
    flag("5. Risk check", "bold", f"the rules in {ws.content_dir('rules')} over the "
         f"{' and '.join(CHECKED_STATUSES)} orders, clock {SNAPSHOT:%Y-%m-%d %H:%M} "
         f"(the examples' snapshot); nothing is held or sent")
    check = risk_check(ws)
    _show_risk_check(check)
    note(f"{len(check.orders)} orders checked, {sum(check.hits.values())} hits")
    _route_paid_orders(ws)
    _pull_from_simulator(ws)
    table("orders by platform and status", ["platform", "status", "orders"],
          ws.store.counts_by("platform", "status"))
    _closing_hint(ws, root)
    _console_login(ws, root)


def _closing_hint(ws: Workspace, root: Path) -> None:
    """Commands to try next, one per line, each runnable as printed (a real order number)."""
    import shlex

    w = shlex.quote(str(root))
    some = ws.store.list(platform="jd", limit=1) or ws.store.list(limit=1)
    platform = some[0].platform.value if some else "jd"
    show = shlex.quote(some[0].label) if some else "jd:NUMBER"
    note("explore, one command per line:")
    for command in (f"orderhub -w {w} orders list --platform {platform}",
                    f"orderhub -w {w} orders show {show}",
                    f"orderhub -w {w} dry-run --store --at '{SNAPSHOT:%Y-%m-%d %H:%M}' "
                    "--why-not purchase_limit"):
        note(f"  {command}")


DEMO_USER, DEMO_PASSWORD = "demo", "orderhub-demo"


def _console_login(ws: Workspace, root: Path) -> None:
    """A demo admin for the staff console, and how to open it."""
    from ..web.users import UserStore

    users = UserStore(ws.store.engine)
    if DEMO_USER not in {u.name for u in users.list()}:
        users.add(DEMO_USER, "admin", DEMO_PASSWORD)
    cfg = ws.config.web
    note(f"console: orderhub -w {root} web   then open http://{cfg.host}:{cfg.port}/ and sign "
         f"in as {DEMO_USER} / {DEMO_PASSWORD} (a demo admin; never keep it in production)")


# -- step 6, routing flows -----------------------------------------------------------------------


def _route_paid_orders(ws: Workspace) -> None:
    """The paid orders through the article's routing flow, against the sample stock; a what-if
    that reserves and sends nothing."""
    from ..engine.routing.whatif import simulate

    paid = ws.store.list(status="paid", limit=None)
    flag("6. Route", "bold", f"the {len(paid)} paid orders through "
         f"{ws.content_dir('flows')} (what-if: nothing is reserved or sent)")
    sim = simulate(ws, paid, now=SNAPSHOT)
    report = sim.report
    table(f"routing: {report.orders} orders, {report.unassigned} without a warehouse "
          f"(stock from {sim.stock_source})",
          ["warehouse", "name", "assigned", "diverted in", "stock-outs", "load end"],
          [[w.code, w.name, w.assigned, w.diverted_in, w.stockouts, w.end_load]
           for w in report.warehouses])
    examples = [r for r in report.results if r.warehouse][:4]
    table("example routes", ["order", "warehouse", "path", "why"],
          [[r.order, r.warehouse, " → ".join(r.path), "; ".join(r.reasons[-2:])]
           for r in examples])


# -- step 7, connectors: the platforms' APIs ---------------------------------------------------


def _pull_from_simulator(ws: Workspace) -> None:
    """Pull every platform's orders from the simulator, started on a free local port."""
    import os

    from ..connectors.pull import pull_shop
    from ..simulator import Simulator

    with Simulator(port=0, seed=1, orders=100, history_hours=3) as sim:
        flag("7. Pull", "bold", f"from the Taobao/JD/PDD/Douyin APIs (simulated at {sim.url})")
        summaries = [pull_shop(ws, shop)
                     for shop in sim.shops(os.environ, all={"window": {"initial_hours": 4}})]
    pull_report(summaries, "table", ws.config.timezone)


COMMANDS = [demo_command]
