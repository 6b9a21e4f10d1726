"""Warehouse exceptions (异常上报): damaged, out of stock, wrong address, missing item, other.

Each one stores its photos (cleaned by :mod:`.media`), opens a CS task carrying them, and goes
on the order's timeline with them, so customer service sees the problem at once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import insert, select, update

from . import audit, stages, tasks
from .errors import FulfilmentError
from .media import MediaStore, media_of, store_photo
from .scan_schema import scan_exceptions
from .stages import Actor

KINDS = {"damaged": "破损", "out_of_stock": "缺货", "wrong_address": "地址错误",
         "missing_item": "少件", "other": "其他"}


@dataclass(frozen=True, slots=True)
class Reported:
    id: int
    order_id: str
    kind: str
    task_id: int
    photos: list[str]


def report(ws: Any, order: str, kind: str, person: str, *, note: str = "",
           photos: Sequence[tuple[str, bytes]] = (), media: MediaStore | None = None,
           now: datetime | None = None) -> Reported:
    """Report an exception with photos ((filename, bytes) pairs): a CS task and a timeline
    entry, both naming the photos."""
    if kind not in KINDS:
        raise FulfilmentError(f"exception kind {kind!r}: one of {', '.join(KINDS)}")
    now = now or datetime.now(UTC)
    o = ws.store.get(order)
    order_id = str(o.id)
    store = media or media_of(ws)
    names = [store_photo(store, data, filename=fn) for fn, data in photos if data]
    title = f"仓库异常：{KINDS[kind]} {o.label}" + (f" — {note}" if note else "")
    actor = Actor("person", person)
    cfg = getattr(ws.config, "fulfilment", None)
    with ws.store.engine.begin() as conn:
        ex_id = int(conn.execute(insert(scan_exceptions).values(
            order_id=order_id, kind=kind, note=note or None, photos=names, person=person,
            at=now)).inserted_primary_key[0])
        key = f"scan_exception:{ex_id}"
        tasks.open_on(conn, key=key, order_id=order_id, queue="cs", title=title, actor=actor,
                      now=now, priority=70, config=cfg,
                      data={"exception": ex_id, "kind": kind, "photos": names})
        task_id = int(conn.execute(select(tasks.tasks.c.id).where(tasks.tasks.c.key == key)
                                   ).scalar_one())
        conn.execute(update(scan_exceptions).where(scan_exceptions.c.id == ex_id)
                     .values(task_id=task_id))
        stages.log(conn, order_id, "exception", actor, title, now,
                   data={"kind": kind, "photos": names, "task": task_id})
        audit.record(conn, person, "exception", "order", order_id, now, order_id=order_id,
                     reason=note or None, after={"kind": kind, "photos": names,
                                                 "task": task_id})
    return Reported(ex_id, order_id, kind, task_id, names)
