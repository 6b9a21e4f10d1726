"""Holds are data: an order with an open *blocking* hold is never released to the warehouse.

A hold has a kind (:data:`KINDS`), a reason, its source (rule and rule-set version, flow node,
person, platform) and open / released times.  Rules' ``hold`` and ``freeze`` and flows' ``hold``
nodes open blocking holds; a platform refund request opens one too (a parcel for a refunding
order must not leave).  A rule's ``flag`` only marks the order (a timeline entry, no hold).

Routing may still choose a warehouse and reserve the stock of a held order; its outputs wait in
``held_outputs`` (:mod:`.outputs`).  Releasing the last blocking hold moves the order to
``released`` and sends them, once.  The public functions take the workspace, as the CLI and the
web console hold it, and audit every person's action.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, insert, select, update

from ..errors import OrderhubError
from ..store.bulk import one_of
from . import audit, outputs, stages
from .errors import FulfilmentError
from .schema import holds
from .stages import Actor

#: Hold kinds, and what they mean.
KINDS = {
    "risk_hold": "风控暂停 (a risk rule's `hold`)",
    "freeze": "冻结 (a rule's `freeze`: a person must release it)",
    "refund": "退款中 (the platform reports a refund request)",
    "address": "地址待确认 (the receiver must confirm or correct the address)",
    "no_stock": "缺货 (no warehouse has the stock)",
    "manual": "人工暂停 (a person held it)",
}
#: A hold target named by a rule or flow -> the hold kind.
TARGET_KINDS = {"waybill": "risk_hold", "shipment": "freeze", "address": "address",
                "address_unknown": "address", "needs_confirmation": "address",
                "no_stock": "no_stock", "refund": "refund", "manual": "manual"}


@dataclass(frozen=True, slots=True)
class Hold:
    id: int
    order_id: str
    kind: str
    blocking: bool
    reason: str | None
    source_kind: str
    source: str | None
    opened_at: datetime
    released_at: datetime | None
    released_by: str | None
    release_reason: str | None

    @property
    def open(self) -> bool:
        return self.released_at is None

    def label(self) -> str:
        """``hold #3 freeze (rule purchase_limit@ab12): ...``: as a refusal names it."""
        why = f": {self.reason}" if self.reason else ""
        return f"hold #{self.id} {self.kind} ({self.source_kind} {self.source}){why}"

    def as_json(self) -> dict[str, Any]:
        return {k: (v.isoformat() if isinstance(v, datetime) else v)
                for k, v in ((s, getattr(self, s)) for s in self.__slots__)}


def _hold(row: Any) -> Hold:
    m = row._mapping
    return Hold(**{k: m[k] for k in Hold.__slots__})


def kind_for(action: str, target: str | None) -> str:
    """The hold kind for a rule's ``hold X`` / ``freeze X`` or a flow's ``hold`` node."""
    if action == "freeze":
        return "freeze"
    return TARGET_KINDS.get(target or "", target or "risk_hold")


def open_holds(conn: Connection, order_ids: Iterable[str], *,
               blocking: bool = True) -> dict[str, list[Hold]]:
    """The open holds of each order (only blocking ones unless ``blocking=False``)."""
    ids = list(order_ids)
    if not ids:
        return {}
    query = select(holds).where(one_of(holds.c.order_id, ids, conn.dialect.name),
                                holds.c.released_at.is_(None)).order_by(holds.c.id)
    if blocking:
        query = query.where(holds.c.blocking.is_(True))
    out: dict[str, list[Hold]] = {}
    for row in conn.execute(query):
        out.setdefault(row.order_id, []).append(_hold(row))
    return out


def existing_keys(conn: Connection, keys: Iterable[str]) -> set[str]:
    """Those of ``keys`` that holds were opened under already."""
    wanted = list(keys)
    if not wanted:
        return set()
    return set(conn.execute(select(holds.c.key).where(
        one_of(holds.c.key, wanted, conn.dialect.name))).scalars())


def place(conn: Connection, order_id: str, key: str, kind: str, reason: str | None,
          actor: Actor, now: datetime, *, blocking: bool = True) -> bool:
    """Open a hold once per ``key``; returns whether it is new."""
    found = conn.execute(select(holds.c.id).where(holds.c.key == key)).first()
    if found is not None:
        return False
    conn.execute(insert(holds).values(
        key=key, order_id=order_id, kind=kind, blocking=blocking, reason=reason,
        source_kind=actor.kind, source=actor.name, opened_at=now))
    stages.log(conn, order_id, "hold", actor, reason, now, data={"kind": kind, "key": key})
    return True


def release_on(conn: Connection, order_id: str, actor: Actor, reason: str, now: datetime, *,
               hold_id: int | None = None, kinds: Iterable[str] | None = None) -> list[Hold]:
    """Release the order's open holds (one, some kinds, or all) and, when no blocking hold is
    left, release the order to the warehouse.  Returns the holds released."""
    query = select(holds).where(holds.c.order_id == order_id, holds.c.released_at.is_(None))
    if hold_id is not None:
        query = query.where(holds.c.id == hold_id)
    if kinds is not None:
        query = query.where(holds.c.kind.in_(list(kinds)))
    found = [_hold(r) for r in conn.execute(query.with_for_update())]
    for h in found:
        conn.execute(update(holds).where(holds.c.id == h.id, holds.c.released_at.is_(None))
                     .values(released_at=now, released_by=str(actor), release_reason=reason))
        stages.log(conn, order_id, "release", actor, reason, now,
                   data={"hold": h.id, "kind": h.kind})
    if found:
        release_if_clear(conn, order_id, actor, reason, now)
    return found


def release_if_clear(conn: Connection, order_id: str, actor: Actor, why: str,
                     now: datetime) -> bool:
    """No open blocking hold and the order routed: send its waiting outputs, mark it
    ``released``.  Returns whether it was released now."""
    if open_holds(conn, [order_id]).get(order_id):
        return False
    if stages.stage_of(conn, order_id) != "routed":
        return False
    if not outputs.release(conn, order_id, now) and not outputs.repush(conn, order_id, now):
        return False  # routed, but nothing to hand over (the flow has no output)
    stages.move(conn, order_id, "released", actor, why, now, current="routed")
    return True


# -- the API people use (CLI, web console) -----------------------------------------------------

def list_holds(ws: Any, *, open_only: bool = True, order: str | None = None,
               kind: str | None = None, limit: int = 200) -> list[Hold]:
    query = select(holds).order_by(holds.c.opened_at, holds.c.id).limit(limit)
    if open_only:
        query = query.where(holds.c.released_at.is_(None))
    if order is not None:
        query = query.where(holds.c.order_id == ws.store.get(order).id)
    if kind is not None:
        query = query.where(holds.c.kind == kind)
    with ws.store.engine.connect() as conn:
        return [_hold(r) for r in conn.execute(query)]


def hold(ws: Any, order: str, reason: str, person: str, *, kind: str = "manual",
         now: datetime | None = None) -> Hold:
    """A person holds an order (intercepted at the warehouse if it was released already)."""
    if not reason.strip():
        raise FulfilmentError("a hold needs a reason")
    now = now or datetime.now(UTC)
    order_id = ws.store.get(order).id
    actor = Actor("person", person)
    key = f"manual:{order_id}:{now.isoformat()}"
    with ws.store.engine.begin() as conn:
        place(conn, order_id, key, kind, reason, actor, now)
        row = conn.execute(select(holds).where(holds.c.key == key)).one()
        audit.record(conn, person, "hold", "hold", row.id, now, order_id=order_id,
                     reason=reason, after={"kind": kind, "open": True})
        from .intercept import intercept_if_released

        intercept_if_released(conn, order_id, f"人工暂停: {reason}", actor, now)
    return _hold(row)


def release(ws: Any, order: str, reason: str, person: str, *, hold_id: int | None = None,
            now: datetime | None = None) -> list[Hold]:
    """A person releases the order's open holds (or one, ``hold_id``) with a reason; when none
    blocks any more, its outputs go to the warehouse, once."""
    if not reason.strip():
        raise FulfilmentError("releasing a hold needs a reason (--reason)")
    now = now or datetime.now(UTC)
    order_id = ws.store.get(order).id
    warehouse = _unrouted_warehouse(ws, order_id, now)
    with ws.store.engine.begin() as conn:
        from ..engine.routing.ledger import lock_order

        lock_order(conn, order_id)  # not while a routing of this order is being committed
        actor = Actor("person", person)
        released = release_on(conn, order_id, actor, reason, now, hold_id=hold_id)
        if (released and warehouse and stages.stage_of(conn, order_id) == "new"
                and not open_holds(conn, [order_id]).get(order_id)):
            from .actions import reroute_on

            reroute_on(ws, conn, order_id, actor, reason, now, warehouse=warehouse)
        if not released:
            raise FulfilmentError(f"order {order} has no open hold"
                                  + (f" #{hold_id}" if hold_id is not None else ""))
        for h in released:
            audit.record(conn, person, "release_hold", "hold", h.id, now, order_id=order_id,
                         reason=reason, before={"kind": h.kind, "open": True},
                         after={"kind": h.kind, "open": False})
    return released


def _unrouted_warehouse(ws: Any, order_id: str, now: datetime) -> str | None:
    """Where the flows would send an order that was never routed (held before its routing,
    e.g. a refund requested before it was paid), planned before the release's transaction;
    None when it is routed already or the flows route it nowhere (a refund still open)."""
    with ws.store.engine.connect() as conn:
        if stages.stage_of(conn, order_id) != "new":
            return None
    from .actions import plan

    try:
        return plan(ws, order_id, {"action": "reroute"}, now).get("warehouse")
    except OrderhubError:  # no flow routes it now (a refund still open, no stock): release only
        return None


#: What each rule action does to fulfilment (docs/rules.md, ``orderhub rules check``).
EFFECTS = {"hold": "blocks", "freeze": "blocks", "release": "releases", "flag": "marks",
           "task": "opens a task", "notify": "sends", "sms": "sends", "set": "sets"}


def effects(rule: Any) -> str:
    """``blocks (hold waybill), opens a task (客服审核)``: what a compiled rule's actions do."""
    parts = []
    for spec in getattr(rule, "actions", []):
        p = spec.node.params
        detail = p.get("target") or p.get("flag") or p.get("queue") or p.get("channel") or ""
        parts.append(f"{EFFECTS.get(spec.kind, spec.kind)} ({spec.kind} {detail})".replace(
            " )", ")"))
    return ", ".join(parts)


def outcomes(conn: Connection, order_ids: Iterable[str]) -> dict[str, dict[str, list[str]]]:
    """What the rules and flows decided about each order so far, as flows read it
    (``order.flags``, ``order.holds``): the flags raised and the kinds of the open holds."""
    from .schema import fulfilment_log

    ids = list(order_ids)
    out: dict[str, dict[str, list[str]]] = {}
    if not ids:
        return out
    for order_id, found in open_holds(conn, ids, blocking=False).items():
        out.setdefault(order_id, {"flags": [], "holds": []})["holds"] = sorted(
            {h.kind for h in found})
    rows = conn.execute(select(fulfilment_log.c.order_id, fulfilment_log.c.why).where(
        one_of(fulfilment_log.c.order_id, ids, conn.dialect.name),
        fulfilment_log.c.kind == "flag"))
    for row in rows:
        flags = out.setdefault(row.order_id, {"flags": [], "holds": []})["flags"]
        if row.why and row.why not in flags:
            flags.append(row.why)
    return out
