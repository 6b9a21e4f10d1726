"""The normalized order: one shape for every platform's orders.

Connectors map each platform's payload onto :class:`Order`; the store keeps it; rules and flows
read it.  Amounts are ``Decimal`` yuan, times are timezone-aware (the shop's timezone, by default
Asia/Shanghai), order numbers are strings (Taobao and JD ids exceed float precision).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

DEFAULT_TZ = "Asia/Shanghai"
#: the workspace config file (named here so layers below the workspace module can cite it)
CONFIG_NAME = "orderhub.yaml"


class Platform(StrEnum):
    """Where an order was placed.  ``other`` is for migrated legacy orders."""

    taobao = "taobao"
    jd = "jd"
    pdd = "pdd"
    douyin = "douyin"
    other = "other"


class OrderStatus(StrEnum):
    """Normalized lifecycle status; refunds overlay the base status (reference, section 6)."""

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
    quantity: int = Field(1, ge=0)
    unit_price: Decimal = Decimal("0.00")
    paid: Decimal | None = None
    refund_status: str | None = Field(None, description="the platform's raw line refund status")
    attributes: dict[str, Any] = Field(default_factory=dict)

    @property
    def cold_chain(self) -> bool:
        return bool(self.attributes.get("cold_chain"))


class Receiver(_Model):
    """Who receives the parcel.  PII is kept exactly as delivered (plain, masked or ciphertext)."""

    name: str | None = None
    phone: str | None = None
    province: str | None = None
    city: str | None = None
    district: str | None = None
    town: str | None = None
    address: str | None = None


class Refund(_Model):
    """The order's refund, if any.  ``requested_at`` falls back to the order's modified time of
    the first version that showed the refund, which is when the platform reported it."""

    status: RefundStatus
    requested_at: datetime | None = None
    amount: Decimal | None = None


class Order(_Model):
    """A normalized order.  ``id`` is the internal, sortable ID (a ULID) given by the store."""

    id: str | None = None
    platform: Platform
    shop_id: str = "default"
    platform_order_no: str = Field(min_length=1)
    status: OrderStatus
    platform_status: str | None = None
    timezone: str = DEFAULT_TZ

    created_at: datetime
    paid_at: datetime | None = None
    modified_at: datetime | None = None
    shipped_at: datetime | None = None
    completed_at: datetime | None = None

    buyer_nick: str | None = None
    receiver: Receiver = Field(default_factory=Receiver)
    items: list[LineItem] = Field(default_factory=list)

    goods_total: Decimal = Decimal("0.00")
    discount: Decimal = Decimal("0.00")
    post_fee: Decimal = Decimal("0.00")
    payment: Decimal = Decimal("0.00")

    refund: Refund | None = None
    tracking_no: str | None = None
    buyer_message: str | None = None
    seller_memo: str | None = None

    source: str | None = Field(None, description="the mapping that produced this order")
    batch: str | None = Field(None, description="import batch, for migrations and rollback")
    raw: Any = Field(None, description="the source record as delivered (not validated)")
    fingerprint: str | None = Field(
        None, exclude=True,
        description="hash of the source record and the mapping that read it: lets ingestion "
                    "skip records it has already stored without mapping them again")

    @field_validator("created_at", "paid_at", "modified_at", "shipped_at", "completed_at")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("datetime must be timezone-aware")
        return value

    @property
    def key(self) -> tuple[str, str]:
        """The deduplication key: platform and platform order number."""
        return (self.platform.value, self.platform_order_no)

    @property
    def label(self) -> str:
        """``PLATFORM:NUMBER``, how people refer to an order."""
        return f"{self.platform.value}:{self.platform_order_no}"

    @property
    def item_count(self) -> int:
        return sum(item.quantity for item in self.items)


__all__ = [
    "DEFAULT_TZ",
    "LineItem",
    "Order",
    "OrderStatus",
    "Platform",
    "Receiver",
    "Refund",
    "RefundStatus",
]
