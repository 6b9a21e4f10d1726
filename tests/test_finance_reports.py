"""Reports: the HTML in a real headless Chromium, the XLSX with openpyxl, the CSV, the CLI."""

from __future__ import annotations

import csv
import json
import shutil
from decimal import Decimal
from pathlib import Path

import pytest

from orderhub.cli import main
from orderhub.finance import (
    DifferenceKind,
    Period,
    import_settlements,
    nightly_reconcile,
    reconcile,
    write_reports,
)
from orderhub.finance.report import RED
from orderhub.model import Order
from orderhub.store import OrderStore

DATA = Path(__file__).parent / "data" / "finance"
BILLS = sorted(DATA.glob("*-2025-11.*"))
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.fixture
def loaded(tmp_path: Path) -> OrderStore:
    store = OrderStore.open(f"sqlite:///{tmp_path / 'orderhub.db'}")
    store.upsert([Order.model_validate(o) for o in json.loads((DATA / "orders.json").read_text())])
    import_settlements(store, BILLS)
    return store


@pytest.fixture
def report(loaded: OrderStore, tmp_path: Path):  # type: ignore[no-untyped-def]
    rec = reconcile(loaded, Period.month("2025-11"))
    return rec, write_reports(rec, tmp_path / "out")


@pytest.mark.browser
def test_html_report_shows_differences_in_red_in_chromium(report) -> None:  # type: ignore[no-untyped-def]
    rec, files = report
    if not Path(CHROMIUM).exists():
        pytest.skip(f"SKIPPING BROWSER TEST: {CHROMIUM} is missing "
                    "(apt-get update && apt-get install -y chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        try:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        except Exception as exc:  # noqa: BLE001 - any launch failure is a reason to skip
            pytest.skip(f"SKIPPING BROWSER TEST: Chromium cannot be launched: {exc}")
        try:
            page = browser.new_page()
            page.goto(files.html.as_uri())
            rows = page.locator("#differences tbody tr")
            assert rows.count() == len(rec.differences) == 6
            style = rows.first.locator("td").first.evaluate(
                "td => [getComputedStyle(td).color, getComputedStyle(td).backgroundColor]")
            assert style == ["rgb(176, 0, 32)", "rgb(253, 231, 233)"]
            plain = page.locator("#platforms tbody tr td").first.evaluate(
                "td => getComputedStyle(td).color")
            assert plain != "rgb(176, 0, 32)"  # only differences are red
            kinds = rows.evaluate_all("rs => rs.map(r => r.dataset.kind)")
            assert set(kinds) == {k.value for k in DifferenceKind}
            # totals come before the differences
            assert page.evaluate("document.querySelector('#totals').compareDocumentPosition("
                                 "document.querySelector('#differences')) & 4") == 4
            # click the amount header: rows sort by amount, click again: reversed
            header = page.locator("#differences thead th").nth(5)
            header.click()
            amounts = page.locator("#differences tbody tr td:nth-child(6)").all_inner_texts()
            assert amounts[0] == "-159.00" and amounts[-1] == "59.90"
            header.click()
            amounts = page.locator("#differences tbody tr td:nth-child(6)").all_inner_texts()
            assert amounts[0] == "59.90"
        finally:
            browser.close()


def test_html_escapes_text_from_bills(loaded: OrderStore, tmp_path: Path) -> None:
    bill = tmp_path / "pdd.csv"
    bill.write_text("商户订单号,发生时间,收入金额（+元）,支出金额（-元）,账务类型,备注,业务描述\n"
                    "<script>x</script>,2025-11-20 10:00:00,1.00,,交易收入,,\n", encoding="utf-8")
    import_settlements(loaded, [bill])
    rec = reconcile(loaded, Period.month("2025-11"))
    html = write_reports(rec, tmp_path / "o").html.read_text(encoding="utf-8")
    assert "<script>x</script>" not in html and "&lt;script&gt;x&lt;/script&gt;" in html


def test_xlsx_has_red_fills_on_difference_rows(report) -> None:  # type: ignore[no-untyped-def]
    from openpyxl import load_workbook

    rec, files = report
    book = load_workbook(files.xlsx)
    diffs = book["差异 Differences"]
    rows = list(diffs.iter_rows(min_row=2))
    assert len(rows) == 6
    for row in rows:
        assert all(c.fill.fill_type == "solid" and c.fill.start_color.rgb == RED for c in row)
    orders = book["订单明细 Orders"]
    header = [c.value for c in orders[1]]
    status_col = header.index("差异 differences")
    for row in orders.iter_rows(min_row=2):
        red = row[0].fill.fill_type == "solid"
        assert red == bool(row[status_col].value), row[2].value
    amounts = {r[4]: r[6] for r in diffs.iter_rows(min_row=2, values_only=True)}
    assert amounts["251101-123456789012342"] == -8.0


def test_csv_lists_differences_and_orders(report) -> None:  # type: ignore[no-untyped-def]
    rec, files = report
    with files.differences_csv.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert {(r["kind"], r["order_no"], r["amount"]) for r in rows} == {
        (d.kind.value, d.order_no, str(d.amount)) for d in rec.differences}
    with files.orders_csv.open(encoding="utf-8-sig", newline="") as fh:
        orders = {r["order_no"]: r for r in csv.DictReader(fh)}
    assert orders["3901234567890123451"]["commission"] == "-9.95"
    assert orders["3901234567890123451"]["discount"] == "20.00"


def test_cli_import_reconcile_summary(tmp_path: Path, runner) -> None:  # type: ignore[no-untyped-def]
    ws = tmp_path / "ws"
    ws.mkdir()
    (ws / "orderhub.yaml").write_text("finance:\n  amount_tolerance: 0.01\n", encoding="utf-8")
    store = OrderStore.open(f"sqlite:///{ws / 'orderhub.db'}")
    store.upsert([Order.model_validate(o) for o in json.loads((DATA / "orders.json").read_text())])
    bills = tmp_path / "bills"
    bills.mkdir()
    for bill in BILLS:
        shutil.copy(bill, bills)
    res = runner.invoke(main, ["-w", str(ws), "settlements", "import", str(bills),
                               "--format", "json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["new"] == 24
    res = runner.invoke(main, ["-w", str(ws), "settlements", "import", str(bills),
                               "--format", "json"])
    assert json.loads(res.stdout)["duplicate"] == 24
    out = tmp_path / "out"
    res = runner.invoke(main, ["-w", str(ws), "reconcile", "--month", "2025-11", "--out", str(out),
                               "--format", "json"])
    assert res.exit_code == 0, res.output
    summary = json.loads(res.stdout)
    assert summary["differences"] == 6 and summary["net"] == "953.60"
    assert all(Path(p).exists() for p in summary["files"])
    res = runner.invoke(main, ["-w", str(ws), "reconcile", "--month", "2025-11", "--out", str(out)])
    assert res.exit_code == 0 and "重复回款 paid twice" in res.stdout
    res = runner.invoke(main, ["-w", str(ws), "reconcile", "--out", str(out)])
    assert res.exit_code == 2 and "--date" in res.output


def test_unknown_file_is_rejected_and_others_import(loaded: OrderStore, tmp_path: Path) -> None:
    odd = tmp_path / "odd.csv"
    odd.write_text("a,b\n1,2\n", encoding="utf-8")
    summary = import_settlements(loaded, [odd, DATA / "pdd-bill-2025-11.csv"])
    assert summary.rejected == 1 and "cannot tell" in summary.rejects[0].reason
    assert summary.duplicate == 6  # the PDD bill was imported by the fixture already


def test_nightly_reconcile_writes_yesterdays_report(tmp_path: Path) -> None:
    from orderhub.config import Workspace

    ws = Workspace.load(tmp_path)
    ws.store.upsert([Order.model_validate(o)
                     for o in json.loads((DATA / "orders.json").read_text())])
    pulled = []

    def pull(workspace, day):  # type: ignore[no-untyped-def]
        pulled.append(day.isoformat())
        return [DATA / "pdd-bill-2025-11.csv"]

    result = nightly_reconcile(ws, "2025-11-04", pull=pull)
    assert pulled == ["2025-11-04"] and result.imported is not None
    assert result.imported.new == 6
    assert result.reports.html == tmp_path / "reports/finance/2025-11-04/reconcile-2025-11-04.html"
    assert result.reports.html.exists()
    assert result.reconciliation.totals["net"] == Decimal("129.60")  # 49.90 - 0.30 + 80.00
