"""The order's fulfilment stage: where the parcel is, apart from what the platform says.

::

    new ──> routed ──> released ──> picking ──> shipped ──> delivered
     │        │  ↺  ↖──────┴────────────┘   ↘       ↑   (intercepted: back to routed)
     │        │ (re-route)│            │  partly_shipped
     └────────┴───────────┴────────────┴──> cancelled
    new ──> historical

* ``new``: stored, not yet routed (no row in ``fulfilment_orders``).
* ``routed``: a warehouse was chosen and stock reserved; its outputs (WMS push, pick-list
  line) wait while the order has an open blocking hold.  Re-routing stays in ``routed``.
* ``released``: the outputs went to the warehouse (WMS push queued in the outbox).
* ``picking``: the warehouse said it started (a scan, a WMS callback).
* ``partly_shipped``: some lines left in a parcel, others still to come (split shipment).
* ``shipped``: every line left; ``delivered``: the carrier says it arrived.
* ``cancelled``: refunded in full or cancelled before it shipped; reservations released.
* ``historical``: brought in as history (migration); never routed, never released.

Holds are not stages: an order ``routed`` with an open blocking hold is *held*.  A scan may
ship an order from any stage before ``shipped`` (the parcel left: a fact), never a cancelled
one.  Every change is a ``fulfilment_log`` row with who (rule and rule-set version, flow
node, person, platform) and why; anything else raises :class:`IllegalTransition`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select, update

from ..store.bulk import one_of
from .errors import IllegalTransition
from .schema import fulfilment_log, fulfilment_orders

STAGES = ("new", "routed", "released", "picking", "partly_shipped", "shipped", "delivered",
          "cancelled", "historical")
_PRE_SHIP = ("new", "routed", "released", "picking", "partly_shipped")
ALLOWED: dict[str, frozenset[str]] = {
    "new": frozenset({"routed", "cancelled", "historical", "partly_shipped", "shipped"}),
    "routed": frozenset({"routed", "released", "cancelled", "partly_shipped", "shipped"}),
    "released": frozenset({"routed", "picking", "cancelled", "partly_shipped", "shipped"}),
    "picking": frozenset({"routed", "cancelled", "partly_shipped", "shipped"}),
    "partly_shipped": frozenset({"partly_shipped", "shipped"}),
    "shipped": frozenset({"delivered"}),
    "delivered": frozenset(),
    "cancelled": frozenset(),
    "historical": frozenset(),
}
#: Stages in which the warehouse has the order (an intercept must reach it).
AT_WAREHOUSE = frozenset({"released", "picking"})
#: Stages in which a parcel has left.
SHIPPED = frozenset({"partly_shipped", "shipped", "delivered"})


@dataclass(frozen=True, slots=True)
class Actor:
    """Who did it: ``kind`` rule / flow / person / platform / system, and a name
    (``high_risk_refund@3f2a…`` for a rule with its rule-set version, ``routing/assign`` for a
    flow node, the person's name, the platform)."""

    kind: str
    name: str

    def __str__(self) -> str:
        return f"{self.kind} {self.name}"


SYSTEM = Actor("system", "orderhub")


def check(current: str, to: str) -> None:
    if to not in STAGES:
        raise IllegalTransition(f"unknown stage {to!r}; stages: {', '.join(STAGES)}")
    if to not in ALLOWED[current]:
        allowed = ", ".join(sorted(ALLOWED[current])) or "none (final)"
        raise IllegalTransition(f"cannot move an order from {current} to {to} "
                                f"(from {current}: {allowed})")


def stages_of(conn: Connection, order_ids: Iterable[str]) -> dict[str, tuple[str, str | None]]:
    """(stage, warehouse) of each order that has left ``new``."""
    ids = list(order_ids)
    if not ids:
        return {}
    rows = conn.execute(select(fulfilment_orders.c.order_id, fulfilment_orders.c.stage,
                               fulfilment_orders.c.warehouse)
                        .where(one_of(fulfilment_orders.c.order_id, ids, conn.dialect.name)))
    return {r.order_id: (r.stage, r.warehouse) for r in rows}


def stage_of(conn: Connection, order_id: str) -> str:
    return stages_of(conn, [order_id]).get(order_id, ("new", None))[0]


def warehouse_of(conn: Connection, order_id: str) -> str | None:
    return stages_of(conn, [order_id]).get(order_id, ("new", None))[1]


def move(conn: Connection, order_id: str, to: str, actor: Actor, why: str, now: datetime,
         *, current: str | None = None, warehouse: str | None = None,
         data: dict[str, Any] | None = None) -> str:
    """Move the order to ``to`` (checked), log who and why; returns the stage it left."""
    had = stages_of(conn, [order_id]).get(order_id) if current is None else (current, None)
    was = had[0] if had else "new"
    check(was, to)
    values: dict[str, Any] = {"stage": to, "updated_at": now}
    if warehouse is not None:
        values["warehouse"] = warehouse
    exists: object
    if was == "new" and (current is None and had is None or current == "new"):
        exists = conn.execute(select(fulfilment_orders.c.order_id).where(
            fulfilment_orders.c.order_id == order_id)).first()
    else:
        exists = True
    if exists:
        conn.execute(update(fulfilment_orders).where(fulfilment_orders.c.order_id == order_id)
                     .values(**values))
    else:
        conn.execute(insert(fulfilment_orders).values(order_id=order_id, **values))
    log(conn, order_id, "stage", actor, why, now, stage_from=was, stage_to=to, data=data)
    return was


def log(conn: Connection, order_id: str, kind: str, actor: Actor, why: str | None,
        now: datetime, *, stage_from: str | None = None, stage_to: str | None = None,
        data: dict[str, Any] | None = None) -> None:
    conn.execute(insert(fulfilment_log).values(
        order_id=order_id, at=now, kind=kind, stage_from=stage_from, stage_to=stage_to,
        actor_kind=actor.kind, actor=actor.name, why=why, data=data))
