"""JD POP orders as `jingdong.pop.order.search` returns them (OrderInfo, camelCase).

Amounts and ids are strings; times 'yyyy-MM-dd HH:mm:ss' with JD's
'0001-01-01 00:00:00' for "never".  The list never shows unpaid orders; a
refund request locks the order (LOCKED) and a completed refund cancels it
after payment (TRADE_CANCELED with paymentConfirmTime set) -- platforms.md §6.
"""

from __future__ import annotations

from typing import Any

from .fmt import JD_NO_TIME, ts, ts_or, yuan
from .logical import LogicalOrder

ORDER_STATE = {
    "paid": ("WAIT_SELLER_STOCK_OUT", "等待出库"),
    "shipped": ("WAIT_GOODS_RECEIVE_CONFIRM", "等待确认收货"),
    "completed": ("FINISHED_L", "完成"),
    "cancelled": ("TRADE_CANCELED", "取消"),
    "refunding": ("LOCKED", "锁定"),
    "refunded": ("TRADE_CANCELED", "取消"),
}


def render_jd(o: LogicalOrder) -> dict[str, Any]:
    state, remark = ORDER_STATE[o.status]
    r = o.receiver
    items = [{
        "skuId": it.platform_sku_id, "outerSkuId": it.sku, "skuName": it.title,
        "jdPrice": yuan(it.unit_fen), "itemTotal": str(it.qty), "wareId": it.platform_item_id,
        "productNo": it.item_code, "giftPoint": "0",
    } for it in o.items]
    goods = o.goods_fen
    return {
        "orderId": o.order_no, "venderId": o.shop.shop_id, "orderType": "22", "payType": "4",
        "orderTotalPrice": yuan(goods),
        "orderSellerPrice": yuan(goods - o.discount_fen + o.platform_discount_fen),
        "orderPayment": yuan(o.payment_fen), "freightPrice": yuan(o.post_fee_fen),
        "sellerDiscount": yuan(o.discount_fen - o.platform_discount_fen), "balanceUsed": "0.00",
        "orderState": state, "orderStateRemark": remark,
        "orderRemark": o.buyer_message, "venderRemark": o.seller_memo,
        "orderStartTime": ts(o.created_ts),
        "paymentConfirmTime": ts_or(o.paid_ts, JD_NO_TIME),
        "orderEndTime": ts_or(o.completed_ts or o.closed_ts, JD_NO_TIME),
        "modified": ts(o.modified_ts),
        "pin": o.buyer_nick,
        "consigneeInfo": {
            "fullname": r.name, "telephone": r.phone, "mobile": r.phone,
            "fullAddress": r.full_address, "province": r.area.province, "city": r.area.city,
            "county": r.area.district, "town": r.town,
        },
        "itemInfoList": items,
        "waybill": o.tracking_no,
    }


def envelope_jd(orders: list[dict[str, Any]]) -> dict[str, Any]:
    return {"jingdong_pop_order_search_responce": {"searchorderinfo_result": {
        "orderInfoList": orders, "orderTotal": len(orders)}}}
