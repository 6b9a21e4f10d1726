"""The normalized order: one shape for every platform's orders.

Connectors map each platform's payload onto :class:`Order`; the store keeps it; rules and flows
read it.  Amounts are ``Decimal`` yuan, times are timezone-aware (the shop's timezone, by default
Asia/Shanghai), order numbers are strings (Taobao and JD ids exceed float precision).
"""

from __future__ import annotations

from datetime import UTC, datetime, timezone
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
)

DEFAULT_TZ = "Asia/Shanghai"
#: the workspace config file (named here so layers below the workspace module can cite it)
CONFIG_NAME = "orderhub.yaml"

#: The largest amount an order may carry: far above any real order, far below what the store's
#: 64-bit fen columns hold (9.2e16 yuan), so an absurd value is a reject, not an overflow.
MAX_YUAN = Decimal("9999999999.99")
#: Quantities are whole and bounded for the same reason.
MAX_QUANTITY = 1_000_000


# Strings of at most N characters: the width of their column in the store, checked here so a
# long value is the same named reject on SQLite (which would keep it) and on PostgreSQL (which
# would fail the whole batch).
Text40 = Annotated[str, StringConstraints(max_length=40)]
Text64 = Annotated[str, StringConstraints(max_length=64)]
Text128 = Annotated[str, StringConstraints(max_length=128)]
Text256 = Annotated[str, StringConstraints(max_length=256)]
Text1000 = Annotated[str, StringConstraints(max_length=1000)]


#: Time zones whose offsets are always valid and under a day (every mapped time has one).
_ZONES = (ZoneInfo, timezone)


def _storable(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    tz = value.tzinfo
    if tz is None:
        raise ValueError("datetime must be timezone-aware")
    if type(tz) in _ZONES and 1 < value.year < 9999:
        return value  # an offset under a day cannot take it out of range: nothing to try
    try:
        value.astimezone(UTC)
    except (OverflowError, ValueError):
        raise ValueError(f"date-time out of range: {value.isoformat()}") from None
    return value


Money = Annotated[Decimal, Field(ge=0, le=MAX_YUAN)]
Time = Annotated[datetime, AfterValidator(_storable)]


class Platform(StrEnum):
    """Where an order was placed.  ``other`` is for migrated legacy orders."""

    taobao = "taobao"
    jd = "jd"
    pdd = "pdd"
    douyin = "douyin"
    other = "other"


class OrderStatus(StrEnum):
    """Normalized lifecycle status.  Each connector derives the base status from the platform's
    order status, then overlays refunds: any line refunding makes the order ``refunding``; every
    paid line refunded, or closed after payment, makes it ``refunded``."""

    pending_payment = "pending_payment"
    paid = "paid"
    shipped = "shipped"
    completed = "completed"
    cancelled = "cancelled"
    refunding = "refunding"
    refunded = "refunded"


class RefundStatus(StrEnum):
    """Normalized refund state of an order (the strongest state over its lines)."""

    requested = "requested"
    refunded = "refunded"
    closed = "closed"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=False, validate_assignment=False)


class LineItem(_Model):
    """One line of an order.  ``attributes`` come from the product catalog, not the platform."""

    line_id: str | None = None
    platform_sku_id: str | None = None
    sku: str | None = Field(None, description="merchant SKU code (商家编码)")
    outer_item_id: str | None = None
    title: str = ""
    properties: str | None = None
    quantity: int = Field(1, ge=0, le=MAX_QUANTITY)
    unit_price: Money = Decimal("0.00")
    paid: Money | None = None
    refund_status: str | None = Field(None, description="the platform's raw line refund status")
    attributes: dict[str, Any] = Field(default_factory=dict)

    @property
    def cold_chain(self) -> bool:
        return bool(self.attributes.get("cold_chain"))


class Receiver(_Model):
    """Who receives the parcel.  PII is kept exactly as delivered (plain, masked or ciphertext)."""

    name: Text256 | None = None
    phone: Text256 | None = None  # ciphertext (JD TDE, PDD) is longer than a phone
    province: Text64 | None = None
    city: Text64 | None = None
    district: Text64 | None = None
    town: Text64 | None = None
    address: Text1000 | None = None


class Refund(_Model):
    """The order's refund, if any.  ``requested_at`` falls back to the order's modified time of
    the first version that showed the refund, which is when the platform reported it."""

    status: RefundStatus
    requested_at: Time | None = None
    amount: Money | None = None


class Order(_Model):
    """A normalized order.  ``id`` is the internal, sortable ID (a ULID) given by the store."""

    id: str | None = None
    platform: Platform
    shop_id: Text64 = "default"
    platform_order_no: str = Field(min_length=1, max_length=64)
    status: OrderStatus
    platform_status: Text64 | None = None
    timezone: Text40 = DEFAULT_TZ

    created_at: Time
    paid_at: Time | None = None
    modified_at: Time | None = None
    shipped_at: Time | None = None
    completed_at: Time | None = None

    buyer_nick: Text128 | None = None
    receiver: Receiver = Field(default_factory=Receiver)
    items: list[LineItem] = Field(default_factory=list)

    goods_total: Money = Decimal("0.00")
    discount: Money = Decimal("0.00")
    post_fee: Money = Decimal("0.00")
    payment: Money = Decimal("0.00")

    refund: Refund | None = None
    tracking_no: Text64 | None = None
    buyer_message: str | None = None
    seller_memo: str | None = None

    # Fields the rules and flows set (``set carrier = "SF"``): kept in the ``order_fields``
    # table, not in the platform's document, so a newer snapshot of the order keeps them.
    tags: list[Text64] = Field(default_factory=list, exclude=True,
                               description="labels rules and flows add (set tags = \"vip\")")
    carrier: Text64 | None = Field(None, exclude=True,
                                   description="the preferred carrier a rule or flow chose")
    attributes: dict[str, Any] = Field(default_factory=dict, exclude=True,
                                       description="custom attributes rules and flows set")
    # What the rules decided about the order, for flows to read (never set): the flags raised
    # and the holds open (by target: waybill, address, shipment...).
    flags: list[str] = Field(default_factory=list, exclude=True,
                             description="flags raised by rules and flows")
    holds: list[str] = Field(default_factory=list, exclude=True,
                             description="open holds, by what they hold (waybill, address...)")

    source: Text64 | None = Field(None, description="the mapping that produced this order")
    batch: Text64 | None = Field(None,
                                    description="import batch, for migrations and rollback")
    raw: Any = Field(None, description="the source record as delivered (not validated)")
    fingerprint: str | None = Field(
        None, exclude=True,
        description="hash of the source record and the mapping that read it: lets ingestion "
                    "skip records it has already stored without mapping them again")

    @property
    def key(self) -> tuple[str, str]:
        """The deduplication key: platform and platform order number."""
        return (self.platform.value, self.platform_order_no)

    @property
    def label(self) -> str:
        """``PLATFORM:NUMBER``, how people refer to an order."""
        # a StrEnum is its value; ``+`` is a third of an f-string's cost (once per routed order)
        return self.platform + ":" + self.platform_order_no

    @property
    def item_count(self) -> int:
        return sum(item.quantity for item in self.items)


__all__ = [
    "MAX_QUANTITY",
    "MAX_YUAN",
    "DEFAULT_TZ",
    "LineItem",
    "Order",
    "OrderStatus",
    "Platform",
    "Receiver",
    "Refund",
    "RefundStatus",
]
