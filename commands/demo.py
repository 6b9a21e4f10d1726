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
    later modifications and malformed records), then shows what landed and what was rejected.
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
    table("orders by platform and status", ["platform", "status", "orders"],
          ws.store.counts_by("platform", "status"))
    note(f"explore: orderhub -w {root} orders list --platform jd | orders show jd:NUMBER")




COMMANDS = [demo_command]
