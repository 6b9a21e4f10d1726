"""Finding orders the way staff ask for them: by order number, phone, name or tracking number.

One box, one indexed query: the text is compared for equality with the platform order number,
the internal id, the receiver's phone and name and the tracking number (each has an index, see
:mod:`orderhub.web.schema`); ``platform:number`` names one order exactly.  No ``LIKE '%..%'``:
on 100,000 orders a scan would cost more than the page is allowed to.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import Engine, or_, select

from ..model import Platform
from ..store.schema import orders

_COLUMNS = (orders.c.id, orders.c.platform, orders.c.platform_order_no, orders.c.status,
            orders.c.created_at, orders.c.timezone, orders.c.receiver_name,
            orders.c.receiver_phone, orders.c.receiver_city, orders.c.payment,
            orders.c.tracking_no, orders.c.shop_id)


@dataclass(frozen=True, slots=True)
class OrderHit:
    id: str
    platform: str
    platform_order_no: str
    status: str
    created_at: datetime
    timezone: str
    receiver_name: str | None
    receiver_phone: str | None
    receiver_city: str | None
    payment: Decimal
    tracking_no: str | None
    shop_id: str

    @property
    def label(self) -> str:
        return f"{self.platform}:{self.platform_order_no}"


def search_orders(engine: Engine, text: str, *, limit: int = 50) -> list[OrderHit]:
    """Orders whose number, id, phone, receiver name or tracking number is ``text``; newest
    first.  An empty text lists the newest orders."""
    text = text.strip()
    query = select(*_COLUMNS).order_by(orders.c.created_at.desc(), orders.c.id.desc())
    platform, _, number = text.partition(":")
    if number and platform in {p.value for p in Platform}:
        query = query.where(orders.c.platform == platform,
                            orders.c.platform_order_no == number.strip())
    elif text:
        query = query.where(or_(
            orders.c.platform_order_no == text, orders.c.id == text.upper(),
            orders.c.receiver_phone == text, orders.c.receiver_name == text,
            orders.c.tracking_no == text))
    with engine.connect() as conn:
        return [OrderHit(**row._mapping) for row in conn.execute(query.limit(limit))]


def orders_by_ids(engine: Engine, ids: list[str]) -> list[OrderHit]:
    """The orders of these internal ids, in the order given (a KPI figure's orders)."""
    if not ids:
        return []
    with engine.connect() as conn:
        found = {row.id: OrderHit(**row._mapping)
                 for row in conn.execute(select(*_COLUMNS).where(orders.c.id.in_(ids)))}
    return [found[i] for i in ids if i in found]
