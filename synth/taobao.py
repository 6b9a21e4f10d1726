"""Taobao/Tmall trade objects as `taobao.trades.sold.increment.get` returns them.

Amounts are yuan strings, times 'yyyy-MM-dd HH:mm:ss' Beijing time, ids both
int (`tid`) and string (`tid_str`).  TOP omits fields that have no value.
"""

from __future__ import annotations

from typing import Any

from .fmt import ts, yuan
from .logical import LogicalOrder

TRADE_STATUS = {
    "pending_payment": "WAIT_BUYER_PAY",
    "paid": "WAIT_SELLER_SEND_GOODS",
    "shipped": "WAIT_BUYER_CONFIRM_GOODS",
    "completed": "TRADE_FINISHED",
    "cancelled": "TRADE_CLOSED_BY_TAOBAO",
}
LINE_REFUND = {"refunding": "WAIT_SELLER_AGREE", "refunded": "SUCCESS"}
NO_REFUND = "NO_REFUND"


def trade_status(o: LogicalOrder) -> str:
    """Refunded orders close (TRADE_CLOSED); refunding ones keep the fulfilment status."""
    return "TRADE_CLOSED" if o.status == "refunded" else TRADE_STATUS[o.base_status]


_PROPS: dict[tuple[tuple[str, str], ...], str] = {}


def sku_properties(spec: tuple[tuple[str, str], ...]) -> str:
    """TOP's sku_properties_name: '颜色分类:灰色;规格:3条装'."""
    text = _PROPS.get(spec)
    if text is None:
        text = _PROPS[spec] = ";".join(f"{k}:{v}" for k, v in spec)
    return text


def render_taobao(o: LogicalOrder) -> dict[str, Any]:
    status = trade_status(o)
    refund = LINE_REFUND.get(o.status, NO_REFUND)
    carrier = o.carrier.name if o.carrier else None
    lines = []
    for it in o.items:
        paid = yuan(it.paid_fen)
        line: dict[str, Any] = {
            "oid": int(it.line_id), "oid_str": it.line_id,
            "num_iid": int(it.platform_item_id), "sku_id": it.platform_sku_id,
            "outer_iid": it.item_code, "outer_sku_id": it.sku, "title": it.title,
            "sku_properties_name": sku_properties(it.spec), "num": it.qty,
            "price": yuan(it.unit_fen), "total_fee": yuan(it.total_fen), "payment": paid,
            "divide_order_fee": paid, "discount_fee": "0.00", "adjust_fee": "0.00",
            "status": status, "refund_status": refund,
        }
        if refund != NO_REFUND:
            line["refund_id"] = f"1{it.line_id[-14:]}"
        if o.tracking_no:
            line["invoice_no"] = o.tracking_no
            line["logistics_company"] = carrier
            line["consign_time"] = ts(o.shipped_ts)  # type: ignore[arg-type]
        lines.append(line)
    r = o.receiver
    goods = o.goods_fen
    trade: dict[str, Any] = {
        "tid": int(o.order_no), "tid_str": o.order_no, "status": status, "type": "fixed",
        "seller_nick": o.shop.name, "buyer_nick": o.buyer_nick,
        "created": ts(o.created_ts),
    }
    if o.paid_ts is not None:
        trade["pay_time"] = ts(o.paid_ts)
    trade["modified"] = ts(o.modified_ts)
    if o.shipped_ts is not None:
        trade["consign_time"] = ts(o.shipped_ts)
    end = o.completed_ts or o.closed_ts
    if end is not None:
        trade["end_time"] = ts(end)
    trade.update({
        "receiver_name": r.name, "receiver_mobile": r.phone, "receiver_state": r.area.province,
        "receiver_city": r.area.city, "receiver_district": r.area.district,
        "receiver_town": r.town, "receiver_address": f"{r.town}{r.detail}",
        "receiver_zip": r.area.zip,
        "total_fee": yuan(goods), "discount_fee": yuan(o.discount_fen),
        "adjust_fee": "0.00", "post_fee": yuan(o.post_fee_fen),
        "payment": yuan(goods - o.discount_fen + o.post_fee_fen),
        "num": o.quantity,
    })
    if o.buyer_message:
        trade["buyer_message"] = o.buyer_message
    if o.seller_memo:
        trade["seller_memo"] = o.seller_memo
    trade["orders"] = {"order": lines}
    return trade


def envelope_taobao(trades: list[dict[str, Any]]) -> dict[str, Any]:
    return {"trades_sold_increment_get_response": {
        "total_results": len(trades), "has_next": False, "trades": {"trade": trades}}}
