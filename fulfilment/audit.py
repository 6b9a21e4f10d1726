"""The audit trail: every human action with person, time, what, before and after.

Rows are written in the transaction of the action itself, so an action and its audit row
commit together.  ``before`` / ``after`` are small JSON snapshots of what changed (a hold's
state, a task's status and assignee, an address).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, insert, select

from .schema import audit_log


@dataclass(frozen=True, slots=True)
class AuditEntry:
    id: int
    at: datetime
    person: str
    action: str
    target_kind: str
    target: str
    order_id: str | None
    reason: str | None
    before: Any
    after: Any

    def as_json(self) -> dict[str, Any]:
        return {"id": self.id, "at": self.at.isoformat(), "person": self.person,
                "action": self.action, "target_kind": self.target_kind, "target": self.target,
                "order_id": self.order_id, "reason": self.reason, "before": self.before,
                "after": self.after}


def record(conn: Connection, person: str, action: str, target_kind: str, target: str | int,
           now: datetime, *, order_id: str | None = None, reason: str | None = None,
           before: Any = None, after: Any = None) -> None:
    conn.execute(insert(audit_log).values(
        at=now, person=person, action=action, target_kind=target_kind, target=str(target),
        order_id=order_id, reason=reason, before=before, after=after))


def entries(engine: Engine, *, order_id: str | None = None, person: str | None = None,
            limit: int = 200) -> list[AuditEntry]:
    """Audit rows, oldest first, for one order or one person."""
    query = select(audit_log).order_by(audit_log.c.id.desc()).limit(limit)
    if order_id is not None:
        query = query.where(audit_log.c.order_id == order_id)
    if person is not None:
        query = query.where(audit_log.c.person == person)
    with engine.connect() as conn:
        return [AuditEntry(**r._mapping) for r in conn.execute(query)][::-1]
