"""The first parcel of each shipped order, kept by the database's triggers (``kpi_0002``):
whoever writes the shipments (fulfilment, the scan pages, a bulk load), pay-to-ship reads
the earliest parcel, with the order's current payment time."""

from __future__ import annotations

import importlib.util
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from sqlalchemy import delete, insert, select, update

from orderhub.fulfilment.schema import shipments
from orderhub.kpi.config import KpiConfig
from orderhub.kpi.metrics import compute
from orderhub.kpi.periods import parse_period
from orderhub.kpi.schema import first_parcels
from orderhub.store import OrderStore
from orderhub.store.schema import orders

_spec = importlib.util.spec_from_file_location("kpi_support", Path(__file__).with_name(
    "kpi_support.py"))
support = importlib.util.module_from_spec(_spec)  # type: ignore[arg-type]
sys.modules.setdefault("kpi_support", support)
_spec.loader.exec_module(support)  # type: ignore[union-attr]

CST = timezone(timedelta(hours=8))


def _facts(engine: Any) -> dict[str, tuple[Any, ...]]:
    with engine.connect() as conn:
        rows = conn.execute(select(first_parcels.c.order_id, first_parcels.c.shipped_at,
                                   first_parcels.c.warehouse, first_parcels.c.person,
                                   first_parcels.c.platform, first_parcels.c.paid_at))
        return {r[0]: tuple(r[1:]) for r in rows}


def _parcel(sid: str, oid: str, at: datetime, wh: str, who: str) -> dict[str, Any]:
    return {"id": sid, "order_id": oid, "warehouse": wh, "carrier": "SF",
            "tracking_no": f"SF{sid}", "shipped_at": at, "shipped_by": who}


def test_the_earliest_parcel_wins_whatever_order_they_arrive_in(db_url: str) -> None:
    store = OrderStore.open(db_url)
    support.seed_week(store.engine)
    facts = _facts(store.engine)
    # O7 shipped twice: carol's parcel on the 27th is its first, alice's on the 28th is not
    assert facts["O7"][1:3] == ("GZ", "carol")
    assert set(facts) == {"O1", "O2", "O3", "O4", "O5", "O6", "O7"}  # O8 never shipped
    earlier = support.t("11-27 11:00")
    with store.engine.begin() as conn:  # a parcel recorded late, that left earlier
        conn.execute(insert(shipments).values(_parcel("LATE", "O7", earlier, "SH", "dave")))
        conn.execute(insert(shipments).values(_parcel("LATER", "O7", earlier + timedelta(
            days=3), "BJ", "erin")))
    assert _facts(store.engine)["O7"][:3] == (earlier.astimezone(CST), "SH", "dave")
    store.engine.dispose()


def test_a_changed_payment_time_moves_pay_to_ship(db_url: str) -> None:
    store = OrderStore.open(db_url)
    support.seed_week(store.engine)
    paid = support.t("11-24 06:00")  # O1 shipped 11-24 08:00: 2 hours, not 22
    with store.engine.begin() as conn:
        conn.execute(update(orders).where(orders.c.id == "O1").values(paid_at=paid))
    assert _facts(store.engine)["O1"][4] == paid
    result = compute(store.engine, parse_period("2026-11-24", "Asia/Shanghai"),
                     kpi=KpiConfig(ship_deadline_hours=support.DEADLINES), now=support.NOW)
    assert result["totals"]["pay_to_ship"]["median_hours"] == 7.0  # O1 2 h, O3 12 h
    store.engine.dispose()


def test_the_migration_backfills_parcels_stored_before_it(db_url: str) -> None:
    from orderhub.store.migrations.versions.kpi_0002_first_parcels import BACKFILL

    store = OrderStore.open(db_url)
    support.seed_week(store.engine)
    before = _facts(store.engine)
    with store.engine.begin() as conn:
        conn.execute(delete(first_parcels))
        conn.exec_driver_sql(BACKFILL)
    assert _facts(store.engine) == before
    store.engine.dispose()
