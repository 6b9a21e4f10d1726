"""The reconciliation report as files: self-contained HTML, XLSX with red fills, CSV.

HTML is for reading (totals first, then the differences in red, sortable); XLSX is for audit
(summary, differences and every order's breakdown, difference rows filled red); CSV is for
other tools (``-differences.csv`` and ``-orders.csv``, UTF-8 with BOM so Excel reads Chinese).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from .model import LineKind
from .reconcile import DIFFERENCE_LABELS, DifferenceKind, Reconciliation

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
    _write_csv(files.orders_csv, ORDER_COLUMNS, (_order_row(o.as_dict()) for o in rec.orders))
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


def write_xlsx(rec: Reconciliation, path: Path) -> None:
    """Summary, Differences and Orders sheets; difference rows filled red.  Streams rows
    (write-only mode), so 100,000 orders take seconds, not minutes."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font, PatternFill

    book = Workbook(write_only=True)
    fill = PatternFill(fill_type="solid", start_color=RED, end_color=RED)
    red_font = Font(color=RED_TEXT)
    bold = Font(bold=True)

    def cells(sheet: Any, values: list[Any], *, red: bool = False, head: bool = False) -> list:
        out = []
        for v in values:
            cell = WriteOnlyCell(sheet, value=_xl(v))
            if red:
                cell.fill, cell.font = fill, red_font
            elif head:
                cell.font = bold
            if isinstance(v, Decimal):
                cell.number_format = "#,##0.00"
            out.append(cell)
        return out

    summary = book.create_sheet("汇总 Summary")
    summary.append(cells(summary, ["对账期间 period", rec.period.label], head=True))
    summary.append(["店铺 shop", rec.shop or "全部 all"])
    for key, value in rec.totals.items():
        summary.append(cells(summary, [key, value]))
    summary.append([])
    summary.append(cells(summary, ["差异类型 kind", "数量 count", "金额 amount"], head=True))
    s = rec.summary()
    for kind in DifferenceKind:
        n = s["by_kind"][kind.value]
        summary.append(cells(summary, [DIFFERENCE_LABELS[kind], n,
                                       s["amount_by_kind"][kind.value]], red=bool(n)))

    diffs = book.create_sheet("差异 Differences")
    diffs.append(cells(diffs, [f"{zh} {en}" for en, zh in DIFF_COLUMNS], head=True))
    for d in rec.differences:
        diffs.append(cells(diffs, _diff_row(d.as_dict()), red=True))

    orders = book.create_sheet("订单明细 Orders")
    orders.append(cells(orders, [f"{zh} {en}" for en, zh in ORDER_COLUMNS], head=True))
    for o in rec.orders:
        orders.append(cells(orders, _order_row(o.as_dict()), red=bool(o.differences)))
    book.save(path)


def _xl(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    return value


def _diff_row(d: dict[str, Any]) -> list[Any]:
    d = {**d, "line_ids": " ".join(d["line_ids"])}
    return [d[k] for k, _ in DIFF_COLUMNS]


def _order_row(o: dict[str, Any]) -> list[Any]:
    o = {**o, "differences": " ".join(o["differences"])}
    return [o[k] for k, _ in ORDER_COLUMNS]


def _write_csv(path: Path, columns: list[tuple[str, str]], rows: Any) -> None:
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        out = csv.writer(fh)
        out.writerow([key for key, _ in columns])
        out.writerows(rows)
