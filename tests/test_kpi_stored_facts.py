"""Facts the KPIs read as stored, not worked out per run (``kpi_0003``): each first parcel's
seconds from payment, and each task's first human action.  Database triggers keep them, so
they stay exact whoever writes (a parcel that left earlier, a changed payment time, an order
stored after its parcels, audit entries in any order), and the migration fills them for the
rows stored before it."""

from __future__ import annotations

import importlib.util
import sys
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import insert, inspect, select, update

from orderhub.fulfilment.schema import audit_log, shipments
from orderhub.kpi.config import KpiConfig
from orderhub.kpi.metrics import compute
from orderhub.kpi.periods import parse_period
from orderhub.kpi.schema import first_parcels, task_responses
from orderhub.store import OrderStore, db
from orderhub.store.schema import orders

_spec = importlib.util.spec_from_file_location("kpi_support", Path(__file__).with_name(
    "kpi_support.py"))
support = importlib.util.module_from_spec(_spec)  # type: ignore[arg-type]
sys.modules.setdefault("kpi_support", support)
_spec.loader.exec_module(support)  # type: ignore[union-attr]

t = support.t
H = 3600.0
#: payment to first parcel in the seeded week (kpi_support: O7's first parcel is carol's)
PAY_SECONDS = {"O1": 22 * H, "O2": 54 * H, "O3": 12 * H, "O4": 24 * H, "O5": 1 * H,
               "O6": 4 * H + 600, "O7": 4 * H}
#: each task's first action in the seeded week (task 4 was never answered)
RESPONSES = {"1": (t("11-23 09:20"), "dave"), "2": (t("11-26 00:40"), "erin"),
             "3": (t("11-26 10:45"), "dave"), "5": (t("11-22 10:05"), "erin")}


def _pay_seconds(engine: Any) -> dict[str, float | None]:
    with engine.connect() as conn:
        return dict(conn.execute(select(first_parcels.c.order_id,
                                        first_parcels.c.pay_seconds)).all())


def _responses(engine: Any) -> dict[str, tuple[datetime, str]]:
    with engine.connect() as conn:
        return {r[0]: (r[1], r[2]) for r in conn.execute(select(
            task_responses.c.target, task_responses.c.at, task_responses.c.person))}


def _week(engine: Any) -> dict[str, Any]:
    return compute(engine, parse_period(support.WEEK, "Asia/Shanghai"),
                   kpi=KpiConfig(ship_deadline_hours=support.DEADLINES), now=support.NOW)


def _audit(task: str, at: str, person: str, kind: str = "task") -> dict[str, Any]:
    return {"at": t(at), "person": person, "action": "task_note", "target_kind": kind,
            "target": task, "order_id": None}


def test_pay_seconds_follow_every_writer(db_url: str) -> None:
    store = OrderStore.open(db_url)
    support.seed_week(store.engine)
    assert _pay_seconds(store.engine) == PAY_SECONDS
    with store.engine.begin() as conn:
        # a parcel that left before carol's becomes O7's first: 1 hour after payment
        conn.execute(insert(shipments).values(
            id="EARLY", order_id="O7", warehouse="SH", carrier="SF", tracking_no="SFE",
            shipped_at=t("11-27 11:00"), shipped_by="dave"))
        # a later one changes nothing
        conn.execute(insert(shipments).values(
            id="LATE", order_id="O1", warehouse="SH", carrier="SF", tracking_no="SFL",
            shipped_at=t("11-28 11:00"), shipped_by="dave"))
        # the payment time corrected: O3 paid 3 hours earlier
        conn.execute(update(orders).where(orders.c.id == "O3").values(paid_at=t("11-24 06:00")))
        # a parcel stored before its order (a bulk load): the order brings the payment
        conn.execute(insert(shipments).values(
            id="FIRST", order_id="O9", warehouse="GZ", carrier="SF", tracking_no="SF9",
            shipped_at=t("11-25 18:30"), shipped_by="erin"))
        conn.execute(insert(orders).values(support._order("O9", "jd", "jd1", t("11-25 08:00"))))
        # an order whose payment time is not known yet, then is
        conn.execute(update(orders).where(orders.c.id == "O4").values(paid_at=None))
    found = _pay_seconds(store.engine)
    assert found == {**PAY_SECONDS, "O7": 1 * H, "O3": 15 * H, "O9": 10.5 * H, "O4": None}
    totals = _week(store.engine)["totals"]
    assert totals["pay_to_ship"]["orders"] == 6  # O1, O2, O3, O5, O7, O9 (O4 not paid)
    assert totals["mis_shipment"]["shipped_orders"] == 7  # O4 still shipped
    with store.engine.begin() as conn:
        conn.execute(update(orders).where(orders.c.id == "O4").values(paid_at=t("11-25 12:00")))
    assert _pay_seconds(store.engine)["O4"] == 24 * H
    store.engine.dispose()


def test_each_tasks_first_action_is_stored_as_it_happens(db_url: str) -> None:
    store = OrderStore.open(db_url)
    support.seed_week(store.engine)
    assert _responses(store.engine) == RESPONSES
    with store.engine.begin() as conn:
        conn.execute(insert(audit_log), [
            _audit("1", "11-23 11:00", "zoe"),            # later: T1 keeps dave at 09:20
            _audit("2", "11-26 00:10", "zoe"),            # earlier: T2 answered by zoe
            _audit("3", "11-26 10:45", "adam"),           # same instant: the least person
            _audit("4", "11-28 12:05", "erin", "hold"),   # not a task: T4 still unanswered
        ])
    assert _responses(store.engine) == {
        **RESPONSES, "2": (t("11-26 00:10"), "zoe"), "3": (t("11-26 10:45"), "adam")}
    week = _week(store.engine)["totals"]["exception_response"]
    # T1 20 min, T2 20 min (cs 30: now within), T3 45 min; T4 never
    assert week == {"tasks": 4, "responded": 3, "median_minutes": 20.0, "p90_minutes": 40.0,
                    "within_sla": 3, "within_sla_share": 0.75, "breached": 1}
    store.engine.dispose()


def _alembic(conn: Any) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(Path(db.__file__).parent / "migrations"))
    cfg.attributes["connection"] = conn
    return cfg


def test_the_migration_fills_the_facts_of_rows_stored_before_it(db_url: str) -> None:
    store = OrderStore.open(db_url)
    with store.engine.begin() as conn:
        command.downgrade(_alembic(conn), "kpi_0002")
    assert "kpi_task_responses" not in inspect(store.engine).get_table_names()
    support.seed_week(store.engine)  # written under kpi_0002's triggers
    with store.engine.begin() as conn:
        command.upgrade(_alembic(conn), "heads")
    assert _pay_seconds(store.engine) == PAY_SECONDS
    assert _responses(store.engine) == RESPONSES
    assert ("kind", "at") in {tuple(i["column_names"])
                              for i in inspect(store.engine).get_indexes("fulfilment_log")}
    assert _week(store.engine)["totals"] == support.EXPECTED
    with store.engine.begin() as conn:  # and the new triggers run from then on
        conn.execute(insert(audit_log).values(_audit("4", "11-28 12:30", "erin")))
        conn.execute(insert(shipments).values(
            id="EARLY", order_id="O2", warehouse="SH", carrier="SF", tracking_no="SFE",
            shipped_at=t("11-24 20:00"), shipped_by="bob"))
    assert _responses(store.engine)["4"] == (t("11-28 12:30"), "erin")
    assert _pay_seconds(store.engine)["O2"] == 24 * H
    store.engine.dispose()


def test_pay_seconds_match_the_stored_times(db_url: str) -> None:
    """The stored seconds are the difference of the stored times (PostgreSQL's interval
    epoch; SQLite's julianday difference to the millisecond) for odd instants too."""
    store = OrderStore.open(db_url)
    paid = t("11-23 10:00") + timedelta(microseconds=123_456)
    shipped = paid + timedelta(days=1, seconds=7, microseconds=654_000)
    with store.engine.begin() as conn:
        conn.execute(insert(orders).values(support._order("OX", "pdd", "p1", paid)))
        conn.execute(insert(shipments).values(
            id="SX", order_id="OX", warehouse="SH", carrier="SF", tracking_no="SFX",
            shipped_at=shipped, shipped_by="amy"))
    seconds = _pay_seconds(store.engine)["OX"]
    assert seconds is not None and abs(seconds - (shipped - paid).total_seconds()) < 0.001
    store.engine.dispose()
