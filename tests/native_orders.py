"""One logical order in the four platforms' native API shapes (shared by several tests)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

SH = ZoneInfo("Asia/Shanghai")
CREATED = datetime(2025, 11, 11, 0, 1, 2, tzinfo=SH)
PAID = datetime(2025, 11, 11, 0, 1, 30, tzinfo=SH)
MODIFIED = datetime(2025, 11, 11, 0, 5, 0, tzinfo=SH)

TAOBAO = {
    "tid": 3456789012345678901, "tid_str": "3456789012345678901",
    "status": "WAIT_SELLER_SEND_GOODS", "type": "fixed",
    "created": "2025-11-11 00:01:02", "pay_time": "2025-11-11 00:01:30",
    "modified": "2025-11-11 00:05:00",
    "buyer_nick": "t***1", "receiver_name": "王小明", "receiver_mobile": "13812345678",
    "receiver_state": "广东省", "receiver_city": "广州市", "receiver_district": "天河区",
    "receiver_address": "天河路385号",
    "total_fee": "218.00", "discount_fee": "20.00", "post_fee": "8.00", "payment": "206.00",
    "orders": {"order": [
        {"oid_str": "3456789012345678902", "outer_sku_id": "CC-MILK-1L", "title": "鲜牛奶1L",
         "num": 2, "price": "59.00", "refund_status": "NO_REFUND"},
        {"oid_str": "3456789012345678903", "outer_sku_id": "HJ-TOWEL-001", "title": "纯棉毛巾",
         "num": 1, "price": "100.00", "refund_status": "NO_REFUND"},
    ]},
}
JD = {
    "orderId": "301234567890", "venderId": "10086", "orderState": "WAIT_SELLER_STOCK_OUT",
    "orderStartTime": "2025-11-11 00:01:02", "paymentConfirmTime": "2025-11-11 00:01:30",
    "modified": "2025-11-11 00:05:00", "orderEndTime": "0001-01-01 00:00:00",
    "orderTotalPrice": "218.00", "sellerDiscount": "20.00", "freightPrice": "8.00",
    "orderPayment": "206.00", "pin": "jd_wang",
    "consigneeInfo": {"fullname": "王小明", "mobile": "13812345678", "province": "广东",
                      "city": "广州市", "county": "天河区", "fullAddress": "天河路385号"},
    "itemInfoList": [
        {"skuId": "100001", "outerSkuId": "CC-MILK-1L", "skuName": "鲜牛奶1L",
         "jdPrice": "59.00", "itemTotal": "2"},
        {"skuId": "100002", "outerSkuId": "HJ-TOWEL-001", "skuName": "纯棉毛巾",
         "jdPrice": "100.00", "itemTotal": "1"},
    ],
}
PDD = {
    "order_sn": "251111-123456789012345", "order_status": 1, "confirm_status": 1,
    "refund_status": 1, "created_time": "2025-11-11 00:01:02",
    "pay_time": "2025-11-11 00:01:30", "updated_at": "2025-11-11 00:05:00",
    "receiver_name": "王小明", "receiver_phone": "13812345678", "province": "广东省",
    "city": "广州市", "town": "天河区", "receiver_address": "天河路385号",
    "goods_amount": 218.0, "discount_amount": 20.0, "postage": 8.0, "pay_amount": 206.0,
    "item_list": [
        {"sku_id": 9001, "outer_id": "CC-MILK-1L", "goods_name": "鲜牛奶1L",
         "goods_count": 2, "goods_price": 59.0},
        {"sku_id": 9002, "outer_id": "HJ-TOWEL-001", "goods_name": "纯棉毛巾",
         "goods_count": 1, "goods_price": 100.0},
    ],
}
DOUYIN = {
    "order_id": "6912345678901234567", "order_status": 2, "create_time": int(CREATED.timestamp()),
    "pay_time": int(PAID.timestamp()), "update_time": int(MODIFIED.timestamp()),
    "post_receiver": "王小明", "post_tel": "13812345678",
    "post_addr": {"province": {"name": "广东省"}, "city": {"name": "广州市"},
                  "town": {"name": "天河区"}, "detail": "天河路385号"},
    "order_amount": 22600, "pay_amount": 20600, "post_amount": 800, "promotion_amount": 2000,
    "sku_order_list": [
        {"order_id": "6912345678901234568", "out_sku_id": "CC-MILK-1L", "product_name": "鲜牛奶1L",
         "item_num": 2, "origin_amount": 5900, "sum_amount": 11800, "pay_amount": 10800,
         "after_sale_info": {"after_sale_status": 0, "refund_status": 0}},
        {"order_id": "6912345678901234569", "out_sku_id": "HJ-TOWEL-001",
         "product_name": "纯棉毛巾",
         "item_num": 1, "origin_amount": 10000, "sum_amount": 10000, "pay_amount": 9800,
         "after_sale_info": {"after_sale_status": 0, "refund_status": 0}},
    ],
}
NATIVE = {"taobao": TAOBAO, "jd": JD, "pdd": PDD, "douyin": DOUYIN}
