"""Order lookups by fulfilment state, for ``orders list --held / --stage / --overdue``."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from ..store.schema import orders
from .errors import FulfilmentError
from .schema import fulfilment_orders, holds, tasks
from .stages import STAGES


def order_ids(ws: Any, *, held: bool = False, stage: str | None = None,
              overdue: bool = False, now: datetime | None = None) -> set[str]:
    """Ids of the orders matching every filter given."""
    now = now or datetime.now(UTC)
    sets: list[set[str]] = []
    with ws.store.engine.connect() as conn:
        if held:
            sets.append(set(conn.execute(select(holds.c.order_id).where(
                holds.c.released_at.is_(None), holds.c.blocking.is_(True))).scalars()))
        if stage:
            if stage not in STAGES:
                raise FulfilmentError(f"unknown stage {stage!r}; one of {', '.join(STAGES)}")
            if stage == "new":  # no fulfilment row yet
                sets.append(set(conn.execute(select(orders.c.id).where(orders.c.id.not_in(
                    select(fulfilment_orders.c.order_id)))).scalars()))
            else:
                sets.append(set(conn.execute(select(fulfilment_orders.c.order_id).where(
                    fulfilment_orders.c.stage == stage)).scalars()))
        if overdue:
            sets.append(set(conn.execute(select(tasks.c.order_id).where(
                tasks.c.status.in_(("open", "claimed")), tasks.c.due_at < now,
                tasks.c.order_id.is_not(None))).scalars()))
    return set.intersection(*sets) if sets else set()
