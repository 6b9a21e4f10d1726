"""Stored after-sales records, and what they tell the orders: the refund's true request time.

A record is kept per (platform, aftersale_id), replaced only by a newer ``modified_at``.  Then,
for each order a stored record names, the order's refund takes the record's creation time when
the order knows no refund yet (a request made between two order pulls) or knows a later time
(the modified time of the first snapshot that showed it).  The order is stored through the
normal upsert, so the rules see a ``refund_requested`` event and judge the order again.
Withdrawn, rejected and closed records change nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import Column, Engine, Index, String, Table, Text, and_, insert, or_, select, update

from ..errors import NotFound
from ..model import Order, Refund, RefundStatus
from ..store import OrderStore
from ..store.schema import Money, UTCDateTime, metadata
from .aftersales import AfterSale

after_sales = Table(
    "after_sales",
    metadata,
    Column("platform", String(16), primary_key=True),
    Column("aftersale_id", String(64), primary_key=True),
    Column("shop", String(128), nullable=False),
    Column("platform_order_no", String(64), nullable=False),
    Column("line_id", String(64)),
    Column("kind", String(16), nullable=False),
    Column("status", String(16), nullable=False),
    Column("raw_status", String(32), nullable=False),
    Column("amount", Money),
    Column("reason", Text),
    Column("created_at", UTCDateTime, nullable=False),
    Column("modified_at", UTCDateTime, nullable=False),
    Column("raw", Text, nullable=False),
    Column("stored_at", UTCDateTime, nullable=False),
    Index("ix_after_sales_order", "platform", "platform_order_no"),
)

_COLUMNS = ("shop", "platform_order_no", "line_id", "kind", "status", "raw_status", "amount",
            "reason", "created_at", "modified_at")


class AfterSalesStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def save(self, records: Sequence[AfterSale], *, now: datetime | None = None) -> int:
        """Insert new records, replace older versions; returns how many were new or newer."""
        latest: dict[tuple[str, str], AfterSale] = {}
        for r in records:
            key = (r.platform, r.aftersale_id)
            if key not in latest or r.modified_at >= latest[key].modified_at:
                latest[key] = r
        if not latest:
            return 0
        at = now or datetime.now(UTC)
        with self.engine.begin() as conn:
            known = {(row.platform, row.aftersale_id): row.modified_at
                     for row in conn.execute(select(
                         after_sales.c.platform, after_sales.c.aftersale_id,
                         after_sales.c.modified_at).where(_keys(latest)))}
            fresh = [_row(r, at) for k, r in latest.items() if k not in known]
            newer = [_row(r, at) for k, r in latest.items()
                     if k in known and r.modified_at > known[k]]
            if fresh:
                conn.execute(insert(after_sales), fresh)
            for row in newer:
                conn.execute(update(after_sales).where(
                    after_sales.c.platform == row["platform"],
                    after_sales.c.aftersale_id == row["aftersale_id"]).values(row))
        return len(fresh) + len(newer)

    def for_orders(self, platform: str, numbers: Iterable[str]) -> list[dict[str, Any]]:
        """The stored records of these orders, oldest request first."""
        wanted = sorted(set(numbers))
        if not wanted:
            return []
        query = (select(after_sales).where(after_sales.c.platform == platform,
                                           after_sales.c.platform_order_no.in_(wanted))
                 .order_by(after_sales.c.created_at))
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(query)]


def _keys(latest: dict[tuple[str, str], AfterSale]) -> Any:
    return or_(*(and_(after_sales.c.platform == p, after_sales.c.aftersale_id == i)
                 for p, i in latest))


def _row(r: AfterSale, at: datetime) -> dict[str, Any]:
    return {"platform": r.platform, "aftersale_id": r.aftersale_id,
            **{c: getattr(r, c) for c in _COLUMNS},
            "raw": orjson.dumps(r.raw).decode(), "stored_at": at}


def apply_to_orders(store: OrderStore, platform: str, numbers: Iterable[str]) -> int:
    """Give these orders the request times their after-sales records know; returns how many
    orders changed."""
    earliest: dict[str, dict[str, Any]] = {}
    for rec in AfterSalesStore(store.engine).for_orders(platform, numbers):
        if rec["status"] != "closed":
            earliest.setdefault(rec["platform_order_no"], rec)
    changed: list[Order] = []
    for number, rec in earliest.items():
        order = _stored(store, platform, number)
        refund = _corrected(order.refund, rec) if order is not None else None
        if order is not None and refund is not None:
            changed.append(order.model_copy(update={"refund": refund}))
    if changed:
        store.upsert(changed)
    return len(changed)


def _stored(store: OrderStore, platform: str, number: str) -> Order | None:
    try:
        return store.get(f"{platform}:{number}")
    except NotFound:
        return None


def _corrected(refund: Refund | None, rec: dict[str, Any]) -> Refund | None:
    """The order's refund as the record tells it, or None when the record adds nothing."""
    created: datetime = rec["created_at"]
    if refund is None:
        status = RefundStatus.refunded if rec["status"] == "refunded" else RefundStatus.requested
        return Refund(status=status, requested_at=created, amount=rec["amount"])
    if refund.requested_at is None or created < refund.requested_at:
        return refund.model_copy(update={"requested_at": created})
    return None
