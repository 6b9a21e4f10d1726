"""Fulfilment in the decision's transaction: holds become real where the service records a
decision.

:class:`Gate` is called by the event queue (``EventQueue.gate``) with the batch's committed
outcomes and the outbox and action rows about to be written, on the decision's connection.
Per order (a batch holds at most one event per order) it

1. opens holds for rules' ``hold`` / ``freeze`` and flows' ``hold`` nodes, and for a platform
   refund request; records ``flag`` as a mark; opens tasks (queue, SLA due time);
2. moves a routed order to ``routed`` and, if no blocking hold is open, its warehouse outputs
   (WMS push, pick-list line) go out and it is ``released``; otherwise they wait in
   ``held_outputs`` until the last blocking hold is released;
3. intercepts an order the warehouse already has (or that shipped) when a blocking hold or a
   refund / cancellation arrives; a completed refund or a cancellation cancels the order and
   releases its reservations.

A batch with none of these costs two set lookups and nothing else.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from ..store.bulk import insert_ignore
from . import holds, outputs, stages
from .config import FulfilmentConfig
from .intercept import intercept_if_released
from .schema import fulfilment_log, fulfilment_orders
from .stages import Actor
from .tasks import open_on

ACTION_KINDS = frozenset({"hold", "freeze", "flag", "task", "route", "release", "pick_list",
                          "set"})
EVENT_KINDS = frozenset({"refund_requested", "refunded", "cancelled", "status_changed"})


class Gate:
    def __init__(self, config: FulfilmentConfig | None = None) -> None:
        self.config = config or FulfilmentConfig()

    def __call__(self, conn: Connection, kept: Sequence[Any], messages: list[dict[str, Any]],
                 actions: list[dict[str, Any]], now: datetime
                 ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """Returns the outbox and action rows to write now (the others wait on a hold)."""
        wanted = {m["order_id"] for m in messages if m["kind"] in outputs.WAREHOUSE_MESSAGES}
        wanted.update(a["order_id"] for a in actions if a["kind"] in ACTION_KINDS)
        wanted.update(o.claim.order_id for o in kept if o.event_type in EVENT_KINDS)
        if not wanted:
            return messages, actions
        current = stages.stages_of(conn, wanted)
        blocked = {k for k, v in holds.open_holds(conn, wanted).items() if v}
        by_order: dict[str, tuple[list[dict[str, Any]], list[dict[str, Any]]]] = {}
        for m in messages:
            if m["order_id"] in wanted:
                by_order.setdefault(m["order_id"], ([], []))[0].append(m)
        for a in actions:
            if a["order_id"] in wanted:
                by_order.setdefault(a["order_id"], ([], []))[1].append(a)
        held = {r["idempotency_key"] for rows in by_order.values() for part in rows
                for r in part}
        send: set[str] = set()
        keys = [a["idempotency_key"] for a in actions
                if a["kind"] in ("hold", "freeze") and a["order_id"] in wanted]
        keys += [_refund_key(o) for o in kept if o.event_type == "refund_requested"]
        batch = _Writes(holds.existing_keys(conn, keys))
        for o in kept:
            order_id = o.claim.order_id
            if order_id not in wanted or o.evaluation is None:
                continue
            mine_m, mine_a = by_order.get(order_id, ([], []))
            stage = current.get(order_id, ("new", None))[0]
            send |= self._order(conn, o, order_id, stage, blocked, mine_m, mine_a, now, batch)
        batch.flush(conn, now)
        keep_m = [m for m in messages if m["idempotency_key"] not in held
                  or m["idempotency_key"] in send]
        keep_a = [a for a in actions if a["idempotency_key"] not in held
                  or a["idempotency_key"] in send]
        return keep_m, keep_a

    def _order(self, conn: Connection, o: Any, order_id: str, stage: str, blocked: set[str],
               messages: list[dict[str, Any]], actions: list[dict[str, Any]],
               now: datetime, batch: _Writes) -> set[str]:
        """One order's outcome; returns the keys of its rows to write now."""
        rules_version = o.evaluation.versions.rules
        new_block: str | None = None
        for a in actions:
            kind, params = a["kind"], a["params"] or {}
            actor = _actor(params, rules_version)
            if kind in ("hold", "freeze"):
                target = params.get("target") or params.get("name")
                reason = params.get("reason") or f"{actor}: {kind} {target}"
                if batch.hold(order_id, a["idempotency_key"], holds.kind_for(kind, target),
                              reason, actor):
                    blocked.add(order_id)
                    new_block = new_block or reason
            elif kind == "flag":
                stages.log(conn, order_id, "flag", actor, params.get("flag"), now)
            elif kind == "set":
                set_field(conn, order_id, params, actor, now)
            elif kind == "task":
                open_on(conn, key=a["idempotency_key"], order_id=order_id,
                        queue=params.get("queue") or "cs", title=params.get("title") or "",
                        actor=actor, now=now, config=self.config,
                        priority=int(params.get("priority") or 50))
            elif kind == "release":
                target = params.get("target")
                holds.release_on(conn, order_id, actor, f"{actor}: release {target}", now,
                                 kinds=[holds.kind_for("hold", target)])
                if not holds.open_holds(conn, [order_id]).get(order_id):
                    blocked.discard(order_id)
        new_block = self._platform(conn, o, order_id, stage, blocked, now, batch) or new_block
        if new_block and stage in stages.AT_WAREHOUSE | stages.SHIPPED:
            intercept_if_released(conn, order_id, new_block, _actor_of(o), now, stage=stage,
                                  config=self.config)
        if o.event_type in ("refunded", "cancelled"):
            self._cancelled(conn, order_id, o.event_type, stage, now)
            return set()
        route = next((a for a in actions if a["kind"] == "route"), None)
        flow = Actor("flow", str(route["params"].get("flow"))) if route is not None else None
        fresh = route is not None and stage == "new"  # routed by this very decision
        if fresh and route is not None:  # fresh implies a route
            warehouse = route["params"].get("warehouse")
            batch.stage(order_id, "new", "routed", warehouse, flow, f"→ {warehouse}")
            stage = "routed"
        out_m = [m for m in messages if m["kind"] in outputs.WAREHOUSE_MESSAGES]
        out_a = [a for a in actions if a["kind"] in outputs.WAREHOUSE_ACTIONS]
        outs = {r["idempotency_key"] for r in out_m + out_a}
        others = {r["idempotency_key"] for r in messages + actions} - outs
        if order_id in blocked and stage in ("new", "routed"):
            batch.defer_m += out_m
            batch.defer_a += out_a
            return others
        if route is not None and flow is not None and stage == "routed":  # flow iff route
            why = "no blocking hold: handed to the warehouse"
            if fresh:
                batch.stage(order_id, "routed", "released", None, flow, why)
            else:
                stages.move(conn, order_id, "released", flow, why, now, current="routed")
        return others | outs

    def _platform(self, conn: Connection, o: Any, order_id: str, stage: str,
                  blocked: set[str], now: datetime, batch: _Writes) -> str | None:
        """Refund requests hold the order; a refund closed (refunding -> paid) releases that
        hold.  Returns the reason of a new blocking hold."""
        actor = _actor_of(o)
        if o.event_type == "refund_requested":
            reason = "买家申请退款"
            if batch.hold(order_id, _refund_key(o), "refund", reason, actor):
                blocked.add(order_id)
                return reason
        elif o.event_type == "status_changed":
            data = o.event_data or {}
            if data.get("from") == "refunding" and data.get("to") == "paid":
                holds.release_on(conn, order_id, actor, "退款关闭", now, kinds=["refund"])
                if not holds.open_holds(conn, [order_id]).get(order_id):
                    blocked.discard(order_id)
        elif o.event_type in ("refunded", "cancelled") and stage in stages.AT_WAREHOUSE:
            return "退款完成" if o.event_type == "refunded" else "订单已取消"
        return None

    def _cancelled(self, conn: Connection, order_id: str, event: str, stage: str,
                   now: datetime) -> None:
        from ..engine.routing.ledger import release_order

        why = "退款完成" if event == "refunded" else "平台取消"
        release_order(conn, order_id, why, actor="platform", now=now)
        outputs.drop(conn, order_id, now)
        if stage in stages.SHIPPED:
            stages.log(conn, order_id, "note", Actor("platform", "platform"),
                       f"{why} after shipping", now)
        elif stage != "cancelled" and stage != "historical":
            stages.move(conn, order_id, "cancelled", Actor("platform", "platform"), why, now)


class _Writes:
    """The batch's common writes, made in bulk at the end: stage rows of orders routed (and
    released) by this batch, their log rows, outputs that wait on a hold."""

    def __init__(self, existing: set[str]) -> None:
        self.existing = existing  # hold keys already stored
        self.holds: list[dict[str, Any]] = []
        self.stages: dict[str, dict[str, Any]] = {}
        self.logs: list[dict[str, Any]] = []
        self.defer_m: list[dict[str, Any]] = []
        self.defer_a: list[dict[str, Any]] = []

    def stage(self, order_id: str, was: str, to: str, warehouse: str | None,
              actor: Actor | None, why: str) -> None:
        stages.check(was, to)
        row = self.stages.setdefault(order_id, {"order_id": order_id, "warehouse": warehouse})
        row["stage"] = to
        self._log(order_id, "stage", actor, why, was, to, None)

    def hold(self, order_id: str, key: str, kind: str, reason: str | None,
             actor: Actor) -> bool:
        """Open a blocking hold once per key; returns whether it is new."""
        if key in self.existing:
            return False
        self.existing.add(key)
        self.holds.append({"key": key, "order_id": order_id, "kind": kind, "blocking": True,
                           "reason": reason, "source_kind": actor.kind, "source": actor.name})
        self._log(order_id, "hold", actor, reason, None, None, {"kind": kind, "key": key})
        return True

    def _log(self, order_id: str, kind: str, actor: Actor | None, why: str | None,
             was: str | None, to: str | None, data: dict[str, Any] | None) -> None:
        a = actor or stages.SYSTEM
        self.logs.append({"order_id": order_id, "kind": kind, "stage_from": was,
                          "stage_to": to, "actor_kind": a.kind, "actor": a.name, "why": why,
                          "data": data})

    def flush(self, conn: Connection, now: datetime) -> None:
        if self.holds:
            insert_ignore(conn, holds.holds, [{**h, "opened_at": now, "released_at": None,
                                               "released_by": None, "release_reason": None}
                                              for h in self.holds])
        if self.stages:
            insert_ignore(conn, fulfilment_orders, [{**r, "updated_at": now}
                                                    for r in self.stages.values()])
        if self.logs:
            insert_ignore(conn, fulfilment_log, [{**r, "at": now} for r in self.logs])
        if self.defer_m or self.defer_a:
            outputs.defer(conn, self.defer_m, self.defer_a, now)


def set_field(conn: Connection, order_id: str, params: dict[str, Any], actor: Actor,
              now: datetime) -> None:
    """A rule's or flow's ``set``: stored with the order (``order_fields``), and a timeline
    entry saying what it was before."""
    from ..engine.fields import changes
    from ..store import fields

    name, value = str(params.get("field")), params.get("value")
    current = fields.stored(conn, [order_id]).get(order_id, {})
    if name == "tags":
        value = changes({"tags": current.get("tags") or []}, "tags", value)["tags"]
    was = fields.record(conn, order_id, name, value, str(actor), now)
    if was == value and name in current:
        return
    stages.log(conn, order_id, "set", actor, f"{name} = {value!r} (was {was!r})", now,
               data={"field": name, "value": value, "was": was})


def _refund_key(o: Any) -> str:
    return f"refund:{o.claim.order_id}:{o.claim.event_id}"


def _actor(params: dict[str, Any], rules_version: str | None) -> Actor:
    if params.get("rule"):
        return Actor("rule", f"{params['rule']}@{rules_version or '-'}")
    if params.get("source"):
        return Actor("flow", str(params["source"]).removeprefix("flow "))
    return Actor("system", "evaluator")


def _actor_of(o: Any) -> Actor:
    return Actor("platform", str(getattr(o, "platform", None) or "platform"))
