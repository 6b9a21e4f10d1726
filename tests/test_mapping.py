"""One logical order in each platform's native shape normalizes to the same order."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from native_orders import CREATED, DOUYIN, MODIFIED, NATIVE, PAID, TAOBAO

from orderhub.connectors.mapping import builtin_mappings, load_mapping
from orderhub.errors import RecordError, SourceErrors
from orderhub.model import OrderStatus, RefundStatus


@pytest.mark.parametrize("platform", list(NATIVE))
def test_same_order_normalizes_equally_on_every_platform(platform: str) -> None:
    order = builtin_mappings()[platform].apply(NATIVE[platform])
    assert order.platform.value == platform
    assert order.status == OrderStatus.paid
    assert (order.goods_total, order.discount, order.post_fee, order.payment) == (
        Decimal("218.00"), Decimal("20.00"), Decimal("8.00"), Decimal("206.00"))
    assert order.created_at == CREATED and order.paid_at == PAID and order.modified_at == MODIFIED
    assert order.receiver.name == "王小明" and order.receiver.phone == "13812345678"
    assert order.receiver.city == "广州市" and order.receiver.district == "天河区"
    assert [(i.sku, i.quantity, i.unit_price) for i in order.items] == [
        ("CC-MILK-1L", 2, Decimal("59.00")), ("HJ-TOWEL-001", 1, Decimal("100.00"))]
    assert order.refund is None
    assert order.raw == NATIVE[platform]


def test_taobao_keeps_19_digit_order_numbers_exact() -> None:
    order = builtin_mappings()["taobao"].apply(TAOBAO)
    assert order.platform_order_no == "3456789012345678901"


@pytest.mark.parametrize(
    ("platform", "change", "status", "refund"),
    [
        ("taobao", {"orders": {"order": [{"num": 1, "price": "1", "refund_status":
                                          "WAIT_SELLER_AGREE"}]}}, "refunding", "requested"),
        ("taobao", {"status": "TRADE_CLOSED"}, "refunded", "refunded"),
        ("taobao", {"status": "TRADE_CLOSED_BY_TAOBAO"}, "cancelled", None),
        ("taobao", {"status": "WAIT_BUYER_CONFIRM_GOODS"}, "shipped", None),
        ("jd", {"orderState": "LOCKED"}, "refunding", "requested"),
        ("jd", {"orderState": "TRADE_CANCELED"}, "refunded", "refunded"),
        ("jd", {"orderState": "TRADE_CANCELED", "paymentConfirmTime": "0001-01-01 00:00:00"},
         "cancelled", None),
        ("jd", {"orderState": "FINISHED_L"}, "completed", None),
        ("pdd", {"refund_status": 3}, "refunding", "requested"),
        ("pdd", {"refund_status": 4}, "refunded", "refunded"),
        ("pdd", {"confirm_status": 2}, "cancelled", None),
        ("pdd", {"order_status": 2}, "shipped", None),
        ("douyin", {"order_status": 4, "pay_time": 0}, "cancelled", None),
        ("douyin", {"order_status": 5}, "completed", None),
        ("douyin", {"order_status": 1, "pay_time": 0}, "pending_payment", None),
    ],
)
def test_status_and_refund_overlay(platform: str, change: dict, status: str,
                                   refund: str | None) -> None:
    order = builtin_mappings()[platform].apply({**NATIVE[platform], **change})
    assert order.status.value == status
    assert (order.refund.status.value if order.refund else None) == refund


def test_douyin_line_refund_requested_and_withdrawn() -> None:
    lines = [dict(line) for line in DOUYIN["sku_order_list"]]
    lines[0] = {**lines[0], "after_sale_info": {"after_sale_status": 6, "refund_status": 1}}
    order = builtin_mappings()["douyin"].apply({**DOUYIN, "sku_order_list": lines})
    assert order.status == OrderStatus.refunding
    assert order.refund is not None and order.refund.status == RefundStatus.requested
    # the refund request time is when the platform reported it: the order's modified time
    assert order.refund.requested_at == MODIFIED
    lines[0]["after_sale_info"] = {"after_sale_status": 28, "refund_status": 1}
    withdrawn = builtin_mappings()["douyin"].apply({**DOUYIN, "sku_order_list": lines})
    assert withdrawn.status == OrderStatus.paid and withdrawn.refund is None


@pytest.mark.parametrize(
    ("change", "field", "reason"),
    [
        ({"tid": None, "tid_str": ""}, "tid_str/tid", "missing required"),
        ({"created": "2025-13-45 99:00:00"}, "created", "not a date-time"),
        ({"payment": "abc"}, "payment", "not an amount"),
        ({"status": "WAIT_SOMETHING_ODD"}, "status",
         "unknown status (status='WAIT_SOMETHING_ODD')"),
    ],
)
def test_bad_records_name_field_and_reason(change: dict, field: str, reason: str) -> None:
    with pytest.raises(RecordError) as info:
        builtin_mappings()["taobao"].apply({**TAOBAO, **change})
    assert info.value.field == field
    assert reason in info.value.reason


def test_mapping_file_typo_is_reported_with_position_and_suggestion(tmp_path: Path) -> None:
    bad = tmp_path / "shop.yaml"
    bad.write_text(
        "name: shop\nplatform: taobao\norder:\n  platform_order_no: tid\n"
        "  reciever.phone: mobile\n  created_at: {from: created, as: datetime}\n"
        "status:\n  from: status\n  mapp: {}\n",
        encoding="utf-8",
    )
    with pytest.raises(SourceErrors) as info:
        load_mapping(bad)
    text = info.value.render()
    assert f"{bad}:9:3: error: unknown key 'mapp'" in text
    assert "did you mean 'map'?" in text
    with pytest.raises(SourceErrors) as info2:
        bad.write_text(bad.read_text(encoding="utf-8").replace("  mapp: {}\n", ""),
                       encoding="utf-8")
        load_mapping(bad)
    text2 = info2.value.render()
    assert f"{bad}:5:3: error: 'reciever.phone' is not a field" in text2
    assert "did you mean 'receiver.phone'?" in text2
    assert "^" in text2
