"""Warehouse outputs of a held order: kept in ``held_outputs`` until the last blocking hold
is released, then written to the outbox (WMS push) or the order's actions (pick-list line)
under their own idempotency keys: whoever releases, however often, they go out once.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select, update

from ..service.schema import order_actions, outbox
from ..store.bulk import insert_ignore
from .schema import held_outputs

#: Outbox message kinds and order-action kinds that hand an order to the warehouse.
WAREHOUSE_MESSAGES = frozenset({"wms"})
WAREHOUSE_ACTIONS = frozenset({"pick_list", "waybill"})


def defer(conn: Connection, messages: Sequence[dict[str, Any]],
          actions: Sequence[dict[str, Any]], now: datetime) -> None:
    """Keep outbox rows and action rows (as the service builds them) until release."""
    rows = [{"idempotency_key": m["idempotency_key"], "order_id": m["order_id"],
             "target": "outbox", "kind": m["kind"], "payload": m["payload"],
             "created_at": now, "status": "waiting"} for m in messages]
    rows += [{"idempotency_key": a["idempotency_key"], "order_id": a["order_id"],
              "target": "action", "kind": a["kind"],
              "payload": {"params": a["params"], "decision_event_id": a["decision_event_id"]},
              "created_at": now, "status": "waiting"} for a in actions]
    insert_ignore(conn, held_outputs, rows)


def release(conn: Connection, order_id: str, now: datetime) -> int:
    """Send the order's waiting outputs (once: the status flips where still waiting)."""
    rows = conn.execute(select(held_outputs).where(held_outputs.c.order_id == order_id,
                                                   held_outputs.c.status == "waiting")
                        .order_by(held_outputs.c.id)).all()
    if not rows:
        return 0
    flipped = conn.execute(update(held_outputs).where(
        held_outputs.c.id.in_([r.id for r in rows]), held_outputs.c.status == "waiting")
        .values(status="released", closed_at=now)).rowcount
    if flipped != len(rows):  # someone else released them in between: theirs stands
        return 0
    insert_ignore(conn, outbox, [
        {"kind": r.kind, "idempotency_key": r.idempotency_key, "order_id": order_id,
         "payload": r.payload, "status": "pending", "attempts": 0, "next_attempt_at": now,
         "created_at": now} for r in rows if r.target == "outbox"])
    insert_ignore(conn, order_actions, [
        {"idempotency_key": r.idempotency_key, "order_id": order_id, "kind": r.kind,
         "params": r.payload["params"], "decision_event_id": r.payload["decision_event_id"],
         "at": now} for r in rows if r.target == "action"])
    return len(rows)


def drop(conn: Connection, order_id: str, now: datetime) -> int:
    """Forget the order's waiting outputs (cancelled, or re-routed elsewhere)."""
    return int(conn.execute(update(held_outputs).where(
        held_outputs.c.order_id == order_id, held_outputs.c.status == "waiting")
        .values(status="dropped", closed_at=now)).rowcount or 0)


def waiting(conn: Connection, order_id: str) -> list[dict[str, Any]]:
    return [dict(r._mapping) for r in conn.execute(
        select(held_outputs).where(held_outputs.c.order_id == order_id)
        .order_by(held_outputs.c.id))]


def repush(conn: Connection, order_id: str, now: datetime) -> int:
    """Send an intercepted order's warehouse outputs again (its last WMS order document and
    pick-list line, under new keys): it was stopped, and is now released once more."""
    from sqlalchemy import func

    push = conn.execute(select(outbox).where(
        outbox.c.order_id == order_id, outbox.c.kind.in_(list(WAREHOUSE_MESSAGES)),
        ~outbox.c.idempotency_key.startswith("wms-intercept:")).order_by(outbox.c.id.desc())
    ).first()
    if push is None:
        return 0
    n = conn.execute(select(func.count()).select_from(outbox).where(
        outbox.c.order_id == order_id, outbox.c.idempotency_key.like("%:again:%"))).scalar()
    suffix = f":again:{(n or 0) + 1}"
    insert_ignore(conn, outbox, [{
        "kind": push.kind, "idempotency_key": push.idempotency_key.split(":again:")[0] + suffix,
        "order_id": order_id, "payload": push.payload, "status": "pending", "attempts": 0,
        "next_attempt_at": now, "created_at": now}])
    pick = conn.execute(select(order_actions).where(
        order_actions.c.order_id == order_id,
        order_actions.c.kind.in_(list(WAREHOUSE_ACTIONS))).order_by(order_actions.c.id.desc())
    ).first()
    if pick is not None:
        insert_ignore(conn, order_actions, [{
            "idempotency_key": pick.idempotency_key.split(":again:")[0] + suffix,
            "order_id": order_id, "kind": pick.kind, "params": pick.params,
            "decision_event_id": pick.decision_event_id, "at": now}])
    return 1
