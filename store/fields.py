"""Fields rules and flows set on an order (``set carrier = "SF"``), stored apart from its
document: a newer snapshot of the order from the platform replaces the document but keeps these.

One row per order and field (``carrier``, ``tags``, ``seller_memo``, ``attributes.NAME``...),
with the value as JSON and who set it when; the order's timeline shows each change.
:func:`overlay` puts them back on loaded orders, one query per batch.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Column, Connection, PrimaryKeyConstraint, String, Table, select

from .schema import JSONDoc, UTCDateTime, metadata

order_fields = Table(
    "order_fields",
    metadata,
    Column("order_id", String(26), nullable=False),
    Column("name", String(128), nullable=False),
    Column("value", JSONDoc),
    Column("set_by", String(200)),
    Column("at", UTCDateTime, nullable=False),
    PrimaryKeyConstraint("order_id", "name", name="pk_order_fields"),
)


def stored(conn: Connection, order_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
    """``{order_id: {name: value}}`` for the given orders."""
    ids = sorted(set(order_ids))
    out: dict[str, dict[str, Any]] = {}
    if not ids:
        return out
    for start in range(0, len(ids), 500):
        query = select(order_fields.c.order_id, order_fields.c.name, order_fields.c.value
                       ).where(order_fields.c.order_id.in_(ids[start:start + 500]))
        for row in conn.execute(query):
            out.setdefault(row.order_id, {})[row.name] = row.value
    return out


def record(conn: Connection, order_id: str, name: str, value: Any, set_by: str,
           at: datetime) -> Any:
    """Store one field's new value (tags: the whole list); returns the value it replaced."""
    was = conn.execute(select(order_fields.c.value).where(
        order_fields.c.order_id == order_id, order_fields.c.name == name)).first()
    if was is None:
        conn.execute(order_fields.insert().values(order_id=order_id, name=name, value=value,
                                                  set_by=set_by, at=at))
        return None
    conn.execute(order_fields.update().where(
        order_fields.c.order_id == order_id, order_fields.c.name == name).values(
        value=value, set_by=set_by, at=at))
    return was.value


def apply(order: Any, values: dict[str, Any]) -> Any:
    """``order`` (a model :class:`~orderhub.model.Order`) with its stored fields put back."""
    if not values:
        return order
    update: dict[str, Any] = {}
    attributes = dict(order.attributes)
    for name, value in values.items():
        if name.startswith("attributes."):
            attributes[name.split(".", 1)[1]] = value
        elif name in ("tags", "carrier", "seller_memo", "buyer_message", "tracking_no"):
            update[name] = value
    if attributes != order.attributes:
        update["attributes"] = attributes
    return order.model_copy(update=update)


def overlay(conn: Connection, orders: Sequence[Any]) -> list[Any]:
    """The orders with their stored fields, in one query."""
    values = stored(conn, [o.id for o in orders if o.id])
    return [apply(o, values.get(o.id, {})) for o in orders]
