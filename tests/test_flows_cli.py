"""The CLI around flows: stock import/list, simulate, route + orders show, dry-run --flows."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from orderhub.cli import main

FLOWS = Path(__file__).resolve().parent.parent / "flows"


def workspace(tmp_path: Path) -> Path:
    (tmp_path / "orderhub.yaml").write_text("timezone: Asia/Shanghai\n", encoding="utf-8")
    (tmp_path / "stock.csv").write_text(
        "warehouse,sku,on_hand,reserved\n"
        "GZ,TOWEL,1,0\nWH,TOWEL,50,0\nSH,TOWEL,50,0\nBJ,TOWEL,50,0\nCD,TOWEL,50,0\n"
        "SH-COLD,CRAB,50,0\nSH-COLD,TOWEL,50,0\nXX,TOWEL,5,0\nGZ,PILLOW,many,0\n",
        encoding="utf-8")
    trades = [trade(1, "广东省", "广州市", "TOWEL"), trade(2, "广东省", "深圳市", "TOWEL"),
              trade(3, "北京市", "北京市", "CRAB"), trade(4, "湖北省", "武汉市", "TOWEL")]
    (tmp_path / "catalog.csv").write_text("sku,title,cold_chain\nTOWEL,毛巾,false\n"
                                          "CRAB,大闸蟹,true\n", encoding="utf-8")
    doc = {"trades_sold_increment_get_response": {"total_results": len(trades),
                                                  "trades": {"trade": trades}}}
    (tmp_path / "orders.json").write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    return tmp_path


def trade(n: int, province: str, city: str, sku: str) -> dict:  # type: ignore[type-arg]
    """A paid Taobao trade as the API returns it."""
    tid = str(4652335643237373000 + n)
    return {"tid": int(tid), "tid_str": tid, "status": "WAIT_SELLER_SEND_GOODS",
            "created": "2025-11-19 01:06:56", "pay_time": "2025-11-19 01:07:04",
            "modified": "2025-11-19 01:11:06", "receiver_name": "龚若曦",
            "receiver_mobile": "19556012312", "receiver_state": province,
            "receiver_city": city, "receiver_address": "体育西路801号",
            "total_fee": "30.00", "discount_fee": "0.00", "post_fee": "0.00",
            "payment": "30.00",
            "orders": {"order": [{"oid": int(tid), "oid_str": tid, "outer_sku_id": sku,
                                  "title": sku, "num": 1, "price": "30.00",
                                  "total_fee": "30.00", "payment": "30.00",
                                  "status": "WAIT_SELLER_SEND_GOODS"}]}}


def run(ws: Path, *args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(main, ["-w", str(ws), *args], catch_exceptions=False)


def test_stock_import_reports_bad_rows_and_keeps_the_rest(tmp_path: Path) -> None:
    ws = workspace(tmp_path)
    out = run(ws, "stock", "import", str(ws / "stock.csv"))
    assert out.exit_code == 10
    assert "imported 7 stock row(s)" in out.output
    assert "line 9, field warehouse: unknown warehouse 'XX'" in out.output
    assert "line 10, field on_hand: not a whole number: 'many'" in out.output
    listed = run(ws, "stock", "list", "--warehouse", "GZ", "--format", "json")
    assert [json.loads(x) for x in listed.output.splitlines()] == [
        {"warehouse": "GZ", "sku": "TOWEL", "on_hand": 1, "reserved": 0, "available": 1,
         "short": 0}]


def test_simulate_prints_the_per_warehouse_table_and_writes_nothing(tmp_path: Path) -> None:
    ws = workspace(tmp_path)
    run(ws, "stock", "import", str(ws / "stock.csv"))
    out = run(ws, "simulate", "--orders", str(ws / "orders.json"), "--pick-lists",
              str(ws / "picks"))
    assert out.exit_code == 0, out.output
    assert "simulation: 4 order(s), 0 without a warehouse" in out.output
    for header in ("assigned", "diverted in", "stock-outs", "load end", "threshold"):
        assert header in out.output
    doc = json.loads(run(ws, "simulate", "--orders", str(ws / "orders.json"),
                         "--format", "json").output.splitlines()[-1])
    by = {w["code"]: w for w in doc["warehouses"]}
    # GZ has one towel: the Guangzhou order takes it, the Shenzhen one falls back to Wuhan
    assert by["GZ"]["assigned"] == 1 and by["GZ"]["stockouts"] == 1
    assert by["WH"]["assigned"] == 2 and by["SH-COLD"]["assigned"] == 1
    assert by["GZ"]["end_load"] == 1
    # the store is unchanged: nothing reserved
    listed = run(ws, "stock", "list", "--warehouse", "GZ", "--format", "json")
    assert json.loads(listed.output)["reserved"] == 0
    assert (ws / "picks" / "pick-GZ.csv").read_text(encoding="utf-8-sig").startswith(
        "order,receiver,city,sku")
    assert "拣货单" in (ws / "picks" / "pick-WH.html").read_text(encoding="utf-8")


def test_simulate_threshold_what_if_diverts(tmp_path: Path) -> None:
    ws = workspace(tmp_path)
    run(ws, "stock", "import", str(ws / "stock.csv"))
    doc = json.loads(run(ws, "simulate", "--orders", str(ws / "orders.json"), "--threshold",
                         "1", "--format", "json").output.splitlines()[-1])
    by = {w["code"]: w for w in doc["warehouses"]}
    assert by["WH"]["diverted_out"] == 1 and by["WH"]["threshold"] == 1


def test_route_stores_decisions_shown_by_orders_show(tmp_path: Path) -> None:
    ws = workspace(tmp_path)
    run(ws, "stock", "import", str(ws / "stock.csv"))
    assert run(ws, "ingest", str(ws / "orders.json")).exit_code == 0
    routed = run(ws, "flows", "route", "--format", "json")
    lines = [json.loads(x) for x in routed.output.splitlines() if x.startswith("{")]
    assert [x["route"]["warehouse"] for x in lines] == ["GZ", "WH", "SH-COLD", "WH"]
    reserved = json.loads(run(ws, "stock", "list", "--warehouse", "GZ",
                              "--format", "json").output)
    assert reserved["available"] == 0
    label = lines[1]["order"]
    shown = run(ws, "orders", "show", label)
    assert "route" in shown.output and "武汉仓 (WH) ships it" in shown.output
    assert "GZ: out of stock: TOWEL need 1, none available" in shown.output
    doc = json.loads(run(ws, "orders", "show", label, "--format", "json").output)
    assert doc["routes"][0]["warehouse"] == "WH"
    assert doc["routes"][0]["trace"]["steps"][0]["node"] == "cold_chain"


def test_dry_run_with_flows_adds_a_route_object(tmp_path: Path) -> None:
    ws = workspace(tmp_path)
    out = run(ws, "dry-run", "--orders", str(ws / "orders.json"), "--flows", str(FLOWS),
              "--format", "json")
    assert out.exit_code == 0, out.output
    routes = [json.loads(x)["route"] for x in out.output.splitlines() if x.startswith("{")]
    assert {"flow", "warehouse", "path", "reasons"} <= routes[0].keys()
    assert routes[2]["warehouse"] == "SH-COLD"
    table = run(ws, "dry-run", "--orders", str(ws / "orders.json"), "--flows", str(FLOWS))
    assert "routing: 4 order(s) (nothing was written)" in table.output
