"""The article's three rules fire on exactly the orders they should, on all four platforms."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from orderhub.dsl import MemoryHistory
from orderhub.engine.ruleset import load_rules
from orderhub.model import Order

REPO = Path(__file__).resolve().parent.parent
TZ = ZoneInfo("Asia/Shanghai")
T0 = datetime(2024, 6, 18, 10, 0, tzinfo=TZ)
PLATFORMS = ["taobao", "jd", "pdd", "douyin"]


@pytest.fixture(scope="module")
def ruleset():
    return load_rules(REPO / "rules")


def order(platform: str = "taobao", no: str = "1", **kw) -> Order:
    data = {"platform": platform, "platform_order_no": no, "status": "paid", "created_at": T0,
            "receiver": {"phone": "13800000000", "address": "人民路1号2栋301室", "name": "张三"}}
    data.update(kw)
    return Order.model_validate(data)


def fired(ruleset, o: Order, now: datetime | None = None, history=None) -> set[str]:
    d = ruleset.evaluate(o, now=now or T0 + timedelta(hours=1),
                         history=history if history is not None else MemoryHistory([o]))
    return {f.rule for f in d.fired}


@pytest.mark.parametrize("platform", PLATFORMS)
@pytest.mark.parametrize(("delay", "fires"), [(599, True), (600, True), (601, False)])
def test_high_risk_refund_edges(ruleset, platform, delay, fires):
    o = order(platform, refund={"status": "requested",
                                "requested_at": T0 + timedelta(seconds=delay)})
    assert ("high_risk_refund" in fired(ruleset, o)) is fires


def test_no_refund_is_not_high_risk_and_does_not_crash(ruleset):
    assert "high_risk_refund" not in fired(ruleset, order())


def test_refund_without_time_is_not_high_risk(ruleset):
    assert "high_risk_refund" not in fired(ruleset, order(refund={"status": "requested"}))


def test_high_risk_refund_plans_hold_and_task(ruleset):
    o = order(refund={"status": "requested", "requested_at": T0 + timedelta(minutes=3)})
    d = ruleset.evaluate(o, now=T0, history=MemoryHistory([o]))
    f = next(f for f in d.fired if f.rule == "high_risk_refund")
    assert [a.kind for a in f.actions] == ["hold", "task"]
    assert f.actions[0].params["target"] == "waybill"
    assert f.actions[1].params["queue"] == "客服审核"
    assert "taobao:1" in f.actions[1].params["title"]
    assert f.why == ["refund.requested_at - created_at = 3m, needs <= 10m → yes"]


@pytest.mark.parametrize("platform", PLATFORMS)
@pytest.mark.parametrize(("address", "fires"), [
    ("广州市天河区体育西路地铁站附近", True),
    ("杭州市西湖区万达广场旁边的小区", True),
    ("广州市天河区体育西路101号", False),
])
def test_vague_address(ruleset, platform, address, fires):
    o = order(platform, receiver={"phone": "13800000000", "address": address})
    assert ("vague_address" in fired(ruleset, o)) is fires


def test_vague_address_with_no_address_is_false(ruleset):
    assert "vague_address" not in fired(ruleset, order(receiver={"phone": "1"}))


def test_vague_address_sms_is_deduplicated_per_phone_per_day(ruleset):
    a = order(no="1", receiver={"phone": "13800000000", "address": "地铁站附近", "name": "李"})
    b = order(no="2", receiver={"phone": "13800000000", "address": "公园旁边", "name": "李"})
    da, db = ruleset.evaluate_batch([a, b], now=T0, history=MemoryHistory([a, b]))
    sms_a = next(x for x in da.actions if x.kind == "sms")
    sms_b = next(x for x in db.actions if x.kind == "sms")
    assert sms_a.params["phone"] == "13800000000"
    assert "地铁站附近" in sms_a.params["text"] and "李" in sms_a.params["text"]
    assert sms_a.idempotency_key == sms_b.idempotency_key  # one SMS per phone per day
    flag_a = next(x for x in da.actions if x.kind == "flag")
    flag_b = next(x for x in db.actions if x.kind == "flag")
    assert flag_a.idempotency_key != flag_b.idempotency_key  # but each order is flagged
    # the day is the order's, not the processing day's: evaluated after midnight, order a
    # still shares its day's SMS; an order placed the next day gets its own
    late = ruleset.evaluate(a, now=T0 + timedelta(days=1), history=MemoryHistory([a]))
    assert next(x for x in late.actions if x.kind == "sms").idempotency_key == \
        sms_a.idempotency_key
    c = order(no="3", created_at=a.created_at + timedelta(days=1),
              receiver={"phone": "13800000000", "address": "地铁站附近", "name": "李"})
    next_day = ruleset.evaluate(c, now=T0 + timedelta(days=1), history=MemoryHistory([c]))
    sms_next = next(x for x in next_day.actions if x.kind == "sms")
    assert sms_next.idempotency_key != sms_a.idempotency_key


def test_evaluating_again_gives_the_same_idempotency_keys(ruleset):
    o = order(refund={"status": "requested", "requested_at": T0 + timedelta(minutes=1)})
    first = ruleset.evaluate(o, now=T0, history=MemoryHistory([o]))
    again = ruleset.evaluate(o, now=T0 + timedelta(minutes=5), history=MemoryHistory([o]))
    assert [a.idempotency_key for a in first.actions] == [a.idempotency_key for a in again.actions]


def _same_phone(n: int, day: datetime, platform: str = "taobao") -> list[Order]:
    return [order(platform, no=f"{day:%d}-{i}", created_at=day + timedelta(hours=i),
                  receiver={"phone": "13900000000", "address": "人民路1号"}) for i in range(n)]


@pytest.mark.parametrize("platform", PLATFORMS)
@pytest.mark.parametrize(("today_count", "fires"), [(2, False), (3, True)])
def test_purchase_limit_two_versus_three_today(ruleset, platform, today_count, fires):
    today = datetime(2024, 6, 18, 1, 0, tzinfo=TZ)
    orders = _same_phone(today_count, today, platform)
    now = today + timedelta(hours=12)
    d = ruleset.evaluate(orders[-1], now=now, history=MemoryHistory(orders))
    assert ("purchase_limit" in {f.rule for f in d.fired}) is fires


def test_purchase_limit_does_not_count_yesterday_in_shop_timezone(ruleset):
    # 23:30 on the 17th in Shanghai is 15:30 UTC on the 17th; 00:30 on the 18th is 16:30 UTC
    # on the 17th: in UTC both are "the 17th", in the shop's timezone they are two days.
    yesterday = [order(no=f"y{i}", created_at=datetime(2024, 6, 17, 23, 30 + i, tzinfo=TZ),
                       receiver={"phone": "13900000000"}) for i in range(2)]
    today = [order(no=f"t{i}", created_at=datetime(2024, 6, 18, 0, 30 + i, tzinfo=TZ),
                   receiver={"phone": "13900000000"}) for i in range(2)]
    now = datetime(2024, 6, 18, 0, 45, tzinfo=TZ)
    d = ruleset.evaluate(today[-1], now=now, history=MemoryHistory(yesterday + today))
    assert "purchase_limit" not in {f.rule for f in d.fired}
    assert ruleset.explain("purchase_limit", today[-1], ruleset.context(
        now=now, history=MemoryHistory(yesterday + today))) == [
        "orders_today(receiver.phone) = 1, needs >= 2 → no"]


def test_purchase_limit_batch_makes_one_history_query(ruleset):
    class Counting(MemoryHistory):
        calls = 0

        def order_times_by_phone(self, phones, since, until):
            Counting.calls += 1
            return super().order_times_by_phone(phones, since, until)

    orders = [order(no=str(i), receiver={"phone": f"1380000{i:04d}"}) for i in range(50)]
    ctx = ruleset.context(now=T0 + timedelta(hours=1), history=Counting(orders))
    ruleset.evaluate_batch(orders, ctx)
    assert Counting.calls == 1


def test_orders_without_phone_never_hit_purchase_limit(ruleset):
    orders = [order(no=str(i), receiver={"address": "x"}) for i in range(5)]
    ds = ruleset.evaluate_batch(orders, now=T0, history=MemoryHistory(orders))
    assert not any(d.fired for d in ds)


def test_purchase_limit_judges_an_earlier_day_order_against_its_own_day(ruleset):
    """A dry-run a week later judges each order against the orders placed before it that day:
    only Monday's third is over the limit (not all three, and not Tuesday's)."""
    monday = [order(no=f"m{i}", created_at=datetime(2024, 6, 17, 9 + i, tzinfo=TZ))
              for i in range(3)]
    tuesday = order(no="t0", created_at=datetime(2024, 6, 18, 9, tzinfo=TZ))
    orders = [*monday[:2], tuesday]
    week_later = datetime(2024, 6, 24, 12, tzinfo=TZ)
    ds = ruleset.evaluate_batch([*monday, tuesday], now=week_later,
                                history=MemoryHistory([*monday, tuesday]))
    assert ["purchase_limit" in {f.rule for f in d.fired} for d in ds] == [False] * 2 + [
        True, False]
    # two that day: no hit, whatever came the next day
    ds = ruleset.evaluate_batch(orders, now=week_later, history=MemoryHistory(orders))
    assert not any(d.fired for d in ds)
    # up to the clock: at 10:30 on Monday only two of Monday's orders exist yet
    d = ruleset.evaluate(monday[1], now=datetime(2024, 6, 17, 10, 30, tzinfo=TZ),
                         history=MemoryHistory(monday))
    assert d.fired == []
