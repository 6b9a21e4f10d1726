"""Recording the finance close for the KPIs: each reconciliation report and its differences.

A difference is open from the first report that found it until a later report of the same
period (and shop) no longer has it.  The nightly reconciliation calls
:func:`record_reconciliation` after writing its reports.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, and_, insert, select, update

from ..store.bulk import insert_ignore
from .schema import reconciliation_differences, reconciliation_reports


def _key(rec: Any, d: Any) -> str:
    kind = getattr(d.kind, "value", d.kind)
    return f"{rec.period.label}|{rec.shop or '*'}|{d.platform}|{d.order_no or '-'}|{kind}"[:200]


def record_reconciliation(engine: Engine, rec: Any, now: datetime | None = None) -> None:
    """Store the report's time and differences; resolve the period's earlier differences it
    no longer has."""
    now = now or rec.generated_at or datetime.now(UTC)
    period = rec.period
    found = {_key(rec, d): d for d in rec.differences}
    rd = reconciliation_differences
    with engine.begin() as conn:
        conn.execute(insert(reconciliation_reports).values(
            label=period.label, shop=rec.shop, period_start=period.start,
            period_end=period.end, generated_at=now, differences=len(found)))
        insert_ignore(conn, rd, [
            {"key": k, "platform": d.platform, "shop": d.shop, "order_no": d.order_no,
             "kind": str(getattr(d.kind, "value", d.kind)), "period_end": period.end,
             "found_at": now, "resolved_at": None} for k, d in found.items()])
        prefix = f"{period.label}|{rec.shop or '*'}|"
        still_open = [k for (k,) in conn.execute(select(rd.c.key).where(
            rd.c.key.startswith(prefix, autoescape=True), rd.c.resolved_at.is_(None)))]
        gone = [k for k in still_open if k not in found]
        if gone:
            conn.execute(update(rd).where(and_(rd.c.key.in_(gone))).values(resolved_at=now))
