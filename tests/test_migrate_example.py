"""The walkthrough's legacy export migrates with exactly the expected rejects, idempotently,
and a batch rolls back exactly (SQLite and PostgreSQL)."""

from __future__ import annotations

import csv
import shutil
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from orderhub.errors import NotFound
from orderhub.migrate import check, list_batches, load_migration_mapping, rollback, run
from orderhub.model import Order, OrderStatus, Platform

LEGACY = Path(__file__).resolve().parent.parent / "examples" / "legacy"

EXPECTED_REJECTS = [
    (12, "订单编号", "blank required field 订单编号 (platform_order_no)"),
    (27, "下单时间", "blank required field 下单时间 (created_at)"),
    (42, "下单时间", "not a valid date: '2024/2/30 10:00' (day is out of range for month)"),
    (57, "手机", "not a phone number: '12345'"),
    (72, "实付金额", "not an amount: '面议'"),
    (87, "订单状态", "status '已发贷' is not in the status table"),
    (102, "订单状态", "status '已发贷' is not in the status table"),
    (117, "订单状态", "blank required field 订单状态"),
    (132, "平台", "unknown platform '亚马逊' (known: 淘宝, 天猫, 京东, jd, 拼多多, pdd, "
                  "抖音, 抖店, 其他, 线下)"),
    (147, "订单编号", "order 250211-507276529179437 is also on row 21 with different values; "
                      "keep the right one"),
    (162, None, "row has 18 cells, the header has 17"),
    (177, None, "row has 12 cells, the header has 17"),
]
SYNONYMS = {
    "待付款": "pending_payment", "未付款": "pending_payment", "已付款": "paid", "支付成功": "paid",
    "交易成立": "paid", "待发货": "paid", "已发货": "shipped", "发货完成": "shipped",
    "运输中": "shipped", "已签收": "completed", "交易完成": "completed", "已完成": "completed",
    "已取消": "cancelled", "交易关闭": "cancelled", "退款中": "refunding", "已退款": "refunded",
    "退款成功": "refunded",
}


@pytest.fixture
def legacy(tmp_path: Path) -> Path:
    """A copy of the example (the rejects file is written beside the input)."""
    for name in ("legacy-orders.csv", "status-map.xlsx", "mapping.yaml"):
        shutil.copy(LEGACY / name, tmp_path / name)
    return tmp_path


def test_the_example_is_reproducible(tmp_path: Path) -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_legacy", LEGACY / "make_legacy.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.write_csv(tmp_path / "again.csv", module.example_rows())
    assert (tmp_path / "again.csv").read_bytes() == (LEGACY / "legacy-orders.csv").read_bytes()
    (LEGACY / "legacy-orders.csv").read_bytes().decode("gbk")  # GBK, as the old ERP writes


def test_make_legacy_rewrites_the_same_bytes(tmp_path: Path) -> None:
    """`python examples/legacy/make_legacy.py` gives the committed files byte for byte, the
    XLSX too (openpyxl stamps the save time unless told otherwise)."""
    import subprocess
    import sys

    for folder in ("first", "second"):
        subprocess.run([sys.executable, str(LEGACY / "make_legacy.py"), str(tmp_path / folder)],
                       check=True, capture_output=True)
    for name in ("legacy-orders.csv", "status-map.xlsx"):
        assert (tmp_path / "first" / name).read_bytes() == (LEGACY / name).read_bytes(), name
        assert (tmp_path / "second" / name).read_bytes() == (LEGACY / name).read_bytes(), name


def test_check_reports_exactly_the_expected_rejects_and_writes_nothing(legacy: Path) -> None:
    mapping = load_migration_mapping(legacy / "mapping.yaml")
    report = check(legacy / "legacy-orders.csv", mapping)
    assert [(r.row, r.column, r.reason) for r in report.rejects] == EXPECTED_REJECTS
    assert report.counts() == {"rows": 303, "new": 285, "updated": 0, "unchanged": 0, "kept": 0,
                               "duplicates": 6, "rejected": 12}
    assert [(d.row, d.first_row) for d in report.duplicates] == [
        (192, 23), (207, 24), (222, 25), (237, 34), (252, 35), (267, 36)]
    assert report.unknown_statuses == {"已发贷": 2}
    assert {k: v.value for k, (v, _) in report.statuses.items() if v} == SYNONYMS
    assert sorted(p.name for p in legacy.iterdir()) == [
        "legacy-orders.csv", "mapping.yaml", "status-map.xlsx"]


def test_run_imports_cleaned_orders_with_every_synonym_mapped(store, legacy: Path) -> None:
    mapping = load_migration_mapping(legacy / "mapping.yaml")
    report = run(store, legacy / "legacy-orders.csv", mapping)
    assert report.counts()["new"] == 285 and report.rejected == 12
    assert report.batch.startswith("migrate:")
    assert store.count(batch=report.batch) == 285
    by_raw_status: dict[str, set[str]] = {}
    for order in store.list(limit=None):
        by_raw_status.setdefault(order.platform_status or "", set()).add(order.status.value)
    assert {k: v.pop() for k, v in by_raw_status.items()} == SYNONYMS

    # row 2: 天猫, 20240729, '+86 195 3237 8404', ' 郭秀兰 ', ￥0.00, 已退款
    first = store.get("taobao:1139705169952734572")
    assert first.platform == Platform.taobao and first.status == OrderStatus.refunded
    assert first.created_at == datetime(2024, 7, 28, 16, 0, tzinfo=UTC)
    assert first.receiver.name == "郭秀兰" and first.receiver.phone == "19532378404"
    assert first.receiver.address == "北京市朝阳区建国路 831号院17号楼"
    assert first.payment == Decimal("159.00") and first.items[0].sku == "SKU-B101"
    assert first.batch == report.batch and first.raw["收货人"] == "郭秀兰"
    # row 4: Excel serial created time and full-width amount
    serial = store.get("douyin:6971410360997551934")
    assert serial.created_at == datetime(2023, 2, 27, 20, 47, tzinfo=UTC)
    assert serial.payment == Decimal("309.00")


def test_run_after_a_kept_check_imports_exactly_what_the_check_saw(store, legacy: Path) -> None:
    mapping = load_migration_mapping(legacy / "mapping.yaml")
    preview = check(legacy / "legacy-orders.csv", mapping, store, keep=True)
    report = run(store, legacy / "legacy-orders.csv", mapping, checked=preview)
    assert report.counts() == {**preview.counts(), "new": 285} and not report.dry_run
    assert [(r.row, r.column, r.reason) for r in report.rejects] == EXPECTED_REJECTS
    assert report.statuses == preview.statuses and report.unknown_statuses == {"已发贷": 2}
    assert store.count(batch=report.batch) == 285 and report.rejects_file
    assert store.get("taobao:1139705169952734572").receiver.phone == "19532378404"
    # a kept check of another file (or the same file changed since) is not used
    changed = legacy / "changed.csv"
    changed.write_bytes((legacy / "legacy-orders.csv").read_bytes().replace(
        "郭秀兰".encode("gbk"), "郭秀英".encode("gbk")))
    again = run(store, changed, mapping, checked=preview)
    assert again.batch != report.batch and again.updated >= 1
    assert store.get("taobao:1139705169952734572").receiver.name == "郭秀英"


def test_second_run_imports_nothing_new(store, legacy: Path) -> None:
    mapping = load_migration_mapping(legacy / "mapping.yaml")
    first = run(store, legacy / "legacy-orders.csv", mapping)
    events = len(store.events())
    again = run(store, legacy / "legacy-orders.csv", mapping)
    assert again.batch == first.batch
    assert (again.new, again.updated, again.unchanged, again.rejected) == (0, 0, 285, 12)
    assert store.count() == 285 and len(store.events()) == events
    [batch] = list_batches(store)
    assert (batch.runs, batch.orders, batch.state) == (2, 285, "done")
    assert len([r for r in store.rejects(limit=1000) if r.batch == first.batch]) == 12


def test_rejects_file_can_be_fixed_and_run(store, legacy: Path) -> None:
    mapping = load_migration_mapping(legacy / "mapping.yaml")
    report = run(store, legacy / "legacy-orders.csv", mapping)
    rejects = legacy / "legacy-orders.rejects.csv"
    assert report.rejects_file == str(rejects)
    data = rejects.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM: Excel opens it
    rows = list(csv.reader(data.decode("utf-8-sig").splitlines()))
    assert rows[0][-1] == "reason" and len(rows) == 13
    assert rows[3][3] == "2024/2/30 10:00"
    assert rows[3][-1] == ("row 42, column 下单时间: not a valid date: '2024/2/30 10:00' "
                           "(day is out of range for month)")

    # the analyst fixes the bad date and the unknown status, then runs the rejects file
    rows[3][3] = "2024/2/29 10:00"
    rows[6][15] = rows[7][15] = "已发货"
    with rejects.open("w", encoding="utf-8-sig", newline="") as fh:
        csv.writer(fh).writerows(rows)
    fixed = run(store, rejects, mapping, rejects_path=legacy / "still-bad.csv")
    # 3 fixed rows are new; the row left as it was that conflicted with row 21 is now the only
    # copy in its file, so it updates that order (which stays in the first batch)
    assert (fixed.new, fixed.updated, fixed.rejected) == (3, 1, 8)
    assert fixed.batch != report.batch
    assert store.get("pdd:250211-507276529179437").batch == report.batch
    assert store.get("taobao:2999000000000000040").created_at.day == 29
    [was_unknown] = [o for o in store.list(limit=None)
                     if o.platform_order_no == "2999000000000000085"]
    assert was_unknown.status == OrderStatus.shipped and was_unknown.batch == fixed.batch


def test_rollback_removes_exactly_that_batch(store, legacy: Path) -> None:
    live = Order(platform=Platform.jd, platform_order_no="300000000001",
                 status=OrderStatus.paid, created_at=datetime(2025, 3, 1, tzinfo=UTC))
    store.upsert([live])
    mapping = load_migration_mapping(legacy / "mapping.yaml")
    other_file = legacy / "other.csv"
    other_file.write_text("订单编号,平台,下单时间,实付金额,订单状态\n"
                          "XS1,线下,2025/3/1 9:05,10元,已付款\n", encoding="utf-8")
    other = run(store, other_file, mapping)
    report = run(store, legacy / "legacy-orders.csv", mapping)
    assert store.count() == 287

    removed = rollback(store, report.batch)
    assert removed["orders"] == 285 and removed["rejects"] == 12 and removed["events"] > 0
    assert store.count() == 2
    assert store.get("jd:300000000001").batch is None
    assert store.get("other:XS1").batch == other.batch
    assert {e.order_id for e in store.events()} == {store.get("jd:300000000001").id,
                                                    store.get("other:XS1").id}
    states = {b.id: (b.state, b.orders) for b in list_batches(store)}
    assert states == {other.batch: ("done", 1), report.batch: ("rolled_back", 0)}
    with pytest.raises(NotFound, match="no migration batch 'migrate:nope'"):
        rollback(store, "migrate:nope")


def test_orders_from_other_sources_are_kept_not_overwritten(store, legacy: Path) -> None:
    pulled = Order(platform=Platform.taobao, platform_order_no="1139705169952734572",
                   status=OrderStatus.completed, created_at=datetime(2024, 7, 28, tzinfo=UTC),
                   source="taobao")
    store.upsert([pulled])
    mapping = load_migration_mapping(legacy / "mapping.yaml")
    preview = check(legacy / "legacy-orders.csv", mapping, store)
    assert preview.kept == [(2, "taobao:1139705169952734572", "taobao")] and preview.new == 284
    report = run(store, legacy / "legacy-orders.csv", mapping)
    assert len(report.kept) == 1
    assert store.get("taobao:1139705169952734572").status == OrderStatus.completed
    rollback(store, report.batch)
    assert store.count() == 1


def test_status_map_option_overrides_the_mapping(legacy: Path) -> None:
    fix = legacy / "extra.csv"
    fix.write_text("old,new\n已发贷,shipped\n", encoding="utf-8")
    mapping = load_migration_mapping(legacy / "mapping.yaml", status_map=fix)
    report = check(legacy / "legacy-orders.csv", mapping)
    assert report.unknown_statuses == {} and report.rejected == 10
