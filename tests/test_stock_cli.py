"""``orderhub stock import|list|adjust|history``: every change is a ledger row with its cause,
bad rows are reported by line while the rest import, shortages are said in words."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from orderhub.cli import main
from orderhub.config import init_workspace


def ws(tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    init_workspace(root, samples=False)
    return root


def run(root: Path, *args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(main, ["-w", str(root), *args], catch_exceptions=False)


def listed(root: Path, *args: str) -> list[dict]:  # type: ignore[type-arg]
    out = run(root, "stock", "list", "--format", "json", *args)
    assert out.exit_code == 0, out.output
    return [json.loads(x) for x in out.stdout.splitlines()]


def history(root: Path, *args: str) -> list[dict]:  # type: ignore[type-arg]
    out = run(root, "stock", "history", "--format", "json", *args)
    assert out.exit_code == 0, out.output
    return [json.loads(x) for x in out.stdout.splitlines()]


def test_import_reports_each_bad_row_by_line_and_imports_the_rest(tmp_path: Path) -> None:
    root = ws(tmp_path)
    csv = tmp_path / "库存.csv"
    csv.write_bytes("仓库,商家编码,库存\n"
                    "GZ,毛巾-1,12\n"
                    "GZ,枕头-2,-3\n"
                    "GZ,杯子,2.5\n"
                    "GZ,杯子,很多\n"
                    "XX,毛巾-1,4\n"
                    "GZ,毛巾-1,13\n"
                    "SH,毛巾-1,1,200.0\n"
                    "SH,枕头-2,\n"
                    "SH,杯子,\"1,200\"\n".encode("gb18030"))
    out = run(root, "stock", "import", str(csv), "--as", "王芳")
    assert out.exit_code == 10
    assert "imported 2 stock row(s)" in out.stdout
    for expected in ("line 3, field on_hand: negative quantity: '-3'",
                     "line 4, field on_hand: not a whole number: '2.5'",
                     "line 5, field on_hand: not a whole number: '很多'",
                     "line 6, field warehouse: unknown warehouse 'XX'",
                     "line 7, field sku: GZ 毛巾-1 is also on line 2; keep the right one",
                     "line 8: row has 4 cells, the header has 3",
                     "line 9, field on_hand: on_hand is blank"):
        assert expected in out.stderr, expected
    assert {(r["warehouse"], r["sku"], r["on_hand"]) for r in listed(root)} == {
        ("GZ", "毛巾-1", 12), ("SH", "杯子", 1200)}
    rows = history(root)
    assert {(r["kind"], r["sku"], r["on_hand"], r["actor"]) for r in rows} == {
        ("import", "毛巾-1", 12, "王芳"), ("import", "杯子", 1200, "王芳")}
    assert all(r["cause"] == str(csv) for r in rows)


def test_a_second_import_records_only_the_differences(tmp_path: Path) -> None:
    root = ws(tmp_path)
    first, second = tmp_path / "a.csv", tmp_path / "b.csv"
    first.write_text("warehouse,sku,on_hand\nGZ,TOWEL,10\nGZ,MUG,5\n", encoding="utf-8")
    second.write_text("warehouse,sku,on_hand,reserved\nGZ,TOWEL,7\nGZ,MUG,5\n",
                      encoding="utf-8")
    run(root, "stock", "import", str(first))
    out = run(root, "stock", "import", str(second))
    assert out.exit_code == 0 and "(1 changed)" in out.stdout
    assert [(r["sku"], r["on_hand"], r["cause"]) for r in history(root, "--sku", "TOWEL")] == [
        ("TOWEL", 10, str(first)), ("TOWEL", -3, str(second))]


def test_adjust_is_audited_and_cannot_take_more_than_is_on_hand(tmp_path: Path) -> None:
    root = ws(tmp_path)
    (tmp_path / "s.csv").write_text("warehouse,sku,on_hand\nSH,MUG,3\n", encoding="utf-8")
    run(root, "stock", "import", str(tmp_path / "s.csv"))
    out = run(root, "stock", "adjust", "SH", "MUG", "-2", "--reason", "破损", "--as", "小李")
    assert out.exit_code == 0, out.output
    assert "SH MUG: on hand 3 -> 1 (-2, 破损; by 小李)" in out.stdout
    out = run(root, "stock", "adjust", "SH", "MUG", "-5", "--reason", "盘亏")
    assert out.exit_code == 1
    assert "cannot take 5 off SH MUG: only 1 on hand" in out.output
    assert run(root, "stock", "adjust", "SH", "MUG", "+4").exit_code == 2  # --reason required
    assert run(root, "stock", "adjust", "QQ", "MUG", "+4", "--reason", "x").exit_code == 4
    adj = run(root, "stock", "adjust", "SH", "MUG", "+4", "--reason", "盘点多出",
              "--format", "json")
    assert json.loads(adj.stdout)["after"] == 5
    assert [(r["kind"], r["on_hand"], r["cause"], r["actor"])
            for r in history(root) if r["kind"] == "adjust"] == [
        ("adjust", -2, "破损", "小李"), ("adjust", 4, "盘点多出", json.loads(adj.stdout)["actor"])]
    assert listed(root)[0]["on_hand"] == 5


def test_list_says_an_over_reserved_item_is_short_in_words(tmp_path: Path) -> None:
    from orderhub.config import Workspace
    from orderhub.engine.routing.stock import RoutingStore

    root = ws(tmp_path)
    RoutingStore(Workspace.load(root).store.engine).put_stock(
        [("GZ", "TOWEL", 1, 4), ("GZ", "MUG", 0, 2), ("GZ", "CUP", 9, 2)])
    rows = {r["sku"]: r for r in listed(root)}
    assert (rows["TOWEL"]["available"], rows["TOWEL"]["short"]) == (0, 3)
    assert (rows["CUP"]["available"], rows["CUP"]["short"]) == (7, 0)
    assert [r["sku"] for r in listed(root, "--short")] == ["MUG", "TOWEL"]
    out = run(root, "stock", "list")
    assert "3 short: 4 reserved, 1 on hand" in out.stdout
    assert "2 short: 2 reserved, none on hand" in out.stdout
    assert "-3" not in out.stdout and "-2" not in out.stdout
