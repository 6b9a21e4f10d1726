"""Rule-engine figures: compile time of 100 rules, per-order latency of a 50-rule set.

    .venv/bin/python bench/rules.py [--orders 5000]

Prints: grammar build (once per process), parse+check+compile of 100 rules, and for 50 rules
over normalized Order objects the per-order latency (median, p99) of (a) the generated matcher
alone and (b) ``RuleSet.evaluate`` with planned actions and explanations.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from orderhub.dsl import MemoryHistory
from orderhub.dsl.parser import _lark
from orderhub.engine.rules import load_rules_text
from orderhub.model import Order

TZ = ZoneInfo("Asia/Shanghai")
PROVINCES = ["广东省", "浙江省", "江苏省", "上海市", "北京市", "四川省", "湖北省", "山东省"]
TEMPLATES = [
    'when refund.requested_at - created_at <= {m}m then hold waybill',
    'when receiver.address contains any ["附近", "旁边", "对面{i}"] then flag needs_confirmation',
    'when payment > {p} and receiver.province in ["{prov}", "{prov2}"] then flag big_{i}',
    'when any item in items: item.cold_chain and item.quantity >= {q} then '
    'task queue "冷链" title "{{{{ order.platform_order_no }}}} 冷链"',
    'when orders_today(receiver.phone) >= {q} then freeze shipment',
    'when platform == "pdd" and (sum item in items: item.quantity) > {q} then flag many_{i}',
    'when hour(created_at) >= 22 and payment >= {p} then notify wecom "夜间大单 {i}"',
    'when receiver.phone is null or receiver.name is null then flag incomplete_{i}',
]


def make_rules(n: int) -> str:
    rnd = random.Random(n)
    out = []
    for i in range(n):
        tpl = TEMPLATES[i % len(TEMPLATES)]
        body = tpl.format(i=i, m=rnd.randint(5, 30), p=rnd.randint(100, 3000),
                          prov=rnd.choice(PROVINCES), prov2=rnd.choice(PROVINCES),
                          q=rnd.randint(2, 5))
        out.append(f'rule r{i} "规则{i}" priority {i}\n  {body}\nend\n')
    return "\n".join(out)


def make_orders(n: int) -> list[Order]:
    rnd = random.Random(7)
    start = datetime(2024, 6, 18, tzinfo=TZ)
    orders = []
    for i in range(n):
        created = start + timedelta(seconds=rnd.randrange(86400))
        refund = None
        if rnd.random() < 0.05:
            refund = {"status": "requested",
                      "requested_at": created + timedelta(seconds=rnd.randrange(1800))}
        orders.append(Order(
            platform=rnd.choice(["taobao", "jd", "pdd", "douyin"]), platform_order_no=str(i),
            status="paid", created_at=created, payment=Decimal(rnd.randint(10, 5000)),
            receiver={"name": "张三", "phone": f"138{rnd.randrange(2000):08d}",
                      "province": rnd.choice(PROVINCES),
                      "address": "人民路地铁站附近" if rnd.random() < 0.03 else "人民路1号"},
            items=[{"title": "x", "quantity": rnd.randint(1, 3),
                    "attributes": {"cold_chain": rnd.random() < 0.1}}
                   for _ in range(rnd.randint(1, 3))],
            refund=refund))
    return orders


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * p))]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--orders", type=int, default=5000)
    args = ap.parse_args()

    t = time.perf_counter()
    _lark()
    print(f"grammar (LALR tables), once per process: {(time.perf_counter() - t) * 1e3:.1f} ms")

    text100 = make_rules(100)
    times = []
    for _ in range(5):
        t = time.perf_counter()
        rs100 = load_rules_text(text100, "bench100.rules")
        rs100.matcher(datetime.now(TZ))
        times.append(time.perf_counter() - t)
    print(f"100 rules: parse + check + compile: best {min(times) * 1e3:.1f} ms, "
          f"median {statistics.median(times) * 1e3:.1f} ms")

    rs = load_rules_text(make_rules(50), "bench50.rules")
    orders = make_orders(args.orders)
    now = datetime(2024, 6, 18, 23, 59, tzinfo=TZ)
    ctx = rs.context(now=now, history=MemoryHistory(orders))
    rs.prefetch(orders, ctx, range(len(rs)))
    match = rs.matcher(now)
    lat = []
    for o in orders:
        t = time.perf_counter_ns()
        match(o, ctx)
        lat.append((time.perf_counter_ns() - t) / 1e3)
    print(f"50 rules, matcher only, {len(orders)} orders: median {statistics.median(lat):.1f} µs, "
          f"p99 {pct(lat, 0.99):.1f} µs per order")
    lat = []
    fired = 0
    for o in orders:
        t = time.perf_counter_ns()
        d = rs.evaluate(o, ctx)
        lat.append((time.perf_counter_ns() - t) / 1e3)
        fired += len(d.fired)
    print(f"50 rules, evaluate() with actions and why: median {statistics.median(lat):.1f} µs, "
          f"p99 {pct(lat, 0.99):.1f} µs per order ({fired / len(orders):.2f} rules fired/order)")
    t = time.perf_counter()
    decisions = rs.evaluate_batch(orders, rs.context(now=now, history=MemoryHistory(orders)))
    total = time.perf_counter() - t
    print(f"50 rules, evaluate_batch of {len(orders)}: {total * 1e3:.0f} ms "
          f"({total / len(orders) * 1e6:.1f} µs/order, {len(decisions)} decisions)")


if __name__ == "__main__":
    main()
