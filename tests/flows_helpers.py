"""Orders and stock for the flow tests (imported by tests/test_flows_*.py)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from orderhub.model import LineItem, Order, Receiver

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2025, 11, 11, 10, 0, tzinfo=TZ)
WAREHOUSES = ["SH-COLD", "SH", "GZ", "BJ", "CD", "WH"]
SKUS = ["TOWEL", "PILLOW", "CRAB"]

_n = 0


def order(province: str | None = "广东省", city: str | None = "广州市", *items: tuple[str, int],
          address: str | None = "天河路1号", status: str = "paid", **kw: object) -> Order:
    """A paid Taobao order to ``province``/``city`` with ``items`` (sku, qty); SKUs starting
    with CRAB are cold-chain."""
    global _n
    _n += 1
    items = items or (("TOWEL", 1),)
    return Order(
        id=f"01TEST{_n:020d}", platform="taobao", platform_order_no=f"T{_n}", status=status,
        created_at=NOW, paid_at=NOW if status == "paid" else None,
        receiver=Receiver(name="张三", phone="13900000000", province=province, city=city,
                          address=address),
        items=[LineItem(sku=s, title=s, quantity=q, attributes={"cold_chain": s == "CRAB"})
               for s, q in items],
        payment=Decimal("99.00"), **kw)


def full_stock(n: int = 100) -> dict[tuple[str, str], int]:
    return {(w, s): n for w in WAREHOUSES for s in SKUS}
