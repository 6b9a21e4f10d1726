"""``orderhub orders list|show`` and ``orderhub rejects``: what is in the store."""

from __future__ import annotations

from datetime import datetime

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
@click.option("--limit", type=int, default=50, show_default=True)
@FORMAT_OPTION
@pass_app
def list_command(app: App, platform: str | None, status: str | None, shop: str | None,
                 phone: str | None, since: str | None, until: str | None, limit: int,
                 fmt: str) -> None:
    """List orders, oldest first. JSON prints one normalized order per line.

    \b
    Examples:
      orderhub orders list --platform jd --status paid
      orderhub orders list --since "2025-11-11 00:00" --limit 500
      orderhub orders list --phone 13800138000 --format json
    """
    tz = zone(app.workspace.config.timezone)
    filters = {"platform": platform, "status": status, "shop": shop, "phone": phone,
               "since": _time(since, tz), "until": _time(until, tz)}
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
    """Show one order by internal ID or PLATFORM:NUMBER, with its event history.

    \b
    Examples:
      orderhub orders show taobao:2601573729663813588
      orderhub orders show jd:316073913214 --format json
    """
    order = app.store.get(ref)
    events = app.store.events(order.id)
    if fmt == "json":
        doc = order.model_dump(mode="json")
        doc["events"] = [{"id": e.id, "type": e.type, "at": e.at.isoformat(), "data": e.data}
                         for e in events]
        from ..engine.flows.stock import RoutingStore

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
    ]
    table(None, ["field", "value"], fields)
    table("items", ["sku", "title", "qty", "unit price", "attributes"],
          [[i.sku, i.title, i.quantity, i.unit_price,
            ", ".join(f"{k}={v}" for k, v in i.attributes.items() if v not in (None, ""))]
           for i in order.items])
    table("events", ["#", "type", "at", "data"],
          [[e.id, e.type, local(e.at, tz), e.data or ""] for e in events])
    _route_section(app, order.id, tz)


def _route_section(app: App, order_id: str, tz: str) -> None:
    """The order's routing decisions (flows), newest last, with the latest trace."""
    from ..engine.flows.stock import RoutingStore
    from ..engine.flows.trace import Trace

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
