"""Every KPI of a seeded week, exact, on SQLite and PostgreSQL (answers worked out by hand in
tests/kpi_support.py), including facts on both sides of midnight in shop time."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Any

import pytest

from orderhub.kpi.config import KpiConfig
from orderhub.kpi.metrics import compute
from orderhub.kpi.periods import parse_period
from orderhub.store import OrderStore

_spec = importlib.util.spec_from_file_location("kpi_support", Path(__file__).with_name(
    "kpi_support.py"))
support = importlib.util.module_from_spec(_spec)  # type: ignore[arg-type]
sys.modules["kpi_support"] = support
_spec.loader.exec_module(support)  # type: ignore[union-attr]


@pytest.fixture
def seeded(db_url: str) -> Any:
    store = OrderStore.open(db_url)
    support.seed_week(store.engine)
    yield store.engine
    store.engine.dispose()


def _week(engine: Any, by: str | None = None, spec: str = support.WEEK) -> dict[str, Any]:
    return compute(engine, parse_period(spec, "Asia/Shanghai"), by=by,
                   kpi=KpiConfig(ship_deadline_hours=support.DEADLINES), now=support.NOW)


def test_every_kpi_of_the_week_is_exact(seeded: Any) -> None:
    result = _week(seeded)
    assert result["period"] == {"label": "2026-W48", "from": "2026-11-23", "to": "2026-11-29",
                                "timezone": "Asia/Shanghai"}
    assert result["totals"] == support.EXPECTED


def test_days_follow_shop_time_across_midnight(seeded: Any) -> None:
    days = {d["day"]: d["pay_to_ship"]["orders"] for d in _week(seeded)["days"]}
    # O5 left at 00:30 on the 23rd shop time (the 22nd in UTC): counted on the 23rd;
    # O6 left at 00:10 on the 30th shop time (the 29th in UTC): not in this week at all
    assert days == support.EXPECTED_DAYS_SHIPPED


def test_pay_to_ship_per_platform(seeded: Any) -> None:
    groups = {g["key"]: g["pay_to_ship"] for g in _week(seeded, "platform")["groups"]}
    assert {k: {f: v[f] for f in ("orders", "median_hours", "p90_hours", "within_deadline")}
            for k, v in groups.items()} == support.EXPECTED_PLATFORM_SHIP


def test_per_person_throughput_and_responses(seeded: Any) -> None:
    groups = {g["key"]: g for g in _week(seeded, "person")["groups"]}
    assert {k: g["throughput"]["orders_shipped"] for k, g in groups.items()
            if g["throughput"]["orders_shipped"]} == {"alice": 3, "bob": 2, "carol": 1}
    assert groups["alice"]["throughput"]["orders_per_person_day"] == 1.5
    assert groups["dave"]["exception_response"] == {
        "tasks": 2, "responded": 2, "median_minutes": 32.5, "p90_minutes": 42.5,
        "within_sla": 2, "within_sla_share": 1.0, "breached": 0}
    assert groups["erin"]["exception_response"]["breached"] == 1
    assert "interceptions" not in groups["alice"]  # no meaning per person


def test_routing_per_warehouse(seeded: Any) -> None:
    groups = {g["key"]: g["routing"] for g in _week(seeded, "warehouse")["groups"]}
    assert groups["SH"] == {"decisions": 2, "diverted_in": 0, "diverted_out": 2, "stockouts": 0}
    assert groups["GZ"] == {"decisions": 3, "diverted_in": 2, "diverted_out": 0, "stockouts": 2}


def test_another_week_is_empty_and_a_day_range_works(seeded: Any) -> None:
    before = _week(seeded, spec="2026-W47")["totals"]
    assert before["pay_to_ship"]["orders"] == 0  # O5 left on the 23rd in shop time
    assert before["exception_response"]["tasks"] == 1  # T5, answered by erin in 5 minutes
    assert before["exception_response"]["median_minutes"] == 5.0
    one_day = _week(seeded, spec="2026-11-24")["totals"]
    assert one_day["pay_to_ship"]["orders"] == 2
    assert one_day["mis_shipment"]["caught_at_scan"] == 1


def test_a_bad_grouping_is_refused(seeded: Any) -> None:
    with pytest.raises(ValueError, match="--by must be one of"):
        _week(seeded, "colour")
