"""``orderhub rules ...`` and ``orderhub dry-run`` through the real CLI."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from click.testing import CliRunner

from orderhub.cli import main

REPO = Path(__file__).resolve().parent.parent
SAMPLES = REPO / "tests" / "data" / "rules" / "taobao.json"


def run(ws: Path, *args: str):
    return CliRunner().invoke(main, ["--workspace", str(ws), *args], catch_exceptions=False)


def test_check_passes_on_the_shipped_rules(tmp_path):
    result = run(tmp_path, "rules", "check")
    assert result.exit_code == 0, result.output
    assert "4 rule(s) in 2 file(s), 10 example(s) passed" in result.output


def test_check_reports_every_file_and_exits_non_zero(tmp_path):
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "a.rules").write_text("rule a\n  when receiver.phon == '1'\nend\n", "utf-8")
    (rules / "b.rules").write_text("rule b when paymnt > 1 end\n", "utf-8")
    result = run(tmp_path, "rules", "check", str(rules))
    assert result.exit_code == 1
    assert f"{rules / 'a.rules'}:2:17: error: unknown field 'phon' of receiver" in result.output
    assert "did you mean 'phone'?" in result.output
    assert f"{rules / 'b.rules'}:1:13: error: unknown name 'paymnt'" in result.output
    assert "did you mean 'payment'?" in result.output


def test_list_shows_window_mode_and_active(tmp_path):
    result = run(tmp_path, "rules", "list", "--at", "2024-11-11 12:00", "--format", "json")
    rows = {r["id"]: r for r in map(json.loads, result.output.splitlines())}
    assert rows["high_risk_refund"]["active"] is True
    promo = rows["promo_big_cold_order"]
    assert (promo["enabled"], promo["active"], promo["mode"]) == (False, False, "shadow")
    assert promo["window"] == "2024-11-10 20:00 → 2024-11-12 00:00"


def test_enable_disable_edit_the_workspace_file(tmp_path):
    shutil.copytree(REPO / "rules", tmp_path / "rules",
                    ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    assert run(tmp_path, "rules", "enable", "promo_big_cold_order", "--until",
               "2024-11-12 00:00").exit_code == 0
    text = (tmp_path / "rules" / "promo.rules").read_text("utf-8")
    assert "enabled yes until 2024-11-12 00:00" in text
    assert "# 活动临时规则" in text
    assert run(tmp_path, "rules", "disable", "vague_address").exit_code == 0
    assert (tmp_path / "rules" / ".audit.log").read_text("utf-8").count("\n") == 2
    assert run(tmp_path, "rules", "disable", "no_such_rule").exit_code == 4


def test_dry_run_table_and_json_lines(tmp_path):
    table = run(tmp_path, "dry-run", "--orders", str(SAMPLES), "--at", "2024-06-18 12:00")
    assert table.exit_code == 0, table.output
    assert "高风险退单 (high_risk_refund)" in table.output
    assert "nothing was written" in table.output
    result = CliRunner().invoke(main, ["--workspace", str(tmp_path), "dry-run", "--orders",
                                       str(SAMPLES), "--at", "2024-06-18 12:00", "--format",
                                       "json"])
    lines = [json.loads(x) for x in result.stdout.splitlines()]
    assert len(lines) == 4
    for line in lines:
        assert {"platform", "platform_order_no", "order_id", "fired"} <= set(line)
        for f in line["fired"]:
            assert {"rule", "name", "actions", "why"} <= set(f)
    by_no = {x["platform_order_no"]: [f["rule"] for f in x["fired"]] for x in lines}
    assert by_no == {"4012345678901001": ["high_risk_refund"],
                     "4012345678901002": ["vague_address"],
                     "4012345678901003": [], "4012345678901004": []}
    assert "order(s)" in result.stderr  # messages go to stderr, not into the JSON
    assert not list(tmp_path.iterdir())  # no database, no files: nothing written


def test_dry_run_why_not(tmp_path):
    result = run(tmp_path, "dry-run", "--orders", str(SAMPLES), "--at", "2024-06-18 12:00",
                 "--why-not", "purchase_limit", "--format", "json")
    assert result.stdout == ""  # no earlier order today is no near miss of "2 before"
    every = run(tmp_path, "dry-run", "--orders", str(SAMPLES), "--at", "2024-06-18 12:00",
                "--why-not", "purchase_limit", "--all", "--format", "json")
    rows = [json.loads(x) for x in every.stdout.splitlines()]
    assert rows[0]["why_not"] == ["orders_today(receiver.phone) = 0, needs >= 2 → no"]


def test_dry_run_on_the_store_writes_nothing(tmp_path):
    (tmp_path / "orderhub.yaml").write_text("timezone: Asia/Shanghai\n", encoding="utf-8")
    assert run(tmp_path, "ingest", str(SAMPLES)).exit_code == 0
    db = tmp_path / "orderhub.db"
    before = db.read_bytes()
    from orderhub.store import OrderStore

    store = OrderStore.open(f"sqlite:///{db}")
    events_before = len(store.events())
    store.engine.dispose()
    result = run(tmp_path, "dry-run", "--store", "--at", "2024-06-18 12:00", "--format", "json")
    assert result.exit_code == 0, result.output
    assert len(result.stdout.splitlines()) == 4
    store = OrderStore.open(f"sqlite:///{db}")
    assert len(store.events()) == events_before
    store.engine.dispose()
    assert db.read_bytes() == before


def test_diff_shows_changed_orders_and_hit_counts(tmp_path):
    old = tmp_path / "old"
    shutil.copytree(REPO / "rules", old, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    new = tmp_path / "new"
    shutil.copytree(old, new)
    text = (new / "risk.rules").read_text("utf-8").replace(
        'let 模糊地址词 = ["附近", "旁边"]', 'let 模糊地址词 = ["附近", "旁边", "世纪大道"]')
    (new / "risk.rules").write_text(text, "utf-8")
    result = CliRunner().invoke(main, ["--workspace", str(tmp_path), "rules", "diff", str(old),
                                       str(new), "--orders", str(SAMPLES), "--at",
                                       "2024-06-18 12:00", "--format", "json"])
    rows = [json.loads(x) for x in result.stdout.splitlines()]
    changes, hits = rows[:-1], rows[-1]["hits"]
    assert [c["added"] for c in changes] == [["vague_address"], ["vague_address"]]
    assert hits["vague_address"] == {"old": 1, "new": 3}
