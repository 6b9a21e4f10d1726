"""The stock ledger: every change to on-hand or reserved stock is a row with its cause, and the
levels move with it.  Releases and shipments run in the caller's transaction and happen once
(SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, func, select

from orderhub.engine.routing.ledger import (
    entries,
    open_reservations,
    release_order,
    reserve_routes,
    ship_units,
    stock_ledger,
)
from orderhub.engine.routing.runtime import RouteResult
from orderhub.engine.routing.stock import RoutingStore
from orderhub.store import connect

NOW = datetime(2025, 11, 11, 2, 0, tzinfo=UTC)
ORDER = "01JCZ8V0000000000000000001"
OTHER = "01JCZ8V0000000000000000002"


@pytest.fixture
def engine(db_url: str) -> Engine:
    engine = connect(db_url)
    RoutingStore(engine).put_stock([("SH", "MUG", 10, 0), ("SH", "TEA", 5, 0),
                                    ("WH", "MUG", 8, 0)], now=NOW)
    yield engine
    engine.dispose()


def _route(order_id: str, *reserved: tuple[str, str, int]) -> RouteResult:
    return RouteResult(order_id=order_id, order=f"taobao:{order_id[-4:]}", flow="routing",
                       version="v1", warehouse=reserved[0][0], reserved=list(reserved))


def _levels(engine: Engine) -> dict[tuple[str, str], tuple[int, int]]:
    return {(w, s): (n, r) for w, s, n, r in RoutingStore(engine).load_stock().rows()}


def _reserve(engine: Engine, *routes: RouteResult) -> None:
    with engine.begin() as conn:
        reserve_routes(conn, routes, now=NOW)


def test_routing_reservations_are_ledger_rows_per_order(engine: Engine) -> None:
    _reserve(engine, _route(ORDER, ("SH", "MUG", 2), ("SH", "TEA", 1), ("SH", "MUG", 1)),
             _route(OTHER, ("SH", "MUG", 4)))
    assert _levels(engine)[("SH", "MUG")] == (10, 7)
    with engine.connect() as conn:
        assert open_reservations(conn, ORDER) == {("SH", "MUG"): 3, ("SH", "TEA"): 1}
        rows = [(e.kind, e.warehouse, e.sku, e.reserved, e.order_id, e.cause)
                for e in entries(conn, order_id=ORDER)]
    assert rows == [("reserve", "SH", "MUG", 2, ORDER, "flow routing v1"),
                    ("reserve", "SH", "TEA", 1, ORDER, "flow routing v1"),
                    ("reserve", "SH", "MUG", 1, ORDER, "flow routing v1")]


def test_release_order_drops_its_reservations_once(engine: Engine) -> None:
    _reserve(engine, _route(ORDER, ("SH", "MUG", 3), ("SH", "TEA", 1)),
             _route(OTHER, ("SH", "MUG", 4)))
    with engine.begin() as conn:
        assert release_order(conn, ORDER, "refund completed", now=NOW) == 4
    with engine.begin() as conn:
        assert release_order(conn, ORDER, "refund completed", now=NOW) == 0
    assert _levels(engine)[("SH", "MUG")] == (10, 4)  # the other order keeps its 4
    assert _levels(engine)[("SH", "TEA")] == (5, 0)
    with engine.connect() as conn:
        assert open_reservations(conn, ORDER) == {}
        kinds = [(e.kind, e.reserved, e.cause) for e in entries(conn, order_id=ORDER)]
    assert kinds[-2:] == [("release", -3, "refund completed"), ("release", -1, "refund completed")]


def test_release_rolls_back_with_the_callers_transaction(engine: Engine) -> None:
    _reserve(engine, _route(ORDER, ("SH", "MUG", 3)))
    with pytest.raises(RuntimeError), engine.begin() as conn:
        release_order(conn, ORDER, "cancelled")
        raise RuntimeError("the cancellation failed after the release")
    assert _levels(engine)[("SH", "MUG")] == (10, 3)
    with engine.connect() as conn:
        assert open_reservations(conn, ORDER) == {("SH", "MUG"): 3}


def test_ship_units_takes_units_off_hand_once_per_shipment(engine: Engine) -> None:
    _reserve(engine, _route(ORDER, ("SH", "MUG", 3), ("SH", "TEA", 1)))
    for _ in range(2):  # a retried scan
        with engine.begin() as conn:
            ship_units(conn, ORDER, "SH", [("MUG", 2)], "SF1234567890", actor="小王", now=NOW)
    assert _levels(engine)[("SH", "MUG")] == (8, 1)
    with engine.begin() as conn:  # the rest of a split shipment, later
        ship_units(conn, ORDER, "SH", [("MUG", 1), ("TEA", 1)], "SF1234567891", now=NOW)
    assert _levels(engine)[("SH", "MUG")] == (7, 0)
    assert _levels(engine)[("SH", "TEA")] == (4, 0)
    with engine.connect() as conn:
        assert open_reservations(conn, ORDER) == {}
        ships = [(e.sku, e.on_hand, e.reserved, e.cause, e.actor)
                 for e in entries(conn, order_id=ORDER) if e.kind == "ship"]
    assert ships == [("MUG", -2, -2, "SF1234567890", "小王"),
                     ("MUG", -1, -1, "SF1234567891", None),
                     ("TEA", -1, -1, "SF1234567891", None)]
    with engine.begin() as conn:  # a refund after shipping has nothing left to release
        assert release_order(conn, ORDER, "refund completed") == 0


def test_shipping_from_another_warehouse_releases_the_routed_reservation(engine: Engine) -> None:
    _reserve(engine, _route(ORDER, ("SH", "MUG", 2)))
    with engine.begin() as conn:
        ship_units(conn, ORDER, "WH", [("MUG", 2)], "JD0001", now=NOW)
    assert _levels(engine)[("SH", "MUG")] == (10, 0)
    assert _levels(engine)[("WH", "MUG")] == (6, 0)


def test_a_duplicate_shipment_row_is_refused_by_the_database(engine: Engine) -> None:
    from sqlalchemy.exc import IntegrityError

    from orderhub.engine.routing.ledger import post

    with engine.begin() as conn:
        post(conn, [("SH", "MUG", "ship", -1, 0, ORDER, "SF1", None)], now=NOW)
    with pytest.raises(IntegrityError), engine.begin() as conn:
        post(conn, [("SH", "MUG", "ship", -1, 0, ORDER, "SF1", None)], now=NOW)
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(stock_ledger)
                            .where(stock_ledger.c.kind == "ship")).scalar() == 1
    assert _levels(engine)[("SH", "MUG")] == (9, 0)


def test_an_import_and_an_adjustment_are_ledger_rows_with_their_cause(engine: Engine,
                                                                      tmp_path) -> None:  # type: ignore[no-untyped-def]
    from orderhub.engine.routing.ledger import StockChangeError, adjust

    _reserve(engine, _route(ORDER, ("SH", "MUG", 3)))
    counted = tmp_path / "盘点.csv"
    counted.write_text("仓库,商家编码,库存,占用\nSH,MUG,6,0\nWH,MUG,8,0\nBJ,MUG,1,9\n",
                       encoding="gb18030")
    done = RoutingStore(engine).import_stock(counted, ["SH", "WH", "BJ"], actor="王芳", now=NOW)
    assert (done.imported, done.changed, done.reserved_ignored) == (3, 2, True)
    assert _levels(engine)[("SH", "MUG")] == (6, 3)  # the order's reservation stands
    assert _levels(engine)[("BJ", "MUG")] == (1, 0)  # the file's 占用 is not imported
    with engine.begin() as conn:
        made = adjust(conn, "SH", "MUG", -2, reason="破损", actor="小李", now=NOW)
    assert (made.before, made.after, made.reserved) == (6, 4, 3)
    with pytest.raises(StockChangeError, match="cannot take 5 off SH MUG: only 4 on hand"), \
            engine.begin() as conn:
        adjust(conn, "SH", "MUG", -5, reason="盘亏", actor="小李")
    with pytest.raises(StockChangeError, match="needs a reason"), engine.begin() as conn:
        adjust(conn, "SH", "MUG", 1, reason=" ", actor="小李")
    with engine.connect() as conn:
        rows = [(e.kind, e.on_hand, e.cause, e.actor)
                for e in entries(conn, warehouse="SH", sku="MUG")]
    assert rows == [("import", 10, None, None), ("reserve", 0, "flow routing v1", "routing"),
                    ("import", -4, str(counted), "王芳"), ("adjust", -2, "破损", "小李")]
