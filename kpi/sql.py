"""The SQL pieces that differ between SQLite and PostgreSQL: seconds between two stored times,
the local day of a stored time, and exact percentiles.

Times are stored as naive UTC (:class:`~orderhub.store.schema.UTCDateTime`).  PostgreSQL
converts to the shops' timezone itself (``timezone()``, exact across offset changes); SQLite
adds the zone's UTC offset, exact for zones without daylight saving (every Chinese shop) and
checked: a period over which the offset changes is refused on SQLite.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Date, Float, String, cast, func, literal, select
from sqlalchemy.dialects.postgresql import array
from sqlalchemy.sql.elements import ColumnElement, UnaryExpression
from sqlalchemy.sql.operators import custom_op

from .periods import KpiPeriod


class Dialect:
    """SQL expressions for one connection's database and one period's timezone."""

    def __init__(self, conn: Connection, period: KpiPeriod) -> None:
        self.conn = conn
        self.postgres = conn.dialect.name == "postgresql"
        self.tz_name = period.tz_name
        offsets = {_offset(_midnight(day, period), period) for day in period.days()}
        offsets.add(_offset(period.end, period))
        #: the zone's UTC offset when it is the same all through the period, else None
        self.offset: int | None = offsets.pop() if len(offsets) == 1 else None
        if not self.postgres and self.offset is None:
            raise ValueError(f"{period.label}: {period.tz_name} changes its UTC offset "
                             "within the period; use PostgreSQL for such zones")

    def tune(self) -> None:
        """PostgreSQL: settings for this transaction's few large aggregates.  The default
        ``work_mem`` (4 MB) sends a sort of a million durations (``percentile_cont``) and
        the groupings' hash tables to disk, and JIT compiles every query above its cost
        threshold, which costs more than it saves on queries run once (measured with EXPLAIN
        ANALYZE and bench/kpi.py).  ``SET LOCAL`` ends with the transaction, so the pooled
        connection goes back with the server's settings."""
        if self.postgres:
            self.conn.exec_driver_sql("SET LOCAL work_mem = '64MB'")
            self.conn.exec_driver_sql("SET LOCAL jit = off")

    def seconds(self, start: Any, end: Any) -> ColumnElement[Any]:
        """Seconds from ``start`` to ``end`` (both stored times)."""
        if self.postgres:
            return cast(func.extract("epoch", end - start), Float)
        # julianday keeps the fractional seconds strftime('%s') drops; rounded to the
        # millisecond, which its double precision holds
        return func.round((func.julianday(end) - func.julianday(start)) * 86400.0, 3)

    def day(self, column: Any) -> ColumnElement[Any]:
        """The local day of a stored time, to group by: ``YYYY-MM-DD`` text on SQLite, a
        ``date`` on PostgreSQL (whose ``str()`` is that text; grouping a cast date costs a
        third of grouping ``to_char``'s text, measured with EXPLAIN ANALYZE).  Where the
        zone keeps one UTC offset through the period (every Chinese shop), the offset is
        added; PostgreSQL converts zones that change it."""
        if self.offset is None:  # PostgreSQL only (SQLite refused the period)
            return cast(func.timezone(self.tz_name, func.timezone("UTC", column)), Date)
        if self.postgres:
            # a fixed offset: plain arithmetic, a quarter of timezone()'s cost per row
            return cast(column + literal(timedelta(seconds=self.offset)), Date)
        return func.date(column, f"{self.offset:+d} seconds")

    def scanned(self, column: Any) -> Any:
        """``column`` for a range test SQLite must not answer from an index: a period of
        weeks covers most of the table, and looking up each of a million rows through the
        index costs about three times a plain scan (measured with EXPLAIN QUERY PLAN and
        timings on 1,000,000 routing decisions).  SQLite's unary ``+`` is the documented way;
        PostgreSQL chooses well by itself."""
        if self.postgres:
            return column
        return UnaryExpression(column, operator=custom_op("+"), type_=column.type)

    def text(self, column: Any) -> ColumnElement[Any]:
        return cast(column, String)

    def percentile_cont(self, value: Any, points: Sequence[float]) -> Any:
        """PostgreSQL: ``percentile_cont`` of ``value`` at every point, from one sort."""
        wanted = array([literal(p, Float) for p in points])
        return func.percentile_cont(wanted).within_group(value)

    def percentiles(self, base: Any, points: Sequence[float]) -> dict[Any, list[float | None]]:
        """Exact ``percentile_cont`` of ``base.c.v`` per ``base.c.g`` (``base``: a subquery
        with columns ``g`` and ``v``, v never null): PostgreSQL's own; on SQLite the same
        linear interpolation between the ranked rows, by window functions."""
        if self.postgres:
            # one sort per group for every point: percentile_cont over an array of fractions
            query = select(base.c.g, self.percentile_cont(base.c.v, points).label("p")) \
                .group_by(base.c.g)
            return {g: [None if x is None else float(x) for x in found]
                    for g, found in self.conn.execute(query)}
        return _sorted_percentiles(self.conn, base, points)


def _sorted_percentiles(conn: Connection, base: Any,
                        points: Sequence[float]) -> dict[Any, list[float | None]]:
    """SQLite: the values fetched in one pass, sorted and interpolated here.  Window functions
    over a million rows cost several times that (measured: bench/kpi.py), and so does an
    ORDER BY in SQLite: Python sorts each group's floats faster than SQLite sorts rows."""
    found: dict[Any, list[float]] = {}
    for g, v in conn.execute(select(base.c.g, base.c.v).where(base.c.v.is_not(None))):
        found.setdefault(g, []).append(v)
    out: dict[Any, list[float | None]] = {}
    for g, values in found.items():
        values.sort()
        out[g] = [interpolate(values, p) for p in points]
    return out


def interpolate(ordered: list[float], p: float) -> float:
    """``percentile_cont(p)`` of sorted values: linear between the ranks around p*(n-1)."""
    pos = p * (len(ordered) - 1)
    lo = int(pos)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (pos - lo) * (ordered[hi] - ordered[lo])


def _offset(moment: datetime, period: KpiPeriod) -> int:
    delta = moment.astimezone(period.tz).utcoffset()
    return int(delta.total_seconds()) if delta else 0


def _midnight(day: date, period: KpiPeriod) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=period.tz)
