"""Orders routed to a warehouse, and a waybills config pointing at the simulator (tests, bench)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import insert

from orderhub.engine.routing.stock import route_decisions
from orderhub.model import LineItem, Order, OrderStatus, Platform, Receiver
from orderhub.simulator.server import SHOP_IDS
from orderhub.waybills.config import WaybillsConfig

PLATFORMS = ("taobao", "pdd", "jd", "douyin")
PLACES = [("上海市", "上海市", "青浦区", "华新镇华志路88号"),
          ("浙江省", "杭州市", "西湖区", "文三路90号东部软件园"),
          ("广东省", "广州市", "天河区", "天河路385号"),
          ("江苏省", "南京市", "鼓楼区", "中山北路1号")]
SKUS = [("HJ-TOWEL-001", "纯棉加厚毛巾 3条装"), ("CC-MILK-1L", "鲜牛奶1L"),
        ("BJ-TEA-250", "龙井茶 250克")]


def make_orders(per_platform: int, platforms: tuple[str, ...] = PLATFORMS,
                start: int = 0) -> list[Order]:
    base = datetime(2026, 11, 11, 1, 0, tzinfo=UTC)
    out = []
    for p in platforms:
        for i in range(start, start + per_platform):
            prov, city, dist, street = PLACES[i % len(PLACES)]
            sku, title = SKUS[i % len(SKUS)]
            items = [LineItem(sku=sku, title=title, quantity=1 + i % 2,
                              unit_price=Decimal("29.90"), attributes={"weight_kg": 0.4})]
            if i % 3 == 2:
                items.append(LineItem(sku=SKUS[0][0], title=SKUS[0][1], quantity=1))
            out.append(Order(
                platform=Platform(p), shop_id=SHOP_IDS[p], platform_order_no=f"{7000000 + i}",
                status=OrderStatus.paid, created_at=base + timedelta(seconds=i),
                paid_at=base + timedelta(seconds=i + 5),
                receiver=Receiver(name=f"张{i}", phone=f"1380000{i % 10000:04d}", province=prov,
                                  city=city, district=dist, address=street),
                items=items, goods_total=Decimal("29.90"), payment=Decimal("29.90")))
    return out


def store_routed(store: Any, orders: list[Order], warehouse: str = "SH") -> list[Order]:
    """Store the orders and route every one to ``warehouse``; returns them with their ids."""
    store.upsert(orders)
    stored = store.list(limit=None)
    wanted = {o.key for o in orders}
    mine = [o for o in stored if o.key in wanted]
    now = datetime.now(UTC)
    with store.engine.begin() as conn:
        conn.execute(insert(route_decisions), [
            {"order_id": o.id, "flow": "test", "version": "1", "warehouse": warehouse,
             "result": {}, "at": now} for o in mine])
    return mine


def waybills_config(**account: Any) -> WaybillsConfig:
    """SH ships all four platforms through the simulator's shops (sim-taobao, ...)."""
    carriers = {"taobao": "YTO", "pdd": "YUNDA", "jd": "YUNDA", "douyin": "zhongtong"}
    accounts = []
    for p in PLATFORMS:
        a: dict[str, Any] = {"platform": p, "shop": f"sim-{p}", "carrier": carriers[p],
                             "branch_code": "201000"}
        if p == "jd":
            a.update(provider_id=1327, vendor_code=SHOP_IDS["jd"])
        a.update(account.get(p, account.get("all", {})))
        accounts.append(a)
    return WaybillsConfig.model_validate({"warehouses": {"SH": {
        "sender": {"name": "王华东", "mobile": "13800000002", "province": "上海市",
                   "city": "上海市", "district": "青浦区", "address": "华新镇华志路1号"},
        "accounts": accounts}}})
