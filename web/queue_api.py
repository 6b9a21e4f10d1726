"""What the review queue (审单 / 异常队列) shows: open tasks and holds with their orders,
filtered; the actions themselves are fulfilment's (:mod:`orderhub.fulfilment`), which check
what applies and audit each one in its own transaction."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from ..fulfilment import holds, tasks
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


def _orders(engine: Any, ids: set[str]) -> dict[str, OrderRef]:
    out: dict[str, OrderRef] = {}
    wanted = sorted(ids)
    with engine.connect() as conn:
        for i in range(0, len(wanted), 500):
            query = select(orders.c.id, orders.c.platform, orders.c.platform_order_no,
                           orders.c.shop_id).where(orders.c.id.in_(wanted[i:i + 500]))
            for r in conn.execute(query):
                out[r.id] = OrderRef(r.id, f"{r.platform}:{r.platform_order_no}", r.platform,
                                     r.shop_id)
    return out


def _keep(ref: OrderRef | None, f: Filters) -> bool:
    if f.platform and (ref is None or ref.platform != f.platform):
        return False
    return not (f.shop and (ref is None or ref.shop != f.shop))


def view(ws: Any, f: Filters, *, limit: int = 200, now: datetime | None = None) -> QueueView:
    """Open tasks (most urgent first) and open holds (oldest first) matching ``f``."""
    now = now or datetime.now(UTC)
    found = tasks.list_tasks(ws, queue=f.queue or None, overdue=f.overdue, now=now,
                             limit=limit)
    if f.kind:
        found = [t for t in found if t.source_kind == f.kind]
    held = [] if f.overdue else holds.list_holds(ws, kind=f.kind or None, limit=limit)
    refs = _orders(ws.store.engine, {t.order_id for t in found if t.order_id}
                   | {h.order_id for h in held})
    cfg = ws.config.fulfilment
    out = QueueView(queues=[(k, q.name or k) for k, q in cfg.queues.items()])
    for t in found:
        ref = refs.get(t.order_id) if t.order_id else None
        if _keep(ref, f):
            out.tasks.append((t, ref, t.overdue(now)))
    for h in held:
        ref = refs.get(h.order_id)
        if _keep(ref, f):
            out.holds.append((h, ref))
    out.kinds = sorted({h.kind for h, _ in out.holds} | {t.source_kind for t, _, _ in out.tasks}
                       | ({f.kind} if f.kind else set()))
    return out
