"""``orderhub dry-run``: a quoted glob, routing switched off, SKUs the catalog lacks, and flows
that see what the rules set."""

from __future__ import annotations

import json
from pathlib import Path

from test_rules_dryrun import run, trade, write_trades

FLOW = """
name: carrier_by_rule
trigger: {event: paid}
start: pick
nodes:
  pick:
    type: decision
    cases:
      - when: '"自提点" in tags'
        goto: zto
    default: done
  zto:
    type: set
    carrier: ZTO
    next: done
  done:
    type: assign
    warehouse: SH
"""

RULE = """
rule pickup "自提点地址"
  when receiver.address matches "菜鸟驿站|丰巢|自提点"
  then set tags = "自提点"
end
"""


def _workspace(root: Path, flows: bool = True) -> Path:
    (root / "orderhub.yaml").write_text("timezone: Asia/Shanghai\n", encoding="utf-8")
    (root / "rules").mkdir()
    (root / "rules" / "pickup.rules").write_text(RULE, encoding="utf-8")
    if flows:
        (root / "flows").mkdir()
        (root / "flows" / "carrier.yaml").write_text(FLOW, encoding="utf-8")
    (root / "catalog.csv").write_text("sku,title,weight_kg\nSK-03,袜子,0.1\n", encoding="utf-8")
    orders = root / "samples"
    orders.mkdir()
    write_trades(orders / "a.json", [trade("5012345678900001", "2024-06-18 09:00:00",
                                           address="幸福路菜鸟驿站")])
    other = trade("5012345678900002", "2024-06-18 10:00:00", phone="13700000008")
    other["orders"]["order"][0]["outer_sku_id"] = "NEW-99"
    write_trades(orders / "b.json", [other])
    return root


def test_a_quoted_glob_reads_every_file_it_matches(tmp_path: Path) -> None:
    ws = _workspace(tmp_path)
    result = run(ws, "dry-run", "--orders", str(ws / "samples" / "*.json"), "--format", "json",
                 "--at", "2024-06-18 12:00")
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert sorted(r["platform_order_no"] for r in rows) == ["5012345678900001",
                                                            "5012345678900002"]
    missing = run(ws, "dry-run", "--orders", str(ws / "samples" / "*.csv"))
    assert missing.exit_code == 2 and "no file matches" in missing.output


def test_flows_route_the_order_as_the_rules_left_it(tmp_path: Path) -> None:
    ws = _workspace(tmp_path)
    result = run(ws, "dry-run", "--orders", str(ws / "samples" / "a.json"), "--format", "json",
                 "--at", "2024-06-18 12:00")
    (row,) = [json.loads(line) for line in result.stdout.splitlines()]
    assert row["route"]["carrier"] == "ZTO"  # a field, not a reason text
    assert row["route"]["warehouse"] == "SH"
    table = run(ws, "dry-run", "--orders", str(ws / "samples" / "a.json"),
                "--at", "2024-06-18 12:00")
    assert "carrier" in table.stdout and "ZTO" in table.stdout


def test_no_flows_switches_routing_off(tmp_path: Path) -> None:
    ws = _workspace(tmp_path)
    result = run(ws, "dry-run", "--orders", str(ws / "samples" / "a.json"), "--no-flows",
                 "--format", "json", "--at", "2024-06-18 12:00")
    assert result.exit_code == 0, result.output
    (row,) = [json.loads(line) for line in result.stdout.splitlines()]
    assert "route" not in row and row["fired"][0]["rule"] == "pickup"
    devnull = run(ws, "dry-run", "--orders", str(ws / "samples" / "a.json"),
                  "--flows", "/dev/null")
    assert devnull.exit_code == 2 and "--no-flows" in devnull.output
    assert "--no-flows" in run(ws, "dry-run", "--help").output


def test_a_sku_missing_from_the_catalog_is_named(tmp_path: Path) -> None:
    ws = _workspace(tmp_path, flows=False)
    result = run(ws, "dry-run", "--orders", str(ws / "samples" / "b.json"),
                 "--at", "2024-06-18 12:00")
    assert result.exit_code == 0, result.output
    assert "SKU 'NEW-99' is not in catalog.csv (taobao:5012345678900002)" in result.stderr
    assert "weight_kg" in result.stderr
    known = run(ws, "dry-run", "--orders", str(ws / "samples" / "a.json"),
                "--at", "2024-06-18 12:00")
    assert "is not in catalog.csv" not in known.stderr
