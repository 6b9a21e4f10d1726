"""The store's history records (store/records.py) read exactly like the orders stored: the
same values of the same types, field by field and line by line, for every example and
synthetic order the shipped rules are checked on."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from rules_golden_support import example_orders

from orderhub.model import Order
from orderhub.store import OrderStore
from orderhub.store.records import HistoryLine, HistoryOrder

ORDER_FIELDS = ("id", "platform", "status", "created_at", "platform_order_no", "shop_id",
                "payment", "goods_total", "discount", "post_fee", "receiver", "refund",
                "paid_at", "key", "label", "item_count", "buyer_message")
ZERO = timedelta()
LINE_FIELDS = ("sku", "quantity", "title", "unit_price", "attributes", "cold_chain")


def _typed(value: object) -> tuple[str, str, str]:
    tz = getattr(value, "tzinfo", None)
    return (type(value).__name__, repr(value), type(tz).__name__)


@pytest.fixture(scope="module")
def phoned(tmp_path_factory: pytest.TempPathFactory) -> list[Order]:
    """Every fifth of the example and synthetic orders with a phone, made once."""
    made = [o for o in example_orders(tmp_path_factory.mktemp("ex")) if o.receiver.phone]
    return made[::5]


def test_records_read_like_the_stored_orders(store: OrderStore, phoned: list[Order]) -> None:
    orders = phoned
    store.upsert(orders)
    phones = sorted({o.receiver.phone for o in orders if o.receiver.phone})
    found = store.orders_by_phone(phones, datetime(2000, 1, 1).astimezone(), None)
    records = [r for rs in found.values() for r in rs]
    assert records and all(isinstance(r, HistoryOrder) for r in records)
    for record in records:
        want = store.get(record.id)  # type: ignore[arg-type]
        assert isinstance(want, Order)
        for name in ORDER_FIELDS:
            assert _typed(getattr(record, name)) == _typed(getattr(want, name)), name
        assert len(record.items) == len(want.items)
        for line, want_line in zip(record.items, want.items, strict=True):
            assert isinstance(line, HistoryLine)
            for name in LINE_FIELDS:
                assert _typed(getattr(line, name)) == _typed(getattr(want_line, name)), name


def test_records_are_placed_by_the_stored_instant_read_as_the_column_reads_it(
        store: OrderStore, phoned: list[Order]) -> None:
    """A record's ``history_time`` is the row's ``created_at`` as the column type reads it (an
    aware UTC datetime, the same instant as the order's own time in its zone), and the one-call
    reader the fetch uses gives what the column type's result processor gives."""
    from sqlalchemy import select

    from orderhub.store.schema import UTCDateTime, orders

    store.upsert(phoned)
    phones = sorted({o.receiver.phone for o in phoned if o.receiver.phone})
    found = store.orders_by_phone(phones, datetime(2000, 1, 1).astimezone(), None)
    records = [r for rs in found.values() for r in rs]
    dialect = store.engine.dialect
    column = orders.c.created_at.type.dialect_impl(dialect)
    assert isinstance(column, UTCDateTime)
    with store.engine.connect() as conn:
        rows = dict(conn.execute(select(orders.c.id, orders.c.created_at)).all())
        raw = [r[0] for r in conn.exec_driver_sql(
            "SELECT created_at FROM orders").cursor.fetchall()]  # type: ignore[union-attr]
    assert len(records) == len(phoned)
    for record in records:
        assert record.history_time == rows[record.id] == record.created_at
        assert record.history_time.tzinfo is UTC and record.history_time.utcoffset() == ZERO
    read, reader = column.result_processor(dialect, None), column.reader(dialect)
    assert raw and all(
        (reader(v), reader(v).tzinfo) == ((read or (lambda x: x))(v), UTC) for v in raw)
