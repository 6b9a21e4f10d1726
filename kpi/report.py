"""The KPI report the CLI, the dashboard and the digest share: a period, optionally grouped,
optionally beside another period, and flattened for CSV.  JSON keys: ``docs/kpi.md``."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from .metrics import compute
from .periods import KpiPeriod, days, last_week, parse_period, week

VERSION = 1


def period_of(tz: str, *, week_spec: str | None = None, first: str | None = None,
              last: str | None = None, now: datetime | None = None) -> KpiPeriod:
    """``--week`` or ``--from``/``--to`` (either alone: that day on or up to), else last
    week."""
    if week_spec and (first or last):
        raise ValueError("give --week or --from/--to, not both")
    if week_spec:
        return week(week_spec, tz)
    if first or last:
        return days(first or last or "", last or first or "", tz)
    return last_week(now or datetime.now(UTC), tz)


def report(ws: Any, period: KpiPeriod, *, by: str | None = None,
           compare: KpiPeriod | None = None, now: datetime | None = None) -> dict[str, Any]:
    """The KPIs of ``period`` (and ``compare``'s totals with the change, when given)."""
    cfg = ws.config
    engine = ws.store.engine
    result = {"version": VERSION, **compute(engine, period, by=by, kpi=cfg.kpi,
                                            fulfilment=cfg.fulfilment, now=now)}
    if compare is not None:
        other = compute(engine, compare, kpi=cfg.kpi, fulfilment=cfg.fulfilment, now=now,
                        days=False)
        result["compare"] = {"period": other["period"], "totals": other["totals"],
                             "change": change(result["totals"], other["totals"])}
    return result


def parse_compare(spec: str | None, tz: str) -> KpiPeriod | None:
    return None if not spec else parse_period(spec, tz)


def change(now: dict[str, Any], before: dict[str, Any]) -> dict[str, Any]:
    """``now - before`` for every number both have (None where either is None)."""
    out: dict[str, Any] = {}
    for kpi, figures in now.items():
        out[kpi] = {}
        for name, value in figures.items():
            old = before.get(kpi, {}).get(name)
            out[kpi][name] = (None if value is None or old is None
                              else round(value - old, 4))
    return out


def rows(result: dict[str, Any]) -> Iterator[list[Any]]:
    """``scope, key, kpi, figure, value`` rows: totals, groups, days, the other period."""
    period = result["period"]["label"]
    yield from _flat(period, "total", "all", result["totals"])
    for group in result.get("groups", []):
        yield from _flat(period, result["by"], group["key"], group)
    for day in result.get("days", []):
        yield from _flat(period, "day", day["day"], day)
    if "compare" in result:
        other = result["compare"]
        yield from _flat(other["period"]["label"], "total", "all", other["totals"])
        yield from _flat(f"{period} - {other['period']['label']}", "change", "all",
                         other["change"])


CSV_HEADER = ["period", "scope", "key", "kpi", "figure", "value"]


def _flat(period: str, scope: str, key: str, kpis: dict[str, Any]) -> Iterator[list[Any]]:
    for kpi, figures in kpis.items():
        if isinstance(figures, dict):
            for name, value in figures.items():
                yield [period, scope, key, kpi, name, value]
