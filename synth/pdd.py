"""Pinduoduo orders as `pdd.order.list.get` / `pdd.order.information.get` return them.

Amounts are yuan numbers, times 'yyyy-MM-dd HH:mm:ss' strings (null when the
event has not happened).  PDD shows no buyer nickname and no unpaid orders;
receiver fields are given as if already decrypted, next to their masks.
"""

from __future__ import annotations

from typing import Any

from .fmt import ts, ts_or
from .logical import LogicalOrder
from .people import mask_address, mask_name, mask_phone

ORDER_STATUS = {"paid": 1, "shipped": 2, "completed": 3, "cancelled": 1}
# normalized status -> (refund_status, after_sales_status)
REFUND = {"refunding": (3, 2), "refunded": (4, 10)}
SHIP_DEADLINE_S = 48 * 3600


_SPECS: dict[tuple[tuple[str, str], ...], str] = {}


def goods_spec(spec: tuple[tuple[str, str], ...]) -> str:
    """PDD's goods_spec: the spec values joined with commas ('灰色,3条装')."""
    text = _SPECS.get(spec)
    if text is None:
        text = _SPECS[spec] = ",".join(v for _, v in spec)
    return text


def render_pdd(o: LogicalOrder) -> dict[str, Any]:
    r = o.receiver
    cancelled = o.status == "cancelled"
    refund_status, after_sales = REFUND.get(o.status, (1, 0))
    items = [{
        "goods_id": int(it.platform_item_id), "sku_id": int(it.platform_sku_id),
        "outer_goods_id": it.item_code, "outer_id": it.sku, "goods_name": it.title,
        "goods_spec": goods_spec(it.spec), "goods_count": it.qty,
        "goods_price": it.unit_fen / 100,
    } for it in o.items]
    paid = o.paid_ts
    goods = o.goods_fen
    full = r.full_address
    return {
        "order_sn": o.order_no,
        "order_status": ORDER_STATUS[o.base_status],
        "confirm_status": 2 if cancelled else 1,
        "group_status": 2 if cancelled else 1,
        "refund_status": refund_status, "after_sales_status": after_sales,
        "risk_control_status": 0, "trade_type": 0,
        "created_time": ts(o.created_ts), "confirm_time": ts_or(paid, None),
        "pay_time": ts_or(paid, None), "shipping_time": ts_or(o.shipped_ts, None),
        "receive_time": ts_or(o.completed_ts, None), "updated_at": ts(o.modified_ts),
        "last_ship_time": None if paid is None else ts(paid + SHIP_DEADLINE_S),
        "receiver_name": r.name, "receiver_phone": r.phone, "receiver_address": full,
        "receiver_name_mask": mask_name(r.name), "receiver_phone_mask": mask_phone(r.phone),
        "address_mask": mask_address(r),
        "province": r.area.province, "city": r.area.city, "town": r.area.district,
        "address": full,
        "goods_amount": goods / 100, "discount_amount": o.discount_fen / 100,
        "platform_discount": o.platform_discount_fen / 100,
        "seller_discount": (o.discount_fen - o.platform_discount_fen) / 100,
        "capital_free_discount": 0.0, "order_change_amount": 0.0,
        "postage": o.post_fee_fen / 100,
        "pay_amount": (goods - o.discount_fen + o.post_fee_fen) / 100,
        "item_list": items,
        "tracking_number": o.tracking_no, "buyer_memo": o.buyer_message, "remark": o.seller_memo,
    }


def envelope_pdd(orders: list[dict[str, Any]]) -> dict[str, Any]:
    return {"order_list_get_response": {
        "order_list": orders, "total_count": len(orders), "has_next": False}}
