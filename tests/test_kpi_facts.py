"""The finance close: reports and differences recorded run by run, then counted as KPIs."""

from __future__ import annotations

from datetime import datetime, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

from orderhub.finance.period import Period
from orderhub.kpi.facts import record_reconciliation
from orderhub.kpi.metrics import compute
from orderhub.kpi.periods import parse_period
from orderhub.store import OrderStore

TZ = ZoneInfo("Asia/Shanghai")


def _diff(order_no: str) -> SimpleNamespace:
    return SimpleNamespace(kind="amount_mismatch", platform="taobao", shop="tb1",
                           order_no=order_no)


def test_a_difference_stays_open_until_a_later_report_drops_it(db_url: str) -> None:
    store = OrderStore.open(db_url)
    day = Period.day("2026-11-24", TZ)
    first = datetime(2026, 11, 25, 3, 0, tzinfo=TZ)
    record_reconciliation(store.engine, SimpleNamespace(
        period=day, shop=None, generated_at=first, differences=[_diff("A"), _diff("B")]))
    again = first + timedelta(days=1)  # B was fixed: the rerun no longer finds it
    record_reconciliation(store.engine, SimpleNamespace(
        period=day, shop=None, generated_at=again, differences=[_diff("A")]))
    result = compute(store.engine, parse_period("2026-W48", "Asia/Shanghai"), days=False)
    assert result["totals"]["finance"] == {
        "differences_found": 2, "differences_open": 1, "differences_resolved": 1,
        "reports": 1, "median_hours_to_report": 3.0, "max_hours_to_report": 3.0}
    store.engine.dispose()
