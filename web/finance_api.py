"""What the Finance page does: :func:`orderhub.finance.reconcile.reconcile` for a period, its
report files kept under the workspace's ``.console/finance/``, and the month's vouchers."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..connectors.transforms import zone
from ..errors import NotFound, OrderhubError
from ..finance.period import Period
from ..finance.reconcile import DIFFERENCE_LABELS, DifferenceKind, reconcile
from ..finance.report import money, write_reports
from ..finance.vouchers import FORMATS, build_vouchers, write_vouchers

_PERIOD = re.compile(r"^\d{4}-\d{2}(-\d{2})?$")


class PeriodError(OrderhubError):
    """Not a day (YYYY-MM-DD) or month (YYYY-MM)."""


def reports_dir(ws: Any) -> Path:
    return Path(ws.root) / ".console" / "finance"


def period(ws: Any, text: str) -> Period:
    text = text.strip()
    if not _PERIOD.match(text):
        raise PeriodError(f"not a period: {text!r} (YYYY-MM-DD or YYYY-MM)")
    tz = zone(ws.config.timezone)
    try:
        return Period.day(text, tz) if len(text) == 10 else Period.month(text, tz)
    except ValueError as exc:
        raise PeriodError(str(exc)) from None


@dataclass
class Result:
    label: str
    totals: list[tuple[str, str]]
    kinds: list[tuple[str, int, str]]
    files: dict[str, str]


def run(ws: Any, store: Any, period_text: str, shop: str | None = None) -> Result:
    """Reconcile the period, write its reports; the summary the CLI prints, as rows."""
    p = period(ws, period_text)
    rec = reconcile(store, p, ws.config.finance, shop=shop or None)
    files = write_reports(rec, reports_dir(ws))
    t = rec.totals
    summary = rec.summary()
    totals = [("lines", str(t["lines"])), ("orders", str(t["orders"])),
              ("goods", money(t["goods"])),
              ("fees", money(t["commission"] + t["service_fee"])),
              ("refunds", money(t["refund"])), ("net payout", money(t["net"])),
              ("expected", money(t["expected_income"])),
              ("settled", money(t["settled_income"])),
              ("differences", str(len(rec.differences)))]
    kinds = [(DIFFERENCE_LABELS[k], summary["by_kind"][k.value],
              money(summary["amount_by_kind"][k.value])) for k in DifferenceKind]
    return Result(p.label, totals, kinds, {"html": files.html.name, "xlsx": files.xlsx.name,
                                           "differences": files.differences_csv.name,
                                           "orders": files.orders_csv.name})


def report_file(ws: Any, name: str) -> Path:
    """A written report by file name; never a path outside the reports folder."""
    folder = reports_dir(ws)
    path = folder / Path(name).name
    if not path.is_file() or path.parent != folder:
        raise NotFound(f"no report {name!r}")
    return path


def vouchers(ws: Any, store: Any, month: str, fmt: str) -> Path:
    """The month's Kingdee/Yonyou voucher XLSX, written under the reports folder."""
    if fmt not in FORMATS:
        raise PeriodError(f"unknown voucher format {fmt!r}; one of {', '.join(FORMATS)}")
    p = period(ws, month)
    if len(month.strip()) != 7:
        raise PeriodError("vouchers are made per month (YYYY-MM)")
    found = build_vouchers(store, p, ws.config.finance)
    out = reports_dir(ws) / f"vouchers-{p.label}-{fmt}.xlsx"
    out.parent.mkdir(parents=True, exist_ok=True)
    return write_vouchers(found, out, fmt, ws.config.finance)
