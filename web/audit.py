"""The console's side of the audit trail: every state-changing request, with who, what, when,
the target and the state before and after.

There is one audit table, fulfilment's ``audit_log`` (:mod:`orderhub.fulfilment.audit`):
queue actions (claim, release, cancel, address) are recorded there by the fulfilment API in
their own transaction, and everything else the console changes (rule switches and saves,
reconciliations, retries, sign-ins) through :func:`record` here.  Entries naming an order show
on its timeline (:func:`orderhub.fulfilment.timeline.timeline`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine

from ..fulfilment import audit as trail
from ..fulfilment.audit import AuditEntry

__all__ = ["AuditEntry", "entries", "record"]


def record(engine: Engine, who: str, action: str, *, target: str | None = None,
           order_id: str | None = None, before: Any = None, after: Any = None,
           reason: str | None = None, now: datetime | None = None) -> None:
    """One entry; ``action`` is ``area.verb`` (``rules.enable``), its area the target kind."""
    with engine.begin() as conn:
        trail.record(conn, who[:128], action[:32], action.split(".", 1)[0][:16],
                     (target or "")[:64], now or datetime.now(UTC), order_id=order_id,
                     reason=reason, before=before, after=after)


def entries(engine: Engine, *, order_id: str | None = None, person: str | None = None,
            limit: int = 200) -> list[AuditEntry]:
    """Newest first."""
    return trail.entries(engine, order_id=order_id, person=person, limit=limit)[::-1]
