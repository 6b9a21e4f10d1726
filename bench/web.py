"""Console latency: p50/p95 of the order search and the review queue over HTTP with 100,000
stored orders and 2,000 open tasks (half of them on held orders), on SQLite and PostgreSQL.
Prints figures; asserts nothing.

    python bench/web.py [--orders 100000] [--requests 300] [--pg postgresql+psycopg://...]

A real ``orderhub web`` process serves a workspace; one client signs in and searches by order
number, phone, receiver name and tracking number (each a hit), plus the empty search (the
newest orders), then opens the queue page (all, one queue, overdue only), and a cs user
opens it with the action forms on every row, whole and as the htmx refresh.  Times are
wall-clock per request, page rendering included.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import random
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from figures import p50_p95

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("web_support", ROOT / "tests" / "web_support.py")
sup = importlib.util.module_from_spec(_spec)  # type: ignore[arg-type]
_spec.loader.exec_module(sup)  # type: ignore[union-attr]

from orderhub.config import init_workspace  # noqa: E402
from orderhub.model import Order  # noqa: E402
from orderhub.store import OrderStore  # noqa: E402
from orderhub.web.users import UserStore  # noqa: E402

TASKS = 2000
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英"


def orders(n: int) -> list[Order]:
    rng = random.Random(7)
    base = datetime(2025, 11, 1, tzinfo=UTC)
    out = []
    for i in range(n):
        at = base + timedelta(seconds=i * 25)
        name = rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN)
        phone = f"1{rng.randint(3, 9)}{rng.randint(0, 10**9 - 1):09d}"
        out.append(Order.model_validate({
            "platform": ("taobao", "jd", "pdd", "douyin")[i % 4],
            "platform_order_no": f"{2600000000000 + i * 7919}",
            "status": "shipped" if i % 3 else "paid", "created_at": at, "paid_at": at,
            "modified_at": at, "tracking_no": f"SF{1400000000 + i}" if i % 3 else None,
            "receiver": {"name": name, "phone": phone,
                         "province": "浙江省", "city": "杭州市", "district": "西湖区",
                         "address": f"文三路{i % 500}号"},
            "payment": "99.00", "goods_total": "99.00",
            "items": [{"sku": f"SKU{i % 300}", "title": "商品", "quantity": 1,
                       "unit_price": "99.00"}],
        }))
    return out


def open_tasks(store: OrderStore, n: int) -> None:
    """``n`` open tasks on the newest orders, every other one with a hold."""
    from sqlalchemy import select

    from orderhub.fulfilment.holds import place
    from orderhub.fulfilment.stages import Actor
    from orderhub.fulfilment.tasks import open_on
    from orderhub.store.schema import orders as table

    rule = Actor("rule", "high_risk_refund")
    now = datetime.now(UTC)
    with store.engine.begin() as conn:
        ids = [r[0] for r in conn.execute(select(table.c.id).order_by(table.c.created_at.desc())
                                          .limit(n))]
        for i, order_id in enumerate(ids):
            open_on(conn, key=f"bench:{order_id}", order_id=order_id,
                    queue=("客服审核", "仓库", "采购")[i % 3], title=f"高风险退单 {order_id}",
                    actor=rule, now=now - timedelta(minutes=i % 90))
            if i % 2 == 0:
                place(conn, order_id, f"bench-hold:{order_id}", "risk_hold", "高风险退单", rule,
                      now)


def load(db_url: str, n: int) -> list[Order]:
    store = OrderStore.open(db_url)
    made = orders(n)
    started = time.perf_counter()
    for i in range(0, n, 5000):
        store.upsert(made[i:i + 5000])
    for role in ("viewer", "cs"):
        UserStore(store.engine).add(sup.USERS[role], role, sup.PASSWORD)
    print(f"  loaded {n} orders in {time.perf_counter() - started:.1f}s")
    open_tasks(store, TASKS)
    store.engine.dispose()
    return made


def measure(client: httpx.Client, path: str, params: list[dict[str, str]],
            htmx: bool = False) -> str:
    times = []
    headers = {"HX-Request": "true"} if htmx else {}
    for p in params:
        t = time.perf_counter()
        r = client.get(path, params=p, headers=headers)
        times.append((time.perf_counter() - t) * 1000)
        assert r.status_code == 200, r.text[:300]
    return p50_p95(times)


def run(label: str, db_url: str, n: int, requests: int) -> None:
    print(f"{label}:")
    made = load(db_url, n)
    rng = random.Random(1)
    sample = [rng.choice(made) for _ in range(requests)]
    queries = {
        "order number": [{"q": o.platform_order_no} for o in sample],
        "phone": [{"q": o.receiver.phone or ""} for o in sample],
        "receiver name": [{"q": o.receiver.name or ""} for o in sample],
        "tracking no.": [{"q": o.tracking_no or o.platform_order_no} for o in sample],
        "newest (empty)": [{"q": ""} for _ in sample[: max(20, requests // 5)]],
    }
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "ws"
        init_workspace(root, samples=False)
        with sup.console(root, db_url) as base:
            client, _ = sup.login(base, "viewer")
            client.get("/orders")  # warm up
            for kind, params in queries.items():
                print(f"  orders search, {kind:<15} {measure(client, '/orders', params)}")
            pages = max(40, requests // 2)
            for label, params in (("all", {}), ("cs queue", {"queue": "cs"}),
                                  ("overdue", {"overdue": "1"})):
                print(f"  queue page, {label:<18} "
                      f"{measure(client, '/queue', [params] * pages)}")
            # a cs user's page carries the claim/done/release forms on every row
            cs, _ = sup.login(base, "cs")
            cs.get("/queue")
            print(f"  queue page, {'all, as cs':<18} {measure(cs, '/queue', [{}] * pages)}")
            refresh = measure(cs, "/queue", [{}] * pages, True)
            print(f"  queue page, {'htmx refresh, cs':<18} {refresh}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--orders", type=int, default=100_000)
    ap.add_argument("--requests", type=int, default=300)
    ap.add_argument("--pg", default=os.environ.get(
        "ORDERHUB_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test"))
    args = ap.parse_args()
    print(f"load: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} (1 and 5 min, 2 cores)")
    with tempfile.TemporaryDirectory() as tmp:
        run("SQLite", f"sqlite:///{tmp}/orderhub.db", args.orders, args.requests)
    from pgschema import scratch_schema

    with scratch_schema(args.pg) as url:
        if url is not None:
            run("PostgreSQL", url, args.orders, args.requests)
    print(f"load: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} (1 and 5 min, 2 cores)")


if __name__ == "__main__":
    main()
