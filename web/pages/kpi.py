"""运营指标 (the KPI dashboard): the figures of ``orderhub kpi`` for a period beside another,
drawn with the vendored ECharts, every count linked to the orders behind it.

The routes only parse the period and call :mod:`orderhub.kpi` (the same ``report`` the CLI
prints as JSON, and :func:`orderhub.kpi.drill.orders_behind`); the charts read ``/api/kpi``
(``static/kpi.js``), so what the page draws is exactly what ``orderhub kpi --format json``
says for the same period.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, HTTPException, Query, Request, Response

from ...kpi.drill import DRILLABLE, orders_behind
from ...kpi.metrics import DIMENSIONS
from ...kpi.periods import KpiPeriod, parse_period, previous
from ...kpi.report import period_of, report
from ..app import render, require
from ..i18n import translator
from ..search import orders_by_ids

router = APIRouter()
VIEW = require("kpi.view")
#: the most orders a figure's link lists
DRILL_ROWS = 500
#: the figures of the totals table, and the columns of the day and group tables
HEADLINE = (("pay_to_ship", "orders"), ("pay_to_ship", "median_hours"),
            ("pay_to_ship", "p90_hours"), ("pay_to_ship", "within_deadline_share"),
            ("pay_to_ship", "late"), ("exception_response", "tasks"),
            ("exception_response", "median_minutes"), ("exception_response", "within_sla_share"),
            ("exception_response", "breached"), ("mis_shipment", "after_sales"),
            ("mis_shipment", "rate"), ("mis_shipment", "caught_at_scan"),
            ("throughput", "orders_per_person_day"), ("interceptions", "before_release"),
            ("interceptions", "after_release"), ("interceptions", "after_shipping"),
            ("routing", "diverted_in"), ("routing", "stockouts"),
            ("finance", "differences_open"), ("finance", "median_hours_to_report"))
COLUMNS = (("pay_to_ship", "orders"), ("pay_to_ship", "late"), ("pay_to_ship", "median_hours"),
           ("pay_to_ship", "p90_hours"), ("exception_response", "tasks"),
           ("exception_response", "breached"), ("mis_shipment", "caught_at_scan"),
           ("mis_shipment", "after_sales"), ("routing", "diverted_in"),
           ("routing", "diverted_out"), ("routing", "stockouts"))
#: what static/kpi.js labels its series with, in the page's language
CHART_WORDS = ("pay_to_ship.orders", "pay_to_ship.late", "pay_to_ship.median_hours",
               "pay_to_ship.p90_hours", "exception_response.tasks",
               "exception_response.breached", "routing.diverted_in", "routing.diverted_out",
               "routing.stockouts", "mis_shipment.caught_at_scan", "mis_shipment.after_sales",
               "interceptions.before_release", "hours")
FROM = Query("", alias="from")
TO = Query("", alias="to")


@dataclass(frozen=True)
class KpiForm:
    """The dashboard's form: a week or a day range, the period to compare with, a grouping."""

    week: str = ""
    first: str = ""
    last: str = ""
    compare: str = ""
    by: str = "warehouse"

    def params(self, **extra: str) -> str:
        values = {"week": self.week, "from": self.first, "to": self.last,
                  "compare": self.compare, "by": self.by, **extra}
        return urlencode({k: v for k, v in values.items() if v})


def _query(week_spec: str, first: str, last: str, compare: str, by: str) -> KpiForm:
    by = by.strip()
    if by and by not in DIMENSIONS:
        raise HTTPException(400, f"by must be one of {', '.join(DIMENSIONS)}")
    return KpiForm(week_spec.strip(), first.strip(), last.strip(), compare.strip(), by)


def _periods(request: Request, q: KpiForm) -> tuple[KpiPeriod, KpiPeriod]:
    """The period asked for (default: last full week) and the one beside it (default: the
    same number of days just before)."""
    tz = request.app.state.ws.config.timezone
    try:
        period = period_of(tz, week_spec=q.week or None, first=q.first or None,
                           last=q.last or None)
        if q.compare:
            return period, parse_period(q.compare, tz)
    except ValueError as exc:
        raise HTTPException(400, str(exc)) from None
    return period, previous(period)


def _report(request: Request, q: KpiForm) -> dict[str, Any]:
    period, other = _periods(request, q)
    return report(request.app.state.ws, period, by=q.by or None, compare=other)


@router.get("/kpi")
def kpi_page(request: Request, week: str = "", first: str = FROM, last: str = TO,
             compare: str = "", by: str = "warehouse", session: Any = VIEW) -> Response:
    q = _query(week, first, last, compare, by)
    result = _report(request, q)
    t = translator(request.state.lang)
    words = {w: t(f"kpi.{w}") for w in CHART_WORDS}
    return render(request, "kpi.html", q=q, r=result, drillable=DRILLABLE, headline=HEADLINE,
                  columns=COLUMNS, words=words, api="/api/kpi?" + q.params())


@router.get("/api/kpi")
def kpi_api(request: Request, week: str = "", first: str = FROM, last: str = TO,
            compare: str = "", by: str = "warehouse", session: Any = VIEW) -> dict[str, Any]:
    """The report, as ``orderhub kpi --format json`` prints it, with ``compare``."""
    return _report(request, _query(week, first, last, compare, by))


def _drilled(request: Request, kpi: str, figure: str, by: str, key: str,
             day: str) -> tuple[KpiForm, KpiPeriod, list[str]]:
    params = request.query_params
    q = _query(params.get("week", ""), params.get("from", ""), params.get("to", ""), "", by)
    ws = request.app.state.ws
    period, _ = _periods(request, q)
    if day:
        try:
            period = parse_period(day, ws.config.timezone)
        except ValueError as exc:
            raise HTTPException(400, str(exc)) from None
    try:
        ids = orders_behind(ws.store.engine, period, kpi, figure, by=q.by or None,
                            key=key or None, kpi=ws.config.kpi,
                            fulfilment=ws.config.fulfilment, limit=DRILL_ROWS)
    except ValueError as exc:
        raise HTTPException(400, str(exc)) from None
    return q, period, ids


@router.get("/kpi/orders")
def kpi_orders(request: Request, kpi: str, figure: str, by: str = "", key: str = "",
               day: str = "", session: Any = VIEW) -> Response:
    """The orders behind one number of the dashboard, as the orders page lists them."""
    q, period, ids = _drilled(request, kpi, figure, by, key, day)
    hits = orders_by_ids(request.app.state.engine, ids)
    return render(request, "kpi_orders.html", q=q, period=period.as_json(), kpi=kpi,
                  figure=figure, key=key, hits=hits, rows=DRILL_ROWS)


@router.get("/api/kpi/orders")
def kpi_orders_api(request: Request, kpi: str, figure: str, by: str = "", key: str = "",
                   day: str = "", session: Any = VIEW) -> dict[str, Any]:
    _, period, ids = _drilled(request, kpi, figure, by, key, day)
    return {"period": period.as_json(), "kpi": kpi, "figure": figure, "orders": ids}
