"""Routing surprises of the article's flow: a city written without 市, and ordinary goods
overflowing into the cold-chain warehouse because it is nearest."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from orderhub.cli import main
from orderhub.config import default_warehouses
from orderhub.engine.routing.warehouses import Network, WarehouseConfig
from orderhub.geo import parse_address


def test_a_city_without_shi_before_its_district_finds_its_region() -> None:
    for text in ("哈尔滨道里区中央大街5号", "黑龙江哈尔滨道里区中央大街5号"):
        parsed = parse_address(text)
        assert (parsed.province, parsed.city, parsed.district, parsed.detail) == (
            "黑龙江省", "哈尔滨市", "道里区", "中央大街5号"), text
    dest = Network(default_warehouses()).destination(None, None, None, "哈尔滨道里区中央大街5号")
    assert dest.region == "东北"
    # the street guard still holds: 北京路 in Guangzhou is a street, not Beijing
    assert parse_address("广州北京路1号").province == "广东省"
    assert parse_address("北京路100号").province is None


def trade(n: int, sku: str) -> dict:
    tid = str(4652335643237390000 + n)
    return {"tid": int(tid), "tid_str": tid, "status": "WAIT_SELLER_SEND_GOODS",
            "created": "2025-11-19 01:06:56", "pay_time": "2025-11-19 01:07:04",
            "modified": "2025-11-19 01:11:06", "receiver_name": "龚若曦",
            "receiver_mobile": "19556012312", "receiver_state": "上海市",
            "receiver_city": "上海市", "receiver_district": "浦东新区",
            "receiver_address": "张江路88号", "total_fee": "30.00", "discount_fee": "0.00",
            "post_fee": "0.00", "payment": "30.00",
            "orders": {"order": [{"oid": int(tid), "oid_str": tid, "outer_sku_id": sku,
                                  "title": sku, "num": 1, "price": "30.00",
                                  "total_fee": "30.00", "payment": "30.00"}]}}


def test_ordinary_goods_do_not_overflow_into_the_cold_store(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    assert CliRunner().invoke(main, ["init", str(ws), "--no-samples"]).exit_code == 0
    (ws / "catalog.csv").write_text("sku,title,cold_chain\nTOWEL,毛巾,false\nCRAB,大闸蟹,true\n",
                                    encoding="utf-8")
    # Shanghai's SH and its fallback WH are out of towels; SH-COLD, the nearest, has some
    (ws / "stock.csv").write_text(
        "warehouse,sku,on_hand,reserved\nSH,TOWEL,0,0\nWH,TOWEL,0,0\nSH-COLD,TOWEL,50,0\n"
        "SH-COLD,CRAB,50,0\nBJ,TOWEL,50,0\nGZ,TOWEL,50,0\nCD,TOWEL,50,0\n", encoding="utf-8")
    doc = {"trades_sold_increment_get_response": {"total_results": 2, "trades": {
        "trade": [trade(1, "TOWEL"), trade(2, "CRAB")]}}}
    orders = tmp_path / "orders.json"
    orders.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    run = CliRunner().invoke(main, ["-w", str(ws), "simulate", "--orders", str(orders),
                                    "--stock", str(ws / "stock.csv"), "--format", "json"])
    assert run.exit_code == 0, run.output
    by = {w["code"]: w for w in json.loads(run.stdout.splitlines()[-1])["warehouses"]}
    assert by["SH-COLD"]["assigned"] == 1  # the crab, which needs it
    assert sum(w["assigned"] for code, w in by.items() if code != "SH-COLD") == 1  # the towel


def test_a_warehouse_that_takes_any_goods_may_take_them() -> None:
    cold = WarehouseConfig(code="C", name="冷库", province="上海市", city="上海市",
                           capabilities=["cold_chain"])
    assert not Network([cold]).warehouses["C"].accepts(frozenset())
    assert Network([cold]).warehouses["C"].accepts(frozenset({"cold_chain"}))
    anyway = cold.model_copy(update={"takes_any": True})
    assert Network([anyway]).warehouses["C"].accepts(frozenset())
