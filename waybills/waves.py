"""Which orders a wave takes: the warehouse's orders ready to ship, filtered, holds skipped.

:func:`ready_orders` is the one place that says what "ready" means.  Until the fulfilment stages
land it reads routing: the order's latest routing decision sends it to the warehouse, it is
still ``paid`` (not refunding, not shipped), and it has no issued waybill.  Holds come from a
:data:`HoldCheck`, so orders on hold are skipped and listed with their reason.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass

from sqlalchemy import Engine, and_, func, select

from ..engine.flows.stock import route_decisions
from ..model import Order
from ..store.schema import orders
from .schema import waybills

#: order ids -> {order id: why it is held}, for the orders that are on hold
HoldCheck = Callable[[Sequence[str]], dict[str, str]]


def no_holds(order_ids: Sequence[str]) -> dict[str, str]:
    """The default :data:`HoldCheck` when nothing records holds: none are held."""
    return {}


@dataclass(frozen=True)
class WaveFilter:
    """What a wave takes (every given filter must match)."""

    platform: str | None = None
    shop: str | None = None
    carrier: str | None = None
    sku: str | None = None
    single_item: bool = False
    limit: int | None = None

    def to_dict(self) -> dict[str, object]:
        return {k: v for k, v in asdict(self).items() if v not in (None, False)}

    def matches(self, order: Order) -> bool:
        if self.platform and order.platform.value != self.platform:
            return False
        if self.shop and order.shop_id != self.shop:
            return False
        if self.sku and all(i.sku != self.sku for i in order.items):
            return False
        return not (self.single_item and order.item_count != 1)


def ready_orders(engine: Engine, warehouse: str) -> list[Order]:
    """Orders routed to ``warehouse`` (latest decision), still ``paid``, without an issued
    waybill; oldest paid first."""
    latest = (select(func.max(route_decisions.c.id).label("id"))
              .group_by(route_decisions.c.order_id).subquery())
    issued = (select(waybills.c.order_id)
              .where(waybills.c.status == "issued").scalar_subquery())
    query = (select(orders.c.id, orders.c.doc)
             .join(route_decisions, route_decisions.c.order_id == orders.c.id)
             .join(latest, latest.c.id == route_decisions.c.id)
             .where(and_(route_decisions.c.warehouse == warehouse, orders.c.status == "paid",
                         orders.c.id.not_in(issued)))
             .order_by(orders.c.paid_at, orders.c.id))
    with engine.connect() as conn:
        out = []
        for row in conn.execute(query):
            order = Order.model_validate_json(row.doc)
            order.id = row.id
            out.append(order)
    return out
