"""One contract suite over every HistorySource: the store (SQLite and PostgreSQL), the in-memory
history of dry runs, and the in-memory history over a store (a dry run's sample orders counted
together with the stored ones).  A rule such as "3 orders by this phone today" must count the
same whichever of them answers, so every test here runs against each.

The ``history`` fixture takes orders in the order they arrived (a later snapshot of an order
after the first) and returns the history holding them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from conftest import pg_schema_url
from pydantic_core import TzInfo

from orderhub.dsl.context import EvalContext, MemoryHistory
from orderhub.model import LineItem, Order, Receiver
from orderhub.store import OrderStore

SH = ZoneInfo("Asia/Shanghai")
T0 = datetime(2025, 11, 11, 9, 0, tzinfo=SH)
A, B, C = "13800000001", "13800000002", "13800000003"

MakeHistory = Callable[[Sequence[Order]], Any]


def order(no: str, phone: str, minutes: int, *, version: int = 0) -> Order:
    """An order created ``minutes`` after T0; ``version`` > 0 is a later snapshot of it."""
    created = T0 + timedelta(minutes=minutes)
    return Order(
        platform="taobao", platform_order_no=no, status="paid", created_at=created,
        paid_at=created + timedelta(minutes=1),
        modified_at=created + timedelta(minutes=2 + version),
        receiver=Receiver(name="李雷", phone=phone, province="上海市", city="上海市",
                          district="浦东新区", address=f"张江路{version + 1}号"),
        items=[LineItem(sku="HJ-TOWEL-001", title="毛巾", quantity=1, unit_price="9.90")],
        goods_total="9.90", payment="9.90",
    )


def _store_url(kind: str, tmp_path: Path) -> Iterator[str]:
    if kind == "sqlite":
        yield f"sqlite:///{tmp_path / 'orderhub.db'}"
    else:
        yield from pg_schema_url()


@pytest.fixture(params=[
    "memory", "store-sqlite", pytest.param("store-postgresql", marks=pytest.mark.postgres),
    "memory+store-sqlite",
    pytest.param("memory+store-postgresql", marks=pytest.mark.postgres),
])
def history(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[MakeHistory]:
    kind: str = request.param
    if kind == "memory":
        yield MemoryHistory
        return
    urls = _store_url(kind.rsplit("-", 1)[1], tmp_path)
    store = OrderStore.open(next(urls))

    def stored(orders: Sequence[Order]) -> Any:
        for o in orders:  # one upsert each: a later snapshot arrives after the first
            store.upsert([o])
        return store

    def half_and_half(orders: Sequence[Order]) -> Any:
        """The first half stored, the rest held in memory over the store (a dry run)."""
        half = len(orders) // 2
        return MemoryHistory(orders[half:], base=stored(orders[:half]))

    try:
        yield stored if kind.startswith("store") else half_and_half
    finally:
        store.engine.dispose()
        urls.close()


def test_counts_orders_per_phone_in_a_window(history: MakeHistory) -> None:
    h = history([order("1", A, 0), order("2", A, 30), order("3", B, 10), order("4", A, 600)])
    assert h.count_orders_by_phone([A, B, C], T0 - timedelta(hours=1), T0 + timedelta(hours=2)
                                   ) == {A: 2, B: 1, C: 0}


def test_since_is_inside_until_is_outside_and_no_until_is_open(history: MakeHistory) -> None:
    h = history([order("1", A, 0), order("2", A, 60), order("3", A, 120), order("4", A, 6000)])
    assert h.count_orders_by_phone([A], T0, T0 + timedelta(minutes=120)) == {A: 2}
    assert h.count_orders_by_phone([A], T0 + timedelta(minutes=60), None) == {A: 3}
    assert h.count_orders_by_phone([A], T0 + timedelta(minutes=1), T0 + timedelta(minutes=60)
                                   ) == {A: 0}


def test_a_later_snapshot_is_the_same_order_counted_once_under_its_latest_phone(
        history: MakeHistory) -> None:
    h = history([order("1", A, 0), order("2", A, 5), order("1", A, 0, version=1),
                 order("2", B, 5, version=1)])
    assert h.count_orders_by_phone([A, B], T0 - timedelta(hours=1), None) == {A: 1, B: 1}
    assert {p: len(ts) for p, ts in h.order_times_by_phone(
        [A, B], T0 - timedelta(hours=1), None).items()} == {A: 1, B: 1}
    assert {p: [o.platform_order_no for o in found] for p, found in h.orders_by_phone(
        [A, B], T0 - timedelta(hours=1), None).items()} == {A: ["1"], B: ["2"]}


def test_creation_times_per_phone(history: MakeHistory) -> None:
    h = history([order("1", A, 0), order("2", A, 30), order("3", B, 10), order("4", A, 600)])
    times = h.order_times_by_phone([A, B, C], T0, T0 + timedelta(hours=2))
    assert {p: sorted(ts) for p, ts in times.items()} == {
        A: [T0, T0 + timedelta(minutes=30)], B: [T0 + timedelta(minutes=10)], C: []}


def test_the_orders_themselves_per_phone(history: MakeHistory) -> None:
    h = history([order("1", A, 0), order("2", A, 30), order("3", B, 10), order("4", A, 600)])
    found = h.orders_by_phone([A, B, C], T0, T0 + timedelta(hours=2))
    assert {p: sorted(o.platform_order_no for o in os) for p, os in found.items()} == {
        A: ["1", "2"], B: ["3"], C: []}
    # the store hands out light records (store/records.py): they read like the orders stored
    assert all(o.receiver.phone == p for p, os in found.items() for o in os)
    kept = {o.platform_order_no: o for o in [order("1", A, 0), order("2", A, 30),
                                             order("3", B, 10)]}
    for o in (o for os in found.values() for o in os):
        want = kept[o.platform_order_no]
        for name in ("platform", "status", "created_at", "payment", "goods_total", "discount",
                     "post_fee", "shop_id", "receiver", "paid_at", "key", "item_count"):
            assert getattr(o, name) == getattr(want, name), name
        assert [(i.sku, i.quantity, i.title, i.unit_price, i.cold_chain) for i in o.items] == [
            (i.sku, i.quantity, i.title, i.unit_price, i.cold_chain) for i in want.items]


# A batch places each fetched order in each judged order's window by instant (dsl/context.py:
# the cache keeps UTC instants, the window's ends are brought to UTC): the judged orders' times
# may be in any zone, a fixed offset as parsed from JSON or a named zone, and a window's end
# may fall exactly on a stored instant (since inside, until outside).
ZONES = [UTC, timezone(timedelta(hours=8)), TzInfo(8 * 3600), SH, ZoneInfo("America/New_York"),
         TzInfo(-5 * 3600 - 30 * 60)]


def test_batch_windows_in_any_zone_place_orders_by_instant(history: MakeHistory) -> None:
    minutes = [0, 30, 61, 600]
    h = history([order(str(k), A, m) for k, m in enumerate(minutes)] + [order("9", B, 10)])
    stored = [T0 + timedelta(minutes=m) for m in minutes]
    ctx = EvalContext(now=T0 + timedelta(days=1), history=h)
    # one fetch for the whole batch (as RuleSet.prefetch asks), then every window from it
    assert ctx.prefetch_history("orders", {A: [(T0 - timedelta(days=1), None)]})
    assert ctx.prefetch_history("times", {A: [(T0 - timedelta(days=1), None)]})
    spans = [(-1, 30), (0, 30), (0, 31), (1, 61), (30, 62), (61, 600), (-1, None), (61, None),
             (601, None), (5, 6)]
    for zone in ZONES:
        for lo, hi in spans:
            since = (T0 + timedelta(minutes=lo)).astimezone(zone)
            until = None if hi is None else (T0 + timedelta(minutes=hi)).astimezone(zone)
            want = [t for t in stored if t >= since and (until is None or t < until)]
            found = ctx.earlier_orders(A, since, until)
            assert [o.created_at for o in found] == want, (zone, lo, hi)
            assert ctx.count_orders_by_phone(A, since, until) == len(want), (zone, lo, hi)
    assert ctx.queries == 2  # every window answered from the batch's two fetches


def test_batch_windows_ending_in_a_repeated_hour_place_orders_by_instant(
        history: MakeHistory) -> None:
    """01:30 on 2 November 2025 happens twice in New York (EDT 05:30Z, then EST 06:30Z): a
    window ending at the second one holds an order of 06:00Z, one ending at the first does
    not, although both read 01:30 on the clock."""
    ny = ZoneInfo("America/New_York")
    at = datetime(2025, 11, 2, 6, 0, tzinfo=UTC)
    h = history([order("1", A, int((at - T0).total_seconds() // 60))])
    ctx = EvalContext(now=T0, history=h)
    first = datetime(2025, 11, 2, 1, 30, tzinfo=ny)
    second = first.replace(fold=1)
    since = datetime(2025, 11, 1, tzinfo=ny)
    assert ctx.count_orders_by_phone(A, since, second) == 1
    assert ctx.count_orders_by_phone(A, since, first) == 0
    assert [o.created_at for o in ctx.earlier_orders(A, since, second)] == [at]
    assert ctx.earlier_orders(A, since, first) == []
    assert ctx.earlier_orders(A, first, second) != []


def test_a_window_from_the_first_instant_a_datetime_holds() -> None:
    """A window reaching before year 1 starts at datetime.min in its own zone, which UTC
    cannot hold: it is still placed exactly."""
    h = MemoryHistory([order("1", A, 0), order("2", A, 30)])
    ctx = EvalContext(now=T0, history=h)
    start = datetime.min.replace(tzinfo=timezone(timedelta(hours=8)))
    assert ctx.count_orders_by_phone(A, start, T0 + timedelta(minutes=30)) == 1
    assert [o.platform_order_no for o in ctx.earlier_orders(A, start, None)] == ["1", "2"]
