"""The review queue (审单 / 异常处理): tasks from rules, flows and people.

A task lives in a queue (cs, warehouse, purchasing, finance, or any configured in
``fulfilment.queues``) with a priority (higher first), an assignee, and a due time: opened at +
the queue's SLA.  Status ``open -> claimed -> done | cancelled`` (an open task may be done or
cancelled directly).  Notes accumulate; a resolution acts on the order when the task is done:
``release`` (release its holds), ``cancel`` (cancel the order), ``address`` (correct the
address and re-route), ``reroute`` (route again, or to a named warehouse).  Every person's
action is audited with before and after.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, insert, or_, select, update

from ..errors import NotFound
from . import audit, stages
from .config import FulfilmentConfig
from .errors import TaskStateError
from .schema import tasks
from .stages import Actor

STATUSES = ("open", "claimed", "done", "cancelled")
OPEN = ("open", "claimed")


@dataclass(frozen=True, slots=True)
class Task:
    id: int
    key: str
    order_id: str | None
    queue: str
    title: str
    priority: int
    status: str
    assignee: str | None
    source_kind: str
    source: str | None
    created_at: datetime
    due_at: datetime | None
    updated_at: datetime
    notes: list[dict[str, Any]]
    resolution: dict[str, Any] | None
    data: dict[str, Any] | None

    def overdue(self, now: datetime | None = None) -> bool:
        return (self.status in OPEN and self.due_at is not None
                and self.due_at < (now or datetime.now(UTC)))

    def as_json(self) -> dict[str, Any]:
        out = {k: getattr(self, k) for k in self.__slots__}
        for k in ("created_at", "due_at", "updated_at"):
            out[k] = out[k].isoformat() if out[k] else None
        out["overdue"] = self.overdue()
        return out


def _task(row: Any) -> Task:
    return Task(**{k: row._mapping[k] for k in Task.__slots__})


def open_on(conn: Connection, *, key: str, order_id: str | None, queue: str, title: str,
            actor: Actor, now: datetime, priority: int = 50, config: Any = None,
            data: dict[str, Any] | None = None) -> bool:
    """Open a task once per ``key`` (queue names and aliases resolved, due by its SLA);
    returns whether it is new."""
    cfg: FulfilmentConfig = config or FulfilmentConfig()
    if conn.execute(select(tasks.c.id).where(tasks.c.key == key)).first() is not None:
        return False
    q = cfg.queue(queue)
    conn.execute(insert(tasks).values(
        key=key, order_id=order_id, queue=q, title=title, priority=priority, status="open",
        source_kind=actor.kind, source=actor.name, created_at=now, due_at=now + cfg.sla(q),
        updated_at=now, notes=[], data=data))
    if order_id:
        stages.log(conn, order_id, "task", actor, title, now, data={"queue": q, "key": key})
    return True


def list_tasks(ws: Any, *, queue: str | None = None, assignee: str | None = None,
               overdue: bool = False, status: str | None = None, order: str | None = None,
               now: datetime | None = None, limit: int = 200) -> list[Task]:
    """Open and claimed tasks (or those of ``status``), most urgent first: priority, then
    due time."""
    now = now or datetime.now(UTC)
    query = select(tasks).order_by(tasks.c.priority.desc(), tasks.c.due_at, tasks.c.id)
    query = query.where(tasks.c.status == status) if status else \
        query.where(tasks.c.status.in_(OPEN))
    if queue:
        query = query.where(tasks.c.queue == _config(ws).queue(queue))
    if assignee:
        query = query.where(tasks.c.assignee == assignee)
    if overdue:
        query = query.where(tasks.c.due_at < now, tasks.c.status.in_(OPEN))
    if order:
        query = query.where(tasks.c.order_id == ws.store.get(order).id)
    with ws.store.engine.connect() as conn:
        return [_task(r) for r in conn.execute(query.limit(limit))]


def get(ws: Any, task_id: int) -> Task:
    with ws.store.engine.connect() as conn:
        row = conn.execute(select(tasks).where(tasks.c.id == task_id)).first()
    if row is None:
        raise NotFound(f"no task {task_id}")
    return _task(row)


def claim(ws: Any, task_id: int, person: str, *, note: str | None = None,
          now: datetime | None = None) -> Task:
    """Take the task: it is yours until done, cancelled, or someone takes it over."""
    return _change(ws, task_id, person, "claim", now, note, allowed=OPEN,
                   values={"status": "claimed", "assignee": person})


def add_note(ws: Any, task_id: int, person: str, note: str,
             now: datetime | None = None) -> Task:
    return _change(ws, task_id, person, "note", now, note, allowed=OPEN, values={})


def cancel(ws: Any, task_id: int, person: str, *, note: str | None = None,
           now: datetime | None = None) -> Task:
    return _change(ws, task_id, person, "cancel", now, note, allowed=OPEN,
                   values={"status": "cancelled"})


def done(ws: Any, task_id: int, person: str, *, note: str | None = None,
         resolution: dict[str, Any] | None = None, now: datetime | None = None) -> Task:
    """Close the task; ``resolution`` acts on its order in the same transaction:
    ``{"action": "release"}``, ``{"action": "cancel"}``, ``{"action": "address",
    "receiver": {...}}``, ``{"action": "reroute", "warehouse": "GZ"}``."""
    return _change(ws, task_id, person, "done", now, note, allowed=OPEN,
                   values={"status": "done", "resolution": resolution}, resolution=resolution)


def _change(ws: Any, task_id: int, person: str, action: str, now: datetime | None,
            note: str | None, *, allowed: tuple[str, ...], values: dict[str, Any],
            resolution: dict[str, Any] | None = None) -> Task:
    now = now or datetime.now(UTC)
    engine = ws.store.engine
    if resolution:
        from .actions import plan

        order_id = get(ws, task_id).order_id
        if order_id:
            resolution = plan(ws, order_id, resolution, now)
            values = {**values, "resolution": resolution}
    with engine.begin() as conn:
        row = conn.execute(select(tasks).where(tasks.c.id == task_id).with_for_update()).first()
        if row is None:
            raise NotFound(f"no task {task_id}")
        before = _task(row)
        if before.status not in allowed:
            raise TaskStateError(f"task {task_id} is {before.status}; cannot {action} it")
        notes = list(before.notes or [])
        if note:
            notes.append({"at": now.isoformat(), "by": person, "text": note})
        conn.execute(update(tasks).where(tasks.c.id == task_id, or_(
            tasks.c.status == before.status)).values(notes=notes, updated_at=now, **values))
        after = _task(conn.execute(select(tasks).where(tasks.c.id == task_id)).one())
        audit.record(conn, person, f"task_{action}", "task", task_id, now,
                     order_id=before.order_id, reason=note,
                     before={"status": before.status, "assignee": before.assignee},
                     after={"status": after.status, "assignee": after.assignee,
                            "resolution": resolution})
        if before.order_id:
            stages.log(conn, before.order_id, f"task_{action}", Actor("person", person),
                       note or before.title, now, data={"task": task_id})
        if resolution and before.order_id:
            from .actions import resolve

            resolve(ws, conn, before.order_id, resolution, person, note or before.title, now)
    return after


def _config(ws: Any) -> FulfilmentConfig:
    return getattr(ws.config, "fulfilment", None) or FulfilmentConfig()
