"""``orderhub migrate`` from the command line: plan writes a mapping that check accepts once the
status map is given; check writes nothing; run, list and rollback; exit codes."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from orderhub.cli import main
from orderhub.connectors.mapping import load_mapping
from orderhub.migrate import check, load_migration_mapping
from orderhub.migrate.profile import profile_file
from orderhub.migrate.starter import guess_fields

LEGACY = Path(__file__).resolve().parent.parent / "examples" / "legacy"


@pytest.fixture
def legacy(tmp_path: Path) -> Path:
    for name in ("legacy-orders.csv", "status-map.xlsx", "mapping.yaml"):
        shutil.copy(LEGACY / name, tmp_path / name)
    (tmp_path / "orderhub.yaml").write_text("timezone: Asia/Shanghai\n", encoding="utf-8")
    return tmp_path


def test_profile_guesses_types_and_fields() -> None:
    profile = profile_file(LEGACY / "legacy-orders.csv")
    assert (profile.rows, profile.encoding, profile.broken_rows) == (303, "gb18030", [162, 177])
    kinds = {c.name: c.kind for c in profile.columns}
    assert kinds["下单时间"] == "datetime" and kinds["手机"] == "phone"
    assert kinds["实付金额"] == "amount" and kinds["数量"] == "integer"
    assert "Excel serial number" in profile.column("下单时间").shapes
    assert profile.column("订单状态").distinct == 18 and profile.column("订单状态").blanks == 1
    fields = {f: c.name for f, c in guess_fields(profile).items()}
    assert fields == {
        "platform_order_no": "订单编号", "platform": "平台", "shop_id": "店铺",
        "created_at": "下单时间", "paid_at": "付款时间", "buyer_nick": "买家昵称",
        "receiver.name": "收货人", "receiver.phone": "手机", "receiver.address": "收货地址",
        "items.title": "商品名称", "items.sku": "商家编码", "items.unit_price": "单价",
        "items.quantity": "数量", "post_fee": "运费", "payment": "实付金额",
        "platform_status": "订单状态", "seller_memo": "备注"}


def test_guesses_english_headers(tmp_path: Path) -> None:
    path = tmp_path / "old.csv"
    path.write_text("order_no,order_time,consignee,mobile,address,amount,status\n"
                    "A1001,2025/3/1 9:05,Li Lei,13812345678,Beijing,12.50,paid\n",
                    encoding="utf-8")
    fields = {f: c.name for f, c in guess_fields(profile_file(path)).items()}
    assert fields == {"platform_order_no": "order_no", "created_at": "order_time",
                      "receiver.name": "consignee", "receiver.phone": "mobile",
                      "receiver.address": "address", "payment": "amount",
                      "platform_status": "status"}


def test_plan_writes_a_mapping_check_accepts_once_statuses_are_given(legacy: Path,
                                                                     runner: CliRunner) -> None:
    out = legacy / "starter.yaml"
    result = runner.invoke(main, ["-w", str(legacy), "migrate", "plan",
                                  str(legacy / "legacy-orders.csv"), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "订单编号" in result.output and "platform_order_no" in result.output
    text = out.read_text(encoding="utf-8")
    assert "    已发贷: ~  # 2 rows" in text and "    交易完成: ~  # 57 rows" in text
    load_mapping(out)  # a valid mapping as written

    # without statuses every row is unknown, never guessed
    report = check(legacy / "legacy-orders.csv", load_migration_mapping(out))
    assert report.new == 0 and sum(report.unknown_statuses.values()) > 270

    given = load_migration_mapping(out, status_map=legacy / "status-map.xlsx")
    report = check(legacy / "legacy-orders.csv", given)
    assert report.unknown_statuses == {"已发贷": 2}
    assert report.new == 285 and report.rejected == 12

    # plan with the status map fills the table and lists what it lacks
    again = runner.invoke(main, ["-w", str(legacy), "migrate", "plan",
                                 str(legacy / "legacy-orders.csv"), "--out", str(out), "--force",
                                 "--status-map", str(legacy / "status-map.xlsx"),
                                 "--format", "json"])
    assert again.exit_code == 0, again.output
    assert json.loads(again.stdout)["unknown_statuses"] == {"已发贷": 2}
    assert "    交易完成: completed  # 57 rows" in out.read_text(encoding="utf-8")


def test_plan_never_overwrites_a_mapping(legacy: Path, runner: CliRunner) -> None:
    result = runner.invoke(main, ["-w", str(legacy), "migrate", "plan",
                                  str(legacy / "legacy-orders.csv"), "--out",
                                  str(legacy / "mapping.yaml")])
    assert result.exit_code == 2 and "exists" in result.output


def test_cli_check_run_list_rollback(legacy: Path, runner: CliRunner) -> None:
    csv_file, mapping = str(legacy / "legacy-orders.csv"), str(legacy / "mapping.yaml")
    db = legacy / "orderhub.db"
    checked = runner.invoke(main, ["-w", str(legacy), "migrate", "check", csv_file,
                                   "-m", mapping, "--sample", "5", "--format", "json"])
    assert checked.exit_code == 10, checked.output
    data = json.loads(checked.stdout)
    assert data["new"] == 285 and data["rejected"] == 12 and data["sample"]["imported"] == 5
    rules, flows = data["sample"]["engine"]  # the workspace's (default) rules and flows ran
    assert rules.startswith("rules: ") and "on 5 order(s)" in rules
    assert flows.startswith("flows: 5 order(s) routed")
    assert data["rejects"][0] == {"row": 12, "column": "订单编号", "order_no": None,
                                  "reason": "blank required field 订单编号 (platform_order_no)"}
    assert not db.exists()  # a check writes nothing, not even an empty database

    ran = runner.invoke(main, ["-w", str(legacy), "migrate", "run", csv_file, "-m", mapping])
    assert ran.exit_code == 10, ran.output
    assert "legacy-orders.rejects.csv" in ran.output and "migrate rollback migrate:" in ran.output
    listed = runner.invoke(main, ["-w", str(legacy), "migrate", "list", "--format", "json"])
    [batch] = json.loads(listed.stdout)
    assert batch["orders"] == 285 and batch["state"] == "done"

    rerun = runner.invoke(main, ["-w", str(legacy), "migrate", "run", csv_file, "-m", mapping,
                                 "--format", "json"])
    assert json.loads(rerun.stdout)["new"] == 0

    undone = runner.invoke(main, ["-w", str(legacy), "migrate", "rollback", batch["id"]])
    assert undone.exit_code == 0 and "285 orders" in undone.output
    missing = runner.invoke(main, ["-w", str(legacy), "migrate", "rollback", "migrate:nope"])
    assert missing.exit_code == 4 and "no migration batch 'migrate:nope'" in missing.output


def test_bad_status_map_is_reported_with_its_row(legacy: Path, runner: CliRunner) -> None:
    bad = legacy / "bad.csv"
    bad.write_text("旧,新\n已付款,payed\n", encoding="utf-8")
    result = runner.invoke(main, ["-w", str(legacy), "migrate", "check",
                                  str(legacy / "legacy-orders.csv"), "-m",
                                  str(legacy / "mapping.yaml"), "--status-map", str(bad)])
    assert result.exit_code == 1
    assert f"{bad}:2:2: error: 'payed' is not a status (for '已付款')" in result.output
