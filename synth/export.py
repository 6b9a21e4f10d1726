"""Rows of the Taobao seller-center 订单报表 / 宝贝报表 CSV exports (GBK files).

The quirks are the point: order numbers written as ="123..." so Excel keeps
the digits, phones prefixed with ', some amounts suffixed with 元.
"""

from __future__ import annotations

from .fmt import ts, yuan
from .logical import LogicalOrder
from .people import mask_phone

ORDER_REPORT_HEADERS = (
    "订单编号", "买家会员名", "买家支付宝账号", "买家应付货款", "买家应付邮费", "买家支付积分",
    "总金额", "返点积分", "买家实际支付金额", "买家实际支付积分", "订单状态", "买家留言",
    "收货人姓名", "收货地址", "运送方式", "联系电话", "联系手机", "订单创建时间", "订单付款时间",
    "宝贝标题", "宝贝种类", "物流单号", "物流公司", "订单备注", "宝贝总数量", "店铺Id", "店铺名称",
    "订单关闭原因", "卖家服务费", "买家服务费", "发票抬头", "是否手机订单", "分阶段订单信息",
    "特权订金订单id", "定金排名", "修改后的sku", "修改后的收货地址", "异常信息", "天猫卡券抵扣",
    "集分宝抵扣", "是否是O2O交易",
)
ITEM_REPORT_HEADERS = ("订单编号", "标题", "价格", "购买数量", "外部系统编号", "商品属性",
                       "套餐信息", "备注", "订单状态", "商家编码")
EXPORT_HEADERS = {"taobao-export": ORDER_REPORT_HEADERS, "taobao-export-items": ITEM_REPORT_HEADERS}

STATUS_ZH = {
    "pending_payment": "等待买家付款",
    "paid": "买家已付款，等待卖家发货",
    "shipped": "卖家已发货，等待买家确认",
    "completed": "交易成功",
    "cancelled": "交易关闭",
    "refunded": "交易关闭",
}
CLOSE_REASON = {"cancelled": "买家不想买了", "refunded": "退款"}


def status_zh(o: LogicalOrder) -> str:
    return STATUS_ZH["refunded" if o.status == "refunded" else o.base_status]


def excel_text(value: str) -> str:
    """The ="..." wrapper Taobao puts around long digit strings."""
    return f'="{value}"'


def render_export_row(o: LogicalOrder, kind: str = "taobao-export") -> list[str]:
    """One 订单报表 row, columns in ORDER_REPORT_HEADERS order."""
    if kind != "taobao-export":
        raise ValueError(f"unknown export kind {kind!r}; expected 'taobao-export'")
    r = o.receiver
    paid = o.paid_ts is not None
    payment = yuan(o.payment_fen)
    actual = payment if paid else "0.00"
    if o.order_no[-1] in "036":  # some rows carry the 元 suffix, as real files do
        actual += "元"
    return [
        excel_text(o.order_no), o.buyer_nick, mask_phone(r.phone),
        yuan(o.goods_fen - o.discount_fen), yuan(o.post_fee_fen), "0", payment, "0", actual,
        "0", status_zh(o), o.buyer_message, r.name,
        f"{r.area.province} {r.area.city} {r.area.district} {r.town}{r.detail}({r.area.zip})",
        "快递", "", f"'{r.phone}", ts(o.created_ts), ts(o.paid_ts) if o.paid_ts else "",
        "，".join(it.title for it in o.items), str(len(o.items)), o.tracking_no,
        o.carrier.name if o.carrier else "", o.seller_memo, str(o.quantity), o.shop.shop_id,
        o.shop.name, CLOSE_REASON.get(o.status, ""), "0", "0元", "",
        "手机订单" if o.order_no[-2] in "01234567" else "", "", "", "", "", "", "", "0", "0", "",
    ]


def render_export_items(o: LogicalOrder) -> list[list[str]]:
    """宝贝报表 rows (one per line item) carrying the merchant SKU code (商家编码)."""
    status = status_zh(o)
    return [[excel_text(o.order_no), it.title, yuan(it.unit_fen), str(it.qty), "",
             ";".join(f"{k}:{v}" for k, v in it.spec), "", "", status, it.sku]
            for it in o.items]
