"""History aggregates with filters over stored orders, and filtered sums inside one order:
"at most two units of SKU X per phone in the two-hour window", batched per evaluation batch."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from orderhub.dsl.context import MemoryHistory
from orderhub.engine.examples import example_order
from orderhub.engine.ruleset import load_rules_text
from orderhub.model import Order
from orderhub.store import OrderStore

TZ = ZoneInfo("Asia/Shanghai")
T0 = datetime(2024, 12, 12, 0, 0, tzinfo=TZ)

SKU_LIMIT = """\
rule double12_sku_limit "双12限购：每个手机两小时内X最多2件"
  when (sum o in earlier_orders(receiver.phone, within=2h):
          sum i in o.items where i.sku == "X": i.quantity)
       + (sum i in items where i.sku == "X": i.quantity) > 2
  then hold waybill
end

rule big_jd_repeat "京东两小时内第二笔大额"
  when (count o in earlier_orders(receiver.phone, within=2h)
          where o.platform == "jd": o.payment >= 500) >= 1 and payment >= 500
  then flag repeat_big
end
"""


def _order(no: str, minutes: int, phone: str, x: int, *, platform: str = "taobao",
           payment: str = "99.00", y: int = 0) -> Order:
    items = [{"sku": "X", "quantity": x, "title": "X"}] if x else []
    items += [{"sku": "Y", "quantity": y, "title": "Y"}] if y else []
    return example_order({"platform": platform, "receiver": {"phone": phone},
                          "created_at": T0 + timedelta(minutes=minutes), "items": items,
                          "payment": payment}, TZ, no)


def _fired(decisions) -> dict[str, list[str]]:  # type: ignore[no-untyped-def]
    return {d.platform_order_no: [f.rule for f in d.fired] for d in decisions}


def test_units_of_one_sku_per_phone_over_stored_orders_in_one_batch(store: OrderStore) -> None:
    rs = load_rules_text(SKU_LIMIT)
    stored = [_order("S1", 0, "13800000001", 1, y=9),      # 1 X (the Y units do not count)
              _order("S2", 10, "13800000002", 2),          # 2 X already
              _order("S3", -200, "13800000003", 2)]        # outside the two hours
    store.upsert(stored)
    batch = [_order("B1", 30, "13800000001", 1),           # 1 + 1: fine
             _order("B2", 40, "13800000002", 1),           # 2 + 1: over
             _order("B3", 50, "13800000003", 2),           # old ones do not count
             _order("B4", 60, "13800000001", 1),           # S1 + B1 + this: 3, over
             _order("B5", 70, "13800000004", 3)]           # 3 in one order: over
    history = MemoryHistory(batch, base=store)
    ctx = rs.context(now=T0 + timedelta(days=3), history=history)
    got = _fired(rs.evaluate_batch(batch, ctx))
    assert {no for no, rules in got.items() if "double12_sku_limit" in rules} == {
        "B2", "B4", "B5"}
    assert ctx.queries == 1  # one query for the whole batch, not one per order or window


def test_history_filters_on_the_order_and_never_sees_later_orders(store: OrderStore) -> None:
    rs = load_rules_text(SKU_LIMIT)
    store.upsert([_order("J1", 0, "13900000001", 0, platform="jd", payment="800.00"),
                  _order("J2", 5, "13900000002", 0, platform="taobao", payment="800.00"),
                  _order("J9", 90, "13900000001", 0, platform="jd", payment="900.00")])
    later = _order("J3", 60, "13900000001", 0, platform="jd", payment="600.00")
    other = _order("J4", 60, "13900000002", 0, platform="jd", payment="600.00")
    first = _order("J0", -30, "13900000001", 0, platform="jd", payment="600.00")
    got = _fired(rs.evaluate_batch([later, other, first], now=T0 + timedelta(days=1),
                                   history=MemoryHistory([later, other, first], base=store)))
    # J3 sees J1 (jd, 800) before it; J4's earlier order is Taobao; J0 is before everything
    assert got == {"J3": ["big_jd_repeat"], "J4": [], "J0": []}


def test_filtered_sums_inside_one_order() -> None:
    rs = load_rules_text("""\
rule many_x "单笔X超过2件"
  when (sum i in items where i.sku == "X": i.quantity) > 2
       and (count i in items where i.quantity > 0: i.sku != "X") == 0
  then flag many_x
  example fires order { items: [ { sku: "X", quantity: 2, title: "a" },
                                 { sku: "X", quantity: 1, title: "b" } ] }
  example does not fire order { items: [ { sku: "X", quantity: 2, title: "a" },
                                         { sku: "Y", quantity: 9, title: "b" } ] }
end
""")
    assert len(rs) == 1


COUNTS_AND_FILTERS = SKU_LIMIT + """\
rule busy_phone "两小时内第二单"
  when orders_by_phone(receiver.phone, within=2h) >= 1
  then flag busy
end
rule x_today "今天买过X"
  when (count o in earlier_orders(receiver.phone, within=1d):
          o.items[0].sku == "X" and o.receiver.province == null and o.item_count >= 1) >= 1
  then flag x_today
end
"""


def test_counts_and_filtered_aggregates_over_the_store_take_one_query(store: OrderStore
                                                                       ) -> None:
    """Both kinds of history in one batch: the store's records answer the counts too, and the
    decisions are those over the same orders held in memory (fields beyond the fast few,
    like ``receiver`` and ``item_count``, read from the full order)."""
    rs = load_rules_text(COUNTS_AND_FILTERS)
    stored = [_order("S1", 0, "13800000001", 1, y=9, platform="jd", payment="800.00"),
              _order("S2", 10, "13800000002", 2),
              _order("S3", -200, "13800000003", 2),
              _order("S4", 20, "13800000001", 0, y=1)]
    store.upsert(stored)
    batch = [_order("B1", 30, "13800000001", 1, platform="jd", payment="600.00"),
             _order("B2", 40, "13800000002", 1),
             _order("B3", 50, "13800000003", 2),
             _order("B5", 70, "13800000004", 3)]
    now = T0 + timedelta(days=3)
    ctx = rs.context(now=now, history=store)
    got = _fired(rs.evaluate_batch(batch, ctx))
    assert ctx.queries == 1
    assert got == _fired(rs.evaluate_batch(batch, now=now, history=MemoryHistory(stored)))
    assert got == {"B1": ["big_jd_repeat", "busy_phone", "x_today"],
                   "B2": ["double12_sku_limit", "busy_phone", "x_today"],
                   "B3": ["x_today"], "B5": ["double12_sku_limit"]}
