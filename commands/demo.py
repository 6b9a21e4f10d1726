"""``orderhub demo``: the main job, end to end, on the bundled examples and embedded SQLite."""

from __future__ import annotations

from pathlib import Path

import click

from ..cli import App, pass_app
from ..config import Workspace, init_workspace
from ..connectors.ingest import ingest
from ._output import note, table
from .ingest import _report

DEMO_DIR = Path("orderhub-demo")


@click.command("demo")
@click.option("--keep", is_flag=True, help="Keep the demo database from an earlier run.")
@pass_app
def demo_command(app: App, keep: bool) -> None:
    """Run the whole job on the bundled examples, in ./orderhub-demo (or --workspace).

    Ingests every platform's sample orders and exports (four platforms, with planted duplicates,
    later modifications and malformed records), pulls from the four platforms' order APIs as
    served by the local simulator, then shows what landed and what was rejected.
    Afterwards, explore with e.g. `orderhub -w orderhub-demo orders list`.
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
    note(f"[bold]1. Ingest[/bold] each platform's order API responses into {ws.db_url}")
    _report(ingest(ws.store, orders, catalog=ws.catalog), "table")
    note("[bold]2. Ingest[/bold] a Taobao 订单报表 export (GBK, with its =\"...\" quirks)")
    _report(ingest(ws.store, exports, catalog=ws.catalog), "table")
    note("[bold]3. Ingest[/bold] later snapshots: shipped, refunds requested, addresses changed")
    _report(ingest(ws.store, updates, catalog=ws.catalog), "table")
    note("[bold]4. Re-ingest[/bold] everything: nothing changes the second time")
    _report(ingest(ws.store, orders + updates + exports, catalog=ws.catalog), "table")
    _pull_from_simulator(ws)
    table("orders by platform and status", ["platform", "status", "orders"],
          ws.store.counts_by("platform", "status"))
    note(f"explore: orderhub -w {root} orders list --platform jd | orders show jd:NUMBER")


# -- step 5, connectors: the platforms' APIs ---------------------------------------------------


def _pull_from_simulator(ws: Workspace) -> None:
    """Pull every platform's orders from the simulator, started on a free local port."""
    import os

    from ..connectors.pull import pull_shop
    from ..simulator import Simulator
    from .pull import _report as report_pull

    with Simulator(port=0, seed=1, orders=100, history_hours=3) as sim:
        note(f"[bold]5. Pull[/bold] from the Taobao/JD/PDD/Douyin APIs (simulated at {sim.url})")
        summaries = [pull_shop(ws, shop)
                     for shop in sim.shops(os.environ, all={"window": {"initial_hours": 4}})]
    report_pull(summaries, "table", ws.config.timezone)


COMMANDS = [demo_command]
