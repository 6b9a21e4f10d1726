"""Journal vouchers from a month's settlements, for Kingdee K/3 and Yonyou U8 import.

One voucher per platform and shop: the platform account (cash) against income, shipping,
subsidies, fees, refunds and other, from the account mapping in ``finance.accounts``.  A kind
whose total is positive is credited, a negative one debited; the cash account takes the net.
Every voucher is checked to balance before anything is written.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from ..errors import OrderhubError
from ..sheets import safe_cell, safe_row
from ..store import OrderStore
from .config import Account, FinanceConfig
from .model import LineKind
from .period import Period
from .store import SettlementStore

ZERO = Decimal("0.00")

#: Kingdee K/3 / KIS 凭证引入 layout: these 37 columns, in this order.
KINGDEE_COLUMNS = [
    "凭证日期", "会计年度", "会计期间", "凭证字", "凭证号", "科目代码", "科目名称", "币别代码",
    "币别名称", "原币金额", "借方", "贷方", "制单", "审核", "核准", "出纳", "经办", "结算方式",
    "结算号", "凭证摘要", "数量", "数量单位", "单价", "参考信息", "业务日期", "往来业务编号",
    "附件数", "序号", "系统模块", "业务描述", "汇率类型", "汇率", "分录序号", "核算项目", "过账",
    "机制凭证", "现金流量",
]
#: Yonyou U8 凭证引入 standard format, in this order.
YONYOU_COLUMNS = [
    "会计期间", "凭证类别字", "凭证类别排序号", "凭证编号", "行号", "制单日期", "附单据数",
    "制单人", "审核人", "记账人", "记账标志", "出纳人", "凭证标志", "凭证头自定义项1",
    "凭证头自定义项2", "摘要", "科目编码", "币种", "借方金额", "贷方金额", "外币借方金额",
    "外币贷方金额", "汇率", "数量借方", "数量贷方", "结算方式编码", "票号", "票号发生日期",
    "部门编码", "职员编码", "客户编码", "供应商编码", "项目编码", "项目大类编码", "业务员",
    "对方科目编码", "银行帐两清标志", "往来帐两清标志", "是否核销", "外部凭证帐套号",
    "外部凭证会计年度", "外部凭证系统名称", "外部凭证系统版本号", "外部凭证制单日期",
    "外部凭证会计期间", "外部凭证业务类型", "外部凭证业务号", "日期", "标志", "外部凭证单据号",
]
PLATFORM_NAMES = {"taobao": "淘宝/天猫", "jd": "京东", "pdd": "拼多多", "douyin": "抖店",
                  "other": "其他"}
KIND_NAMES = {LineKind.goods: "货款", LineKind.shipping: "运费", LineKind.subsidy: "平台补贴",
              LineKind.commission: "佣金", LineKind.service_fee: "平台服务费",
              LineKind.refund: "退款", LineKind.other: "其他"}
FORMATS = ("kingdee", "yonyou")


class VoucherUnbalanced(OrderhubError):
    """A voucher's debits and credits differ: nothing is written."""


@dataclass
class VoucherEntry:
    summary: str
    account: Account
    debit: Decimal = ZERO
    credit: Decimal = ZERO


@dataclass
class Voucher:
    number: int
    day: date
    platform: str
    shop: str
    summary: str
    entries: list[VoucherEntry] = field(default_factory=list)

    @property
    def debit(self) -> Decimal:
        return sum((e.debit for e in self.entries), ZERO)

    @property
    def credit(self) -> Decimal:
        return sum((e.credit for e in self.entries), ZERO)


def build_vouchers(
    store: OrderStore, period: Period, config: FinanceConfig | None = None, *,
    shop: str | None = None,
) -> list[Voucher]:
    """The vouchers of ``period``'s settlement lines, one per platform and shop."""
    config = config or FinanceConfig()
    sums: dict[tuple[str, str], dict[LineKind, Decimal]] = defaultdict(
        lambda: dict.fromkeys(LineKind, ZERO))
    for ln in SettlementStore.of(store).between(period.start, period.end, shop=shop):
        sums[(ln.platform, ln.shop)][ln.kind] += ln.amount
    out = []
    for i, ((platform, shop_id), kinds) in enumerate(sorted(sums.items())):
        name = PLATFORM_NAMES.get(platform, platform)
        head = f"{period.label} {name} {shop_id} 平台结算"
        voucher = Voucher(config.voucher.first_number + i, period.last_day, platform, shop_id,
                          head)
        for kind in LineKind:
            total = kinds[kind]
            if total == 0:
                continue
            entry = VoucherEntry(f"{head} {KIND_NAMES[kind]}", config.account(kind.value, platform))
            if total > 0:
                entry.credit = total
            else:
                entry.debit = -total
            voucher.entries.append(entry)
        net = sum(kinds.values(), ZERO)
        if net:
            cash = VoucherEntry(f"{head} 回款", config.account("cash", platform))
            if net > 0:
                cash.debit = net
            else:
                cash.credit = -net
            voucher.entries.insert(0, cash)
        if voucher.entries:
            out.append(voucher)
    return out


def check_balanced(vouchers: list[Voucher]) -> None:
    """Raise :class:`VoucherUnbalanced` naming every voucher whose debits and credits differ."""
    bad = [v for v in vouchers if v.debit != v.credit]
    if bad:
        detail = "; ".join(f"voucher {v.number} ({v.summary}): debits {v.debit}, credits "
                           f"{v.credit}, difference {v.debit - v.credit}" for v in bad)
        raise VoucherUnbalanced(f"debits do not equal credits, nothing written: {detail}")


def voucher_rows(vouchers: list[Voucher], fmt: str, config: FinanceConfig) -> list[list[Any]]:
    """The rows of the import file (without the header), in the layout of ``fmt``."""
    if fmt == "kingdee":
        return [row for i, v in enumerate(vouchers, 1) for row in _kingdee(v, i, config)]
    if fmt == "yonyou":
        return [row for v in vouchers for row in _yonyou(v, config)]
    raise ValueError(f"unknown voucher format {fmt!r}; known: {', '.join(FORMATS)}")


def write_vouchers(
    vouchers: list[Voucher], path: Path | str, fmt: str, config: FinanceConfig | None = None
) -> Path:
    """Check the vouchers balance, then write them as XLSX (or CSV/TXT, GB18030, for U8's
    text import) in the ``kingdee`` or ``yonyou`` layout."""
    config = config or FinanceConfig()
    check_balanced(vouchers)
    columns = KINGDEE_COLUMNS if fmt == "kingdee" else YONYOU_COLUMNS
    rows = voucher_rows(vouchers, fmt, config)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix.lower() in (".csv", ".txt"):
        with path.open("w", encoding="gb18030", newline="") as fh:
            out = csv.writer(fh)
            out.writerow(columns)
            out.writerows([safe_row(_text(v) for v in row) for row in rows])
        return path
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "Page1" if fmt == "kingdee" else "凭证"
    sheet.append(columns)
    for row in rows:
        sheet.append([float(v) if isinstance(v, Decimal) else safe_cell(v) for v in row])
    book.save(path)
    return path


def _kingdee(v: Voucher, serial: int, config: FinanceConfig) -> list[list[Any]]:
    opt = config.voucher
    rows = []
    for n, e in enumerate(v.entries):
        values = {
            "凭证日期": v.day.isoformat(), "会计年度": v.day.year, "会计期间": v.day.month,
            "凭证字": opt.word, "凭证号": v.number, "科目代码": e.account.code,
            "科目名称": e.account.name, "币别代码": opt.currency_code,
            "币别名称": opt.currency_name, "原币金额": e.debit or e.credit,
            "借方": e.debit, "贷方": e.credit, "制单": opt.preparer, "审核": "", "核准": "",
            "出纳": "", "经办": "", "结算方式": "*", "结算号": "*", "凭证摘要": e.summary,
            "数量": 0, "数量单位": "*", "单价": 0, "参考信息": "",
            "业务日期": v.day.isoformat(), "往来业务编号": "", "附件数": 0, "序号": serial,
            "系统模块": "", "业务描述": "", "汇率类型": "公司汇率", "汇率": 1,
            "分录序号": n, "核算项目": "", "过账": 0, "机制凭证": "", "现金流量": "",
        }
        rows.append([values[c] for c in KINGDEE_COLUMNS])
    return rows


def _yonyou(v: Voucher, config: FinanceConfig) -> list[list[Any]]:
    opt = config.voucher
    rows = []
    for n, e in enumerate(v.entries, 1):
        values: dict[str, Any] = dict.fromkeys(YONYOU_COLUMNS, "")
        values.update({
            "会计期间": v.day.month, "凭证类别字": opt.word, "凭证编号": v.number, "行号": n,
            "制单日期": v.day.isoformat(), "附单据数": 0, "制单人": opt.preparer,
            "摘要": e.summary, "科目编码": e.account.code, "借方金额": e.debit,
            "贷方金额": e.credit, "外部凭证会计年度": v.day.year,
            "外部凭证系统名称": "orderhub", "外部凭证制单日期": v.day.isoformat(),
            "外部凭证会计期间": v.day.month, "外部凭证业务类型": "平台结算",
            "外部凭证业务号": f"{v.platform}:{v.shop}:{v.day:%Y-%m}", "日期": v.day.isoformat(),
        })
        rows.append([values[c] for c in YONYOU_COLUMNS])
    return rows


def _text(value: Any) -> str:
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    return "" if value is None else str(value)
