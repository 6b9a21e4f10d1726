"""The synthetic order generator: determinism, native payload shapes, bundled examples."""

from __future__ import annotations

import csv
import io
import json
import re
from collections import Counter, defaultdict
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from orderhub.catalog import ean13_ok
from orderhub.synth import (
    CATALOG,
    PLATFORMS,
    SHANGHAI,
    Plan,
    envelope,
    generate_orders,
    order_list,
    render,
    render_export_row,
)
from orderhub.synth.examples import EXPORT_NAME, main
from orderhub.synth.export import ORDER_REPORT_HEADERS
from orderhub.synth.regions import AREAS, REGIONS

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = REPO / "examples"
START = datetime(2025, 11, 25, tzinfo=SHANGHAI)
TIME_RE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$")
YUAN_RE = re.compile(r"^\d+\.\d\d$")


@pytest.fixture(scope="module")
def orders() -> dict[str, list]:
    return {pf: generate_orders(4000, 11, START, pf) for pf in PLATFORMS}


def by_no(orders: list) -> dict:
    return {o.order_no: o for o in orders}


def beijing(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%d %H:%M:%S").replace(tzinfo=SHANGHAI)


# -- determinism ------------------------------------------------------------------------------

@pytest.mark.parametrize("platform", PLATFORMS)
def test_same_seed_gives_identical_payloads_and_other_seeds_differ(platform: str) -> None:
    def dump(seed: int) -> str:
        return json.dumps([render(o) for o in generate_orders(300, seed, START, platform)],
                          ensure_ascii=False)

    assert dump(5) == dump(5)
    assert dump(5) != dump(6)


def test_examples_are_rewritten_byte_for_byte(tmp_path: Path) -> None:
    main([str(tmp_path)])
    written = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.is_file())
    assert len(written) == 12
    for rel in written:
        assert (tmp_path / rel).read_bytes() == (EXAMPLES / rel).read_bytes(), (
            f"examples/{rel} is stale: run python -m orderhub.synth.examples examples")


# -- logical orders ---------------------------------------------------------------------------

def test_logical_orders_have_aware_beijing_times_and_consistent_money(orders) -> None:
    for o in orders["taobao"][:500]:
        assert o.created_at.tzinfo is not None and o.created_at.utcoffset() == timedelta(hours=8)
        assert o.modified_at >= o.created_at
        assert o.payment == o.goods_total - o.discount + o.post_fee
        assert o.payment.as_tuple().exponent == -2
        assert sum((i.discount for i in o.items), Decimal("0.00")) == o.discount
        assert o.goods_total == sum((i.unit_price * i.qty for i in o.items), Decimal("0"))


def test_mix_covers_every_status_and_the_risk_cases(orders) -> None:
    tb = orders["taobao"]
    status = Counter(o.status for o in tb)
    assert set(status) == {"pending_payment", "paid", "shipped", "completed", "cancelled",
                           "refunding", "refunded"}
    assert status["paid"] > len(tb) * 0.45
    refunds = status["refunding"] + status["refunded"]
    assert 0.015 * len(tb) < refunds < 0.05 * len(tb)
    vague = [o for o in tb if o.receiver.vague]
    assert 0.01 * len(tb) < len(vague) < 0.06 * len(tb)
    assert all(("附近" in o.receiver.detail) or ("旁边" in o.receiver.detail) for o in vague)
    assert not any(("附近" in o.receiver.detail) or ("旁边" in o.receiver.detail)
                   for o in tb if not o.receiver.vague)
    assert any(len(o.items) == 3 for o in tb) and any(o.cold_chain for o in tb)


def test_some_phones_place_three_or_four_orders_the_same_day(orders) -> None:
    days = defaultdict(list)
    for o in orders["douyin"]:
        days[(o.receiver.phone, o.created_at.date())].append(o)
    bursts = [v for v in days.values() if len(v) >= 3]
    assert bursts and all(len(v) <= 4 for v in bursts)


def test_refund_request_times_include_the_ten_minute_boundary() -> None:
    s = timedelta(seconds=1)
    plans = [Plan("refunding", 599 * s), Plan("refunding", 600 * s), Plan("refunded", 601 * s),
             Plan("refunding", timedelta(days=3))]
    got = generate_orders(50, 3, START, "jd", planted=plans)
    gaps = sorted(int((o.refund_requested_at - o.created_at).total_seconds())
                  for o in got if o.refund_requested_at and "planted" not in o.tags
                  and any(t.startswith("refund_boundary") or t == "refund_late" for t in o.tags))
    assert {599, 600, 601, 3 * 86400} <= set(gaps)
    late = next(o for o in got if "refund_late" in o.tags)
    assert late.shipped_at is not None and late.paid_at < late.shipped_at


def test_order_numbers_use_each_platforms_format(orders) -> None:
    assert all(re.fullmatch(r"[2-4]\d{18}", o.order_no) for o in orders["taobao"])
    assert all(re.fullmatch(r"3\d{11}", o.order_no) for o in orders["jd"])
    assert all(re.fullmatch(r"69\d{17}", o.order_no) for o in orders["douyin"])
    for o in orders["pdd"]:
        assert o.order_no[:6] == o.created_at.strftime("%y%m%d")
        assert re.fullmatch(r"\d{6}-\d{15}", o.order_no)
    for pf in PLATFORMS:
        assert len(by_no(orders[pf])) == len(orders[pf])


def test_addresses_are_real_places_across_all_seven_regions() -> None:
    assert {a.region for a in AREAS} == set(REGIONS)
    assert len({(a.city, a.district) for a in AREAS}) >= 40
    cities = {a.city for a in AREAS}
    for city in ("上海市", "广州市", "深圳市", "北京市", "杭州市", "成都市", "武汉市", "西安市",
                 "沈阳市", "南京市", "苏州市", "重庆市", "哈尔滨市", "昆明市", "乌鲁木齐市"):
        assert city in cities
    assert all(a.city == "重庆市" for a in AREAS if a.province == "重庆市")


# -- native payloads --------------------------------------------------------------------------

def test_taobao_trades_use_top_fields_yuan_strings_and_beijing_times(orders) -> None:
    for o in orders["taobao"][:800]:
        t = render(o)
        assert t["tid"] == int(t["tid_str"]) and t["tid_str"] == o.order_no
        assert t["type"] == "fixed"
        for key in ("created", "modified", "pay_time", "consign_time", "end_time"):
            assert key not in t or TIME_RE.match(t[key])
        assert beijing(t["created"]) == o.created_at
        for key in ("total_fee", "discount_fee", "post_fee", "payment"):
            assert YUAN_RE.match(t[key])
        assert Decimal(t["payment"]) == (Decimal(t["total_fee"]) - Decimal(t["discount_fee"])
                                         + Decimal(t["post_fee"]))
        lines = t["orders"]["order"]
        assert sum(Decimal(x["divide_order_fee"]) for x in lines) == o.payment - o.post_fee
        assert {x["outer_sku_id"] for x in lines} <= {p.sku for p in CATALOG}
        assert ("pay_time" in t) == (o.paid_at is not None)
        assert t["receiver_state"] == o.receiver.province


def test_taobao_status_and_refund_overlay(orders) -> None:
    seen = {}
    for o in orders["taobao"]:
        t = render(o)
        refund = {x["refund_status"] for x in t["orders"]["order"]}
        seen.setdefault(o.status, (t["status"], refund))
        if o.status == "refunding":
            assert refund == {"WAIT_SELLER_AGREE"}
            assert t["status"] in ("WAIT_SELLER_SEND_GOODS", "WAIT_BUYER_CONFIRM_GOODS")
            assert beijing(t["modified"]) == o.refund_requested_at
    assert seen["pending_payment"] == ("WAIT_BUYER_PAY", {"NO_REFUND"})
    assert seen["paid"] == ("WAIT_SELLER_SEND_GOODS", {"NO_REFUND"})
    assert seen["completed"] == ("TRADE_FINISHED", {"NO_REFUND"})
    assert seen["cancelled"] == ("TRADE_CLOSED_BY_TAOBAO", {"NO_REFUND"})
    assert seen["refunded"] == ("TRADE_CLOSED", {"SUCCESS"})


def test_jd_orders_are_camelcase_with_yuan_strings_and_jd_states(orders) -> None:
    states = Counter()
    for o in orders["jd"]:
        j = render(o)
        assert isinstance(j["orderId"], str)
        for key in ("orderTotalPrice", "orderSellerPrice", "orderPayment", "freightPrice",
                    "sellerDiscount"):
            assert YUAN_RE.match(j[key]), (key, j[key])
        c = j["consigneeInfo"]
        assert c["fullAddress"].startswith(c["province"] + c["city"] + c["county"])
        assert j["itemInfoList"][0]["outerSkuId"] == o.items[0].sku
        states[(o.status, j["orderState"], j["paymentConfirmTime"] == "0001-01-01 00:00:00")] += 1
        if o.status == "refunding":
            assert beijing(j["modified"]) == o.refund_requested_at
    assert not any(s == "pending_payment" for s, _, _ in states)
    assert ("cancelled", "TRADE_CANCELED", True) in states
    assert ("refunded", "TRADE_CANCELED", False) in states
    assert ("refunding", "LOCKED", False) in states
    assert ("paid", "WAIT_SELLER_STOCK_OUT", False) in states


def test_pdd_orders_have_yuan_numbers_masks_and_no_unpaid_orders(orders) -> None:
    for o in orders["pdd"]:
        p = render(o)
        assert o.status != "pending_payment"
        assert "buyer_nick" not in p
        assert isinstance(p["pay_amount"], float) and isinstance(p["order_status"], int)
        assert round(p["goods_amount"] - p["discount_amount"] + p["postage"], 2) == p["pay_amount"]
        assert p["discount_amount"] == pytest.approx(p["platform_discount"] + p["seller_discount"])
        assert p["receiver_phone_mask"] == o.receiver.phone[:3] + "****" + o.receiver.phone[-4:]
        assert p["town"] == o.receiver.district
        if o.status == "refunding":
            assert (p["refund_status"], p["after_sales_status"]) == (3, 2)
            assert beijing(p["updated_at"]) == o.refund_requested_at
        elif o.status == "refunded":
            assert p["refund_status"] == 4
        else:
            assert p["refund_status"] == 1


def test_douyin_amounts_are_int_fen_and_times_unix_seconds(orders) -> None:
    for o in orders["douyin"]:
        d = render(o)
        assert d["pay_amount"] == int(o.payment * 100) and isinstance(d["pay_amount"], int)
        assert d["post_amount"] == int(o.post_fee * 100)
        assert d["promotion_amount"] == int(o.discount * 100)
        assert d["create_time"] == int(o.created_at.timestamp())
        assert d["pay_time"] == (int(o.paid_at.timestamp()) if o.paid_at else 0)
        assert sum(s["sum_amount"] for s in d["sku_order_list"]) == int(o.goods_total * 100)
        assert d["post_addr"]["town"]["name"] == o.receiver.district
        info = {(s["after_sale_info"]["refund_status"], s["after_sale_info"]["after_sale_status"])
                for s in d["sku_order_list"]}
        if o.status == "refunding":
            assert info == {(1, 6)} and d["update_time"] == int(o.refund_requested_at.timestamp())
        elif o.status == "refunded":
            assert info == {(3, 12)} and d["order_status"] == 4 and d["pay_time"] > 0
        elif o.status == "pending_payment":
            assert d["order_status"] == 1 and d["pay_time"] == 0


@pytest.mark.parametrize("platform", PLATFORMS)
def test_envelopes_wrap_the_list_and_count_it(platform: str, orders) -> None:
    payloads = [render(o) for o in orders[platform][:7]]
    env = envelope(platform, payloads)
    assert order_list(platform, env) == payloads
    assert json.loads(json.dumps(env)) == env
    assert str(len(payloads)) in json.dumps(env)


def test_render_refuses_another_platforms_order(orders) -> None:
    with pytest.raises(ValueError, match="generated for jd"):
        render(orders["jd"][0], "taobao")


# -- bundled examples -------------------------------------------------------------------------

def load_example(platform: str) -> list[dict]:
    data = json.loads((EXAMPLES / "orders" / f"{platform}.json").read_text("utf-8"))
    return order_list(platform, data)


NO_FIELD = {"taobao": "tid_str", "jd": "orderId", "pdd": "order_sn", "douyin": "order_id"}
STATUS_FIELD = {"taobao": "status", "jd": "orderState", "pdd": "order_status",
                "douyin": "order_status"}
CREATED = {"taobao": "created", "jd": "orderStartTime", "pdd": "created_time",
           "douyin": "create_time"}
PAYMENT = {"taobao": "payment", "jd": "orderPayment", "pdd": "pay_amount",
           "douyin": "pay_amount"}


@pytest.mark.parametrize("platform", PLATFORMS)
def test_examples_contain_duplicates_and_malformed_records(platform: str) -> None:
    records = load_example(platform)
    assert len(records) >= 120
    counts = Counter(json.dumps(r, sort_keys=True) for r in records)
    assert sorted(counts.values())[-3:] == [2, 2, 2] and max(counts.values()) == 2
    assert sum(1 for r in records if NO_FIELD[platform] not in r) == 1
    assert sum(1 for r in records if r[CREATED[platform]] == "2025-13-45 99:00:00") == 1
    assert sum(1 for r in records if r[PAYMENT[platform]] == "abc") == 1
    assert sum(1 for r in records
               if r[STATUS_FIELD[platform]] in ("WAIT_SOMETHING_ODD", 9, 999)) == 1


@pytest.mark.parametrize("platform", PLATFORMS)
def test_examples_plant_refund_boundaries_vague_addresses_and_bursts(platform: str) -> None:
    records = [r for r in load_example(platform) if NO_FIELD[platform] in r]
    text = json.dumps(records, ensure_ascii=False)
    assert "附近" in text and "旁边" in text
    gaps = set()
    phones = Counter()
    for r in records:
        if platform == "taobao" and TIME_RE.match(r["created"]) and r["created"][5:7] != "13":
            if r["orders"]["order"][0]["refund_status"] == "WAIT_SELLER_AGREE":
                gaps.add((beijing(r["modified"]) - beijing(r["created"])).total_seconds())
            phones[(r["receiver_mobile"], r["created"][:10])] += 1
        elif platform == "jd" and r["orderState"] == "LOCKED":
            gaps.add((beijing(r["modified"]) - beijing(r["orderStartTime"])).total_seconds())
        elif platform == "pdd" and r["refund_status"] == 3:
            gaps.add((beijing(r["updated_at"]) - beijing(r["created_time"])).total_seconds())
        elif platform == "douyin" and isinstance(r["create_time"], int):
            if r["sku_order_list"][0]["after_sale_info"]["refund_status"] == 1:
                gaps.add(r["update_time"] - r["create_time"])
    assert {599, 600, 601} <= gaps
    assert any(g >= 86400 for g in gaps) and any(g < 599 for g in gaps)
    if platform == "taobao":
        assert max(phones.values()) >= 3


def test_example_updates_move_orders_forward() -> None:
    base = {r["tid_str"]: r for r in load_example("taobao") if "tid_str" in r}
    data = json.loads((EXAMPLES / "orders/updates/taobao.json").read_text("utf-8"))
    later = order_list("taobao", data)
    assert 12 <= len(later) <= 18
    shipped = 0
    for r in later:
        old = base[r["tid_str"]]
        assert r["modified"] > old["modified"]
        if old["status"] == "WAIT_SELLER_SEND_GOODS" and r["status"] == "WAIT_BUYER_CONFIRM_GOODS":
            assert r["orders"]["order"][0]["invoice_no"]
            shipped += 1
    assert shipped >= 5
    assert sum(1 for r in later
               if r["receiver_address"] != base[r["tid_str"]]["receiver_address"]) == 1


def test_taobao_export_is_gbk_with_report_quirks() -> None:
    raw = (EXAMPLES / "exports" / EXPORT_NAME).read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    rows = list(csv.reader(io.StringIO(raw.decode("gb18030"))))
    assert tuple(rows[0]) == ORDER_REPORT_HEADERS
    data = rows[1:]
    assert len(data) == 62
    full = [r for r in data if len(r) == len(ORDER_REPORT_HEADERS)]
    assert len(full) == 61 and sum(1 for r in data if len(r) < 20) == 1
    assert sum(1 for r in full if r[0] == "") == 1
    good = [r for r in full if r[0]]
    assert all(re.fullmatch(r'="\d{19}"', r[0]) for r in good)
    assert all(r[16].startswith("'1") for r in good)
    assert any(r[8].endswith("元") for r in good) and any(not r[8].endswith("元") for r in good)
    assert {r[10] for r in good} <= {"等待买家付款", "买家已付款，等待卖家发货",
                                     "卖家已发货，等待买家确认", "交易成功", "交易关闭"}


def test_export_row_matches_the_order(orders) -> None:
    o = next(o for o in orders["taobao"] if o.status == "shipped")
    row = dict(zip(ORDER_REPORT_HEADERS, render_export_row(o), strict=True))
    assert row["订单编号"] == f'="{o.order_no}"'
    assert row["物流单号"] == o.tracking_no
    assert row["宝贝总数量"] == str(o.quantity)
    assert row["订单状态"] == "卖家已发货，等待买家确认"


def test_catalog_csv_lists_skus_with_cold_chain_flags() -> None:
    rows = list(csv.DictReader((EXAMPLES / "catalog.csv").open(encoding="utf-8")))
    assert list(rows[0]) == ["sku", "title", "category", "cold_chain", "weight_kg", "price",
                             "barcode"]
    assert all(ean13_ok(r["barcode"]) for r in rows)
    assert len(rows) >= 30
    cold = {r["sku"] for r in rows if r["cold_chain"] == "true"}
    assert {"CC-MILK-1L", "CC-DUMPLING-1KG", "CC-ICECREAM-6"} <= cold
    assert "HJ-TOWEL-001" in {r["sku"] for r in rows}


def test_example_orders_are_a_snapshot_with_no_event_after_it() -> None:
    modified = {"taobao": "modified", "jd": "modified", "pdd": "updated_at"}
    for platform, key in modified.items():
        assert max(r[key] for r in load_example(platform) if NO_FIELD[platform] in r) \
            <= "2025-11-26 09:00:00"
    snapshot = int(datetime(2025, 11, 26, 9, tzinfo=SHANGHAI).timestamp())
    assert max(r["update_time"] for r in load_example("douyin")) <= snapshot
