"""``orderhub orders list|show`` and ``orderhub rejects``: what is in the store."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import click

from ..cli import App, pass_app
from ..connectors.transforms import as_datetime, zone
from ..model import Order, OrderStatus, Platform
from ._output import FORMAT_OPTION, echo_json, local, note, shown, table


@click.group("orders")
def orders_group() -> None:
    """Browse normalized orders.

    \b
    Examples:
      orderhub orders list --platform jd --status paid
      orderhub orders show taobao:2601573729663813588
    """


@orders_group.command("list")
@click.option("--platform", type=click.Choice([p.value for p in Platform]))
@click.option("--status", type=click.Choice([s.value for s in OrderStatus]))
@click.option("--shop", metavar="SHOP")
@click.option("--phone", metavar="PHONE", help="Receiver phone, as stored.")
@click.option("--since", metavar="TIME", help="Created at or after (shop time, e.g. 2025-11-11).")
@click.option("--until", metavar="TIME", help="Created before (shop time).")
@click.option("--held", is_flag=True, help="Only orders with an open blocking hold.")
@click.option("--stage", metavar="STAGE",
              help="Only orders in this fulfilment stage (new, routed, released, ...).")
@click.option("--overdue", is_flag=True, help="Only orders with a task past its SLA.")
@click.option("--limit", type=int, default=50, show_default=True)
@FORMAT_OPTION
@pass_app
def list_command(app: App, platform: str | None, status: str | None, shop: str | None,
                 phone: str | None, since: str | None, until: str | None, held: bool,
                 stage: str | None, overdue: bool, limit: int, fmt: str) -> None:
    """List orders, oldest first. JSON prints one normalized order per line.

    --held, --stage and --overdue filter by fulfilment (holds, stage, overdue tasks).

    \b
    Examples:
      orderhub orders list --platform jd --status paid
      orderhub orders list --since "2025-11-11 00:00" --limit 500
      orderhub orders list --held --stage routed
      orderhub orders list --phone 13800138000 --format json
    """
    tz = zone(app.workspace.config.timezone)
    filters = {"platform": platform, "status": status, "shop": shop, "phone": phone,
               "since": _time(since, tz), "until": _time(until, tz)}
    if held or stage or overdue:
        from ..fulfilment.queries import order_ids

        wanted = order_ids(app.workspace, held=held, stage=stage, overdue=overdue)
        matching = [o for o in app.store.list(**filters, limit=10**9) if o.id in wanted]
        found, total = matching[:limit], len(matching)
    else:
        found = app.store.list(**filters, limit=limit)
        total = app.store.count_matching(**filters) if len(found) >= limit else len(found)
    title = shown(len(found), total, "order(s)", limit)
    if fmt == "json":
        for order in found:
            echo_json(order.model_dump(mode="json", exclude={"raw"}))
        if len(found) < total:
            note(title)
        return
    table(title,
          ["id", "order", "status", "created", "receiver", "city", "payment", "items"],
          [_row(o) for o in found])


def _row(o: Order) -> list[object]:
    return [o.id, o.label, o.status.value, local(o.created_at, o.timezone), o.receiver.name,
            o.receiver.city, o.payment, o.item_count]


def _time(text: str | None, tz: object) -> datetime | None:
    if not text:
        return None
    try:
        return as_datetime(text, tz)  # type: ignore[arg-type]
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


@orders_group.command("show")
@click.argument("ref")
@FORMAT_OPTION
@pass_app
def show_command(app: App, ref: str, fmt: str) -> None:
    """Show one order by internal ID or PLATFORM:NUMBER: its fields and its timeline (platform
    events, rule hits, routes, stages, holds, tasks, messages, shipments, stock movements).

    \b
    Examples:
      orderhub orders show taobao:2601573729663813588
      orderhub orders show jd:316073913214 --format json
    """
    from ..engine.fields import shown as set_fields
    from ..fulfilment.timeline import timeline

    order = app.store.get(ref)
    events = app.store.events(order.id)
    entries = timeline(app.workspace, order.id)
    if fmt == "json":
        doc = order.model_dump(mode="json")
        doc.update(set_fields(order))  # tags, carrier, attributes: set by rules and flows
        doc["fulfilment"] = _fulfilment(app, order.id)
        doc["timeline"] = [e.as_json() for e in entries]
        doc["events"] = [{"id": e.id, "type": e.type, "at": e.at.isoformat(), "data": e.data}
                         for e in events]
        from ..engine.routing.stock import RoutingStore

        doc["routes"] = [{**d["result"], "at": d["at"].isoformat(), "trace": d["trace"]}
                         for d in RoutingStore(app.store.engine).decisions(order.id)]
        echo_json(doc)
        return
    tz = order.timezone
    r = order.receiver
    refund = order.refund
    fields = [
        ("internal id", order.id), ("order", order.label), ("shop", order.shop_id),
        ("status", f"{order.status.value} (platform: {order.platform_status})"),
        ("created", local(order.created_at, tz)), ("paid", local(order.paid_at, tz)),
        ("modified", local(order.modified_at, tz)), ("shipped", local(order.shipped_at, tz)),
        ("buyer", order.buyer_nick),
        ("receiver", f"{r.name or ''} {r.phone or ''}"),
        ("address", " ".join(p for p in (r.province, r.city, r.district, r.address) if p)),
        ("goods / discount / post / paid",
         f"{order.goods_total} / {order.discount} / {order.post_fee} / {order.payment}"),
        ("refund", f"{refund.status.value} at {local(refund.requested_at, tz)}"
         if refund else ""),
        ("tracking", order.tracking_no), ("buyer message", order.buyer_message),
        ("seller memo", order.seller_memo), ("source", order.source),
        ("carrier", order.carrier), ("tags", ", ".join(order.tags)),
        ("attributes", ", ".join(f"{k}={v}" for k, v in order.attributes.items())),
    ]
    table(None, ["field", "value"], fields)
    table("items", ["sku", "title", "qty", "unit price", "attributes"],
          [[i.sku, i.title, i.quantity, i.unit_price,
            ", ".join(f"{k}={v}" for k, v in i.attributes.items() if v not in (None, ""))]
           for i in order.items])
    state = _fulfilment(app, order.id)
    table("fulfilment", ["stage", "warehouse", "held by"],
          [[state["stage"], state["warehouse"] or "",
            "\n".join(f"#{h['id']} {h['kind']}: {h['reason']} ({h['source_kind']} "
                      f"{h['source']})" for h in state["holds"])]])
    table("timeline", ["at", "source", "what", "who", "details"],
          [[local(e.at, tz), e.source, e.kind, e.who or "", e.what] for e in entries])
    _route_section(app, order.id, tz)


def _fulfilment(app: App, order_id: str) -> dict[str, Any]:
    """The order's stage, warehouse and open blocking holds."""
    from ..fulfilment import holds, stages

    with app.store.engine.connect() as conn:
        stage, warehouse = stages.stages_of(conn, [order_id]).get(order_id, ("new", None))
        open_ = holds.open_holds(conn, [order_id]).get(order_id, [])
    return {"stage": stage, "warehouse": warehouse, "held": bool(open_),
            "holds": [h.as_json() for h in open_]}


@orders_group.command("cancel")
@click.argument("ref", metavar="ORDER")
@click.option("--reason", required=True, metavar="TEXT")
@click.option("--as", "person", metavar="NAME", help="Who (default: the login user).")
@pass_app
def cancel_command(app: App, ref: str, reason: str, person: str | None) -> None:
    """Cancel an order's fulfilment: reservations released, the warehouse told to stop.

    \b
    Examples:
      orderhub orders cancel taobao:2601573729663813588 --reason "买家要求取消" --as alice
    """
    from ..fulfilment.actions import cancel
    from .fulfilment import person_of

    was = cancel(app.workspace, ref, reason, person_of(person))
    note(f"{ref}: {was} -> cancelled")


@orders_group.command("address")
@click.argument("ref", metavar="ORDER")
@click.option("--name", help="Receiver name.")
@click.option("--phone")
@click.option("--province")
@click.option("--city")
@click.option("--district")
@click.option("--address", "street", metavar="TEXT", help="Street address.")
@click.option("--reason", metavar="TEXT", help="Why (default: 地址已确认).")
@click.option("--as", "person", metavar="NAME", help="Who (default: the login user).")
@pass_app
def address_command(app: App, ref: str, name: str | None, phone: str | None,
                    province: str | None, city: str | None, district: str | None,
                    street: str | None, reason: str | None, person: str | None) -> None:
    """Confirm (no fields) or correct the receiver's address; the order is re-routed and its
    address holds released.

    \b
    Examples:
      orderhub orders address taobao:123 --reason "买家电话确认"
      orderhub orders address taobao:123 --address "体育西路 101 号 2 栋 301 室"
    """
    from ..fulfilment.actions import correct_address
    from .fulfilment import person_of

    after = correct_address(app.workspace, ref, person_of(person), reason, name=name,
                            phone=phone, province=province, city=city, district=district,
                            address=street)
    note(f"{ref}: " + " ".join(v for v in (after.get("province"), after.get("city"),
                                           after.get("district"), after.get("address")) if v))


def _route_section(app: App, order_id: str, tz: str) -> None:
    """The order's routing decisions (flows), newest last, with the latest trace."""
    from ..engine.routing.stock import RoutingStore
    from ..engine.routing.trace import Trace

    found = RoutingStore(app.store.engine).decisions(order_id)
    if not found:
        return
    table("route", ["at", "flow", "warehouse", "reasons"],
          [[local(d["at"], tz), f"{d['flow']} ({d['version']})", d["warehouse"] or "",
            "\n".join(d["result"].get("reasons", []))] for d in found])
    if found[-1]["trace"]:
        table("route trace", ["step"], [[line] for line in
                                        Trace.from_json(found[-1]["trace"]).lines()])


@click.command("rejects")
@click.option("--limit", type=int, default=50, show_default=True)
@FORMAT_OPTION
@pass_app
def rejects_command(app: App, limit: int, fmt: str) -> None:
    """Records that could not be ingested, newest first, with file, record and reason.

    \b
    Examples:
      orderhub rejects
      orderhub rejects --limit 500 --format json
    """
    found = app.store.rejects(limit=limit)
    total = app.store.count_rejects() if len(found) >= limit else len(found)
    title = shown(len(found), total, "reject(s)", limit)
    if fmt == "json":
        for r in found:
            echo_json({k: getattr(r, k) for k in r.__slots__})
        if len(found) < total:
            note(title)
        return
    table(title, ["file", "record", "order", "field", "reason"],
          [[r.file, r.record, r.platform_order_no, r.field, r.reason] for r in found])


COMMANDS = [orders_group, rejects_command]
