"""Decisions that need a supervisor (主管审批): reship, refund, write-off, ship despite a hold.

A warehouse person :func:`request`s one with a reason; a supervisor :func:`decide`s it with a
comment.  Approval acts on the order: ``ship_held`` releases its holds (so it may ship),
``refund`` cancels it for fulfilment and opens a CS task to refund on the platform, ``reship``
opens a warehouse task to send it again, ``write_off`` a finance task to write the goods off.
Request and decision are audited and go on the order's timeline with who and why.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import insert, select, update

from ..errors import NotFound
from . import actions, audit, holds, stages, tasks
from .errors import FulfilmentError, TaskStateError
from .scan_schema import approvals
from .stages import Actor

KINDS = {"reship": "补发", "refund": "退款", "write_off": "报损", "ship_held": "拦截放行"}


@dataclass(frozen=True, slots=True)
class Approval:
    id: int
    order_id: str
    kind: str
    reason: str
    status: str
    requested_by: str
    requested_at: datetime
    decided_by: str | None
    decided_at: datetime | None
    comment: str | None

    @property
    def title(self) -> str:
        return KINDS.get(self.kind, self.kind)

    def as_json(self) -> dict[str, Any]:
        out = {k: getattr(self, k) for k in self.__slots__}
        for k in ("requested_at", "decided_at"):
            out[k] = out[k].isoformat() if out[k] else None
        return out


def _approval(row: Any) -> Approval:
    return Approval(**{k: row._mapping[k] for k in Approval.__slots__})


def request(ws: Any, order: str, kind: str, reason: str, person: str, *,
            now: datetime | None = None) -> Approval:
    if kind not in KINDS:
        raise FulfilmentError(f"approval kind {kind!r}: one of {', '.join(KINDS)}")
    if not reason.strip():
        raise FulfilmentError("an approval request needs a reason")
    now = now or datetime.now(UTC)
    order_id = str(ws.store.get(order).id)
    with ws.store.engine.begin() as conn:
        new_id = int(conn.execute(insert(approvals).values(
            order_id=order_id, kind=kind, reason=reason.strip(), status="pending",
            requested_by=person, requested_at=now)).inserted_primary_key[0])
        stages.log(conn, order_id, "approval", Actor("person", person),
                   f"申请{KINDS[kind]}：{reason}", now, data={"approval": new_id})
        audit.record(conn, person, "approval_request", "approval", new_id, now,
                     order_id=order_id, reason=reason, after={"kind": kind})
        return _approval(conn.execute(select(approvals).where(approvals.c.id == new_id)).one())


def get(ws: Any, approval_id: int) -> Approval:
    with ws.store.engine.connect() as conn:
        row = conn.execute(select(approvals).where(approvals.c.id == approval_id)).first()
    if row is None:
        raise NotFound(f"no approval {approval_id}")
    return _approval(row)


def pending(ws: Any, *, limit: int = 100) -> list[Approval]:
    with ws.store.engine.connect() as conn:
        return [_approval(r) for r in conn.execute(
            select(approvals).where(approvals.c.status == "pending")
            .order_by(approvals.c.id).limit(limit))]


def of_order(ws: Any, order_id: str) -> list[Approval]:
    with ws.store.engine.connect() as conn:
        return [_approval(r) for r in conn.execute(
            select(approvals).where(approvals.c.order_id == order_id).order_by(approvals.c.id))]


def decide(ws: Any, approval_id: int, approve: bool, person: str, comment: str, *,
           now: datetime | None = None) -> Approval:
    """Approve or reject with a comment; approval acts on the order (see the module)."""
    if not comment.strip():
        raise FulfilmentError("a decision needs a comment")
    now = now or datetime.now(UTC)
    status = "approved" if approve else "rejected"
    label = ws.store.get(get(ws, approval_id).order_id).label
    with ws.store.engine.begin() as conn:
        changed = conn.execute(update(approvals).where(
            approvals.c.id == approval_id, approvals.c.status == "pending").values(
            status=status, decided_by=person, decided_at=now, comment=comment.strip()))
        row = conn.execute(select(approvals).where(approvals.c.id == approval_id)).first()
        if row is None:
            raise NotFound(f"no approval {approval_id}")
        if changed.rowcount != 1:
            raise TaskStateError(f"approval {approval_id} is {row.status} already")
        a = _approval(row)
        verb = "批准" if approve else "驳回"
        stages.log(conn, a.order_id, "approval", Actor("person", person),
                   f"{verb}{a.title}：{comment}", now,
                   data={"approval": a.id, "status": status})
        audit.record(conn, person, f"approval_{status}", "approval", a.id, now,
                     order_id=a.order_id, reason=comment,
                     before={"status": "pending"}, after={"status": status, "kind": a.kind})
        if approve:
            _act_on(ws, conn, a, label, person, comment, now)
    if approve and a.kind == "ship_held":
        holds.release(ws, a.order_id, f"主管{person}批准放行：{comment}", person, now=now)
    return a


def _act_on(ws: Any, conn: Any, a: Approval, label: str, person: str, comment: str,
            now: datetime) -> None:
    actor = Actor("person", person)
    cfg = getattr(ws.config, "fulfilment", None)
    if a.kind == "refund":
        actions.cancel_on(conn, a.order_id, f"主管批准退款：{comment}", actor, now)
        tasks.open_on(conn, key=f"approval:{a.id}", order_id=a.order_id, queue="cs",
                      title=f"退款（主管 {person} 已批准）{label}：{a.reason}", actor=actor,
                      now=now, priority=80, config=cfg, data={"approval": a.id})
    elif a.kind == "reship":
        tasks.open_on(conn, key=f"approval:{a.id}", order_id=a.order_id, queue="warehouse",
                      title=f"补发（主管 {person} 已批准）{label}：{a.reason}", actor=actor,
                      now=now, priority=80, config=cfg, data={"approval": a.id})
    elif a.kind == "write_off":
        tasks.open_on(conn, key=f"approval:{a.id}", order_id=a.order_id, queue="finance",
                      title=f"报损（主管 {person} 已批准）{label}：{a.reason}", actor=actor,
                      now=now, priority=60, config=cfg, data={"approval": a.id})


def decided(ws: Any, *, limit: int = 20) -> list[Approval]:
    """The latest decisions, newest first (who approved or rejected what)."""
    with ws.store.engine.connect() as conn:
        return [_approval(r) for r in conn.execute(
            select(approvals).where(approvals.c.status != "pending")
            .order_by(approvals.c.decided_at.desc(), approvals.c.id.desc()).limit(limit))]
