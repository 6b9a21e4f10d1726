"""The orders behind each figure (the dashboard's links): as many as the figure counts, for
the totals, every group and every day of the seeded week, on SQLite and PostgreSQL."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Any

import pytest

from orderhub.kpi.config import KpiConfig
from orderhub.kpi.drill import DRILLABLE, orders_behind
from orderhub.kpi.metrics import compute
from orderhub.kpi.periods import parse_period
from orderhub.store import OrderStore

_spec = importlib.util.spec_from_file_location("kpi_support", Path(__file__).with_name(
    "kpi_support.py"))
support = importlib.util.module_from_spec(_spec)  # type: ignore[arg-type]
sys.modules.setdefault("kpi_support", support)
_spec.loader.exec_module(support)  # type: ignore[union-attr]

CFG = KpiConfig(ship_deadline_hours=support.DEADLINES)
TZ = "Asia/Shanghai"


def _behind(engine: Any, spec: str, kpi: str, figure: str, by: str | None = None,
            key: str | None = None) -> list[str]:
    return orders_behind(engine, parse_period(spec, TZ), kpi, figure, by=by, key=key, kpi=CFG,
                         now=support.NOW)


@pytest.mark.parametrize("by", [None, "warehouse", "platform", "person"])
def test_every_link_lists_as_many_orders_as_its_figure(db_url: str, by: str | None) -> None:
    store = OrderStore.open(db_url)
    support.seed_week(store.engine)
    result = compute(store.engine, parse_period(support.WEEK, TZ), by=by, kpi=CFG,
                     now=support.NOW)
    scopes = [(None, result["totals"])] if by is None else \
        [(g["key"], g) for g in result["groups"]]
    checked = 0
    for key, figures in scopes:
        for kpi, names in DRILLABLE.items():
            for name in names:
                if kpi not in figures:
                    continue
                found = _behind(store.engine, support.WEEK, kpi, name, by, key)
                assert len(found) == figures[kpi][name], (by, key, kpi, name, found)
                checked += 1
    assert checked > 10
    store.engine.dispose()


def test_a_day_and_a_figure_name_the_orders(db_url: str) -> None:
    store = OrderStore.open(db_url)
    support.seed_week(store.engine)
    assert sorted(_behind(store.engine, support.WEEK, "pay_to_ship", "late")) == ["O2", "O4"]
    assert _behind(store.engine, "2026-11-23", "pay_to_ship", "orders") == ["O5"]  # 00:30
    assert sorted(_behind(store.engine, support.WEEK, "routing", "diverted_out", "warehouse",
                          "SH")) == ["O3", "O7"]
    with pytest.raises(ValueError, match="no orders behind"):
        _behind(store.engine, support.WEEK, "finance", "reports")
    store.engine.dispose()
