"""The order store, on SQLite and PostgreSQL: dedup, updates, the event log, history counts."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import TypeVar
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Connection, text

from orderhub.errors import NotFound, StoreError
from orderhub.model import (
    LineItem,
    Order,
    OrderStatus,
    Platform,
    Receiver,
    Refund,
    RefundStatus,
)
from orderhub.store import OrderStore, Reject

SH = ZoneInfo("Asia/Shanghai")
_R = TypeVar("_R")
T0 = datetime(2025, 11, 11, 9, 0, tzinfo=SH)


def make(no: str, *, minutes: int = 0, status: str = "paid", phone: str = "13800000001",
         **extra: object) -> Order:
    return Order(
        platform="taobao", platform_order_no=no, status=status, created_at=T0,
        paid_at=T0 + timedelta(minutes=1), modified_at=T0 + timedelta(minutes=minutes),
        receiver=Receiver(name="李雷", phone=phone, province="上海市", city="上海市",
                          district="浦东新区", address="张江路1号"),
        items=[LineItem(sku="HJ-TOWEL-001", title="毛巾", quantity=2, unit_price="9.90")],
        goods_total="19.80", payment="19.80", **extra,
    )


def test_dedup_and_unchanged_reingest(store: OrderStore) -> None:
    first = store.upsert([make("1001"), make("1002")])
    assert (first.new, first.updated, first.unchanged) == (2, 0, 0)
    again = store.upsert([make("1001"), make("1002")])
    assert (again.new, again.updated, again.unchanged, again.events) == (0, 0, 2, 0)
    assert store.count() == 2
    assert again.ids == first.ids


def test_newer_version_updates_and_appends_events(store: OrderStore) -> None:
    store.upsert([make("2001")])
    shipped = make("2001", minutes=60, status="shipped", tracking_no="SF1234567890")
    result = store.upsert([shipped])
    assert (result.new, result.updated) == (0, 1)
    order = store.get("taobao:2001")
    assert order.status == OrderStatus.shipped and order.tracking_no == "SF1234567890"
    types = [e.type for e in store.events(order.id)]
    assert types == ["created", "paid", "status_changed", "shipped", "tracking_updated"]


def test_older_version_is_ignored(store: OrderStore) -> None:
    store.upsert([make("3001", minutes=60, status="shipped")])
    stale = store.upsert([make("3001", minutes=5, status="paid")])
    assert (stale.updated, stale.stale) == (0, 1)
    assert store.get("taobao:3001").status == OrderStatus.shipped


def test_refund_request_time_is_the_first_sighting(store: OrderStore) -> None:
    seen = T0 + timedelta(minutes=5)
    store.upsert([make("4001", minutes=5, status="refunding",
                       refund=Refund(status=RefundStatus.requested, requested_at=seen))])
    later = make("4001", minutes=90, status="refunding",
                 refund=Refund(status=RefundStatus.requested, requested_at=T0 + timedelta(hours=1)),
                 seller_memo="客服已联系")
    store.upsert([later])
    order = store.get("taobao:4001")
    assert order.refund is not None and order.refund.requested_at == seen
    assert order.seller_memo == "客服已联系"


def test_address_change_event_carries_before_and_after(store: OrderStore) -> None:
    store.upsert([make("5001")])
    moved = make("5001", minutes=30)
    moved.receiver.address = "张江路88号"
    store.upsert([moved])
    event = store.events(store.get("taobao:5001").id)[-1]
    assert event.type == "address_changed"
    assert event.data["changes"] == {"address": ["张江路1号", "张江路88号"]}


def test_values_survive_the_round_trip_exactly(store: OrderStore) -> None:
    order = make("6001", buyer_message="请周末送货，谢谢！")
    order.items[0].attributes = {"cold_chain": True, "weight_kg": 1.5}
    store.upsert([order])
    back = store.get("taobao:6001")
    assert back.payment == Decimal("19.80") and back.created_at == T0
    assert back.created_at.utcoffset() is not None
    assert back.items[0].attributes == {"cold_chain": True, "weight_kg": 1.5}
    assert back.buyer_message == "请周末送货，谢谢！"
    assert store.get(back.id or "").label == "taobao:6001"
    with pytest.raises(NotFound):
        store.get("taobao:nope")


def test_count_orders_by_phone_in_a_window(store: OrderStore) -> None:
    store.upsert([make("7001"), make("7002"), make("7003", phone="13900000000")])
    counts = store.count_orders_by_phone(["13800000001", "13900000000", "13700000000"],
                                         since=T0 - timedelta(hours=9))
    assert counts == {"13800000001": 2, "13900000000": 1, "13700000000": 0}
    assert store.count_orders_by_phone(["13800000001"], since=T0 + timedelta(hours=1)) == {
        "13800000001": 0}


def test_list_filters_and_rejects(store: OrderStore) -> None:
    store.upsert([make("8001"), make("8002", status="shipped", minutes=1)])
    assert [o.platform_order_no for o in store.list(status="shipped")] == ["8002"]
    store.add_rejects([Reject(reason="not an amount: 'abc'", file="a.json", record=3,
                              field="payment", platform_order_no="8003")])
    (reject,) = store.rejects()
    assert (reject.record, reject.field, reject.platform_order_no) == (3, "payment", "8003")


def test_dead_database_gives_a_clear_error() -> None:
    with pytest.raises(StoreError) as info:
        OrderStore.open("postgresql://nobody@127.0.0.1:1/nothing")
    assert "cannot open the database" in str(info.value)


@pytest.mark.postgres
def test_two_processes_ingesting_the_same_orders_leave_one_row_each(pg_url: str,
                                                                     tmp_path: Path) -> None:
    script = tmp_path / "ingest_same.py"
    script.write_text(textwrap.dedent(f"""
        import sys
        from datetime import datetime, timedelta
        from zoneinfo import ZoneInfo
        from orderhub.model import Order
        from orderhub.store import OrderStore
        t0 = datetime(2025, 11, 11, 9, tzinfo=ZoneInfo("Asia/Shanghai"))
        store = OrderStore.open({pg_url!r})
        orders = [Order(platform="jd", platform_order_no=str(30000 + i), status="paid",
                        created_at=t0, modified_at=t0) for i in range(3000)]
        for start in range(0, len(orders), 250):
            store.upsert(orders[start:start + 250])
    """), encoding="utf-8")
    OrderStore.open(pg_url)  # schema first, so both processes race only on the rows
    procs = [subprocess.Popen([sys.executable, str(script)]) for _ in range(2)]
    assert [p.wait(timeout=120) for p in procs] == [0, 0]
    store = OrderStore.open(pg_url)
    assert store.count() == 3000
    assert sum(1 for e in store.events() if e.type == "created") == 3000


@pytest.mark.postgres
def test_rows_another_writer_stored_first_are_left_to_it(pg_url: str) -> None:
    """New orders go to PostgreSQL by a direct COPY; when another writer has stored one of
    them since the lookup, the COPY's unique violation is rolled back to its savepoint and the
    rows go through the staging table's ON CONFLICT DO NOTHING: the others are stored, the
    taken one keeps the other writer's row, and the transaction goes on."""
    from orderhub.store import prepare
    from orderhub.store.bulk import copy_insert_ignore
    from orderhub.store.orders import ROW_COLUMNS, new_ids, stored_now
    from orderhub.store.schema import orders

    store = OrderStore.open(pg_url)
    store.upsert([make("2001")])
    (theirs,) = [o.id for o in store.list()]
    with store.engine.begin() as conn:
        at = stored_now(conn.dialect, T0)
        rows = [(order_id, *prepare(make(no, minutes=5), "postgresql").row[1:-3], 1, at, at)
                for order_id, no in zip(new_ids(3), ("2000", "2001", "2002"), strict=True)]
        got = copy_insert_ignore(conn, orders, ROW_COLUMNS, rows,
                                 ("platform", "platform_order_no"), "platform_order_no")
        assert sorted(got) == ["2000", "2002"]
        copy_insert_ignore(conn, orders, ROW_COLUMNS, [], ("platform", "platform_order_no"),
                           "platform_order_no")
    assert sorted(o.platform_order_no for o in store.list()) == ["2000", "2001", "2002"]
    assert store.get("taobao:2001").id == theirs


@pytest.mark.postgres
def test_lookups_read_only_the_orders_asked_for_whatever_the_statistics_say(
        pg_url: str) -> None:
    """A bulk ingest outruns PostgreSQL's statistics: a platform whose files came after the
    last ANALYZE looks rare to the planner, which then reads every stored order of that
    platform to find a batch's numbers, a cost that grows with each batch (1,000,000 orders
    took three times the COPY floor's server CPU).  Both lookups an ingest makes (the
    writer's locked one and the fingerprints) must read only the rows they ask for."""
    from orderhub.store.orders import _probes

    store = OrderStore.open(pg_url)
    store.upsert([make(str(9000 + i)).model_copy(update={"platform": Platform.jd})
                  for i in range(200)])
    with store.engine.begin() as conn:
        conn.exec_driver_sql("ANALYZE orders")  # the statistics know only jd
    for start in range(0, 3000, 500):
        store.upsert([make(str(50000 + i)) for i in range(start, start + 500)])
    asked = [str(50000 + i) for i in range(0, 3000, 300)] + ["404", "405"]

    count = text("SELECT seq_tup_read + coalesce(idx_tup_fetch, 0) FROM "
                 "pg_stat_xact_user_tables WHERE relid = 'orders'::regclass")

    def reading(conn: Connection, run: Callable[[], _R]) -> tuple[int, _R]:
        """What ``run`` returns, and how many rows of orders it read (this transaction's)."""
        before = conn.execute(count).scalar_one()
        out = run()
        return int(conn.execute(count).scalar_one() - before), out

    with store.engine.begin() as conn:
        read, locked = reading(conn, lambda: store._lookup(conn, "taobao", asked))
        assert read <= 10
        assert sorted(locked) == sorted(asked[:10])
        sql = _probes(conn, "platform_order_no, fingerprint", lock=False, driver=True)
        read, found = reading(conn, lambda: conn.exec_driver_sql(
            sql, {"p": "taobao", "n": asked}).fetchall())
        assert read <= 10
        assert len(found) == 10
    assert store.fingerprints("taobao", asked).keys() == set(asked[:10])
