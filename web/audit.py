"""The audit trail: who changed what, when, with the state before and after.

Every state-changing console request records one entry (the app refuses to let a POST route
finish without one, see :mod:`orderhub.web.app`); entries that concern an order carry its id so
the order page can show them in its history.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, insert, select

from .schema import audit


@dataclass(frozen=True, slots=True)
class AuditEntry:
    id: int
    at: datetime
    who: str
    action: str
    target: str | None
    order_id: str | None
    before: Any
    after: Any
    client: str | None


def record(engine: Engine, who: str, action: str, *, target: str | None = None,
           order_id: str | None = None, before: Any = None, after: Any = None,
           client: str | None = None, now: datetime | None = None) -> None:
    with engine.begin() as conn:
        conn.execute(insert(audit).values(
            at=now or datetime.now(UTC), who=who, action=action,
            target=None if target is None else target[:256], order_id=order_id,
            before=before, after=after, client=client))


def entries(engine: Engine, *, order_id: str | None = None, limit: int = 200
            ) -> list[AuditEntry]:
    """Newest first; only those of one order with ``order_id``."""
    query = select(audit).order_by(audit.c.id.desc()).limit(limit)
    if order_id is not None:
        query = query.where(audit.c.order_id == order_id)
    with engine.connect() as conn:
        return [AuditEntry(**r._asdict()) for r in conn.execute(query)]
