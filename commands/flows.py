"""``orderhub flows check|list|route``, ``schema flows``, ``simulate``, ``stock import|list``."""

from __future__ import annotations

import json
from datetime import datetime
from importlib import resources
from pathlib import Path

import click

from ..cli import EXIT_REJECTED, App, pass_app
from ._output import FORMAT_OPTION, echo_json, note, table
from .stockpush import push_command

PATHS = click.Path(exists=True, path_type=Path)


def _flows(app: App, paths: tuple[Path, ...] | list[Path] | None):  # type: ignore[no-untyped-def]
    from ..engine.flows.service import workspace_flows

    return workspace_flows(app.workspace, list(paths) if paths else None)


@click.group("flows")
def flows_group() -> None:
    """Routing flows (flows/*.yaml): check, list, route stored orders."""


@flows_group.command("check")
@click.argument("paths", nargs=-1, type=PATHS)
@pass_app
def check_command(app: App, paths: tuple[Path, ...]) -> None:
    """Check flow files (default: the workspace's flows/); every mistake, file:line:col."""
    flows = _flows(app, paths)
    for w in flows.warnings:
        note(w.render().replace("error:", "warning:", 1))
    names = ", ".join(f"{f.name} ({f.version})" for f in flows)
    click.echo(f"ok: {len(flows)} flow(s) in {len(flows.files)} file(s): {names}")


@flows_group.command("list")
@click.argument("paths", nargs=-1, type=PATHS)
@FORMAT_OPTION
@pass_app
def list_command(app: App, paths: tuple[Path, ...], fmt: str) -> None:
    """The flows, their triggers and versions."""
    flows = _flows(app, paths)
    rows = [{"name": f.name, "trigger": f.event, "when": f.when.source if f.when else None,
             "start": f.start, "nodes": len(f.steps), "version": f.version, "file": f.path,
             "description": f.description} for f in flows]
    if fmt == "json":
        for r in rows:
            echo_json(r)
        return
    table(f"{len(rows)} flow(s)", ["name", "trigger", "when", "nodes", "version", "file"],
          [[r["name"], r["trigger"] or "(sub-flow)", r["when"], r["nodes"], r["version"],
            r["file"]] for r in rows])


@flows_group.command("route")
@click.option("--after", type=int, default=0, show_default=True, metavar="EVENT_ID",
              help="Route orders whose events come after this event id.")
@click.option("--flows", "flow_paths", multiple=True, type=PATHS)
@FORMAT_OPTION
@pass_app
def route_command(app: App, after: int, flow_paths: tuple[Path, ...], fmt: str) -> None:
    """Route stored orders whose events trigger a flow; store decisions and reservations."""
    from ..connectors.transforms import zone
    from ..engine.flows.service import route_events, routing_state

    ws = app.workspace
    flows = _flows(app, flow_paths)
    now = datetime.now(zone(ws.config.timezone))
    run = route_events(ws.store, flows, routing_state(ws, now), after=after, now=now)
    if fmt == "json":
        for r in run.results:
            echo_json({"order": r.order, "order_id": r.order_id, "route": r.as_json()})
    else:
        table(f"{len(run.results)} order(s) routed", ["order", "warehouse", "path", "reasons"],
              [[r.order, r.warehouse, " → ".join(r.path), "; ".join(r.reasons)]
               for r in run.results if r.flow])
    note(f"last event: {run.last_event}")


@click.group("schema")
def schema_group() -> None:
    """JSON Schemas of the file formats, for editors and scripts."""


@schema_group.command("flows")
def schema_flows() -> None:
    """The JSON Schema of flow files.  Editors with yaml-language-server use it when a flow
    starts with ``# yaml-language-server: $schema=<path to this output>``."""
    from ..engine.flows import json_schema

    click.echo(json.dumps(json_schema(), ensure_ascii=False, indent=2))


@schema_group.command("wms")
def schema_wms() -> None:
    """The JSON Schema of the WMS documents (order push, intercept, reply): docs/wms.md."""
    from ..fulfilment.wms import SCHEMA

    click.echo(json.dumps(SCHEMA, ensure_ascii=False, indent=2))


@click.command("simulate")
@click.option("--orders", "order_paths", multiple=True, required=True, type=PATHS,
              help="Order files or folders (any format `ingest` reads). Repeatable.")
@click.option("--flows", "flow_paths", multiple=True, type=PATHS,
              help="Flow files or folders (default: the workspace's flows/).")
@click.option("--stock", "stock_csv", type=PATHS,
              help="Stock CSV to use instead of the stored stock.")
@click.option("--threshold", type=int, help="Try one daily threshold for every warehouse.")
@click.option("--pick-lists", "pick_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Also write pick lists (CSV + HTML per warehouse) here.")
@FORMAT_OPTION
@pass_app
def simulate_command(app: App, order_paths: tuple[Path, ...], flow_paths: tuple[Path, ...],
                     stock_csv: Path | None, threshold: int | None, pick_dir: Path | None,
                     fmt: str) -> None:
    """Run a batch of orders through the flows against current stock; change nothing.

    Prints, per warehouse, orders assigned, diversions in and out, stock-outs and the load at
    the end of the day, so a threshold change can be judged before it is published.
    """
    from ..connectors.ingest import read_orders
    from ..connectors.mapping import mappings
    from ..engine.flows.outputs import write_pick_lists
    from ..engine.flows.whatif import simulate
    from .ingest import _expand

    ws = app.workspace
    flows = _flows(app, flow_paths)
    if threshold is not None:
        flows = _rebuild_thresholds(app, flow_paths, threshold)
    orders, rejects = read_orders(_expand(order_paths), catalog=ws.catalog,
                                  mappings=mappings(ws.mapping_dirs))
    for r in rejects:
        note(f"skipped: {r.file}, record {r.record}: {r.reason}")
    sim = simulate(ws, orders, flows=flows, stock_csv=stock_csv)
    for e in sim.skipped:
        note(f"skipped: {e.render()}")
    note(f"stock from {sim.stock_source}")
    report, results = sim.report, sim.report.results
    if pick_dir is not None:
        for p in write_pick_lists(results, pick_dir, flows.network):
            note(f"wrote {p}")
    if fmt == "json":
        echo_json(report.as_json())
        return
    table(f"simulation: {report.orders} order(s), {report.unassigned} without a warehouse",
          ["warehouse", "name", "assigned", "diverted in", "diverted out", "stock-outs",
           "load start", "load end", "threshold"],
          [[w.code, w.name, w.assigned, w.diverted_in, w.diverted_out, w.stockouts,
            w.start_load, w.end_load, w.threshold] for w in report.warehouses])
    if report.errors:
        note(f"{report.errors} order(s) failed in a flow; see `orderhub dry-run` for details")


def _rebuild_thresholds(app: App, flow_paths: tuple[Path, ...], threshold: int):  # type: ignore[no-untyped-def]
    """The flows compiled against warehouses whose threshold is ``threshold``."""
    from ..engine.flows.loader import load_flows
    from ..engine.flows.service import workspace_network

    ws = app.workspace
    base = workspace_network(ws)
    configs = [w.model_copy(update={"daily_threshold": threshold}) for w in base.configs]
    network = type(base)(configs, base.geo)
    return load_flows(list(flow_paths) or ws.content_dir("flows"), network=network,
                      timezone=ws.config.timezone)


@click.group("stock")
def stock_group() -> None:
    """Stock per warehouse and merchant SKU, used by routing."""


@stock_group.command("import")
@click.argument("path", type=PATHS)
@pass_app
def stock_import(app: App, path: Path) -> None:
    """Set stock from a CSV: warehouse, sku, on_hand[, reserved] (or 仓库, 商家编码, 库存)."""
    from ..engine.flows.service import workspace_network
    from ..engine.flows.stock import RoutingStore

    ws = app.workspace
    result = RoutingStore(ws.store.engine).import_stock(path, workspace_network(ws).codes)
    for e in result.rejected:
        note(f"rejected: {e.render()}")
    click.echo(f"imported {result.imported} stock row(s) from {path}")
    if result.rejected:
        raise SystemExit(EXIT_REJECTED)


@stock_group.command("list")
@click.option("--warehouse", metavar="CODE")
@click.option("--sku", metavar="SKU")
@FORMAT_OPTION
@pass_app
def stock_list(app: App, warehouse: str | None, sku: str | None, fmt: str) -> None:
    """Stock levels: on hand, reserved by routed orders, available."""
    from ..engine.flows.stock import RoutingStore

    rows = [r for r in RoutingStore(app.workspace.store.engine).load_stock().rows()
            if (warehouse is None or r[0] == warehouse) and (sku is None or r[1] == sku)]
    if fmt == "json":
        for w, s, n, res in rows:
            echo_json({"warehouse": w, "sku": s, "on_hand": n, "reserved": res,
                       "available": n - res})
        return
    table(f"{len(rows)} stock row(s)", ["warehouse", "sku", "on hand", "reserved", "available"],
          [[w, s, n, res, n - res] for w, s, n, res in rows])


# ---- used by `orderhub dry-run` (commands/rules.py) ------------------------------------------


def dry_run_routes(app: App, orders: list, flows_path: Path | None, now: datetime,  # type: ignore[type-arg]
                   history: object = None) -> list | None:  # type: ignore[type-arg]
    """Route the dry-run's orders (against a copy of the stored stock) when ``--flows`` is
    given or the workspace has its own flows folder; None otherwise."""
    from ..connectors.transforms import zone
    from ..engine.flows import route_orders
    from ..engine.flows.whatif import starting_state

    ws = app.workspace
    own = ws.path(ws.config.flows)
    packaged = Path(str(resources.files("orderhub.flows"))).resolve()
    # the repository root (an editable install) holds the packaged flows/: not the user's own
    if flows_path is None and (not own.is_dir() or own == packaged):
        return None
    flows = _flows(app, [flows_path] if flows_path else None)
    url = ws.db_url
    fresh = url.startswith("sqlite:///") and not Path(url[len("sqlite:///"):]).exists()
    state, _, _ = starting_state(ws, flows, now.astimezone(zone(ws.config.timezone)),
                                 use_store=not fresh)
    return route_orders(orders, flows, state, now=now, history=history)  # type: ignore[arg-type]


def print_routes(routes: list) -> None:  # type: ignore[type-arg]
    table(f"routing: {len(routes)} order(s) (nothing was written)",
          ["order", "flow", "warehouse", "path", "reasons"],
          [[r.order, r.flow, r.warehouse or "", " → ".join(r.path), "\n".join(r.reasons)]
           for r in routes])


stock_group.add_command(push_command)

COMMANDS = [flows_group, schema_group, simulate_command, stock_group]
