"""Douyin Shop (抖店) shop orders as `order.searchList` returns them.

Amounts are integer fen, times unix seconds (0 = not happened).  No buyer
nickname.  Refunds live on each sku order's `after_sale_info`; a refunded
order is cancelled (4) with `pay_time` > 0.
"""

from __future__ import annotations

from typing import Any

from .logical import LogicalOrder
from .people import mask_name, mask_phone

ORDER_STATUS = {"pending_payment": 1, "paid": 2, "shipped": 3, "completed": 5, "cancelled": 4,
                "refunded": 4}
STATUS_DESC = {1: "待支付", 105: "已支付", 2: "备货中", 101: "部分发货", 3: "已发货",
               4: "已取消", 5: "已完成"}
NO_AFTER_SALE = (0, 0)  # (after_sale_status, refund_status)
AFTER_SALE = {"refunding": (6, 1), "refunded": (12, 3)}
SHIP_DEADLINE_S = 48 * 3600


def order_status(o: LogicalOrder) -> int:
    """Refunding orders keep their fulfilment status; some paid orders sit at 105 (已支付)."""
    if o.status == "refunded":
        return 4
    code = ORDER_STATUS[o.base_status]
    if code == 2 and o.order_no[-1] == "7":
        return 105
    return code


def render_douyin(o: LogicalOrder) -> dict[str, Any]:
    r, a = o.receiver, o.receiver.area
    status = order_status(o)
    after_status, refund_status = AFTER_SALE.get(o.status, NO_AFTER_SALE)
    # after_sale_type: 2 = refund before shipping, 0 = return + refund once shipped.
    after_type = 0
    if after_status and o.shipped_ts is None:
        after_type = 2
    disc_fen = o.discount_fen
    plat_fen = o.platform_discount_fen
    post_fen = o.post_fee_fen
    plat_left = plat_fen
    skus = []
    last = len(o.items) - 1
    for k, it in enumerate(o.items):
        line_disc = it.discount_fen
        line_plat = plat_left if k == last else (plat_fen * line_disc // disc_fen if disc_fen
                                                 else 0)
        plat_left -= line_plat
        unit = it.unit_fen
        skus.append({
            "order_id": it.line_id, "parent_order_id": o.order_no,
            "product_id": it.platform_item_id, "sku_id": it.platform_sku_id,
            "out_sku_id": it.sku, "code": it.sku, "out_product_id": it.item_code,
            "product_name": it.title, "spec": [{"name": n, "value": v} for n, v in it.spec],
            "item_num": it.qty, "origin_amount": unit, "sum_amount": unit * it.qty,
            "pay_amount": unit * it.qty - line_disc, "post_amount": post_fen if k == 0 else 0,
            "promotion_amount": line_disc, "promotion_shop_amount": line_disc - line_plat,
            "promotion_platform_amount": line_plat,
            "order_status": status,
            "after_sale_info": {"after_sale_status": after_status,
                                "after_sale_type": after_type, "refund_status": refund_status},
        })
    pay_time = o.paid_ts or 0
    ship_time = o.shipped_ts or 0
    logistics = []
    if o.tracking_no and o.carrier is not None:
        logistics.append({"tracking_no": o.tracking_no, "company": o.carrier.code,
                          "company_name": o.carrier.name, "ship_time": ship_time})
    goods_fen = o.goods_fen
    return {
        "order_id": o.order_no, "shop_id": int(o.shop.shop_id), "shop_name": o.shop.name,
        "order_status": status, "order_status_desc": STATUS_DESC[status],
        "create_time": o.created_ts, "pay_time": pay_time, "update_time": o.modified_ts,
        "finish_time": o.completed_ts or o.closed_ts or 0, "ship_time": ship_time,
        "exp_ship_time": pay_time + SHIP_DEADLINE_S if pay_time else 0,
        "buyer_words": o.buyer_message, "seller_words": o.seller_memo,
        "post_receiver": r.name, "post_tel": r.phone,
        "mask_post_receiver": mask_name(r.name), "mask_post_tel": mask_phone(r.phone),
        "post_addr": {
            "province": {"name": a.province, "id": a.province_code},
            "city": {"name": a.city, "id": a.city_code},
            "town": {"name": a.district, "id": a.district_code},
            "street": {"name": r.town, "id": r.town_code},
            "detail": r.detail,
        },
        "order_amount": goods_fen + post_fen, "pay_amount": goods_fen - disc_fen + post_fen,
        "post_amount": post_fen, "promotion_amount": disc_fen,
        "promotion_shop_amount": disc_fen - plat_fen, "promotion_platform_amount": plat_fen,
        "promotion_talent_amount": 0,
        "logistics_info": logistics,
        "sku_order_list": skus,
    }


def envelope_douyin(orders: list[dict[str, Any]]) -> dict[str, Any]:
    return {"code": 10000, "msg": "success", "data": {
        "page": 0, "size": max(100, len(orders)), "total": len(orders),
        "shop_order_list": orders}}
