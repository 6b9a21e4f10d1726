"""The reconciliation report as files: self-contained HTML, XLSX with red fills, CSV.

HTML is for reading (totals first, then the differences in red, sortable); XLSX is for audit
(summary, differences and every order's breakdown, difference rows filled red); CSV is for
other tools (``-differences.csv`` and ``-orders.csv``, UTF-8 with BOM so Excel reads Chinese).
"""

from __future__ import annotations

import csv
from copy import copy
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from ..sheets import safe_cell, safe_row
from .model import LineKind
from .reconcile import DIFFERENCE_LABELS, DifferenceKind, OrderSettlement, Reconciliation

KIND_LABELS = {
    LineKind.goods: "货款 goods",
    LineKind.shipping: "运费 shipping",
    LineKind.subsidy: "平台补贴 subsidy",
    LineKind.commission: "佣金 commission",
    LineKind.service_fee: "服务费 service fee",
    LineKind.refund: "退款 refunds",
    LineKind.other: "其他 other",
}
RED = "FFFDE7E9"
RED_TEXT = "FFB00020"

ORDER_COLUMNS = [
    ("platform", "平台"), ("shop", "店铺"), ("order_no", "订单号"), ("order_id", "内部ID"),
    ("status", "状态"), ("goods_total", "商品金额"), ("discount", "优惠分摊"),
    ("post_fee", "运费(订单)"), ("payment", "实付"), ("refunded", "已退款"),
    ("expected_income", "应收入"), ("goods", "货款"), ("shipping", "运费"),
    ("subsidy", "平台补贴"), ("commission", "佣金"), ("service_fee", "服务费"),
    ("refund", "退款"), ("other", "其他"), ("settled_income", "实结收入"), ("net", "净回款"),
    ("lines", "结算行数"), ("differences", "差异"),
]
DIFF_COLUMNS = [
    ("kind", "类型"), ("label", "说明"), ("platform", "平台"), ("shop", "店铺"),
    ("order_no", "订单号"), ("order_id", "内部ID"), ("amount", "金额"), ("evidence", "依据"),
    ("line_ids", "结算行"),
]


@dataclass(frozen=True)
class ReportFiles:
    html: Path
    xlsx: Path
    differences_csv: Path
    orders_csv: Path

    def all(self) -> list[Path]:
        return [self.html, self.xlsx, self.differences_csv, self.orders_csv]


def report_stem(rec: Reconciliation) -> str:
    return f"reconcile-{rec.period.label}" + (f"-{rec.shop}" if rec.shop else "")


def write_reports(rec: Reconciliation, out_dir: Path | str) -> ReportFiles:
    """Write the HTML, XLSX and CSV files of ``rec`` into ``out_dir``; returns their paths."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    stem = report_stem(rec)
    files = ReportFiles(out / f"{stem}.html", out / f"{stem}.xlsx",
                        out / f"{stem}-differences.csv", out / f"{stem}-orders.csv")
    files.html.write_text(render_html(rec), encoding="utf-8")
    write_xlsx(rec, files.xlsx)
    _write_csv(files.differences_csv, DIFF_COLUMNS, (_diff_row(d.as_dict())
                                                     for d in rec.differences))
    _write_csv(files.orders_csv, ORDER_COLUMNS, (_order_row(o) for o in rec.orders))
    return files


def render_html(rec: Reconciliation) -> str:
    env = Environment(loader=PackageLoader("orderhub.finance", "templates"),
                      autoescape=select_autoescape(["html", "j2"]))
    summary = rec.summary()
    tz = rec.period.start.tzinfo
    return env.get_template("report.html.j2").render(
        r=rec, t=rec.totals, money=money,
        kinds=[(k.value, label) for k, label in KIND_LABELS.items()],
        diff_kinds=[(k.value, DIFFERENCE_LABELS[k]) for k in DifferenceKind],
        counts=summary["by_kind"], amounts=summary["amount_by_kind"],
        generated=rec.generated_at.astimezone(tz).strftime("%Y-%m-%d %H:%M:%S"),
    )


def money(value: Any) -> str:
    if value is None:
        return ""
    return f"{Decimal(value):,.2f}"


#: Above this many orders the XLSX lists only the orders with differences (the CSV has all):
#: openpyxl writes some 100,000 cells a second, and a report should take seconds.
XLSX_ORDER_LIMIT = 20_000


def write_xlsx(rec: Reconciliation, path: Path, *, order_limit: int = XLSX_ORDER_LIMIT) -> None:
    """Summary, Differences and Orders sheets; difference rows filled red.  Streams rows
    (write-only mode) and gives styled cells a shared style, so the cost is the cells."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font, PatternFill

    book = Workbook(write_only=True)
    first = book.create_sheet("汇总 Summary")
    red_tpl = WriteOnlyCell(first)
    red_tpl.fill = PatternFill(fill_type="solid", start_color=RED, end_color=RED)
    red_tpl.font = Font(color=RED_TEXT)
    red_tpl.number_format = "#,##0.00"
    bold_tpl = WriteOnlyCell(first)
    bold_tpl.font = Font(bold=True)

    def styled(sheet: Any, values: list[Any], template: Any) -> list[Any]:
        out = []
        for v in values:
            cell = WriteOnlyCell(sheet, value=_xl(v))
            cell._style = copy(template._style)  # no per-cell style registration
            out.append(cell)
        return out

    def plain(values: list[Any]) -> list[Any]:
        return [_xl(v) for v in values]

    summary = first
    summary.append(styled(summary, ["对账期间 period", rec.period.label], bold_tpl))
    summary.append(["店铺 shop", rec.shop or "全部 all"])
    for key, value in rec.totals.items():
        summary.append(plain([key, value]))
    summary.append([])
    summary.append(styled(summary, ["差异类型 kind", "数量 count", "金额 amount"], bold_tpl))
    s = rec.summary()
    for kind in DifferenceKind:
        n = s["by_kind"][kind.value]
        row = [DIFFERENCE_LABELS[kind], n, s["amount_by_kind"][kind.value]]
        summary.append(styled(summary, row, red_tpl) if n else plain(row))

    diffs = book.create_sheet("差异 Differences")
    diffs.append(styled(diffs, [f"{zh} {en}" for en, zh in DIFF_COLUMNS], bold_tpl))
    for d in rec.differences:
        diffs.append(styled(diffs, _diff_row(d.as_dict()), red_tpl))

    orders = book.create_sheet("订单明细 Orders")
    orders.append(styled(orders, [f"{zh} {en}" for en, zh in ORDER_COLUMNS], bold_tpl))
    listed = rec.orders if len(rec.orders) <= order_limit else \
        [o for o in rec.orders if o.differences]
    for o in listed:
        row = _order_row(o)
        orders.append(styled(orders, row, red_tpl) if o.differences else plain(row))
    if len(listed) < len(rec.orders):
        orders.append([f"{len(rec.orders):,} orders: only the {len(listed):,} with differences "
                       f"are listed here; every order is in the -orders.csv file"])
    book.save(path)


def _xl(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    return safe_cell(value)


def _diff_row(d: dict[str, Any]) -> list[Any]:
    d = {**d, "line_ids": " ".join(d["line_ids"])}
    return [d[k] for k, _ in DIFF_COLUMNS]


def _order_row(o: OrderSettlement) -> list[Any]:
    """The cells of ``o.as_dict()`` in :data:`ORDER_COLUMNS` order, read straight off the
    order: a month's report has a row for each of some 100,000 orders."""
    k = o.by_kind
    return [o.platform, o.shop, o.order_no, o.order_id, o.status, o.goods_total, o.discount,
            o.post_fee, o.payment, o.refunded, o.expected_income, k[LineKind.goods],
            k[LineKind.shipping], k[LineKind.subsidy], k[LineKind.commission],
            k[LineKind.service_fee], k[LineKind.refund], k[LineKind.other], o.settled_income,
            o.net, o.lines, " ".join(d.value for d in o.differences)]


def _write_csv(path: Path, columns: list[tuple[str, str]], rows: Any) -> None:
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        out = csv.writer(fh)
        out.writerow([key for key, _ in columns])
        out.writerows(safe_row(row) for row in rows)
