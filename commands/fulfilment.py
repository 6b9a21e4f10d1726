"""``orderhub tasks``, ``orderhub holds`` and ``orderhub ship``: the review queue, holds and
shipping, thin over :mod:`orderhub.fulfilment`.  The person acting is ``--as NAME`` or the
login user (until accounts exist)."""

from __future__ import annotations

import getpass
from datetime import UTC, datetime
from typing import Any

import click

from ..cli import App, pass_app
from ._output import FORMAT_OPTION, echo_json, local, note, table

AS_OPTION = click.option("--as", "person", metavar="NAME", default=None,
                         help="Who is acting (default: the login user).")


def person_of(name: str | None) -> str:
    return name or getpass.getuser()


# -- tasks -------------------------------------------------------------------------------------

@click.group("tasks")
def tasks_group() -> None:
    """The review queue (审单 / 异常处理): list, claim and close tasks.

    \b
    Examples:
      orderhub tasks list --queue cs --overdue
      orderhub tasks claim 12 --as alice
      orderhub tasks done 12 --note "已联系买家" --release
    """


@tasks_group.command("list")
@click.option("--queue", metavar="Q", help="cs, warehouse, purchasing, finance (or an alias).")
@click.option("--mine", is_flag=True, help="Only tasks claimed by me (--as).")
@click.option("--overdue", is_flag=True, help="Only open tasks past their SLA due time.")
@click.option("--status", type=click.Choice(["open", "claimed", "done", "cancelled"]),
              help="Default: open and claimed.")
@click.option("--order", "order_ref", metavar="ORDER", help="Only this order's tasks.")
@AS_OPTION
@FORMAT_OPTION
@pass_app
def tasks_list(app: App, queue: str | None, mine: bool, overdue: bool, status: str | None,
               order_ref: str | None, person: str | None, fmt: str) -> None:
    """Tasks, most urgent first (priority, then due time).

    \b
    Examples:
      orderhub tasks list --queue cs --overdue
      orderhub tasks list --mine --as alice --format json
    """
    from ..fulfilment import tasks

    found = tasks.list_tasks(app.workspace, queue=queue, overdue=overdue, status=status,
                             assignee=person_of(person) if mine else None, order=order_ref)
    if fmt == "json":
        for t in found:
            echo_json(t.as_json())
        return
    tz = app.workspace.config.timezone
    table(f"{len(found)} task(s)",
          ["id", "queue", "prio", "status", "assignee", "due", "order", "title"],
          [[t.id, t.queue, t.priority, t.status, t.assignee or "",
            local(t.due_at, tz) + (" OVERDUE" if t.overdue() else ""), t.order_id or "",
            t.title] for t in found])


def _task_out(task: Any, fmt: str, verb: str) -> None:
    if fmt == "json":
        echo_json(task.as_json())
    else:
        note(f"task {task.id} {verb}: {task.status}"
             + (f" (assignee {task.assignee})" if task.assignee else ""))


@tasks_group.command("claim")
@click.argument("task_id", type=int)
@click.option("--note", "text", metavar="TEXT")
@AS_OPTION
@FORMAT_OPTION
@pass_app
def tasks_claim(app: App, task_id: int, text: str | None, person: str | None,
                fmt: str) -> None:
    """Take a task (it is yours until done or cancelled).

    \b
    Examples:
      orderhub tasks claim 12 --as alice
    """
    from ..fulfilment import tasks

    _task_out(tasks.claim(app.workspace, task_id, person_of(person), note=text), fmt, "claimed")


@tasks_group.command("done")
@click.argument("task_id", type=int)
@click.option("--note", "text", metavar="TEXT")
@click.option("--release", is_flag=True, help="Resolution: release the order's holds.")
@click.option("--cancel-order", is_flag=True, help="Resolution: cancel the order.")
@click.option("--reroute", metavar="[WAREHOUSE]", is_flag=False, flag_value="",
              default=None, help="Resolution: route again (through the flows, or to WAREHOUSE).")
@AS_OPTION
@FORMAT_OPTION
@pass_app
def tasks_done(app: App, task_id: int, text: str | None, release: bool, cancel_order: bool,
               reroute: str | None, person: str | None, fmt: str) -> None:
    """Close a task, optionally acting on its order.

    \b
    Examples:
      orderhub tasks done 7 --note "买家确认本人购买" --release
      orderhub tasks done 9 --reroute GZ
    """
    from ..fulfilment import tasks

    chosen = [r for r, on in ((({"action": "release"}), release),
                              ({"action": "cancel"}, cancel_order),
                              ({"action": "reroute", "warehouse": reroute or None},
                               reroute is not None)) if on]
    if len(chosen) > 1:
        raise click.UsageError("choose one of --release, --cancel-order, --reroute")
    resolution = {**chosen[0], "reason": text} if chosen else None
    _task_out(tasks.done(app.workspace, task_id, person_of(person), note=text,
                         resolution=resolution), fmt, "closed")


@tasks_group.command("cancel")
@click.argument("task_id", type=int)
@click.option("--note", "text", metavar="TEXT")
@AS_OPTION
@FORMAT_OPTION
@pass_app
def tasks_cancel(app: App, task_id: int, text: str | None, person: str | None,
                 fmt: str) -> None:
    """Cancel a task that needs no action.

    \b
    Examples:
      orderhub tasks cancel 12 --note "重复任务" --as alice
    """
    from ..fulfilment import tasks

    _task_out(tasks.cancel(app.workspace, task_id, person_of(person), note=text), fmt,
              "cancelled")


# -- holds -------------------------------------------------------------------------------------

@click.group("holds")
def holds_group() -> None:
    """Orders on hold: list, hold, release.

    \b
    Examples:
      orderhub holds list
      orderhub holds release taobao:2601573729663813588 --reason "客户确认" --as bob
    """


@holds_group.command("list")
@click.option("--all", "show_all", is_flag=True, help="Released holds too.")
@click.option("--order", "order_ref", metavar="ORDER")
@FORMAT_OPTION
@pass_app
def holds_list(app: App, show_all: bool, order_ref: str | None, fmt: str) -> None:
    """Open holds, oldest first: kind, reason, source.

    \b
    Examples:
      orderhub holds list
      orderhub holds list --format json
    """
    from ..fulfilment import holds

    found = holds.list_holds(app.workspace, open_only=not show_all, order=order_ref)
    if fmt == "json":
        for h in found:
            echo_json(h.as_json())
        return
    tz = app.workspace.config.timezone
    table(f"{len(found)} hold(s)",
          ["id", "order", "kind", "blocks", "reason", "source", "opened", "released"],
          [[h.id, h.order_id, h.kind, "yes" if h.blocking else "no", h.reason or "",
            f"{h.source_kind} {h.source}", local(h.opened_at, tz),
            f"{local(h.released_at, tz)} by {h.released_by}: {h.release_reason}"
            if h.released_at else ""] for h in found])


@holds_group.command("release")
@click.argument("order_ref", metavar="ORDER")
@click.option("--reason", required=True, metavar="TEXT", help="Why (kept in the audit trail).")
@click.option("--hold", "hold_id", type=int, help="Only this hold (default: all of the order's).")
@AS_OPTION
@FORMAT_OPTION
@pass_app
def holds_release(app: App, order_ref: str, reason: str, hold_id: int | None,
                  person: str | None, fmt: str) -> None:
    """Release an order's holds; with none left blocking it goes to the warehouse, once.

    \b
    Examples:
      orderhub holds release taobao:2601573729663813588 --reason "买家确认本人购买" --as alice
    """
    from ..fulfilment import holds

    done = holds.release(app.workspace, order_ref, reason, person_of(person), hold_id=hold_id)
    if fmt == "json":
        echo_json([h.as_json() for h in done])
    else:
        note(f"released {len(done)} hold(s) of {order_ref}: "
             + ", ".join(f"#{h.id} {h.kind}" for h in done))


@holds_group.command("add")
@click.argument("order_ref", metavar="ORDER")
@click.option("--reason", required=True, metavar="TEXT")
@AS_OPTION
@pass_app
def holds_add(app: App, order_ref: str, reason: str, person: str | None) -> None:
    """Hold an order by hand (intercepted at the warehouse if already released).

    \b
    Examples:
      orderhub holds add jd:316073913214 --reason "客户来电要求暂缓发货" --as alice
    """
    from ..fulfilment import holds

    h = holds.hold(app.workspace, order_ref, reason, person_of(person))
    note(f"hold #{h.id} on {order_ref}: {reason}")


# -- ship --------------------------------------------------------------------------------------

def _items(values: tuple[str, ...]) -> list[tuple[str, int]] | None:
    out = []
    for value in values:
        line, sep, qty = value.rpartition(":")
        if not sep or not line or not qty.isdigit():
            raise click.BadParameter(f"{value!r}: expected LINE:QTY (a line id or SKU, a count)",
                                     param_hint="--items")
        out.append((line, int(qty)))
    return out or None


@click.command("ship")
@click.argument("order_ref", metavar="ORDER")
@click.option("--carrier", required=True, metavar="CODE",
              help="orderhub carrier code (ZTO, SF...).")
@click.option("--tracking", required=True, metavar="NO", help="The waybill's tracking number.")
@click.option("--items", multiple=True, metavar="LINE:QTY",
              help="Ship only these (split shipment); repeat. Default: everything left.")
@click.option("--warehouse", metavar="CODE", help="Where it left from (default: routed to).")
@AS_OPTION
@FORMAT_OPTION
@pass_app
def ship_command(app: App, order_ref: str, carrier: str, tracking: str, items: tuple[str, ...],
                 warehouse: str | None, person: str | None, fmt: str) -> None:
    """Mark an order shipped and write it back to its platform.

    \b
    Examples:
      orderhub ship taobao:2601573729663813588 --carrier ZTO --tracking 78312345678901
      orderhub ship jd:300123 --carrier JD --tracking JDV001 --items 300123-1:1

    Refused (exit 1) while the order has an open blocking hold, or is refunding, refunded or
    cancelled. The same tracking number again changes nothing.
    """
    from ..fulfilment import ship

    s = ship(app.workspace, order_ref, carrier, tracking, items=_items(items),
             person=person_of(person), warehouse=warehouse, now=datetime.now(UTC))
    if fmt == "json":
        echo_json(s.as_json())
    elif s.created:
        note(f"{order_ref}: {s.carrier} {s.tracking_no} from {s.warehouse} -> {s.stage}")
    else:
        note(f"{order_ref}: {s.carrier} {s.tracking_no} was recorded already; nothing changed")


COMMANDS = [tasks_group, holds_group, ship_command]
