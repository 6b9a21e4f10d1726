"""The SQL pieces that differ between SQLite and PostgreSQL: seconds between two stored times,
the local day of a stored time, and exact percentiles.

Times are stored as naive UTC (:class:`~orderhub.store.schema.UTCDateTime`).  PostgreSQL
converts to the shops' timezone itself (``timezone()``, exact across offset changes); SQLite
adds the zone's UTC offset, exact for zones without daylight saving (every Chinese shop) and
checked: a period over which the offset changes is refused on SQLite.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from itertools import groupby
from typing import Any

from sqlalchemy import Connection, Float, String, cast, func, select
from sqlalchemy.sql.elements import ColumnElement

from .periods import KpiPeriod


class Dialect:
    """SQL expressions for one connection's database and one period's timezone."""

    def __init__(self, conn: Connection, period: KpiPeriod) -> None:
        self.conn = conn
        self.postgres = conn.dialect.name == "postgresql"
        self.tz_name = period.tz_name
        if not self.postgres:
            offsets = {_offset(period.start, period), _offset(period.end, period)}
            if len(offsets) > 1:
                raise ValueError(f"{period.label}: {period.tz_name} changes its UTC offset "
                                 "within the period; use PostgreSQL for such zones")
            self.offset = offsets.pop()

    def seconds(self, start: Any, end: Any) -> ColumnElement[Any]:
        """Seconds from ``start`` to ``end`` (both stored times)."""
        if self.postgres:
            return cast(func.extract("epoch", end - start), Float)
        # julianday keeps the fractional seconds strftime('%s') drops; rounded to the
        # millisecond, which its double precision holds
        return func.round((func.julianday(end) - func.julianday(start)) * 86400.0, 3)

    def day(self, column: Any) -> ColumnElement[Any]:
        """The local day (``YYYY-MM-DD`` text) of a stored time."""
        if self.postgres:
            local = func.timezone(self.tz_name, func.timezone("UTC", column))
            return func.to_char(local, "YYYY-MM-DD")
        return func.date(column, f"{self.offset:+d} seconds")

    def text(self, column: Any) -> ColumnElement[Any]:
        return cast(column, String)

    def percentiles(self, base: Any, points: Sequence[float]) -> dict[Any, list[float | None]]:
        """Exact ``percentile_cont`` of ``base.c.v`` per ``base.c.g`` (``base``: a subquery
        with columns ``g`` and ``v``, v never null): PostgreSQL's own; on SQLite the same
        linear interpolation between the ranked rows, by window functions."""
        if self.postgres:
            query = select(base.c.g, *[func.percentile_cont(p).within_group(base.c.v)
                                       for p in points]).group_by(base.c.g)
            return {row[0]: [None if x is None else float(x) for x in row[1:]]
                    for row in self.conn.execute(query)}
        return _sorted_percentiles(self.conn, base, points)


def _sorted_percentiles(conn: Connection, base: Any,
                        points: Sequence[float]) -> dict[Any, list[float | None]]:
    """SQLite: the values sorted by the database in one pass (group, then value), the
    interpolation here.  Window functions over a million rows cost several times the sort."""
    out: dict[Any, list[float | None]] = {}
    rows = conn.execute(select(base.c.g, base.c.v).order_by(base.c.g, base.c.v))
    for g, values in groupby(rows, key=lambda row: row[0]):
        ordered = [float(v) for _, v in values if v is not None]
        if not ordered:
            continue
        out[g] = [_interpolate(ordered, p) for p in points]
    return out


def _interpolate(ordered: list[float], p: float) -> float:
    """``percentile_cont(p)`` of sorted values: linear between the ranks around p*(n-1)."""
    pos = p * (len(ordered) - 1)
    lo = int(pos)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (pos - lo) * (ordered[hi] - ordered[lo])


def _offset(moment: datetime, period: KpiPeriod) -> int:
    delta = moment.astimezone(period.tz).utcoffset()
    return int(delta.total_seconds()) if delta else 0
