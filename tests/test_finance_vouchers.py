"""Vouchers: balanced, and column for column in the Kingdee K/3 and Yonyou U8 layouts."""

from __future__ import annotations

import csv
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook

from orderhub.finance import (
    FinanceConfig,
    Period,
    Voucher,
    VoucherEntry,
    VoucherUnbalanced,
    build_vouchers,
    import_settlements,
    write_vouchers,
)
from orderhub.finance.config import Account
from orderhub.finance.vouchers import KINGDEE_COLUMNS, YONYOU_COLUMNS

DATA = Path(__file__).parent / "data" / "finance"
BILLS = sorted(DATA.glob("*-2025-11.*"))
D = Decimal

# platforms.md section 8, verbatim
KINGDEE_LAYOUT = (
    "凭证日期 会计年度 会计期间 凭证字 凭证号 科目代码 科目名称 币别代码 "
    "币别名称 原币金额 借方 贷方 制单 审核 核准 出纳 经办 结算方式 "
    "结算号 凭证摘要 数量 数量单位 单价 参考信息 业务日期 往来业务编号 "
    "附件数 序号 系统模块 业务描述 汇率类型 汇率 分录序号 核算项目 过账 "
    "机制凭证 现金流量"
).split()
YONYOU_LAYOUT = (
    "会计期间 凭证类别字 凭证类别排序号 凭证编号 行号 制单日期 附单据数 "
    "制单人 审核人 记账人 记账标志 出纳人 凭证标志 凭证头自定义项1 "
    "凭证头自定义项2 摘要 科目编码 币种 借方金额 贷方金额 外币借方金额 "
    "外币贷方金额 汇率 数量借方 数量贷方 结算方式编码 票号 票号发生日期 "
    "部门编码 职员编码 客户编码 供应商编码 项目编码 项目大类编码 业务员 "
    "对方科目编码 银行帐两清标志 往来帐两清标志 是否核销 外部凭证帐套号 "
    "外部凭证会计年度 外部凭证系统名称 外部凭证系统版本号 外部凭证制单日期 "
    "外部凭证会计期间 外部凭证业务类型 外部凭证业务号 日期 标志 "
    "外部凭证单据号"
).split()


def test_layouts_are_the_documented_columns() -> None:
    assert len(KINGDEE_LAYOUT) == 37
    assert KINGDEE_COLUMNS == KINGDEE_LAYOUT
    assert YONYOU_COLUMNS == YONYOU_LAYOUT


@pytest.fixture
def vouchers(store):  # type: ignore[no-untyped-def]
    import_settlements(store, BILLS)
    return build_vouchers(store, Period.month("2025-11"), FinanceConfig())


def test_vouchers_balance_and_carry_the_month(vouchers) -> None:  # type: ignore[no-untyped-def]
    assert [v.platform for v in vouchers] == ["douyin", "jd", "pdd", "taobao"]
    assert [v.number for v in vouchers] == [1, 2, 3, 4]
    for v in vouchers:
        assert v.debit == v.credit > 0
        assert v.day == date(2025, 11, 30)
    taobao = vouchers[3]
    by_code = {(e.account.code, e.summary.split()[-1]): (e.debit, e.credit) for e in taobao.entries}
    assert by_code[("1012.01", "回款")] == (D("312.76"), D("0"))  # the net payout
    assert by_code[("6001", "货款")] == (D("0"), D("358.90"))
    assert by_code[("6601.01", "佣金")] == (D("14.95"), D("0"))
    assert by_code[("6601.02", "平台服务费")] == (D("31.19"), D("0"))
    douyin = {e.summary.split()[-1]: (e.debit, e.credit) for e in vouchers[0].entries}
    assert douyin["退款"] == (D("50.00"), D("0"))
    assert douyin["平台补贴"] == (D("0"), D("5.00"))


def test_kingdee_xlsx_column_for_column(vouchers, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = write_vouchers(vouchers, tmp_path / "k3.xlsx", "kingdee")
    rows = list(load_workbook(path).active.iter_rows(values_only=True))
    assert list(rows[0]) == KINGDEE_LAYOUT
    body = [dict(zip(KINGDEE_LAYOUT, r, strict=True)) for r in rows[1:]]
    assert len(body) == sum(len(v.entries) for v in vouchers)
    for number in {r["凭证号"] for r in body}:
        entries = [r for r in body if r["凭证号"] == number]
        debit = round(sum(r["借方"] for r in entries), 2)
        assert debit == round(sum(r["贷方"] for r in entries), 2)
        assert [r["分录序号"] for r in entries] == list(range(len(entries)))
    first = body[0]
    assert (first["凭证日期"], first["会计年度"], first["会计期间"], first["凭证字"]) == (
        "2025-11-30", 2025, 11, "记")
    assert (first["币别代码"], first["币别名称"], first["汇率类型"], first["汇率"]) == (
        "RMB", "人民币", "公司汇率", 1)
    assert first["原币金额"] == first["借方"] or first["原币金额"] == first["贷方"]


def test_yonyou_xlsx_and_text_column_for_column(vouchers, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    config = FinanceConfig.model_validate({"voucher": {"first_number": 101, "preparer": "张会计"},
                                           "accounts": {"cash.pdd": {"code": "1122.03",
                                                                     "name": "应收账款-拼多多"}}})
    vouchers = [*vouchers]
    for i, v in enumerate(vouchers):
        v.number = 101 + i
    path = write_vouchers(vouchers, tmp_path / "u8.xlsx", "yonyou", config)
    rows = list(load_workbook(path).active.iter_rows(values_only=True))
    assert list(rows[0]) == YONYOU_LAYOUT
    body = [dict(zip(YONYOU_LAYOUT, r, strict=True)) for r in rows[1:]]
    assert {r["凭证编号"] for r in body} == {101, 102, 103, 104}
    assert all(r["制单人"] == "张会计" and r["凭证类别字"] == "记" and r["会计期间"] == 11
               for r in body)
    text = write_vouchers(vouchers, tmp_path / "u8.txt", "yonyou", config)
    with text.open(encoding="gb18030", newline="") as fh:
        lines = list(csv.reader(fh))
    assert lines[0] == YONYOU_LAYOUT and len(lines) == len(rows)
    assert [r[YONYOU_LAYOUT.index("行号")] for r in lines[1:5]] == ["1", "2", "3", "4"]


def test_per_platform_cash_account(store) -> None:  # type: ignore[no-untyped-def]
    import_settlements(store, BILLS)
    config = FinanceConfig.model_validate(
        {"accounts": {"cash.pdd": {"code": "1122.03", "name": "应收账款-拼多多"}}})
    pdd = next(v for v in build_vouchers(store, Period.month("2025-11"), config)
               if v.platform == "pdd")
    assert pdd.entries[0].account.code == "1122.03"


def test_unbalanced_vouchers_are_refused_before_writing(tmp_path: Path) -> None:
    bad = Voucher(7, date(2025, 11, 30), "pdd", "default", "2025-11 拼多多 default 平台结算", [
        VoucherEntry("回款", Account(code="1012.01"), debit=D("100.00")),
        VoucherEntry("货款", Account(code="6001"), credit=D("99.99")),
    ])
    target = tmp_path / "k3.xlsx"
    with pytest.raises(VoucherUnbalanced, match=r"voucher 7 .*debits 100.00, credits 99.99"):
        write_vouchers([bad], target, "kingdee")
    assert not target.exists()
