"""Rule-engine figures: compile time of 100 rules, per-order latency of a 50-rule set, and
history aggregates with filters over stored orders.

    .venv/bin/python bench/rules.py [--orders 5000] [--stored 20000] [--batch 500]
    .venv/bin/python bench/rules.py --stored 1000000      # the full-size store (minutes to fill)
    .venv/bin/python bench/rules.py --stored 1000000 --store-file /tmp/h1m.db  # filled once, reused

Prints: grammar build (once per process), parse+check+compile of 100 rules, and for 50 rules
over normalized Order objects the per-order latency (median, p99) of (a) the generated matcher
alone and (b) ``RuleSet.evaluate`` with planned actions and explanations.  Then the shipped
rules (``rules/`` at the repository root) over the bundled examples and synthetic orders of the
four platforms (``--shipped`` orders in all, read as a dry-run reads them): orders/s and
µs/order of the matcher alone and of the full decision path, ``evaluate_batch`` with actions
(rendered texts, idempotency keys), with explanations read (as dry-run prints them), built but
never read (they are made on first read), and turned off (the service).  Then, over a SQLite
store of ``--stored`` orders (about five per receiver phone over 30 days, with the
(receiver_phone, created_at) index), the per-order cost of ``evaluate_batch`` for batches of
``--batch`` new orders judged by history rules with filters (units of one SKU in the last two
hours, JD orders of 500 yuan or more this week, orders in the last day): the one query per
batch, reading the earlier orders and evaluating, divided by the batch size; wall clock (median
and best of the batches) and CPU time (median: what the process itself spent, on a machine
shared with other work), and a digest of the decisions (which rules fired on which order), the
same for every engine version on the same store.
"""

from __future__ import annotations

import argparse
import hashlib
import random
import statistics
import time
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from figures import percentile

from orderhub.dsl import MemoryHistory
from orderhub.dsl.parser import _lark
from orderhub.engine.ruleset import load_rules_text
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


def read_why(decisions: list[Any]) -> None:
    """Read every fired rule's explanation, as dry-run does (it is built on first read)."""
    for d in decisions:
        for f in d.fired:
            f.why  # noqa: B018 - reading it is the point


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--orders", type=int, default=5000)
    ap.add_argument("--stored", type=int, default=20000,
                    help="stored orders for the history benchmark (1000000 for the full size)")
    ap.add_argument("--batch", type=int, default=500, help="orders per evaluation batch")
    ap.add_argument("--store-file", default=None,
                    help="keep the history store in this SQLite file and reuse it when it holds "
                         "--stored orders already (filling a million takes minutes)")
    ap.add_argument("--shipped", type=int, default=6000,
                    help="orders judged by the shipped rules (examples and synthetic orders)")
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
          f"p99 {percentile(lat, 99):.1f} µs per order")
    lat = []
    fired = 0
    for o in orders:
        t = time.perf_counter_ns()
        d = rs.evaluate(o, ctx)
        read_why([d])
        lat.append((time.perf_counter_ns() - t) / 1e3)
        fired += len(d.fired)
    print(f"50 rules, evaluate() with actions and why: median {statistics.median(lat):.1f} µs, "
          f"p99 {percentile(lat, 99):.1f} µs per order "
          f"({fired / len(orders):.2f} rules fired/order)")
    t = time.perf_counter()
    decisions = rs.evaluate_batch(orders, rs.context(now=now, history=MemoryHistory(orders)))
    read_why(decisions)
    total = time.perf_counter() - t
    print(f"50 rules, evaluate_batch of {len(orders)}: {total * 1e3:.0f} ms "
          f"({total / len(orders) * 1e6:.1f} µs/order, {len(decisions)} decisions)")
    if args.shipped:
        bench_shipped(args.shipped)
    if args.stored:
        bench_history(args.stored, args.batch, args.store_file)


def _golden_support() -> Any:
    """tests/rules_golden_support.py: the examples and synthetic orders the shipped rules are
    checked on (the same orders, so the figures are of decisions the tests compare)."""
    import importlib.util
    import sys
    from pathlib import Path

    path = Path(__file__).resolve().parent.parent / "tests" / "rules_golden_support.py"
    spec = importlib.util.spec_from_file_location("rules_golden_support", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["rules_golden_support"] = module
    spec.loader.exec_module(module)
    return module


def bench_shipped(n: int, rounds: int = 5) -> None:
    """The shipped rules: the matcher, and evaluate_batch with actions (and explanations)."""
    import tempfile
    from pathlib import Path

    support = _golden_support()
    with tempfile.TemporaryDirectory() as tmp:
        base = support.example_orders(Path(tmp))
    orders = (base * (n // len(base) + 1))[:n]
    rs, now = support.rulesets()["shipped"]
    history = MemoryHistory(base)

    def best(run: Any) -> float:
        times = []
        for _ in range(rounds):
            ctx = rs.context(now=now, history=history)
            t = time.perf_counter()
            run(ctx)
            times.append(time.perf_counter() - t)
        return statistics.median(times) / len(orders)

    def matcher_only(ctx: Any) -> None:
        rs.prefetch(orders, ctx, range(len(rs)))
        match = rs.matcher(now)
        for o in orders:
            match(o, ctx)

    fired = sum(len(d.fired) for d in rs.evaluate_batch(orders, rs.context(
        now=now, history=history)))
    rows = [("matcher (with the batch's history fetch)", best(matcher_only)),
            ("evaluate_batch, actions + why (read)",
             best(lambda c: read_why(rs.evaluate_batch(orders, c)))),
            ("evaluate_batch, actions, why not read",
             best(lambda c: rs.evaluate_batch(orders, c))),
            ("evaluate_batch, actions, explain=False",
             best(lambda c: rs.evaluate_batch(orders, c, explain=False)))]
    print(f"shipped rules ({len(rs)}), {len(orders)} orders ({fired / len(orders):.3f} rules "
          f"fired/order), median of {rounds}:")
    for label, per in rows:
        print(f"  {label:42} {per * 1e6:7.1f} µs/order {1 / per:9,.0f} orders/s "
              f"({per / rows[0][1]:.1f}x the matcher)")


HISTORY_RULES = """\
rule sku_limit "两小时内X最多2件"
  when (sum o in earlier_orders(receiver.phone, within=2h):
          sum i in o.items where i.sku == "X": i.quantity)
       + (sum i in items where i.sku == "X": i.quantity) > 2
  then hold waybill
end
rule jd_big_repeat "一周内京东大额复购"
  when (count o in earlier_orders(receiver.phone, within=7d) where o.platform == "jd":
          o.payment >= 500) >= 2
  then flag repeat
end
rule busy_phone "一天内多单"
  when orders_by_phone(receiver.phone, within=1d) >= 3
  then flag busy
end
"""


def fill_store(path: str, n: int) -> tuple[object, int, datetime]:
    """A SQLite store of ``n`` orders, ~5 per phone over 30 days (bulk insert, no events).
    A file that holds ``n`` orders already is reused as it is (the same seeded orders)."""
    import json

    from sqlalchemy import func, select

    from orderhub.store import OrderStore
    from orderhub.store.schema import orders as orders_table

    store = OrderStore.open(f"sqlite:///{path}")
    phones = max(1, n // 5)
    rnd = random.Random(11)
    start = datetime(2024, 11, 12, tzinfo=TZ)
    with store.engine.connect() as conn:
        held = conn.execute(select(func.count()).select_from(orders_table)).scalar_one()
    if held == n:
        return store, phones, start + timedelta(days=30)
    if held:
        raise SystemExit(f"{path} holds {held} orders, not {n}: remove it or pick another file")
    now = datetime.now(TZ)
    rows = []
    with store.engine.begin() as conn:
        for i in range(n):
            created = start + timedelta(seconds=rnd.randrange(30 * 86400))
            platform = rnd.choice(["taobao", "jd", "pdd", "douyin"])
            phone = f"139{i % phones:08d}"
            sku = "X" if rnd.random() < 0.3 else f"S{rnd.randrange(50)}"
            payment = Decimal(rnd.randint(10, 2000))
            doc = {"platform": platform, "platform_order_no": f"H{i}", "status": "paid",
                   "created_at": created.isoformat(), "payment": str(payment),
                   "goods_total": str(payment),
                   "receiver": {"name": "张三", "phone": phone, "province": "浙江省"},
                   "items": [{"title": sku, "sku": sku, "quantity": rnd.randint(1, 2)}]}
            rows.append({"id": f"{i:026d}", "platform": platform, "shop_id": "default",
                         "platform_order_no": f"H{i}", "status": "paid",
                         "timezone": "Asia/Shanghai", "created_at": created,
                         "receiver_phone": phone, "goods_total": payment, "discount": Decimal(0),
                         "post_fee": Decimal(0), "payment": payment,
                         "doc": json.dumps(doc, ensure_ascii=False), "content_hash": "x",
                         "version": 1, "ingested_at": now, "updated_at": now})
            if len(rows) == 20000:
                conn.execute(orders_table.insert(), rows)
                rows = []
        if rows:
            conn.execute(orders_table.insert(), rows)
    return store, phones, start + timedelta(days=30)


def bench_history(stored: int, batch: int, store_file: str | None = None,
                  rounds: int = 10) -> None:
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        store, phones, end = fill_store(store_file or str(Path(tmp) / "h.db"), stored)
        print(f"history: {stored} stored orders ({phones} phones) written or reopened in "
              f"{time.perf_counter() - t:.1f} s")
        rs = load_rules_text(HISTORY_RULES, "history.rules")
        rnd = random.Random(5)
        per_order, cpu, queries, fired = [], [], 0, 0
        digest = hashlib.sha256()
        for r in range(rounds):
            new = [Order(platform=rnd.choice(["taobao", "jd"]), platform_order_no=f"N{r}-{k}",
                         status="paid", created_at=end + timedelta(seconds=r * batch + k),
                         payment=Decimal(rnd.randint(10, 2000)),
                         receiver={"name": "李四", "phone": f"139{rnd.randrange(phones):08d}"},
                         items=[{"title": "X", "sku": "X", "quantity": 1}])
                   for k in range(batch)]
            ctx = rs.context(now=end + timedelta(hours=1), history=store)  # type: ignore[arg-type]
            t, c = time.perf_counter(), time.process_time()
            decisions = rs.evaluate_batch(new, ctx, explain=False)
            per_order.append((time.perf_counter() - t) / batch * 1e6)
            cpu.append((time.process_time() - c) / batch * 1e6)
            queries += ctx.queries
            fired += sum(len(d.fired) for d in decisions)
            for d in decisions:
                digest.update(f"{d.platform_order_no}:{','.join(f.rule for f in d.fired)};"
                              .encode())
        print(f"history aggregates with filters, SQLite, {stored} stored: "
              f"median {statistics.median(per_order):.1f} µs per order in batches of {batch} "
              f"(best {min(per_order):.1f}; CPU median {statistics.median(cpu):.1f}; "
              f"{queries / rounds:.0f} queries per batch, "
              f"{fired / (rounds * batch):.2f} rules fired/order; decisions "
              f"{digest.hexdigest()[:12]}: the same on every run of the same --stored and "
              f"--batch, whatever changed in the engine)")
        store.engine.dispose()  # type: ignore[attr-defined]


if __name__ == "__main__":
    main()
