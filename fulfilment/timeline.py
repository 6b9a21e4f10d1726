"""One timeline per order: everything that happened to it, in time order.

Platform events (``order_events``), the service's decisions (rule hits with the rule and the
rule-set version), routing decisions, fulfilment's log (stages, holds and releases, flags,
tasks and their actions, intercepts), the audit trail, outbox messages with their delivery
state, shipments and stock movements (the ledger).  ``orderhub orders show`` prints it; the
web console reads :func:`timeline`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select

from ..service.schema import decisions, outbox
from ..store.schema import order_events
from .schema import audit_log, fulfilment_log, shipments


@dataclass(frozen=True, slots=True)
class Entry:
    at: datetime
    source: str  # platform, rules, routing, fulfilment, person, outbox, shipping, stock
    kind: str
    who: str | None
    what: str
    data: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {"at": self.at.isoformat(), "source": self.source, "kind": self.kind,
                "who": self.who, "what": self.what, "data": self.data}


def timeline(ws: Any, order: str) -> list[Entry]:
    order_id = str(ws.store.get(order).id)
    with ws.store.engine.connect() as conn:
        entries = (_events(conn, order_id) + _decisions(conn, order_id)
                   + _routes(conn, order_id) + _log(conn, order_id) + _audit(conn, order_id)
                   + _outbox(conn, order_id) + _shipments(conn, order_id)
                   + _stock(conn, order_id))
    order_of = {s: i for i, s in enumerate(("platform", "rules", "routing", "fulfilment",
                                            "person", "shipping", "stock", "outbox"))}
    return sorted(entries, key=lambda e: (e.at, order_of.get(e.source, 9)))


def _events(conn: Connection, order_id: str) -> list[Entry]:
    rows = conn.execute(select(order_events).where(order_events.c.order_id == order_id)
                        .order_by(order_events.c.id))
    return [Entry(r.at, "platform", r.type, (r.data or {}).get("by") or "platform",
                  _short(r.data), {"event_id": r.id, **(r.data or {})}) for r in rows]


def _decisions(conn: Connection, order_id: str) -> list[Entry]:
    out = []
    for r in conn.execute(select(decisions).where(decisions.c.order_id == order_id)
                          .order_by(decisions.c.id)):
        hits = [a for a in r.actions or [] if (a.get("params") or {}).get("rule")]
        if r.outcome == "error":
            out.append(Entry(r.at, "rules", "error", r.worker, str(r.error)))
        for a in hits:
            p = a["params"]
            detail = p.get("target") or p.get("flag") or p.get("title") or p.get("text") or ""
            if a["kind"] == "set":
                detail = f"{p.get('field')} = {p.get('value')!r}"
            out.append(Entry(r.at, "rules", "rule_hit", f"rule {p['rule']}@{r.rules_version}",
                             f"{a['kind']} {detail}".strip(),
                             {"event": r.event_type, "key": a["key"]}))
    return out


def _routes(conn: Connection, order_id: str) -> list[Entry]:
    from ..engine.routing.stock import route_decisions

    rows = conn.execute(select(route_decisions).where(route_decisions.c.order_id == order_id)
                        .order_by(route_decisions.c.id))
    return [Entry(r.at, "routing", "route", f"flow {r.flow} {r.version}",
                  f"→ {r.warehouse or 'no warehouse'}"
                  + (f" (carrier {(r.result or {}).get('carrier')})"
                     if (r.result or {}).get("carrier") else "") + ": "
                  + "; ".join((r.result or {}).get("reasons", [])),
                  {"warehouse": r.warehouse, "diverted_from": r.diverted_from}) for r in rows]


def _log(conn: Connection, order_id: str) -> list[Entry]:
    rows = conn.execute(select(fulfilment_log).where(fulfilment_log.c.order_id == order_id)
                        .order_by(fulfilment_log.c.id))
    out = []
    for r in rows:
        what = r.why or ""
        if r.kind == "stage":
            what = f"{r.stage_from} → {r.stage_to}" + (f": {r.why}" if r.why else "")
        out.append(Entry(r.at, "fulfilment", r.kind, f"{r.actor_kind} {r.actor}", what,
                         dict(r.data or {})))
    return out


def _audit(conn: Connection, order_id: str) -> list[Entry]:
    rows = conn.execute(select(audit_log).where(audit_log.c.order_id == order_id)
                        .order_by(audit_log.c.id))
    return [Entry(r.at, "person", r.action, r.person,
                  f"{r.target_kind} {r.target}" + (f": {r.reason}" if r.reason else ""),
                  {"before": r.before, "after": r.after}) for r in rows]


def _outbox(conn: Connection, order_id: str) -> list[Entry]:
    rows = conn.execute(select(outbox).where(outbox.c.order_id == order_id)
                        .order_by(outbox.c.id))
    out = []
    for r in rows:
        doc = (r.payload or {}).get("document") if isinstance(r.payload, dict) else None
        label = f"{r.kind} {doc.get('type')}" if isinstance(doc, dict) else r.kind
        state = r.status + (f" ({r.last_error})" if r.last_error else "")
        out.append(Entry(r.created_at, "outbox", r.kind, None, f"{label}: {state}",
                         {"id": r.id, "key": r.idempotency_key, "status": r.status,
                          "attempts": r.attempts,
                          "sent_at": r.sent_at.isoformat() if r.sent_at else None}))
    return out


def _shipments(conn: Connection, order_id: str) -> list[Entry]:
    rows = conn.execute(select(shipments).where(shipments.c.order_id == order_id)
                        .order_by(shipments.c.shipped_at))
    return [Entry(r.shipped_at, "shipping", "shipment", r.shipped_by,
                  f"{r.carrier} {r.tracking_no} from {r.warehouse}"
                  + (" (all lines)" if r.lines is None else
                     " (" + ", ".join(f"{x['line_id']}×{x['quantity']}" for x in r.lines) + ")"),
                  {"id": r.id, "carrier": r.carrier, "tracking_no": r.tracking_no})
            for r in rows]


def _stock(conn: Connection, order_id: str) -> list[Entry]:
    from ..engine.routing.ledger import order_entries

    return [Entry(e.at, "stock", e.kind, e.actor,
                  f"{e.warehouse} {e.sku}: on hand {e.on_hand:+d}, reserved {e.reserved:+d}"
                  + (f" ({e.cause})" if e.cause else ""), {"id": e.id})
            for e in order_entries(conn, order_id)]


def _short(data: Any) -> str:
    if not data:
        return ""
    return ", ".join(f"{k}={v}" for k, v in data.items() if k != "by")[:200]
