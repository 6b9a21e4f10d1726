"""Shared service state in ``service_state``: node heartbeats and counters, reload requests.

Each running node owns one row (``node:<id>``) holding its role, live versions, last reload
result and counters, rewritten once per heartbeat; nothing else writes it, so counting never
contends.  ``orderhub status`` sums the rows.  ``orderhub reload`` bumps ``reload_request``;
every node polls it and reloads when the number moves.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, func, select, update

from ..store.bulk import insert_ignore
from ..store.schema import order_events
from .outbox import Outbox
from .queue import OPEN
from .schema import consumer_offsets, event_claims, service_state

RELOAD_KEY = "reload_request"
NODE_PREFIX = "node:"
#: A node that has not written its row for this long is shown as gone.
STALE_AFTER = timedelta(seconds=10)


def put(conn: Connection, key: str, value: dict[str, Any], now: datetime) -> None:
    done = conn.execute(update(service_state).where(service_state.c.key == key)
                        .values(value=value, updated_at=now)).rowcount
    if not done:
        insert_ignore(conn, service_state, [{"key": key, "value": value, "updated_at": now}])


def get(engine: Engine, key: str) -> dict[str, Any] | None:
    with engine.connect() as conn:
        row = conn.execute(select(service_state.c.value)
                           .where(service_state.c.key == key)).first()
    return dict(row.value) if row else None


def reload_seq(engine: Engine) -> int:
    value = get(engine, RELOAD_KEY)
    return int(value["seq"]) if value else 0


def request_reload(engine: Engine, *, by: str = "cli") -> int:
    """Ask every running node to reload; returns the request's number."""
    now = datetime.now(UTC)
    with engine.begin() as conn:
        row = conn.execute(select(service_state.c.value).where(service_state.c.key == RELOAD_KEY)
                           .with_for_update()).first()
        seq = int(row.value["seq"]) + 1 if row else 1
        put(conn, RELOAD_KEY, {"seq": seq, "by": by, "at": now.isoformat()}, now)
    return seq


def write_node(engine: Engine, node_id: str, value: dict[str, Any]) -> None:
    now = datetime.now(UTC)
    with engine.begin() as conn:
        put(conn, NODE_PREFIX + node_id, {**value, "heartbeat": now.isoformat()}, now)


def nodes(engine: Engine) -> list[dict[str, Any]]:
    now = datetime.now(UTC)
    with engine.connect() as conn:
        rows = conn.execute(select(service_state).where(
            service_state.c.key.startswith(NODE_PREFIX)).order_by(service_state.c.key)).all()
    out = []
    for row in rows:
        value = dict(row.value)
        value["alive"] = not value.get("stopped") and now - row.updated_at < STALE_AFTER
        out.append(value)
    return out


def queue_lag(engine: Engine, consumer: str) -> dict[str, Any]:
    """Events not yet processed by ``consumer`` and how old the oldest one is."""
    now = datetime.now(UTC)
    with engine.connect() as conn:
        upto = conn.execute(select(consumer_offsets.c.enqueued_upto)
                            .where(consumer_offsets.c.consumer == consumer)).scalar() or 0
        queued = conn.execute(select(func.count(), func.min(event_claims.c.event_id)).where(
            event_claims.c.consumer == consumer, event_claims.c.status.in_(OPEN))).one()
        unqueued = conn.execute(select(func.count(), func.min(order_events.c.id))
                                .where(order_events.c.id > upto)).one()
        failed = conn.execute(select(func.count()).where(
            event_claims.c.consumer == consumer, event_claims.c.status == "failed")).scalar()
        oldest_ids = [i for i in (queued[1], unqueued[1]) if i is not None]
        oldest_at = None
        if oldest_ids:
            oldest_at = conn.execute(select(order_events.c.at)
                                     .where(order_events.c.id == min(oldest_ids))).scalar()
    return {
        "unprocessed": int(queued[0]) + int(unqueued[0]),
        "oldest_age_seconds": round((now - oldest_at).total_seconds(), 1) if oldest_at else 0,
        "failed": int(failed or 0),
    }


def status(engine: Engine, consumer: str) -> dict[str, Any]:
    """Everything ``orderhub status`` shows, as plain data."""
    all_nodes = nodes(engine)
    totals: dict[str, int] = {}
    for node in all_nodes:
        for key, value in (node.get("counters") or {}).items():
            totals[key] = totals.get(key, 0) + int(value)
    return {
        "consumer": consumer,
        "nodes": all_nodes,
        "live": [n for n in all_nodes if n["alive"]],
        "queue": queue_lag(engine, consumer),
        "outbox": Outbox(engine).backlog(),
        "counters": totals,
        "reload_request": reload_seq(engine),
    }
