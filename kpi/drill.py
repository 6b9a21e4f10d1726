"""The orders behind a KPI figure: what the dashboard links each number to.

A figure is counted from rows the metrics module builds (:func:`.metrics.task_rows`,
:func:`.metrics.interception_rows`, ...); the same rows, filtered by the figure's condition and
one group's key, give its orders, so a link never disagrees with the number it sits on.  A day
is a period of its own (every KPI's day is the day of the time its period is taken on).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, Select, and_, literal, select

from ..engine.routing.stock import route_decisions
from ..fulfilment.config import FulfilmentConfig
from ..store.schema import orders
from .config import KpiConfig
from .metrics import (
    NONE,
    Context,
    _deadline_seconds,
    _with_orders,
    caught_rows,
    interception_rows,
    routing_dim,
    routing_figures,
    task_figures,
    task_rows,
    wrong_rows,
)
from .periods import KpiPeriod
from .schema import first_parcels

#: The figures a dashboard number can link to, per KPI.
DRILLABLE: dict[str, tuple[str, ...]] = {
    "pay_to_ship": ("orders", "within_deadline", "late"),
    "throughput": ("orders_shipped",),
    "mis_shipment": ("shipped_orders", "caught_at_scan", "after_sales"),
    "exception_response": ("tasks", "responded", "within_sla", "breached"),
    "interceptions": ("before_release", "after_release", "after_shipping"),
    "routing": ("decisions", "diverted_in", "diverted_out", "stockouts"),
}


def _match(column: Any, key: str | None) -> Any:
    if key is None:
        return literal(True)
    return column.is_(None) if key == NONE else column == key


def _shipped_ids(ctx: Context, figure: str, dim: str | None, key: str | None) -> Select[Any]:
    c = first_parcels.c
    dl = _deadline_seconds(ctx, c.platform)
    cond = {"orders": c.pay_seconds.is_not(None), "within_deadline": c.pay_seconds <= dl,
            "late": c.pay_seconds > dl, "orders_shipped": c.person.is_not(None),
            "shipped_orders": literal(True)}[figure]
    group = _match(c[dim], key) if dim else literal(True)
    return select(c.order_id).where(ctx.within(c.shipped_at), cond, group)


def _task_ids(ctx: Context, figure: str, dim: str | None, key: str | None) -> Select[Any]:
    base = task_rows(ctx, dim)
    return select(base.c.order_id).where(task_figures(base)[figure], _match(base.c.g, key))


def _interception_ids(ctx: Context, figure: str, dim: str | None,
                      key: str | None) -> Select[Any]:
    base = interception_rows(ctx, dim)
    return select(base.c.order_id).where(base.c[figure] == 1, _match(base.c.g, key))


def _routing_ids(ctx: Context, figure: str, dim: str | None, key: str | None) -> Select[Any]:
    rd = route_decisions
    if figure == "diverted_out":
        cond = and_(rd.c.diverted_from.is_not(None),
                    _match(rd.c.diverted_from, key) if dim == "warehouse" else literal(True))
        group = literal(True) if dim == "warehouse" else _match(routing_dim(ctx, dim), key)
    else:
        cond, group = routing_figures()[figure], _match(routing_dim(ctx, dim), key)
    return select(rd.c.order_id).select_from(_with_orders(rd, rd.c.order_id, dim)) \
        .where(ctx.within(rd.c.at), cond, group)


def _mis_shipment_ids(ctx: Context, figure: str, dim: str | None,
                      key: str | None) -> Select[Any] | None:
    if figure == "shipped_orders":
        return _shipped_ids(ctx, figure, dim, key)
    base = caught_rows(ctx, dim) if figure == "caught_at_scan" else wrong_rows(ctx, dim)
    if base is None:
        return None
    column = base.c.order_id if figure == "caught_at_scan" else base.c.id
    return select(column).where(_match(base.c.g, key))


_SOURCES = {"pay_to_ship": _shipped_ids, "throughput": _shipped_ids,
            "mis_shipment": _mis_shipment_ids, "exception_response": _task_ids,
            "interceptions": _interception_ids, "routing": _routing_ids}


def orders_behind(engine: Engine, period: KpiPeriod, kpi_name: str, figure: str, *,
                  by: str | None = None, key: str | None = None,
                  kpi: KpiConfig | None = None, fulfilment: FulfilmentConfig | None = None,
                  now: datetime | None = None, limit: int = 500) -> list[str]:
    """Internal ids of the orders counted in ``kpi_name``'s ``figure`` for ``period`` (and the
    group ``key`` of dimension ``by``), newest first; at most ``limit``."""
    if figure not in DRILLABLE.get(kpi_name, ()):
        raise ValueError(f"no orders behind {kpi_name}.{figure}")
    with engine.connect() as conn:
        ctx = Context(conn, period, kpi or KpiConfig(), fulfilment or FulfilmentConfig(),
                      now or datetime.now(UTC))
        source = _SOURCES[kpi_name](ctx, figure, by, key)
        if source is None:
            return []
        ids = source.where(source.selected_columns[0].is_not(None)).subquery()
        query = select(orders.c.id, orders.c.created_at).distinct() \
            .join_from(ids, orders, orders.c.id == list(ids.c)[0]) \
            .order_by(orders.c.created_at.desc(), orders.c.id.desc()).limit(limit)
        found = [row[0] for row in conn.execute(query)]
        conn.commit()
    return found
