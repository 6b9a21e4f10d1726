"""The simulated platforms' after-sales records, made from the world's orders.

An order whose buyer asked for a refund (``refund_requested_ts``) has one after-sales record,
created at that moment: in progress while the order is refunding, successful once it is
refunded, closed when the buyer withdrew.  Its modified time is the refund's completion, or
the order's last change for a withdrawn request.  Each platform renders it in its own shape.
"""

from __future__ import annotations

from typing import Any

from ..synth.fmt import ts
from ..synth.logical import LogicalOrder
from .world import World

REASON = "不想要了"


def state(o: LogicalOrder) -> str:
    """requested | refunded | closed."""
    if o.status == "refunding":
        return "requested"
    return "refunded" if o.status == "refunded" else "closed"


def modified_ts(o: LogicalOrder) -> int:
    requested = o.refund_requested_ts or o.created_ts
    if o.status == "refunding":
        return requested
    if o.status == "refunded":
        return o.closed_ts or requested
    return max(o.modified_ts, requested)


def requests(world: World, platform: str, lo: int, hi: int, *,
             by_created: bool = False) -> list[LogicalOrder]:
    """Orders with a refund request whose record was modified (or created) in ``[lo, hi]``,
    oldest first.  The caller holds the world's lock."""
    def when(o: LogicalOrder) -> int:
        return (o.refund_requested_ts or 0) if by_created else modified_ts(o)
    found = [o for o in world.orders[platform].values()
             if o.refund_requested_ts is not None and lo <= when(o) <= hi]
    found.sort(key=lambda o: (when(o), o.order_no))
    return found


def _shipped(o: LogicalOrder) -> bool:
    return o.shipped_ts is not None and o.shipped_ts <= (o.refund_requested_ts or 0)


def taobao(o: LogicalOrder) -> dict[str, Any]:
    line = o.items[0].line_id or o.order_no
    status = {"requested": "WAIT_SELLER_AGREE", "refunded": "SUCCESS", "closed": "CLOSED"}
    return {"refund_id": f"1{line[-14:]}", "tid": int(o.order_no), "oid": int(line),
            "status": status[state(o)], "created": ts(o.refund_requested_ts or 0),
            "modified": ts(modified_ts(o)), "refund_fee": f"{o.payment_fen / 100:.2f}",
            "reason": REASON, "has_good_return": _shipped(o)}


def pdd(o: LogicalOrder) -> dict[str, Any]:
    status = {"requested": 2, "refunded": 10, "closed": 11}
    return {"id": int(str(o.refund_requested_ts) + o.order_no[-6:].replace("-", "0")),
            "order_sn": o.order_no, "after_sales_type": 3 if _shipped(o) else 2,
            "after_sales_status": status[state(o)], "refund_amount": o.payment_fen,
            "created_time": ts(o.refund_requested_ts or 0), "updated_time": ts(modified_ts(o)),
            "after_sale_reason": REASON}


def douyin(o: LogicalOrder) -> dict[str, Any]:
    status = {"requested": 6, "refunded": 12, "closed": 51}
    return {"aftersale_info": {
                "aftersale_id": f"7{o.order_no[-17:]}", "aftersale_type": 0 if _shipped(o) else 2,
                "aftersale_status": status[state(o)], "apply_time": o.refund_requested_ts,
                "update_time": modified_ts(o), "refund_amount": o.payment_fen,
                "reason": REASON},
            "order_info": {"shop_order_id": o.order_no,
                           "related_order_info": [{"sku_order_id": o.items[0].line_id
                                                   or o.order_no}]}}


def jd(o: LogicalOrder) -> dict[str, Any]:
    status = {"requested": 0, "refunded": 3, "closed": 11}
    done = state(o) != "requested"
    return {"id": int(o.order_no[-9:]) * 10 + 1, "orderId": o.order_no,
            "applyTime": ts(o.refund_requested_ts or 0),
            "checkTime": ts(modified_ts(o)) if done else None,
            "applyRefundSum": f"{o.payment_fen / 100:.2f}", "status": status[state(o)],
            "reason": REASON}
