"""What a person does to an order: cancel it, correct its address, route it again.

Each runs in one transaction with its audit row and timeline entries; tasks' resolutions
(:func:`resolve`) call the same code.  Cancelling releases the order's reservations and, if the
warehouse has it, intercepts it; correcting the address re-routes the order and releases its
address holds; re-routing releases the old reservation, drops outputs that were waiting, reserves
at the new warehouse and hands it over unless a blocking hold remains.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, func, insert, select, update

from .. import wms
from ..service.schema import order_actions
from ..store.bulk import insert_ignore
from ..store.schema import order_events, orders
from . import audit, holds, outputs, stages
from .errors import FulfilmentError
from .intercept import intercept_if_released
from .stages import Actor

RECEIVER_FIELDS = ("name", "phone", "province", "city", "district", "address")


def cancel(ws: Any, order: str, reason: str, person: str,
           now: datetime | None = None) -> str:
    """Cancel the order for fulfilment (not on the platform); returns the stage it left."""
    if not reason.strip():
        raise FulfilmentError("cancelling an order needs a reason (--reason)")
    now = now or datetime.now(UTC)
    order_id = ws.store.get(order).id
    with ws.store.engine.begin() as conn:
        return cancel_on(conn, order_id, reason, Actor("person", person), now)


def cancel_on(conn: Connection, order_id: str, reason: str, actor: Actor,
              now: datetime) -> str:
    from ..engine.routing.ledger import release_order

    was = stages.stage_of(conn, order_id)
    stages.check(was, "cancelled")
    intercept_if_released(conn, order_id, reason, actor, now, stage=was)
    release_order(conn, order_id, f"cancelled: {reason}", actor=str(actor), now=now)
    outputs.drop(conn, order_id, now)
    stages.move(conn, order_id, "cancelled", actor, reason, now, current=was)
    if actor.kind == "person":
        audit.record(conn, actor.name, "cancel", "order", order_id, now, order_id=order_id,
                     reason=reason, before={"stage": was}, after={"stage": "cancelled"})
    return was


def correct_address(ws: Any, order: str, person: str, reason: str | None = None,
                    now: datetime | None = None, **receiver: str | None) -> dict[str, Any]:
    """Correct (or, with no fields, confirm) the receiver; re-route the order and release its
    address holds.  Returns the receiver as it now stands."""
    now = now or datetime.now(UTC)
    order_id = ws.store.get(order).id
    receiver = plan(ws, order_id, {"action": "address", "receiver": receiver}, now)["receiver"]
    with ws.store.engine.begin() as conn:
        return correct_address_on(ws, conn, order_id, receiver, person,
                                  reason or "地址已确认", now)


def plan(ws: Any, order_id: str, resolution: dict[str, Any], now: datetime) -> dict[str, Any]:
    """Choose the warehouse of a re-route before the transaction that does it (routing reads
    stock and history on connections of its own, which SQLite's writer would lock out)."""
    action = resolution.get("action")
    if action not in ("address", "reroute") or resolution.get("warehouse"):
        return resolution
    order = ws.store.get(order_id)
    changes = {k: v for k, v in (resolution.get("receiver") or {}).items() if v is not None}
    if action == "address":
        if not changes:
            return resolution
        order = order.model_copy(update={"receiver": order.receiver.model_copy(update={
            k: v for k, v in changes.items() if k in RECEIVER_FIELDS})})
        return {**resolution, "receiver": {**changes, "_warehouse": _route(ws, order, now)}}
    return {**resolution, "warehouse": _route(ws, order, now)}


def correct_address_on(ws: Any, conn: Connection, order_id: str, receiver: dict[str, Any],
                       person: str, reason: str, now: datetime) -> dict[str, Any]:
    warehouse = receiver.get("_warehouse")
    changes = {k: v for k, v in receiver.items() if k in RECEIVER_FIELDS and v is not None}
    unknown = set(receiver) - set(RECEIVER_FIELDS) - {"_warehouse"}
    if unknown:
        raise FulfilmentError(f"unknown receiver field(s): {', '.join(sorted(unknown))}; "
                              f"one of {', '.join(RECEIVER_FIELDS)}")
    row = conn.execute(select(orders.c.doc).where(orders.c.id == order_id)).one()
    doc = json.loads(row.doc)
    before = {k: doc.get("receiver", {}).get(k) for k in RECEIVER_FIELDS}
    actor = Actor("person", person)
    if changes:
        doc.setdefault("receiver", {}).update(changes)
        conn.execute(update(orders).where(orders.c.id == order_id).values(
            doc=json.dumps(doc, ensure_ascii=False), updated_at=now,
            **{f"receiver_{k}": v for k, v in changes.items()}))
        conn.execute(insert(order_events).values(
            order_id=order_id, type="address_changed", at=now,
            data={"changes": {k: [before[k], v] for k, v in changes.items()}, "by": person}))
        if stages.stage_of(conn, order_id) in ("new", "routed", "released"):
            reroute_on(ws, conn, order_id, actor, f"地址更正: {reason}", now,
                       warehouse=warehouse)
    after = {**before, **changes}
    audit.record(conn, person, "correct_address" if changes else "confirm_address", "order",
                 order_id, now, order_id=order_id, reason=reason, before=before, after=after)
    holds.release_on(conn, order_id, actor, reason, now, kinds=["address"])
    return after


def reroute(ws: Any, order: str, person: str, *, warehouse: str | None = None,
            reason: str = "人工改仓", now: datetime | None = None) -> str:
    """Route the order again (through the flows, or to ``warehouse``); returns the warehouse."""
    now = now or datetime.now(UTC)
    order_id = ws.store.get(order).id
    warehouse = warehouse or plan(ws, order_id, {"action": "reroute"}, now)["warehouse"]
    with ws.store.engine.begin() as conn:
        was = stages.warehouse_of(conn, order_id)
        code = reroute_on(ws, conn, order_id, Actor("person", person), reason, now,
                          warehouse=warehouse)
        audit.record(conn, person, "reroute", "order", order_id, now, order_id=order_id,
                     reason=reason, before={"warehouse": was}, after={"warehouse": code})
    return code


def reroute_on(ws: Any, conn: Connection, order_id: str, actor: Actor, reason: str,
               now: datetime, *, warehouse: str | None = None) -> str:
    from ..engine.routing.ledger import lock_order, post, release_order
    from ..engine.routing.workspace import workspace_network

    lock_order(conn, order_id)  # its SKUs: no routing of it commits meanwhile (PostgreSQL)
    order = _order(conn, order_id)
    stage = stages.stage_of(conn, order_id)
    if stage not in ("new", "routed", "released"):
        raise FulfilmentError(f"order {order.label} is {stage}: too late to re-route")
    network = workspace_network(ws)
    code = warehouse or stages.warehouse_of(conn, order_id)
    if not code:
        raise FulfilmentError(f"order {order.label}: no warehouse chosen (see plan())")
    if code not in network.warehouses:
        raise FulfilmentError(f"unknown warehouse {code!r}; one of "
                              f"{', '.join(sorted(network.warehouses))}")
    if stage in stages.AT_WAREHOUSE:
        intercept_if_released(conn, order_id, f"改仓: {reason}", actor, now, stage=stage)
    release_order(conn, order_id, f"re-route: {reason}", actor=str(actor), now=now)
    outputs.drop(conn, order_id, now)
    needs: dict[str, int] = {}
    for item in order.items:
        if item.sku and item.quantity:
            needs[item.sku] = needs.get(item.sku, 0) + item.quantity
    post(conn, [(code, sku, "reserve", 0, q, order_id, f"re-route: {reason}", str(actor))
                for sku, q in sorted(needs.items())], now=now)
    n = conn.execute(select(func.count()).select_from(order_actions).where(
        order_actions.c.order_id == order_id, order_actions.c.kind == "route")).scalar() or 0
    base = f"reroute:{order_id}:{n}"
    insert_ignore(conn, order_actions, [{
        "idempotency_key": f"route:{order_id}:{base}", "order_id": order_id, "kind": "route",
        "params": {"warehouse": code, "by": str(actor), "reason": reason},
        "decision_event_id": 0, "at": now}])
    stages.move(conn, order_id, "routed", actor, f"{reason} → {code}", now, current=stage,
                warehouse=code, data={"warehouse": code})
    from ..engine.routing.nodes.output import pick_list_body

    to = network.warehouses[code].config.wms_url
    message = {"kind": "wms", "idempotency_key": f"{base}:wms", "order_id": order_id,
               "payload": wms.message(wms.order_document(order, code), to)}
    pick = {"kind": "pick_list", "idempotency_key": f"{base}:pick_list", "order_id": order_id,
            "params": {**pick_list_body(order), "warehouse": code}, "decision_event_id": 0}
    outputs.defer(conn, [message], [pick], now)
    holds.release_if_clear(conn, order_id, actor, reason, now)
    return code


def _route(ws: Any, order: Any, now: datetime) -> str:
    from ..engine.routing.router import Router
    from ..engine.routing.workspace import routing_state, workspace_flows

    result = Router(workspace_flows(ws), routing_state(ws, now), now=now, history=ws.store,
                    trace=False).route(order, "paid")
    if result.error or not result.warehouse:
        why = result.error or "; ".join(result.reasons) or "no warehouse"
        raise FulfilmentError(f"routing {order.label} found no warehouse: {why}")
    return str(result.warehouse)


def _order(conn: Connection, order_id: str) -> Any:
    from ..model import Order

    row = conn.execute(select(orders.c.doc).where(orders.c.id == order_id)).one()
    from ..store.fields import overlay

    order = Order.model_validate_json(row.doc)
    order.id = order_id
    return overlay(conn, [order])[0]  # the WMS push carries what rules and flows set


def resolve(ws: Any, conn: Connection, order_id: str, resolution: dict[str, Any],
            person: str, why: str, now: datetime) -> None:
    """A task's resolution, acted on the order in the task's transaction."""
    action = resolution.get("action")
    actor = Actor("person", person)
    reason = str(resolution.get("reason") or why)
    if action == "release":
        if not holds.release_on(conn, order_id, actor, reason, now):
            raise FulfilmentError("the order has no open hold to release")
        audit.record(conn, person, "release_hold", "order", order_id, now, order_id=order_id,
                     reason=reason, before={"held": True}, after={"held": False})
    elif action == "cancel":
        cancel_on(conn, order_id, reason, actor, now)
    elif action == "address":
        correct_address_on(ws, conn, order_id, dict(resolution.get("receiver") or {}), person,
                           reason, now)
    elif action == "reroute":
        reroute_on(ws, conn, order_id, actor, reason, now, warehouse=resolution.get("warehouse"))
    else:
        raise FulfilmentError(f"unknown resolution {action!r}; one of release, cancel, "
                              "address, reroute")




def picking(ws: Any, order: str, person: str, now: datetime | None = None) -> None:
    """The warehouse started on the order (a scan, a WMS callback): ``released -> picking``."""
    now = now or datetime.now(UTC)
    order_id = ws.store.get(order).id
    with ws.store.engine.begin() as conn:
        if holds.open_holds(conn, [order_id]).get(order_id):
            raise FulfilmentError(f"order {order} is on hold; it may not be picked")
        was = stages.move(conn, order_id, "picking", Actor("person", person), "拣货开始", now)
        audit.record(conn, person, "picking", "order", order_id, now, order_id=order_id,
                     before={"stage": was}, after={"stage": "picking"})


__all__ = ["cancel", "correct_address", "picking", "reroute", "resolve"]
