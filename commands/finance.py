"""``orderhub settlements import``, ``orderhub reconcile`` and ``orderhub vouchers``."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import click

from ..cli import App, exit_with, pass_app
from ..connectors.files import expand_paths
from ..connectors.transforms import zone
from ..finance.fetch import fetch_bills
from ..finance.importer import SETTLEMENT_SUFFIXES, ImportSummary, import_settlements
from ..finance.nightly import workspace_mappings, yesterday
from ..finance.period import Period
from ..finance.reconcile import DIFFERENCE_LABELS, DifferenceKind, reconcile
from ..finance.report import money, write_reports
from ..finance.vouchers import FORMATS, build_vouchers, write_vouchers
from ._output import FORMAT_OPTION, echo_json, flag, note, table


@click.group("settlements")
def settlements_group() -> None:
    """Platform settlement bills: import them for reconciliation.

    \b
    Examples:
      orderhub settlements import bills/
    """


@settlements_group.command("import")
@click.argument("paths", nargs=-1, required=True,
                type=click.Path(dir_okay=True, path_type=Path))
@click.option("--source", metavar="NAME",
              help="Settlement format (alipay, douyin-settle, douyin-settle-export, pdd-bill, "
                   "jd-settle). Default: told from the file.")
@click.option("--shop", metavar="SHOP", help="Shop id for lines that do not carry one.")
@FORMAT_OPTION
@pass_app
def import_command(app: App, paths: tuple[Path, ...], source: str | None, shop: str | None,
                   fmt: str) -> None:
    """Import settlement files; each line is stored once, so re-importing is harmless.

    Alipay 账务明细 CSV (GBK, with its # lines), PDD daily bills, JD settlement exports,
    Douyin settlement bills (API responses as saved, or the export). Exit code 10 when some
    records were rejected (they are listed, the rest is imported), 1 when a file cannot be
    read, 2 when a file's format cannot be told, 4 when a path does not exist.

    \b
    Examples:
      orderhub settlements import bills/
      orderhub settlements import alipay-2025-11.csv --source alipay --shop tmall-flagship
    """
    files = expand_paths(paths, SETTLEMENT_SUFFIXES)
    summary = import_settlements(app.store, files, source=source, shop=shop,
                                 mappings=workspace_mappings(app.workspace))
    _import_report(summary, fmt)
    if summary.exit_code:
        exit_with(summary.exit_code)


@settlements_group.command("fetch")
@click.option("--date", "day", metavar="YYYY-MM-DD",
              help="The bill's day (default: yesterday in the shops' timezone).")
@FORMAT_OPTION
@pass_app
def fetch_command(app: App, day: str | None, fmt: str) -> None:
    """Fetch each shop's settlement bill for a day from its platform, then import it.

    Douyin (order.getSettleBillDetailV3) and PDD (the daily 货款账单) have bill APIs; the
    files are kept under settlements/fetched/DAY/. The nightly job does the same before it
    reconciles. Lines already imported from an export are not counted twice.

    \b
    Examples:
      orderhub settlements fetch --date 2026-12-04
      orderhub settlements fetch --format json
    """
    when = date.fromisoformat(day) if day else yesterday(app.workspace)
    files = fetch_bills(app.workspace, when)
    if not files:
        note(f"no bill fetched for {when}: no Douyin or PDD shop answered (see the log)")
    summary = import_settlements(app.store, files, mappings=workspace_mappings(app.workspace))
    _import_report(summary, fmt)
    if summary.exit_code:
        exit_with(summary.exit_code)


def _import_report(summary: ImportSummary, fmt: str) -> None:
    for r in summary.rejects:
        where = f"{r.file}, row/record {r.record}" if r.record is not None else r.file
        field = f" field {r.field}:" if r.field else ""
        flag("rejected", "red", f"{where}:{field} {r.reason}")
    if fmt == "json":
        echo_json(summary.counts())
        return
    c = summary.counts()
    sources = ", ".join(f"{k} {v}" for k, v in c["by_source"].items())
    table(f"imported {c['files']} file(s): {sources}",
          ["records", "lines", "new", "already stored", "skipped", "rejected"],
          [[c["records"], c["lines"], c["new"], c["duplicate"], c["skipped"], c["rejected"]]])


@click.command("reconcile")
@click.option("--date", "day", metavar="YYYY-MM-DD", help="Reconcile one day.")
@click.option("--month", metavar="YYYY-MM", help="Reconcile one month.")
@click.option("--shop", metavar="SHOP", help="Only this shop.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              default=Path("."), show_default=True, help="Folder for the report files.")
@FORMAT_OPTION
@pass_app
def reconcile_command(app: App, day: str | None, month: str | None, shop: str | None,
                      out_dir: Path, fmt: str) -> None:
    """Match settlements to orders and write the difference report (HTML, XLSX, CSV).

    Differences: shipped/completed without payout after the platform's days, payout without an
    order, amount mismatch beyond the tolerance, refunded but paid in full, paid twice, fee rate
    outside the platform's band (finance: in orderhub.yaml).

    \b
    Examples:
      orderhub reconcile --month 2025-11 --out reports
      orderhub reconcile --date 2025-11-12 --format json
    """
    period = _period(app, day, month)
    rec = reconcile(app.store, period, app.workspace.config.finance, shop=shop)
    files = write_reports(rec, out_dir)
    summary = rec.summary()
    if fmt == "json":
        echo_json({**summary, "files": [str(p) for p in files.all()]})
        return
    t = rec.totals
    table(f"reconciliation {period.label}" + (f" shop {shop}" if shop else ""),
          ["lines", "orders", "goods", "fees", "refunds", "net payout", "expected", "settled",
           "differences"],
          [[t["lines"], t["orders"], money(t["goods"]),
            money(t["commission"] + t["service_fee"]), money(t["refund"]), money(t["net"]),
            money(t["expected_income"]), money(t["settled_income"]), len(rec.differences)]])
    table(None, ["difference", "count", "amount"],
          [[DIFFERENCE_LABELS[k], summary["by_kind"][k.value],
            money(summary["amount_by_kind"][k.value])] for k in DifferenceKind])
    note(f"report: {files.html}\n        {files.xlsx}\n        {files.differences_csv}\n"
         f"        {files.orders_csv}")


@click.command("vouchers")
@click.option("--month", required=True, metavar="YYYY-MM")
@click.option("--format", "fmt", type=click.Choice(FORMATS), required=True,
              help="kingdee: K/3 凭证引入 (37 columns); yonyou: U8 凭证引入.")
@click.option("--shop", metavar="SHOP", help="Only this shop.")
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path),
              help="File to write (.xlsx; .csv/.txt for a GB18030 text file). "
                   "Default: vouchers-MONTH-FORMAT.xlsx")
@pass_app
def vouchers_command(app: App, month: str, fmt: str, shop: str | None, out: Path | None) -> None:
    """Write the month's journal vouchers for Kingdee or Yonyou, from finance.accounts.

    \b
    Examples:
      orderhub vouchers --month 2025-11
      orderhub vouchers --month 2025-11 --format yonyou --out vouchers.xlsx
    """
    period = _period(app, None, month)
    config = app.workspace.config.finance
    vouchers = build_vouchers(app.store, period, config, shop=shop)
    path = write_vouchers(vouchers, out or Path(f"vouchers-{period.label}-{fmt}.xlsx"), fmt,
                          config)
    table(f"{len(vouchers)} voucher(s) -> {path}", ["no.", "summary", "entries", "debit",
                                                     "credit"],
          [[v.number, v.summary, len(v.entries), money(v.debit), money(v.credit)]
           for v in vouchers])


def _period(app: App, day: str | None, month: str | None) -> Period:
    if bool(day) == bool(month):
        raise click.UsageError("give exactly one of --date YYYY-MM-DD or --month YYYY-MM")
    tz = zone(app.workspace.config.timezone)
    try:
        return Period.day(day, tz) if day else Period.month(month or "", tz)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


COMMANDS = [settlements_group, reconcile_command, vouchers_command]
