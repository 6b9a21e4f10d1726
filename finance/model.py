"""A settlement line: one amount a platform paid out (or took back) for one order, one reason.

Every source (Alipay 账务明细, Douyin settlement bill, PDD daily bill, JD settlement export) is
mapped onto this one shape.  Amounts are signed ``Decimal`` yuan from the merchant's side:
income positive, fees and refunds negative.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from ..model import MAX_YUAN, Platform, Text64, Time


class LineKind(StrEnum):
    """What a settlement amount is for.  Income kinds are positive, costs negative."""

    goods = "goods"
    commission = "commission"
    service_fee = "service_fee"
    shipping = "shipping"
    subsidy = "subsidy"
    refund = "refund"
    other = "other"


#: Kinds that are the platform's charges (fee rate = their total over the settled income).
FEE_KINDS = (LineKind.commission, LineKind.service_fee)
#: Kinds that make up what the buyer paid for the order, net of refunds.
INCOME_KINDS = (LineKind.goods, LineKind.shipping, LineKind.refund)


class SettlementLine(BaseModel):
    """One line of a settlement.  ``line_id`` is unique per platform: re-imports are no-ops."""

    model_config = ConfigDict(extra="forbid")

    platform: Platform
    shop: Text64 = "default"
    line_id: str = Field(min_length=1, max_length=128)
    order_no: Text64 | None = None
    sub_ref: Text64 | None = Field(None, description="sub-order or SKU the line is for, if any")
    kind: LineKind
    amount: Decimal = Field(ge=-MAX_YUAN, le=MAX_YUAN)
    occurred_at: Time
    description: str | None = None
    source: Text64 | None = None
    file: str | None = None
    raw: dict[str, Any] = Field(default_factory=dict)

    @field_validator("occurred_at")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            raise ValueError("datetime must be timezone-aware")
        return value
