"""``orderhub stock push``: the platforms' listings brought to what each shop may sell."""

from __future__ import annotations

import click

from ..cli import App, pass_app
from ..service.stock_sync import enqueue, plan, workspace_listings
from ._output import FORMAT_OPTION, echo_json, note, table


@click.command("push")
@click.option("--dry-run", is_flag=True, help="Show what would be pushed; queue nothing.")
@FORMAT_OPTION
@pass_app
def push_command(app: App, dry_run: bool, fmt: str) -> None:
    """Queue stock pushes for every listing whose offer changed.

    For each shop with `stock_push: {enabled: true}` in orderhub.yaml and each of its rows in
    listings.csv (shop,sku,item_id,sku_id), the offer is floor((available - safety_stock) *
    share), never below 0; only listings whose offer differs from the last one queued are
    pushed, as full quantities through the outbox (the service sends them). The running
    service does this by itself every service.stock_push_seconds.

    \b
    Examples:
      orderhub stock push --dry-run
      orderhub stock push --format json
    """
    ws = app.workspace
    shops = [s for s in ws.config.shops if s.stock_push.enabled]
    if not shops:
        note("no shop has stock_push enabled in orderhub.yaml: nothing to push")
    pushes = plan(ws.store.engine, shops, workspace_listings(ws))
    rows = [{"shop": p.shop, "platform": p.platform, "sku": i.sku, "item_id": i.item_id,
             "sku_id": i.sku_id, "quantity": i.quantity} for p in pushes for i in p.items]
    queued = 0 if dry_run else enqueue(ws.store.engine, pushes)
    if fmt == "json":
        echo_json({"listings": rows, "messages": queued, "dry_run": dry_run})
        return
    title = f"{len(rows)} listing(s) to update" + (" (dry run: nothing queued)" if dry_run
                                                   else f"; {queued} message(s) queued")
    table(title, ["shop", "platform", "sku", "item", "platform sku", "quantity"],
          [[r["shop"], r["platform"], r["sku"], r["item_id"], r["sku_id"], r["quantity"]]
           for r in rows])
