"""File ingestion: envelopes, JSON Lines, GBK exports with their quirks, rejects, idempotency."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from native_orders import DOUYIN, JD, PDD, TAOBAO

from orderhub.catalog import Catalog
from orderhub.cli import EXIT_REJECTED, main
from orderhub.connectors.files import decode
from orderhub.connectors.ingest import SourceUnknown, ingest, read_orders
from orderhub.model import OrderStatus
from orderhub.store import OrderStore

EXPORT_HEADER = ["订单编号", "买家会员名", "买家支付宝账号", "买家应付货款", "买家应付邮费",
                 "买家支付积分", "总金额", "返点积分", "买家实际支付金额", "买家实际支付积分",
                 "订单状态", "买家留言", "收货人姓名", "收货地址", "运送方式", "联系电话",
                 "联系手机", "订单创建时间", "订单付款时间", "宝贝标题", "宝贝种类", "物流单号",
                 "物流公司", "订单备注", "宝贝总数量", "店铺Id", "店铺名称"]


def export_row(no: str, status: str, phone: str, pay: str) -> str:
    cells = [f'="{no}"', "小明爱购物", "x***@163.com", "99.00", "0.00", "0", "99.00", "0",
             pay, "0", status, "", "张三", "浙江省 杭州市 西湖区 文三路90号", "快递", "",
             f"'{phone}", "2025-11-26 09:30:00", "2025-11-26 09:31:00", "竹纤维毛巾", "1",
             "", "", "", "1", "2001", "优品家居旗舰店"]
    return ",".join(cells)


@pytest.fixture
def gbk_export(tmp_path: Path) -> Path:
    rows = [",".join(EXPORT_HEADER),
            export_row("4123456789012345678", "买家已付款，等待卖家发货", "13912345678", "99.00元"),
            export_row("4123456789012345679", "交易成功", "13912345679", "88.50"),
            '="4123456789012345680",半截的行',
            export_row("4123456789012345681", "等待买家付款", "13912345670", "99.00")]
    path = tmp_path / "ExportOrderList202511260930.csv"
    path.write_bytes(("\r\n".join(rows) + "\r\n").encode("gbk"))
    return path


def envelope_files(tmp_path: Path) -> list[Path]:
    docs = {
        "taobao.json": {"trades_sold_increment_get_response": {"trades": {"trade": [TAOBAO]}}},
        "jd.json": {"jingdong_pop_order_search_responce": {"searchorderinfo_result": {
            "orderInfoList": [JD], "orderTotal": 1}}},
        "pdd.json": {"order_list_get_response": {"order_list": [PDD], "total_count": 1}},
        "douyin.json": {"code": 10000, "data": {"shop_order_list": [DOUYIN], "total": 1}},
    }
    paths = []
    for name, doc in docs.items():
        path = tmp_path / name
        path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
        paths.append(path)
    return paths


def test_gbk_export_lands_and_the_corrupt_row_is_reported_by_row(store: OrderStore,
                                                                 gbk_export: Path) -> None:
    assert decode(gbk_export.read_bytes())[1] == "gb18030"
    summary = ingest(store, [gbk_export])
    assert summary.counts() == {"new": 3, "updated": 0, "unchanged": 0, "rejected": 1}
    (reject,) = summary.rejects
    assert reject.record == 4 and reject.platform_order_no == "4123456789012345680"
    assert "row has 2 cells" in reject.reason
    order = store.get("taobao:4123456789012345678")
    assert order.status == OrderStatus.paid
    assert str(order.payment) == "99.00" and order.receiver.phone == "13912345678"
    assert order.shop_id == "优品家居旗舰店" and order.items[0].title == "竹纤维毛巾"
    assert store.get("taobao:4123456789012345679").status == OrderStatus.completed
    assert store.rejects()[0].record == 4


def test_all_four_envelopes_and_idempotent_reingest(store: OrderStore, tmp_path: Path) -> None:
    files = envelope_files(tmp_path)
    first = ingest(store, files)
    assert first.counts() == {"new": 4, "updated": 0, "unchanged": 0, "rejected": 0}
    assert sorted(first.by_source) == ["douyin", "jd", "pdd", "taobao"]
    again = ingest(store, files)
    assert again.counts() == {"new": 0, "updated": 0, "unchanged": 4, "rejected": 0}
    events_before = len(store.events())
    modified = copy.deepcopy(JD)
    modified.update(orderState="WAIT_GOODS_RECEIVE_CONFIRM", modified="2025-11-11 10:00:00",
                    waybill="JDV000123456789")
    (tmp_path / "jd-later.json").write_text(json.dumps([modified]), encoding="utf-8")
    later = ingest(store, [tmp_path / "jd-later.json"])
    assert later.counts() == {"new": 0, "updated": 1, "unchanged": 0, "rejected": 0}
    order = store.get("jd:301234567890")
    assert order.status == OrderStatus.shipped and order.tracking_no == "JDV000123456789"
    assert [e.type for e in store.events()[events_before:]] == [
        "status_changed", "shipped", "tracking_updated"]


def test_jsonl_with_a_broken_line_keeps_the_rest(tmp_path: Path) -> None:
    path = tmp_path / "pdd.jsonl"
    other = {**PDD, "order_sn": "251111-000000000000002"}
    path.write_text(json.dumps(PDD) + "\n{not json\n" + json.dumps(other) + "\n",
                    encoding="utf-8")
    orders, rejects = read_orders([path])
    assert [o.platform_order_no for o in orders] == ["251111-123456789012345",
                                                     "251111-000000000000002"]
    assert len(rejects) == 1 and rejects[0].record == 2


def test_catalog_enriches_items(tmp_path: Path) -> None:
    catalog_path = tmp_path / "catalog.csv"
    catalog_path.write_text("sku,title,category,cold_chain,weight_kg\n"
                            "CC-MILK-1L,鲜牛奶1L,乳品,true,1.05\n"
                            "HJ-TOWEL-001,纯棉毛巾,家居,false,0.2\n", encoding="utf-8")
    (tmp_path / "t.json").write_text(json.dumps([TAOBAO]), encoding="utf-8")
    orders, _ = read_orders([tmp_path / "t.json"], catalog=Catalog.load(catalog_path))
    milk, towel = orders[0].items
    assert milk.cold_chain and milk.attributes["weight_kg"] == 1.05
    assert not towel.cold_chain and towel.attributes["category"] == "家居"


def test_unknown_source_asks_for_source(tmp_path: Path) -> None:
    path = tmp_path / "mystery.json"
    path.write_text(json.dumps([{"foo": 1}]), encoding="utf-8")
    with pytest.raises(SourceUnknown) as info:
        read_orders([path])
    assert "--source" in str(info.value)


def test_cli_ingest_json_summary_and_exit_codes(tmp_path: Path, gbk_export: Path) -> None:
    runner = CliRunner()
    ws = tmp_path / "ws"
    ws.mkdir()
    (ws / "orderhub.yaml").write_text("timezone: Asia/Shanghai\n", encoding="utf-8")
    files = [str(p) for p in envelope_files(tmp_path)]
    ok = runner.invoke(main, ["-w", str(ws), "ingest", *files, "--format", "json"])
    assert ok.exit_code == 0, ok.output
    assert json.loads(ok.stdout) == {"new": 4, "updated": 0, "unchanged": 0, "rejected": 0}
    bad = runner.invoke(main, ["-w", str(ws), "ingest", str(gbk_export), "--format", "json"])
    assert bad.exit_code == EXIT_REJECTED
    assert json.loads(bad.stdout) == {"new": 3, "updated": 0, "unchanged": 0, "rejected": 1}
    assert "row 4" in bad.stderr and "row has 2 cells" in bad.stderr
    shown = runner.invoke(main, ["-w", str(ws), "orders", "show", "douyin:6912345678901234567",
                                 "--format", "json"])
    doc = json.loads(shown.stdout)
    assert doc["payment"] == "206.00" and [e["type"] for e in doc["events"]] == ["created", "paid"]
    missing = runner.invoke(main, ["-w", str(ws), "orders", "show", "jd:0"])
    assert missing.exit_code == 4 and "no order 'jd:0'" in missing.stderr


def test_pdd_xlsx_export_lands(store: OrderStore, tmp_path: Path) -> None:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["订单号", "订单状态", "商品总价(元)", "邮费(元)", "用户实付金额(元)",
                  "商品数量(件)", "订单成交时间", "支付时间", "商品", "商家编码-规格维度",
                  "收货人", "手机", "省", "市", "区", "详细地址", "售后状态"])
    sheet.append(["251126-000000000000001", "待发货", 59, 0, 59, 1, "2025-11-26 10:00:00",
                  "2025-11-26 10:00:05", "鲜牛奶1L", "CC-MILK-1L", "赵六", "13700000000",
                  "四川省", "成都市", "武侯区", "天府大道100号", "无售后或售后取消"])
    sheet.append(["251126-000000000000002", "已发货，待签收", "88.5", 0, "88.5", 2,
                  "2025-11-26 11:00:00", "2025-11-26 11:00:05", "毛巾", "HJ-TOWEL-001",
                  "钱七", "13700000001", "湖北省", "武汉市", "洪山区", "珞喻路1号", "退款中"])
    path = tmp_path / "pdd-orders.xlsx"
    book.save(path)
    summary = ingest(store, [path])
    assert summary.counts() == {"new": 2, "updated": 0, "unchanged": 0, "rejected": 0}
    first = store.get("pdd:251126-000000000000001")
    assert first.status == OrderStatus.paid and str(first.payment) == "59.00"
    assert first.receiver.city == "成都市" and first.items[0].sku == "CC-MILK-1L"
    assert store.get("pdd:251126-000000000000002").status == OrderStatus.refunding


def test_known_records_skip_mapping_but_a_new_catalog_remaps_them(store: OrderStore,
                                                                   tmp_path: Path) -> None:
    (tmp_path / "t.json").write_text(json.dumps([TAOBAO]), encoding="utf-8")
    catalog_path = tmp_path / "catalog.csv"
    catalog_path.write_text("sku,cold_chain\nCC-MILK-1L,false\n", encoding="utf-8")
    assert ingest(store, [tmp_path / "t.json"], catalog=Catalog.load(catalog_path)).new == 1
    again = ingest(store, [tmp_path / "t.json"], catalog=Catalog.load(catalog_path))
    assert (again.unchanged, again.by_source) == (1, {"taobao": 1})
    # the catalog now says the milk is cold-chain: the same record makes a different order
    catalog_path.write_text("sku,cold_chain\nCC-MILK-1L,true\n", encoding="utf-8")
    changed = ingest(store, [tmp_path / "t.json"], catalog=Catalog.load(catalog_path))
    assert changed.updated == 1
    assert store.get("taobao:3456789012345678901").items[0].cold_chain
