"""``orderhub stock adjust`` and ``stock history``: changing stock by hand, and the ledger that
explains every level (``stock import`` and ``stock list`` are in :mod:`.flows`)."""

from __future__ import annotations

import getpass
import os

import click

from ..cli import App, pass_app
from ._output import FORMAT_OPTION, echo_json, local, note, table

AS_OPTION = click.option(
    "--as", "person", metavar="NAME",
    help="Who is doing this, for the ledger (default: the login user).")


def person_name(given: str | None) -> str:
    """``--as NAME``, else the login user (until the console brings accounts)."""
    if given and given.strip():
        return given.strip()
    try:
        return os.environ.get("USER") or getpass.getuser()
    except Exception:  # noqa: BLE001 - no passwd entry in some containers
        return "unknown"


@click.command("adjust", context_settings={"ignore_unknown_options": True})
@click.argument("warehouse")
@click.argument("sku")
@click.argument("change", type=int, metavar="+N|-N")
@click.option("--reason", required=True, help="Why: a count, breakage, a return to stock.")
@AS_OPTION
@FORMAT_OPTION
@pass_app
def adjust_command(app: App, warehouse: str, sku: str, change: int, reason: str,
                   person: str | None, fmt: str) -> None:
    """Correct on hand by +N or -N units, with the reason and who did it (a ledger row).

    \b
    Examples:
      orderhub stock adjust GZ TOWEL-1 +12 --reason "盘点多出 12 条"
      orderhub stock adjust SH MUG-350 -2 --reason "破损" --as 王芳
    """
    from ..engine.routing.ledger import adjust
    from ..engine.routing.workspace import workspace_network
    from ..errors import NotFound

    ws = app.workspace
    codes = workspace_network(ws).codes
    if warehouse not in codes:
        raise NotFound(f"unknown warehouse {warehouse!r} (config has {', '.join(codes)})")
    with ws.store.engine.begin() as conn:
        done = adjust(conn, warehouse, sku, change, reason=reason, actor=person_name(person))
    if fmt == "json":
        echo_json(done.as_json())
        return
    click.echo(f"{warehouse} {sku}: on hand {done.before} -> {done.after} "
               f"({change:+d}, {done.reason}; by {done.actor})")


@click.command("history")
@click.option("--warehouse", metavar="CODE")
@click.option("--sku", metavar="SKU")
@click.option("--order", "order_ref", metavar="ORDER", help="An order: platform:number or id.")
@click.option("--limit", type=int, default=50, show_default=True,
              help="The newest N changes (0: all).")
@FORMAT_OPTION
@pass_app
def history_command(app: App, warehouse: str | None, sku: str | None, order_ref: str | None,
                    limit: int, fmt: str) -> None:
    """Stock changes, oldest first: imports, reservations, releases, shipments, adjustments,
    each with its cause and who made it.

    \b
    Examples:
      orderhub stock history --warehouse GZ --sku TOWEL-1
      orderhub stock history --order taobao:2601573729663813588 --format json
    """
    from ..engine.routing.ledger import entries

    ws = app.workspace
    order_id = ws.store.get(order_ref).id if order_ref else None
    with ws.store.engine.connect() as conn:
        rows = entries(conn, order_id=order_id, warehouse=warehouse, sku=sku,
                       limit=limit or None)
    if fmt == "json":
        for e in rows:
            echo_json(e.as_json())
        return
    tz = ws.config.timezone
    table(f"{len(rows)} stock change(s)",
          ["at", "warehouse", "sku", "kind", "on hand", "reserved", "order", "cause", "by"],
          [[local(e.at, tz), e.warehouse, e.sku, e.kind, _signed(e.on_hand),
            _signed(e.reserved), e.order_id, e.cause, e.actor] for e in rows])
    if limit and len(rows) == limit:
        note(f"the newest {limit}; --limit 0 for all")


def _signed(n: int) -> str:
    return f"{n:+d}" if n else ""
