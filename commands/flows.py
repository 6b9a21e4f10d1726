"""``orderhub flows check|list|route``, ``schema flows``, ``simulate``, ``stock import|list``."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import click

from ..cli import EXIT_REJECTED, App, exit_with, pass_app
from ._output import FORMAT_OPTION, echo_json, note, table
from .stock import AS_OPTION, adjust_command, history_command, person_name
from .stockpush import push_command

PATHS = click.Path(exists=True, path_type=Path)


def _flows(app: App, paths: tuple[Path, ...] | list[Path] | None):  # type: ignore[no-untyped-def]
    from ..engine.routing.workspace import workspace_flows

    return workspace_flows(app.workspace, list(paths) if paths else None)


@click.group("flows")
def flows_group() -> None:
    """Routing flows (flows/*.yaml): check, list, route stored orders.

    \b
    Examples:
      orderhub flows check
      orderhub flows list
      orderhub flows route --format json
    """


@flows_group.command("check")
@click.argument("paths", nargs=-1, type=PATHS)
@FORMAT_OPTION
@pass_app
def check_command(app: App, paths: tuple[Path, ...], fmt: str) -> None:
    """Check flow files (default: the workspace's flows/); every mistake, file:line:col.

    The exit code is 1 when there is any error.  --format json prints one object: ok, errors
    and warnings (each with file, line, column, message, hint), and the flows found.

    \b
    Examples:
      orderhub flows check
      orderhub flows check flows/routing.yaml --format json
    """
    from ..errors import SourceErrors

    try:
        flows = _flows(app, paths)
    except SourceErrors as exc:
        if fmt != "json":
            raise  # rendered by the CLI
        echo_json({"ok": False, "errors": [e.as_json() for e in exc.errors], "warnings": []})
        click.get_current_context().exit(exc.exit_code)
    if fmt == "json":
        echo_json({"ok": True, "errors": [],
                   "warnings": [w.as_json("warning") for w in flows.warnings],
                   "flows": [{"name": f.name, "version": f.version, "file": f.path}
                             for f in flows], "files": len(flows.files)})
        return
    for w in flows.warnings:
        note(w.render().replace("error:", "warning:", 1))
    names = ", ".join(f"{f.name} ({f.version})" for f in flows)
    click.echo(f"ok: {len(flows)} flow(s) in {len(flows.files)} file(s): {names}")


@flows_group.command("list")
@click.argument("paths", nargs=-1, type=PATHS)
@FORMAT_OPTION
@pass_app
def list_command(app: App, paths: tuple[Path, ...], fmt: str) -> None:
    """The flows, their triggers and versions.

    \b
    Examples:
      orderhub flows list
      orderhub flows list --format json
    """
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
@click.option("--after", type=int, default=None, metavar="EVENT_ID",
              help="Read events after this event id instead of the stored cursor.")
@click.option("--flows", "flow_paths", multiple=True, type=PATHS)
@FORMAT_OPTION
@pass_app
def route_command(app: App, after: int | None, flow_paths: tuple[Path, ...], fmt: str) -> None:
    """Route stored orders whose events trigger a flow; store decisions and reservations.

    Each order is routed once: the command reads the event log after its stored cursor, and
    skips an order that already has a routing decision (an earlier run, the service) or was
    brought in as history.  Running it twice reserves exactly what one run does.

    \b
    Examples:
      orderhub flows route
      orderhub flows route --format json | jq .route.warehouse
    """
    from ..connectors.transforms import zone
    from ..engine.routing.workspace import route_events, routing_state

    ws = app.workspace
    flows = _flows(app, flow_paths)
    now = datetime.now(zone(ws.config.timezone))
    run = route_events(ws.store, flows, routing_state(ws, now), after=after, now=now)
    if fmt == "json":
        for r in run.results:
            echo_json({"order": r.order, "order_id": r.order_id, "route": r.as_json()})
    else:
        routed = [r for r in run.results if r.flow]  # the others no flow takes
        table(f"{len(routed)} order(s) routed", ["order", "warehouse", "path", "reasons"],
              [[r.order, r.warehouse, " → ".join(r.path), "; ".join(r.reasons)]
               for r in routed])
    if run.skipped:
        note(f"{run.skipped} order event(s) skipped: routed before, or history")
    note(f"last event: {run.last_event or 'none new'}")


@click.group("schema")
def schema_group() -> None:
    """JSON Schemas of the file formats, for editors and scripts.

    \b
    Examples:
      orderhub schema flows > flows/flow.schema.json
      orderhub schema workspace > orderhub.schema.json
    """


@schema_group.command("flows")
def schema_flows() -> None:
    """The JSON Schema of flow files.  Editors with yaml-language-server use it when a flow
    starts with ``# yaml-language-server: $schema=<path to this output>``.

    \b
    Examples:
      orderhub schema flows > flows/flow.schema.json
    """
    from ..engine.routing import json_schema

    click.echo(json.dumps(json_schema(), ensure_ascii=False, indent=2))


@schema_group.command("workspace")
def schema_workspace() -> None:
    """The JSON Schema of orderhub.yaml.  `orderhub init` saves it as orderhub.schema.json,
    which the config's first lines name for yaml-language-server editors.

    \b
    Examples:
      orderhub schema workspace > orderhub.schema.json
    """
    from ..config import workspace_schema

    click.echo(json.dumps(workspace_schema(), ensure_ascii=False, indent=2))


@schema_group.command("wms")
def schema_wms() -> None:
    """The JSON Schema of the WMS documents (order push, intercept, reply): docs/wms.md.

    \b
    Examples:
      orderhub schema wms > wms.schema.json
    """
    from ..wms import SCHEMA

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

    \b
    Examples:
      orderhub simulate --orders samples/orders
      orderhub simulate --orders samples/orders --threshold 300 --format json
      orderhub simulate --orders samples/orders --stock stock.csv --pick-lists picks
    """
    from ..connectors.files import expand_paths
    from ..connectors.ingest import read_orders
    from ..connectors.mapping import mappings
    from ..engine.routing.outputs import write_pick_lists
    from ..engine.routing.whatif import simulate
    from ..store.orders import latest_versions

    ws = app.workspace
    flows = _flows(app, flow_paths)
    if threshold is not None:
        flows = _rebuild_thresholds(app, flow_paths, threshold)
    records, rejects = read_orders(expand_paths(order_paths), catalog=ws.catalog,
                                   mappings=mappings(ws.mapping_dirs))
    for r in rejects:
        note(f"skipped: {r.file}, record {r.record}: {r.reason}")
    orders = latest_versions(records)  # an order and its later snapshot: one order
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
    from ..engine.routing.loader import load_flows
    from ..engine.routing.workspace import workspace_network

    ws = app.workspace
    base = workspace_network(ws)
    configs = [w.model_copy(update={"daily_threshold": threshold}) for w in base.configs]
    network = type(base)(configs, base.geo)
    return load_flows(list(flow_paths) or ws.content_dir("flows"), network=network,
                      timezone=ws.config.timezone)


@click.group("stock")
def stock_group() -> None:
    """Stock per warehouse and merchant SKU, used by routing.

    \b
    Examples:
      orderhub stock import stock.csv
      orderhub stock list --warehouse GZ
    """


@stock_group.command("import")
@click.argument("path", type=PATHS)
@AS_OPTION
@pass_app
def stock_import(app: App, path: Path, person: str | None) -> None:
    """Set on hand from a CSV: warehouse, sku, on_hand (or 仓库, 商家编码, 库存).

    Every row is checked (whole numbers, none negative, a warehouse of orderhub.yaml, no
    warehouse and SKU twice); bad rows are reported by line and the rest imported (exit 10
    then).  Each change is a ledger row with the file as its cause (`stock history`).
    Reserved stock is orderhub's own, so a 占用/reserved column is not imported.

    \b
    Examples:
      orderhub stock import stock.csv
      orderhub stock import 库存导出.csv --as 王芳
    """
    from ..engine.routing.stock import RoutingStore
    from ..engine.routing.workspace import workspace_network

    ws = app.workspace
    result = RoutingStore(ws.store.engine).import_stock(path, workspace_network(ws).codes,
                                                        actor=person_name(person))
    for e in result.rejected:
        note(f"rejected: {e.render()}")
    if result.reserved_ignored:
        note("note: the file's reserved column was not imported: reserved stock is the open "
             "reservations of routed orders (see `orderhub stock history`)")
    click.echo(f"imported {result.imported} stock row(s) from {path} "
               f"({result.changed} changed)")
    if result.rejected:
        exit_with(EXIT_REJECTED)


@stock_group.command("list")
@click.option("--warehouse", metavar="CODE")
@click.option("--sku", metavar="SKU")
@click.option("--short", is_flag=True, help="Only items with more reserved than on hand.")
@FORMAT_OPTION
@pass_app
def stock_list(app: App, warehouse: str | None, sku: str | None, short: bool, fmt: str) -> None:
    """Stock levels: on hand, reserved by routed orders, available.

    An item with more reserved than on hand has none available; how many units it is short
    is said in words ("3 short"), never as a negative number.

    \b
    Examples:
      orderhub stock list --warehouse GZ
      orderhub stock list --short --format json
    """
    from ..engine.routing.stock import RoutingStore

    rows = [r for r in RoutingStore(app.workspace.store.engine).load_stock().rows()
            if (warehouse is None or r[0] == warehouse) and (sku is None or r[1] == sku)
            and (not short or r[3] > r[2])]
    if fmt == "json":
        for w, s, n, res in rows:
            echo_json({"warehouse": w, "sku": s, "on_hand": n, "reserved": res,
                       "available": max(n - res, 0), "short": max(res - n, 0)})
        return
    table(f"{len(rows)} stock row(s)",
          ["warehouse", "sku", "on hand", "reserved", "available", "note"],
          [[w, s, n, res, max(n - res, 0), _shortfall(n, res)] for w, s, n, res in rows])


def _shortfall(on_hand: int, reserved: int) -> str:
    if reserved <= on_hand:
        return ""
    return f"{reserved - on_hand} short: {reserved} reserved, " + \
        ("none on hand" if on_hand <= 0 else f"{on_hand} on hand")


stock_group.add_command(adjust_command)
stock_group.add_command(history_command)
stock_group.add_command(push_command)

COMMANDS = [flows_group, schema_group, simulate_command, stock_group]
