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

from . import holds, outputs, stages
from .config import FulfilmentConfig
from .intercept import intercept_if_released
from .stages import Actor
from .tasks import open_on

ACTION_KINDS = frozenset({"hold", "freeze", "flag", "task", "route", "release", "pick_list"})
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
        held_msgs = {m["idempotency_key"] for m in messages if m["order_id"] in wanted}
        held_acts = {a["idempotency_key"] for a in actions if a["order_id"] in wanted}
        send: set[str] = set()
        for o in kept:
            order_id = o.claim.order_id
            if order_id not in wanted or o.evaluation is None:
                continue
            mine_m = [m for m in messages if m["order_id"] == order_id]
            mine_a = [a for a in actions if a["order_id"] == order_id]
            stage = current.get(order_id, ("new", None))[0]
            send |= self._order(conn, o, order_id, stage, blocked, mine_m, mine_a, now)
        keep_m = [m for m in messages if m["idempotency_key"] not in held_msgs
                  or m["idempotency_key"] in send]
        keep_a = [a for a in actions if a["idempotency_key"] not in held_acts
                  or a["idempotency_key"] in send]
        return keep_m, keep_a

    def _order(self, conn: Connection, o: Any, order_id: str, stage: str, blocked: set[str],
               messages: list[dict[str, Any]], actions: list[dict[str, Any]],
               now: datetime) -> set[str]:
        """One order's outcome; returns the keys of its rows to write now."""
        rules_version = o.evaluation.versions.rules
        new_block: str | None = None
        for a in actions:
            kind, params = a["kind"], a["params"] or {}
            actor = _actor(params, rules_version)
            if kind in ("hold", "freeze"):
                target = params.get("target") or params.get("name")
                reason = params.get("reason") or f"{actor}: {kind} {target}"
                if holds.place(conn, order_id, a["idempotency_key"],
                               holds.kind_for(kind, target), reason, actor, now):
                    blocked.add(order_id)
                    new_block = new_block or reason
            elif kind == "flag":
                stages.log(conn, order_id, "flag", actor, params.get("flag"), now)
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
        new_block = self._platform(conn, o, order_id, stage, blocked, now) or new_block
        if new_block and stage in stages.AT_WAREHOUSE | stages.SHIPPED:
            intercept_if_released(conn, order_id, new_block, _actor_of(o), now, stage=stage,
                                  config=self.config)
        if o.event_type in ("refunded", "cancelled"):
            self._cancelled(conn, order_id, o.event_type, stage, now)
            return set()
        route = next((a for a in actions if a["kind"] == "route"), None)
        if route is not None and stage == "new":
            params = route["params"]
            stage = "routed"
            stages.move(conn, order_id, "routed", Actor("flow", str(params.get("flow"))),
                        f"→ {params.get('warehouse')}", now, current="new",
                        warehouse=params.get("warehouse"), data={"warehouse":
                                                                 params.get("warehouse")})
        out_m = [m for m in messages if m["kind"] in outputs.WAREHOUSE_MESSAGES]
        out_a = [a for a in actions if a["kind"] in outputs.WAREHOUSE_ACTIONS]
        others = {r["idempotency_key"] for r in messages + actions
                  if r not in out_m and r not in out_a}
        if order_id in blocked and stage in ("new", "routed"):
            outputs.defer(conn, out_m, out_a, now)
            return others
        if route is not None and stage == "routed":
            stages.move(conn, order_id, "released", Actor("flow", str(route["params"].get(
                "flow"))), "no blocking hold: handed to the warehouse", now, current="routed")
        return others | {r["idempotency_key"] for r in out_m + out_a}

    def _platform(self, conn: Connection, o: Any, order_id: str, stage: str,
                  blocked: set[str], now: datetime) -> str | None:
        """Refund requests hold the order; a refund closed (refunding -> paid) releases that
        hold.  Returns the reason of a new blocking hold."""
        actor = _actor_of(o)
        if o.event_type == "refund_requested":
            reason = "买家申请退款"
            if holds.place(conn, order_id, f"refund:{order_id}:{o.claim.event_id}", "refund",
                           reason, actor, now):
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
        from ..engine.flows.ledger import release_order

        why = "退款完成" if event == "refunded" else "平台取消"
        release_order(conn, order_id, why, actor="platform", now=now)
        outputs.drop(conn, order_id, now)
        if stage in stages.SHIPPED:
            stages.log(conn, order_id, "note", Actor("platform", "platform"),
                       f"{why} after shipping", now)
        elif stage != "cancelled" and stage != "historical":
            stages.move(conn, order_id, "cancelled", Actor("platform", "platform"), why, now,
                        current=stage)


def _actor(params: dict[str, Any], rules_version: str | None) -> Actor:
    if params.get("rule"):
        return Actor("rule", f"{params['rule']}@{rules_version or '-'}")
    if params.get("source"):
        return Actor("flow", str(params["source"]).removeprefix("flow "))
    return Actor("system", "evaluator")


def _actor_of(o: Any) -> Actor:
    return Actor("platform", str(getattr(o, "platform", None) or "platform"))
