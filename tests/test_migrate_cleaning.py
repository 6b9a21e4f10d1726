"""The cleaning table: every date, phone and amount form a legacy export writes, and cells."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pytest

from orderhub.connectors.cleaning import CleanSpec, cleaner
from orderhub.connectors.tables import read_status_table
from orderhub.connectors.transforms import TRANSFORMS, zone
from orderhub.errors import SourceErrors
from orderhub.model import OrderStatus

TZ = zone("Asia/Shanghai")


def at(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=TZ)  # type: ignore[misc]


@pytest.mark.parametrize(("raw", "expected"), [
    ("2025/3/1 9:05", at(2025, 3, 1, 9, 5)),
    ("2025/03/01 09:05:30", at(2025, 3, 1, 9, 5, 30)),
    ("2025-03-01T09:05", at(2025, 3, 1, 9, 5)),
    ("2025-03-01 09:05:00", at(2025, 3, 1, 9, 5)),
    ("2025-03-01 09:05:00.000", at(2025, 3, 1, 9, 5)),
    ("2025年3月1日 9时5分", at(2025, 3, 1, 9, 5)),
    ("2025年3月1日 9时5分30秒", at(2025, 3, 1, 9, 5, 30)),
    ("2025年3月1日", at(2025, 3, 1)),
    ("2025.3.1", at(2025, 3, 1)),
    ("20250301", at(2025, 3, 1)),
    ("202503010905", at(2025, 3, 1, 9, 5)),
    ("２０２５／３／１ ９:０５", at(2025, 3, 1, 9, 5)),
    ("45717.38", at(2025, 3, 1, 9, 7, 12)),
    (45717.375, at(2025, 3, 1, 9, 0)),
    ("45717", at(2025, 3, 1)),
    ("2025-03-01T09:05:00+00:00", datetime.fromisoformat("2025-03-01T09:05:00+00:00")),
    (datetime(2025, 3, 1, 9, 5), at(2025, 3, 1, 9, 5)),
    ("", None),
    ("0000-00-00 00:00:00", None),
])
def test_legacy_dates(raw: object, expected: datetime | None) -> None:
    assert TRANSFORMS["legacy_datetime"](raw, TZ) == expected


@pytest.mark.parametrize(("raw", "reason"), [
    ("2025/2/30 10:00", "not a valid date: '2025/2/30 10:00' (day is out of range for month)"),
    ("2025/13/1", "not a valid date: '2025/13/1' (month must be in 1..12)"),
    ("3/1/2025", "not a date-time: '3/1/2025'"),
    ("昨天", "not a date-time: '昨天'"),
])
def test_bad_dates_say_why(raw: str, reason: str) -> None:
    with pytest.raises(ValueError) as err:
        TRANSFORMS["legacy_datetime"](raw, TZ)
    assert str(err.value) == reason


@pytest.mark.parametrize(("raw", "expected"), [
    ("13812345678", "13812345678"),
    ("+86 138 1234 5678", "13812345678"),
    ("+86-138-1234-5678", "13812345678"),
    ("0086 13812345678", "13812345678"),
    ("8613812345678", "13812345678"),
    ("138-1234-5678", "13812345678"),
    ("'13812345678", "13812345678"),
    ("１３８１２３４５６７８", "13812345678"),
    ("（０２１）６１２３４５６７", "021-61234567"),
    ("021 6123 4567", "021-61234567"),
    ("0571-88886666", "0571-88886666"),
    ("138****5678", "138****5678"),
    ("", None),
])
def test_phones(raw: str, expected: str | None) -> None:
    assert TRANSFORMS["clean_phone"](raw, TZ) == expected


@pytest.mark.parametrize("raw", ["12345", "1381234567", "phone", "23812345678"])
def test_bad_phones(raw: str) -> None:
    with pytest.raises(ValueError, match="not a phone number"):
        TRANSFORMS["clean_phone"](raw, TZ)


@pytest.mark.parametrize(("raw", "expected"), [
    ("¥1,299.00", "1299.00"),
    ("￥88", "88.00"),
    ("128元", "128.00"),
    ("1,024.50", "1024.50"),
    ("９９.００", "99.00"),
    ("RMB 88", "88.00"),
    ("￥ 1,234.5 元", "1234.50"),
    (12.5, "12.50"),
    (30, "30.00"),
])
def test_amounts(raw: object, expected: str) -> None:
    assert TRANSFORMS["amount"](raw, TZ) == Decimal(expected)


def test_bad_amount() -> None:
    with pytest.raises(ValueError, match="not an amount: '面议'"):
        TRANSFORMS["amount"]("面议", TZ)


@pytest.mark.parametrize(("raw", "expected"), [
    ("淘宝", "taobao"), ("天猫", "taobao"), ("京东", "jd"), ("拼多多", "pdd"), ("抖音", "douyin"),
    ("线下", "other"), ("ＪＤ", "jd"),
])
def test_platform_names(raw: str, expected: str) -> None:
    assert TRANSFORMS["platform"](raw, TZ) == expected


def test_cells_are_trimmed_collapsed_halfwidth_and_blanks_are_none() -> None:
    clean = cleaner(CleanSpec())
    out = clean({"name": "\u3000张三 ", "addr": "文三路  １００号　２单元", "no": "ＡＢ１２",
                 "memo": "无", "dash": "-", "qty": 3, "punct": "（测试）、，"})
    assert out == {"name": "张三", "addr": "文三路 100号 2单元", "no": "AB12", "memo": None,
                   "dash": None, "qty": 3, "punct": "（测试）、，"}


def test_status_table_from_xlsx(tmp_path: Path) -> None:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    for row in (["旧状态", "新状态"], ["已付款", "paid"], [" 支付成功 ", "PAID"],
                ["退款中", "refunding"]):
        sheet.append(row)
    book.save(tmp_path / "map.xlsx")
    assert read_status_table(tmp_path / "map.xlsx") == {
        "已付款": OrderStatus.paid, "支付成功": OrderStatus.paid, "退款中": OrderStatus.refunding}


def test_status_table_errors_name_every_bad_row(tmp_path: Path) -> None:
    path = tmp_path / "map.csv"
    path.write_text("旧状态,新状态\n已付款,paid\n已发货,shiped\n,paid\n已付款,completed\n",
                    encoding="gbk")
    with pytest.raises(SourceErrors) as err:
        read_status_table(path)
    text = err.value.render()
    assert f"{path}:3:2: error: 'shiped' is not a status (for '已发货')" in text
    assert "hint: did you mean 'shipped'" in text
    assert f"{path}:4:1: error: the old value (column 1) is empty" in text
    assert f"{path}:5:2: error: '已付款' is mapped twice: to paid on row 2 and to completed" in text
