"""The weekly board: who shipped the most orders, handled the most exceptions, answered
fastest.  Ranked from the KPIs by person, so the warehouse TV, the WeCom digest and
``orderhub kpi --by person`` never disagree."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from ..connectors.transforms import zone
from .periods import KpiPeriod, week
from .report import report


def ranks(result: dict[str, Any], *, top: int = 10) -> dict[str, list[dict[str, Any]]]:
    """Three rankings of a report grouped by person: ``shipped`` (orders shipped, most
    first), ``handled`` (exceptions answered, most first) and ``fastest`` (median minutes to
    answer, quickest first); ties go by name."""
    people = [g for g in result.get("groups", []) if g["key"] != "-"]
    shipped = sorted((g for g in people if g["throughput"]["orders_shipped"]),
                     key=lambda g: (-g["throughput"]["orders_shipped"], g["key"]))
    answered = [g for g in people if g["exception_response"]["responded"]]
    handled = sorted(answered, key=lambda g: (-g["exception_response"]["responded"],
                                              g["key"]))
    fastest = sorted(answered, key=lambda g: (g["exception_response"]["median_minutes"],
                                              g["key"]))
    return {
        "shipped": [{"person": g["key"], "orders": g["throughput"]["orders_shipped"],
                     "per_day": g["throughput"]["orders_per_person_day"]}
                    for g in shipped[:top]],
        "handled": [{"person": g["key"], "exceptions": g["exception_response"]["responded"],
                     "median_minutes": g["exception_response"]["median_minutes"]}
                    for g in handled[:top]],
        "fastest": [{"person": g["key"], "median_minutes": g["exception_response"]
                     ["median_minutes"], "exceptions": g["exception_response"]["responded"]}
                    for g in fastest[:top]],
    }


def this_week(now: datetime, tz: str) -> KpiPeriod:
    """The ISO week ``now`` falls in (shop time): what the board shows unless told."""
    today = now.astimezone(zone(tz)).date()
    year, num, _ = today.isocalendar()
    return week(f"{year}-W{num:02d}", tz)


def board(ws: Any, period: KpiPeriod, *, top: int = 10,
          now: datetime | None = None) -> dict[str, Any]:
    """The board's figures: the period, its totals and the three rankings."""
    now = now or datetime.now(UTC)
    result = report(ws, period, by="person", now=now)
    return {"period": result["period"], "totals": result["totals"],
            "ranks": ranks(result, top=top),
            "as_of": now.astimezone(period.tz).isoformat(timespec="seconds")}
