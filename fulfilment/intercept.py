"""Late interception: stopping an order the warehouse already has.

When a blocking hold, a refund request or a cancellation reaches an order after its release:

* at the warehouse (``released``, ``picking``): an ``intercept`` document to the WMS through
  the outbox (key ``wms-intercept:<order>``, then ``:1``, ``:2`` for later ones), and the
  intercept hooks (:mod:`.hooks`: the waybill is cancelled); the order is back in ``routed``,
  and releasing it again sends the warehouse its order document again;
* already shipped: a 物流拦截 task in the cs queue with carrier and tracking number (key
  ``logistics-intercept:<order>``), since only the carrier can stop the parcel now.

A WMS answering ``ALREADY_PACKED`` / ``ALREADY_SHIPPED`` makes the message dead; the
dispatcher's ``on_dead`` hook (:func:`too_late`) then opens a warehouse task.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, func, select

from .. import wms
from ..service.schema import outbox
from ..store.bulk import insert_ignore
from ..store.schema import orders
from . import hooks, stages, tasks
from .schema import shipments
from .stages import Actor


def intercept_if_released(conn: Connection, order_id: str, reason: str, actor: Actor,
                          now: datetime, *, stage: str | None = None,
                          config: Any = None) -> str | None:
    """Intercept the order if the warehouse has it or it shipped; returns what was done
    (``wms``, ``logistics``) or None."""
    stage = stage or stages.stage_of(conn, order_id)
    if stage in stages.AT_WAREHOUSE:
        _wms_intercept(conn, order_id, reason, actor, now)
        return "wms"
    if stage in stages.SHIPPED and stage != "delivered":
        _logistics_task(conn, order_id, reason, actor, now, config)
        return "logistics"
    return None


def _order_row(conn: Connection, order_id: str) -> Any:
    return conn.execute(select(orders.c.platform, orders.c.platform_order_no)
                        .where(orders.c.id == order_id)).one()


def _wms_intercept(conn: Connection, order_id: str, reason: str, actor: Actor,
                   now: datetime) -> None:
    earlier = conn.execute(select(func.count()).select_from(outbox).where(
        outbox.c.order_id == order_id,
        outbox.c.idempotency_key.startswith(f"wms-intercept:{order_id}"))).scalar() or 0
    key = f"wms-intercept:{order_id}" + (f":{earlier}" if earlier else "")
    row = _order_row(conn, order_id)
    push = conn.execute(select(outbox.c.payload).where(
        outbox.c.order_id == order_id, outbox.c.kind == "wms",
        ~outbox.c.idempotency_key.startswith("wms-intercept:")).order_by(outbox.c.id)).first()
    to = push.payload.get("to") if push is not None and isinstance(push.payload, dict) else None
    doc = wms.intercept_document(order_id, row.platform, row.platform_order_no,
                                 stages.warehouse_of(conn, order_id), reason, now)
    insert_ignore(conn, outbox, [{"kind": "wms", "idempotency_key": key, "order_id": order_id,
                                  "payload": wms.message(doc, to), "status": "pending",
                                  "attempts": 0, "next_attempt_at": now, "created_at": now}])
    stages.log(conn, order_id, "intercept", actor, reason, now, data={"to": "wms", "key": key})
    hooks.run_intercept(conn, order_id, reason, now)
    # the warehouse was told to stop: the order is ours again until released once more
    stages.move(conn, order_id, "routed", actor, f"intercepted: {reason}", now)


def _logistics_task(conn: Connection, order_id: str, reason: str, actor: Actor,
                    now: datetime, config: Any) -> None:
    parcels = conn.execute(select(shipments.c.carrier, shipments.c.tracking_no)
                           .where(shipments.c.order_id == order_id)
                           .order_by(shipments.c.shipped_at)).all()
    row = _order_row(conn, order_id)
    where = ", ".join(f"{p.carrier} {p.tracking_no}" for p in parcels) or "运单号未知"
    tasks.open_on(conn, key=f"logistics-intercept:{order_id}", order_id=order_id, queue="cs",
                  title=f"物流拦截 {row.platform}:{row.platform_order_no}（{where}）：{reason}",
                  actor=actor, now=now, priority=90, config=config,
                  data={"parcels": [{"carrier": p.carrier, "tracking_no": p.tracking_no}
                                    for p in parcels], "reason": reason})
    stages.log(conn, order_id, "intercept", actor, reason, now,
               data={"to": "carrier", "parcels": [p.tracking_no for p in parcels]})


def too_late(engine: Engine, config: Any = None) -> Any:
    """An ``on_dead`` hook for the dispatcher: a WMS intercept refused as too late opens a
    warehouse task (the parcel must be found and stopped by hand)."""

    def hook(message: Any, error: Any) -> None:
        code = getattr(error, "code", None)
        if message.kind != "wms" or not str(message.idempotency_key).startswith(
                "wms-intercept:") or code not in wms.TOO_LATE:
            return
        now = datetime.now(UTC)
        order_id = message.order_id
        with engine.begin() as conn:
            row = _order_row(conn, order_id)
            actor = Actor("system", "wms")
            tasks.open_on(conn, key=f"wms-too-late:{order_id}", order_id=order_id,
                          queue="warehouse", priority=95, actor=actor, now=now, config=config,
                          title=f"拦截失败（{code}）{row.platform}:{row.platform_order_no}："
                                "仓库已打包，请人工找回包裹",
                          data={"code": code, "error": str(error)})
            stages.log(conn, order_id, "intercept_failed", actor, str(error), now,
                        data={"code": code})

    return hook


def ship_rejected(engine: Engine, config: Any = None) -> Any:
    """An ``on_dead`` hook: a platform refusing the ship write-back (``ShipRejected``) opens a
    cs task; "refunding, cannot ship" means the parcel left for a refunding order, so the task
    is a 物流拦截 with carrier and tracking number."""

    def hook(message: Any, error: Any) -> None:
        reason = getattr(error, "reason", None)
        if message.kind != "platform_ship" or reason is None or reason == "already_shipped":
            return
        now = datetime.now(UTC)
        p = message.payload or {}
        parcel = f"{p.get('carrier')} {p.get('tracking_no')}"
        with engine.begin() as conn:
            row = _order_row(conn, message.order_id)
            label = f"{row.platform}:{row.platform_order_no}"
            title = (f"物流拦截 {label}（{parcel}）：平台退款中，拒绝发货回传"
                     if reason == "refunding"
                     else f"发货回传被拒（{reason}）{label}（{parcel}）：{error}")
            actor = Actor("platform", str(p.get("platform") or row.platform))
            tasks.open_on(conn, key=f"ship-rejected:{message.idempotency_key}",
                          order_id=message.order_id, queue="cs", priority=90, actor=actor,
                          now=now, config=config, title=title,
                          data={"reason": reason, "carrier": p.get("carrier"),
                                "tracking_no": p.get("tracking_no"), "error": str(error)})
            stages.log(conn, message.order_id, "writeback_refused", actor, str(error), now,
                       data={"reason": reason})

    return hook


def on_dead(engine: Engine, config: Any = None) -> Any:
    """The dispatcher's ``on_dead`` callback for fulfilment: both hooks above."""
    hooks_ = (too_late(engine, config), ship_rejected(engine, config))

    def hook(message: Any, error: Any) -> None:
        for h in hooks_:
            h(message, error)

    return hook
