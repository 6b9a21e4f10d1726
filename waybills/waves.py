"""Which orders a wave takes: the warehouse's released orders, filtered, holds skipped.

:func:`ready_orders` is the one place that says what "ready" means:

* the order's fulfilment stage is ``released`` at the warehouse (:mod:`orderhub.fulfilment`);
* or it is ``routed`` there with an open blocking hold: a candidate only to be listed as held;
* or no fulfilment stage is recorded (held before its release, or routed outside the service)
  and its latest routing decision sends it to the warehouse: taken if still ``paid``, listed
  if held.

None of them may have an issued waybill.  :func:`fulfilment_holds` says which candidates are
held (open blocking holds, with their reasons): they are skipped and listed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass

from sqlalchemy import Engine, and_, exists, func, or_, select

from ..engine.routing.stock import route_decisions
from ..fulfilment.holds import open_holds
from ..fulfilment.schema import fulfilment_orders, holds
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
    """The wave's candidates at ``warehouse`` (see the module docstring); oldest paid first."""
    fo = fulfilment_orders
    issued = (select(waybills.c.order_id)
              .where(waybills.c.status == "issued").scalar_subquery())
    held = exists().where(holds.c.order_id == orders.c.id, holds.c.released_at.is_(None),
                          holds.c.blocking.is_(True))
    staged = (select(orders.c.id, orders.c.doc, orders.c.paid_at)
              .join(fo, fo.c.order_id == orders.c.id)
              .where(fo.c.warehouse == warehouse,
                     or_(fo.c.stage == "released", and_(fo.c.stage == "routed", held))))
    latest = (select(func.max(route_decisions.c.id).label("id"))
              .group_by(route_decisions.c.order_id).subquery())
    unstaged = (select(orders.c.id, orders.c.doc, orders.c.paid_at)
                .join(route_decisions, route_decisions.c.order_id == orders.c.id)
                .join(latest, latest.c.id == route_decisions.c.id)
                .where(route_decisions.c.warehouse == warehouse,
                       or_(orders.c.status == "paid", held),
                       ~exists().where(fo.c.order_id == orders.c.id)))
    both = staged.union_all(unstaged).subquery()
    query = (select(both.c.id, both.c.doc).where(both.c.id.not_in(issued))
             .order_by(both.c.paid_at, both.c.id))
    with engine.connect() as conn:
        out = []
        for row in conn.execute(query):
            order = Order.model_validate_json(row.doc)
            order.id = row.id
            out.append(order)
    return out


def fulfilment_holds(engine: Engine) -> HoldCheck:
    """The :data:`HoldCheck` of :mod:`orderhub.fulfilment`: open blocking holds, by reason."""

    def check(order_ids: Sequence[str]) -> dict[str, str]:
        with engine.connect() as conn:
            found = open_holds(conn, order_ids)
        return {order_id: "; ".join(h.label() for h in hs) for order_id, hs in found.items()}

    return check
