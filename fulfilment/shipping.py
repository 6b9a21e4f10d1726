"""Shipping: the scan page's and ``orderhub ship``'s one call.

:func:`ship` refuses an order with an open blocking hold (naming each hold and its reason), a
refunding, refunded or cancelled one; otherwise, in one transaction, it records the parcel
(order, carrier, tracking number, lines), takes the units off hand once (the stock ledger's
``ship_units``, keyed by the shipment), moves the order to ``partly_shipped`` or ``shipped``,
and queues the platform write-back (outbox ``platform_ship``).  The same tracking number again
changes nothing and returns the parcel recorded first.  Split shipments name their lines:
``items=[("LINE", 2)]`` (a line id, or the merchant SKU); without items, everything not yet
shipped goes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, insert, select
from ulid import ULID

from ..engine.routing.stock import route_decisions
from ..model import Order
from ..service.schema import outbox
from ..store.bulk import insert_ignore
from . import audit, holds, stages
from .errors import FulfilmentError, ShipRefused
from .schema import shipments
from .stages import Actor

REFUSED_STATUSES = {"refunding": "a refund is requested", "refunded": "it was refunded",
                    "cancelled": "it was cancelled"}


@dataclass(frozen=True, slots=True)
class Shipment:
    id: str
    order_id: str
    warehouse: str | None
    carrier: str
    tracking_no: str
    lines: list[dict[str, Any]] | None
    shipped_at: datetime
    shipped_by: str | None
    created: bool = True
    stage: str | None = None

    def as_json(self) -> dict[str, Any]:
        out = {k: getattr(self, k) for k in self.__slots__}
        out["shipped_at"] = self.shipped_at.isoformat()
        return out


def ship(ws: Any, order: str | Order, carrier: str, tracking_no: str, *,
         items: Sequence[tuple[str, int]] | None = None, person: str = "orderhub",
         warehouse: str | None = None, now: datetime | None = None) -> Shipment:
    carrier = carrier.strip().upper()
    tracking_no = tracking_no.strip()
    if not carrier or not tracking_no:
        raise FulfilmentError("shipping needs a carrier code and a tracking number")
    now = now or datetime.now(UTC)
    # a caller that has just read the order (the scan's confirm) passes it: one read less
    o = order if isinstance(order, Order) else ws.store.get(order)
    order_id = str(o.id)
    with ws.store.engine.begin() as conn:
        found = conn.execute(select(shipments).where(shipments.c.order_id == order_id,
                                                     shipments.c.tracking_no == tracking_no)
                             ).first()
        if found is not None:
            return Shipment(**{k: found._mapping[k] for k in (
                "id", "order_id", "warehouse", "carrier", "tracking_no", "lines",
                "shipped_at", "shipped_by")}, created=False,
                stage=stages.stage_of(conn, order_id))
        stage = _check(conn, o, order_id)
        lines = _lines(conn, o, order_id, items)
        remaining_after = _remaining(conn, o, order_id)
        for key, qty in lines:
            remaining_after[key] -= qty
        code = warehouse or stages.warehouse_of(conn, order_id) or _routed_to(conn, order_id)
        if not code:
            raise FulfilmentError(f"order {o.label} has no warehouse (not routed); "
                                  "name the one it left from (--warehouse)")
        whole = items is None and not _shipped_before(conn, order_id)
        shipment_lines: list[dict[str, Any]] = [
            {"line_id": k, "sku": _sku(o, k), "quantity": q} for k, q in lines]
        shipment_id = str(ULID())
        conn.execute(insert(shipments).values(
            id=shipment_id, order_id=order_id, warehouse=code, carrier=carrier,
            tracking_no=tracking_no, lines=None if whole else shipment_lines, shipped_at=now,
            shipped_by=person))
        from ..engine.routing.ledger import ship_units

        ship_units(conn, order_id, code, [(str(line["sku"] or line["line_id"]), line["quantity"])
                                          for line in shipment_lines],
                   shipment_id, actor=person, now=now)
        to = "shipped" if all(v <= 0 for v in remaining_after.values()) else "partly_shipped"
        actor = Actor("person", person)
        stages.move(conn, order_id, to, actor, f"{carrier} {tracking_no}", now, current=stage,
                    data={"shipment": shipment_id, "carrier": carrier,
                          "tracking_no": tracking_no})
        insert_ignore(conn, outbox, [{
            "kind": "platform_ship", "idempotency_key": f"platform_ship:{order_id}:{tracking_no}",
            "order_id": order_id, "status": "pending", "attempts": 0, "next_attempt_at": now,
            "created_at": now,
            "payload": {"shop": _shop_name(ws, o), "platform": o.platform.value,
                        "platform_order_no": o.platform_order_no, "carrier": carrier,
                        "tracking_no": tracking_no,
                        "lines": None if whole else [{"line_id": line["line_id"],
                                                      "quantity": line["quantity"]}
                                                     for line in shipment_lines],
                        "shipment_id": shipment_id}}])
        audit.record(conn, person, "ship", "order", order_id, now, order_id=order_id,
                     before={"stage": stage}, after={"stage": to, "carrier": carrier,
                                                     "tracking_no": tracking_no,
                                                     "lines": shipment_lines})
    return Shipment(shipment_id, order_id, code, carrier, tracking_no,
                    None if whole else shipment_lines, now, person, True, to)


def _check(conn: Connection, o: Any, order_id: str) -> str:
    blocking = holds.open_holds(conn, [order_id]).get(order_id)
    if blocking:
        raise ShipRefused(f"order {o.label} is on hold and may not ship: "
                          + "; ".join(h.label() for h in blocking))
    status = o.status.value
    if status in REFUSED_STATUSES:
        raise ShipRefused(f"order {o.label} may not ship: {REFUSED_STATUSES[status]} "
                          f"(platform status {status})")
    stage = stages.stage_of(conn, order_id)
    if stage in ("cancelled", "historical", "shipped", "delivered"):
        raise ShipRefused(f"order {o.label} is {stage}; nothing to ship")
    return stage


def _key(o: Any, index: int) -> str:
    item = o.items[index]
    return str(item.line_id or item.sku or f"#{index + 1}")


def _sku(o: Any, key: str) -> str | None:
    for i, item in enumerate(o.items):
        if _key(o, i) == key:
            return item.sku
    return None


def _shipped_before(conn: Connection, order_id: str) -> bool:
    return conn.execute(select(shipments.c.id).where(shipments.c.order_id == order_id)
                        ).first() is not None


def _remaining(conn: Connection, o: Any, order_id: str) -> dict[str, int]:
    """Quantity still to ship per line key."""
    left: dict[str, int] = {}
    for i, item in enumerate(o.items):
        left[_key(o, i)] = left.get(_key(o, i), 0) + item.quantity
    for row in conn.execute(select(shipments.c.lines).where(shipments.c.order_id == order_id)):
        if row.lines is None:
            return dict.fromkeys(left, 0)
        for line in row.lines:
            left[line["line_id"]] = left.get(line["line_id"], 0) - int(line["quantity"])
    return left


def _lines(conn: Connection, o: Any, order_id: str,
           items: Sequence[tuple[str, int]] | None) -> list[tuple[str, int]]:
    left = _remaining(conn, o, order_id)
    if items is None:
        lines = [(k, q) for k, q in left.items() if q > 0]
        if not lines:
            raise ShipRefused(f"order {o.label}: every line has shipped")
        return lines
    by_sku = {item.sku: _key(o, i) for i, item in enumerate(o.items) if item.sku}
    out: list[tuple[str, int]] = []
    for ref, qty in items:
        key = ref if ref in left else by_sku.get(ref)
        if key is None:
            raise FulfilmentError(f"order {o.label} has no line {ref!r}; lines: "
                                  + ", ".join(left))
        if qty < 1:
            raise FulfilmentError(f"line {ref}: quantity must be at least 1, not {qty}")
        if qty > left[key]:
            raise FulfilmentError(f"line {ref}: {qty} to ship but only {max(left[key], 0)} "
                                  "left to ship")
        out.append((key, qty))
    return out


def _routed_to(conn: Connection, order_id: str) -> str | None:
    row = conn.execute(select(route_decisions.c.warehouse).where(
        route_decisions.c.order_id == order_id, route_decisions.c.warehouse.is_not(None))
        .order_by(route_decisions.c.id.desc())).first()
    return row.warehouse if row else None


def _shop_name(ws: Any, o: Any) -> str | None:
    for shop in getattr(ws.config, "shops", []) or []:
        if getattr(shop, "shop_id", None) == o.shop_id or getattr(shop, "name", None) == \
                o.shop_id:
            return str(shop.name)
    return None
