"""What the review queue (审单 / 异常队列) shows: open tasks and holds with their orders,
filtered; the actions themselves are fulfilment's (:mod:`orderhub.fulfilment`), which check
what applies and audit each one in its own transaction."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from ..fulfilment import holds, tasks
from ..fulfilment import schema as fs
from ..store.schema import orders


@dataclass(frozen=True, slots=True)
class Filters:
    queue: str = ""
    kind: str = ""
    platform: str = ""
    shop: str = ""
    overdue: bool = False

    def query(self) -> dict[str, str]:
        return {k: v for k, v in (("queue", self.queue), ("kind", self.kind),
                                  ("platform", self.platform), ("shop", self.shop),
                                  ("overdue", "1" if self.overdue else "")) if v}


@dataclass(frozen=True, slots=True)
class OrderRef:
    id: str
    label: str
    platform: str
    shop: str


@dataclass
class QueueView:
    tasks: list[tuple[tasks.Task, OrderRef | None, bool]] = field(default_factory=list)
    holds: list[tuple[holds.Hold, OrderRef | None]] = field(default_factory=list)
    queues: list[tuple[str, str]] = field(default_factory=list)
    kinds: list[str] = field(default_factory=list)


def _ref(row: Any, at: int) -> OrderRef | None:
    """The order columns that follow the task's or hold's own at ``at``."""
    oid, platform, number, shop = row[at:at + 4]
    if oid is None:
        return None
    return OrderRef(oid, f"{platform}:{number}", platform, shop)


def _with_orders(inner: Any, fields: tuple[str, ...], order_by: Any) -> Any:
    """``inner`` (already limited) joined with its orders afterwards: the join then costs a
    page of rows, not every open task; columns in ``fields`` order, then the order's four."""
    sub = inner.subquery()
    return (select(*[sub.c[k] for k in fields], orders.c.id, orders.c.platform,
                   orders.c.platform_order_no, orders.c.shop_id)
            .outerjoin(orders, orders.c.id == sub.c.order_id).order_by(*order_by(sub)))


def _order_filters(query: Any, table: Any, f: Filters) -> Any:
    """Platform and shop are the order's: filtered in SQL, so a page holds ``limit`` matches."""
    if not (f.platform or f.shop):
        return query
    query = query.join(orders, orders.c.id == table.c.order_id)
    if f.platform:
        query = query.where(orders.c.platform == f.platform)
    if f.shop:
        query = query.where(orders.c.shop_id == f.shop)
    return query


def _task_order(t: Any) -> tuple[Any, ...]:
    return t.c.priority.desc(), t.c.due_at, t.c.id


def _hold_order(h: Any) -> tuple[Any, ...]:
    return h.c.opened_at, h.c.id


def _task_query(ws: Any, f: Filters, now: datetime, limit: int) -> Any:
    """Open and claimed tasks, most urgent first (as ``tasks.list_tasks`` orders them)."""
    t = fs.tasks
    query = select(t).where(t.c.status.in_(tasks.OPEN)).order_by(*_task_order(t)).limit(limit)
    if f.queue:
        query = query.where(t.c.queue == ws.config.fulfilment.queue(f.queue))
    if f.overdue:
        query = query.where(t.c.due_at < now)
    if f.kind:
        query = query.where(t.c.source_kind == f.kind)
    return _with_orders(_order_filters(query, t, f), TASK_FIELDS, _task_order)


def _hold_query(f: Filters, limit: int) -> Any:
    """Open holds, longest held first (as ``holds.list_holds`` orders them)."""
    h = fs.holds
    query = (select(h).where(h.c.released_at.is_(None)).order_by(*_hold_order(h))
             .limit(limit))
    if f.kind:
        query = query.where(h.c.kind == f.kind)
    return _with_orders(_order_filters(query, h, f), HOLD_FIELDS, _hold_order)


TASK_FIELDS: tuple[str, ...] = tasks.Task.__slots__
HOLD_FIELDS: tuple[str, ...] = holds.Hold.__slots__


def view(ws: Any, f: Filters, *, limit: int = 200, now: datetime | None = None) -> QueueView:
    """Open tasks (most urgent first) and open holds (oldest first) matching ``f``.

    Two queries on one connection, each joined with the orders: the page is read on every
    refresh by everyone working the queue, so it costs what the rows cost and no more."""
    now = now or datetime.now(UTC)
    cfg = ws.config.fulfilment
    out = QueueView(queues=[(k, q.name or k) for k, q in cfg.queues.items()])
    with ws.store.engine.connect() as conn:
        n = len(TASK_FIELDS)
        for r in conn.execute(_task_query(ws, f, now, limit)):
            task = tasks.Task(*r[:n])
            out.tasks.append((task, _ref(r, n), task.overdue(now)))
        n = len(HOLD_FIELDS)
        for r in ([] if f.overdue else conn.execute(_hold_query(f, limit))):
            out.holds.append((holds.Hold(*r[:n]), _ref(r, n)))
    out.kinds = sorted({h.kind for h, _ in out.holds} | {t.source_kind for t, _, _ in out.tasks}
                       | ({f.kind} if f.kind else set()))
    return out
