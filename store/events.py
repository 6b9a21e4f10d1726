"""What changed between two versions of an order, as events for the append-only log.

Flow triggers and the service read these events; their names are part of the flow format:
``created``, ``paid``, ``shipped``, ``completed``, ``cancelled``, ``refund_requested``,
``refunded``, ``status_changed``, ``address_changed``, ``tracking_updated`` and ``updated``
(a change that none of the others describes).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ..model import Order, OrderStatus, RefundStatus

EVENT_TYPES = (
    "created",
    "paid",
    "shipped",
    "completed",
    "cancelled",
    "refund_requested",
    "refunded",
    "status_changed",
    "address_changed",
    "tracking_updated",
    "updated",
)

_PAID_LIKE_VALUES = frozenset(s.value for s in (OrderStatus.paid, OrderStatus.shipped,
                                                 OrderStatus.completed))


@dataclass(frozen=True, slots=True)
class Snapshot:
    """The columns of a stored order that events are derived from."""

    status: str
    paid_at: datetime | None
    shipped_at: datetime | None
    completed_at: datetime | None
    refund_status: str | None
    refund_requested_at: datetime | None
    tracking_no: str | None
    receiver: tuple[str | None, ...]


def snapshot(order: Order) -> Snapshot:
    r = order.receiver
    return Snapshot(
        status=order.status.value,
        paid_at=order.paid_at,
        shipped_at=order.shipped_at,
        completed_at=order.completed_at,
        refund_status=order.refund.status.value if order.refund else None,
        refund_requested_at=order.refund.requested_at if order.refund else None,
        tracking_no=order.tracking_no,
        receiver=(r.name, r.phone, r.province, r.city, r.district, r.address),
    )


def diff(old: Snapshot | None, new: Order) -> list[tuple[str, dict[str, Any]]]:
    """The events that turn ``old`` (None for a new order) into ``new``."""
    if old is None:
        return _created(new)
    cur = snapshot(new)
    status = new.status
    events: list[tuple[str, dict[str, Any]]] = []
    if old.paid_at is None and cur.paid_at is not None:
        events.append(("paid", {"paid_at": _iso(cur.paid_at)}))
    if old.status != cur.status:
        events.append(("status_changed", {"from": old.status, "to": cur.status}))
        if status == OrderStatus.shipped:
            events.append(("shipped", {"tracking_no": cur.tracking_no}))
        elif status == OrderStatus.completed:
            events.append(("completed", {}))
        elif status == OrderStatus.cancelled:
            events.append(("cancelled", {}))
    if old.refund_status != cur.refund_status:
        if cur.refund_status == RefundStatus.requested:
            events.append(("refund_requested", {"requested_at": _iso(cur.refund_requested_at)}))
        elif cur.refund_status == RefundStatus.refunded:
            events.append(("refunded", {}))
    elif _earlier(cur.refund_requested_at, old.refund_requested_at):
        # an after-sales record told the true request time: the rules judge the refund again
        events.append(("refund_requested", {"requested_at": _iso(cur.refund_requested_at),
                                            "was": _iso(old.refund_requested_at)}))
    if old.receiver != cur.receiver:
        keys = ("name", "phone", "province", "city", "district", "address")
        changed = {k: [a, b] for k, a, b in zip(keys, old.receiver, cur.receiver, strict=True)
                   if a != b}
        events.append(("address_changed", {"changes": changed}))
    if old.tracking_no != cur.tracking_no and cur.tracking_no:
        events.append(("tracking_updated", {"tracking_no": cur.tracking_no}))
    if not events:
        events.append(("updated", {}))
    return events


def _created(new: Order) -> list[tuple[str, dict[str, Any]]]:
    """The events of a new order: read off the order itself, without the :class:`Snapshot` a
    comparison needs (every order of a first ingest comes this way).  Enum values are read as
    ``_value_`` (``.value`` and an enum's ``__hash__`` are Python-level calls)."""
    status = new.status._value_
    events: list[tuple[str, dict[str, Any]]] = [("created", {"status": status})]
    if new.paid_at is not None or status in _PAID_LIKE_VALUES:
        events.append(("paid", {"paid_at": _iso(new.paid_at)}))
    refund = new.refund
    if refund is not None and refund.status._value_ == RefundStatus.requested._value_:
        events.append(("refund_requested", {"requested_at": _iso(refund.requested_at)}))
    return events


def _earlier(new: datetime | None, old: datetime | None) -> bool:
    return new is not None and old is not None and new < old


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None
