"""The per-consumer event queue over the store's append-only ``order_events``.

Events are copied into ``event_claims`` (one row per consumer and event) and then claimed in
batches under a lease:

* **enqueue** copies events past the consumer's ``enqueued_upto`` mark (never those of orders
  brought in as history); a periodic sweep also picks up events that committed late (a lower
  id becoming visible after a higher one), for as long as ``late_commit_grace_seconds``
  allows, after which the ``settled_upto`` mark moves on.
* **claim** takes pending (or lease-expired) events with ``FOR UPDATE SKIP LOCKED``, never an
  event whose order still has an earlier event open, so each order is processed in log order
  even with many workers.  An event claimed ``max_attempts`` times without completing (it keeps
  killing its worker) is set ``failed`` so it cannot block its order forever.
* **complete** marks the claims done only if the lease is still ours (same token) and, in the
  same transaction, records the decision, its actions and its outbox messages.  A crash
  anywhere before the commit leaves the event claimable again; idempotency keys and unique
  constraints make the replay repeat nothing.

SQLite runs the same statements (``FOR UPDATE`` is ignored; one process writes at a time).
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    Connection,
    Engine,
    String,
    bindparam,
    exists,
    func,
    literal,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY

from ..store.bulk import insert_ignore, insert_on_conflict, one_of
from ..store.history import historical_orders
from ..store.schema import order_events
from .evaluator import Evaluation
from .schema import consumer_offsets, decisions, event_claims, order_actions, outbox

_ENQUEUE_CHUNK = 50_000
_SWEEP_EVERY = timedelta(seconds=5)
OPEN = ("pending", "leased")
#: Events of orders brought in as history (``migrate run``, ``ingest --history``) are never
#: queued: no rule, flow, message or reservation for them (see ``store/history.py``).
_LIVE = ~exists().where(historical_orders.c.order_id == order_events.c.order_id)
_FIRST_OPEN_PG = text(
    "SELECT o.id, (SELECT min(c.event_id) FROM event_claims c WHERE c.consumer = :consumer"
    " AND c.order_id = o.id AND c.status IN ('pending', 'leased')) FROM unnest(:ids) AS o(id)"
).bindparams(bindparam("ids", type_=ARRAY(String)))


@dataclass(frozen=True, slots=True)
class Claim:
    event_id: int
    order_id: str
    attempts: int


@dataclass(slots=True)
class Batch:
    """Claimed events, all under one lease token."""

    token: str
    claims: list[Claim] = field(default_factory=list)


@dataclass(slots=True)
class Outcome:
    """What processing one claimed event produced: an evaluation, or the error it raised."""

    claim: Claim
    event_type: str
    evaluation: Evaluation | None = None
    error: str | None = None
    #: the event's data (``status_changed``: from / to), for fulfilment's gate
    event_data: dict[str, Any] | None = None
    #: seconds to wait before trying again (a decrypt quota): not an attempt, not an error
    delay: float | None = None


class EventQueue:
    """One consumer's view of the event log, as used by one worker."""

    def __init__(self, engine: Engine, consumer: str, worker: str, *, lease_seconds: float = 60,
                 max_attempts: int = 8, grace_seconds: float = 600) -> None:
        self.engine = engine
        self.consumer = consumer
        self.worker = worker
        self.lease = timedelta(seconds=lease_seconds)
        self.max_attempts = max_attempts
        self.grace = timedelta(seconds=grace_seconds)
        self.dialect = engine.dialect.name
        #: fulfilment's gate (``orderhub.fulfilment.gate.Gate``): holds, held outputs and
        #: interception, in the decision's transaction; None: rows are written as they are
        self.gate: Any = None

    # -- enqueue ---------------------------------------------------------------------------

    def enqueue(self, now: datetime) -> int:
        """Copy new events into the queue; returns how many.  Skips if another worker is at it."""
        with self.engine.begin() as conn:
            row = self._lock_offsets(conn)
            if row is None:
                return 0
            upto, settled, swept_at = row.enqueued_upto, row.settled_upto, row.swept_at
            added = 0
            hi = conn.execute(select(func.max(order_events.c.id)).where(
                order_events.c.id > upto, order_events.c.id <= upto + _ENQUEUE_CHUNK)).scalar()
            if hi is not None:
                added += self._copy(conn, order_events.c.id > upto, order_events.c.id <= hi)
                upto = hi
            values: dict[str, Any] = {"enqueued_upto": upto}
            if swept_at is None or now - swept_at >= _SWEEP_EVERY:
                added += self._sweep(conn, settled, upto)
                new_settled = conn.execute(select(func.max(order_events.c.id)).where(
                    order_events.c.id > settled, order_events.c.id <= upto,
                    order_events.c.at < now - self.grace)).scalar()
                values.update(swept_at=now, settled_upto=new_settled or settled)
            conn.execute(update(consumer_offsets)
                         .where(consumer_offsets.c.consumer == self.consumer).values(**values))
        return added

    def _lock_offsets(self, conn: Connection) -> Any:
        query = select(consumer_offsets).where(consumer_offsets.c.consumer == self.consumer)
        row = conn.execute(query.with_for_update(skip_locked=True)).first()
        if row is None:
            insert_ignore(conn, consumer_offsets, [{"consumer": self.consumer,
                                                    "enqueued_upto": 0, "settled_upto": 0}])
            row = conn.execute(query.with_for_update(skip_locked=True)).first()
        return row

    def _sweep(self, conn: Connection, settled: int, upto: int) -> int:
        """Queue events in ``(settled, upto]`` that committed after the mark passed them.

        Two range scans compared in Python: an anti-join here gets quadratic plans on tables
        the planner has no statistics for yet.
        """
        events = conn.execute(select(order_events.c.id, order_events.c.order_id).where(
            order_events.c.id > settled, order_events.c.id <= upto, _LIVE)).all()
        queued = set(conn.execute(select(event_claims.c.event_id).where(
            event_claims.c.consumer == self.consumer, event_claims.c.event_id > settled,
            event_claims.c.event_id <= upto)).scalars())
        missing = [{"consumer": self.consumer, "event_id": e.id, "order_id": e.order_id,
                    "status": "pending", "attempts": 0} for e in events if e.id not in queued]
        return insert_ignore(conn, event_claims, missing)

    def _copy(self, conn: Connection, *conds: Any) -> int:
        source = select(literal(self.consumer), order_events.c.id, order_events.c.order_id,
                        literal("pending"), literal(0)).where(*conds, _LIVE)
        stmt = insert_on_conflict(conn.dialect.name, event_claims).from_select(
            ["consumer", "event_id", "order_id", "status", "attempts"], source
        ).on_conflict_do_nothing()
        return max(conn.execute(stmt).rowcount or 0, 0)

    # -- claim -----------------------------------------------------------------------------

    def claim(self, limit: int, now: datetime, conn: Connection | None = None) -> Batch:
        """Lease up to ``limit`` events, at most one per order, oldest first.

        Simple indexed queries rather than one anti-join, so the plans stay good on a table
        the planner has no statistics for yet and cost the same however long the backlog is:
        lock a window of candidates (pending ones and expired leases, each read in event order
        from the status index), then keep those that are the earliest open event of their
        order (looked up per order on the order index).
        """
        window = limit * 3
        ec = event_claims
        cols = (ec.c.event_id, ec.c.order_id, ec.c.attempts)
        pending = (select(*cols).where(ec.c.consumer == self.consumer, ec.c.status == "pending")
                   .order_by(ec.c.event_id).limit(window)
                   .with_for_update(skip_locked=True).cte("pending"))
        expired = (select(*cols).where(ec.c.consumer == self.consumer, ec.c.status == "leased",
                                       ec.c.lease_until < now)
                   .order_by(ec.c.event_id).limit(window)
                   .with_for_update(skip_locked=True).cte("expired"))
        candidates = select(pending).union_all(select(expired))
        batch = Batch(token=secrets.token_hex(8))
        with _transaction(self.engine, conn) as conn:
            rows = sorted(conn.execute(candidates).all(), key=lambda r: r.event_id)[:window]
            if not rows:
                return batch
            first_open = self._first_open(conn, {r.order_id for r in rows})
            rows = [r for r in rows if first_open.get(r.order_id) == r.event_id][:limit]
            spent = [r.event_id for r in rows if r.attempts >= self.max_attempts]
            if spent:
                conn.execute(self._where(update(event_claims), spent).values(
                    status="failed", done_at=now,
                    last_error=f"gave up after {self.max_attempts} attempts "
                               "(the worker never completed it)"))
            batch.claims = [Claim(r.event_id, r.order_id, r.attempts + 1) for r in rows
                            if r.attempts < self.max_attempts]
            if batch.claims:
                conn.execute(self._where(update(event_claims), [c.event_id for c in batch.claims])
                             .values(status="leased", worker=self.worker, token=batch.token,
                                     lease_until=now + self.lease,
                                     attempts=event_claims.c.attempts + 1))
        return batch

    def _first_open(self, conn: Connection, order_ids: set[str]) -> dict[str, int]:
        """The earliest open (pending or leased) event of each order."""
        if self.dialect == "postgresql":
            # one probe of the order index per order, whatever the planner believes
            rows = conn.execute(_FIRST_OPEN_PG, {"consumer": self.consumer,
                                                 "ids": sorted(order_ids)})
            return {r[0]: r[1] for r in rows if r[1] is not None}
        return dict(conn.execute(  # type: ignore[arg-type]
            select(event_claims.c.order_id, func.min(event_claims.c.event_id))
            .where(event_claims.c.consumer == self.consumer,
                   event_claims.c.order_id.in_(order_ids), event_claims.c.status.in_(OPEN))
            .group_by(event_claims.c.order_id)).all())

    def _where(self, stmt: Any, ids: Sequence[int]) -> Any:
        return stmt.where(event_claims.c.consumer == self.consumer,
                          one_of(event_claims.c.event_id, ids, self.dialect))

    # -- complete --------------------------------------------------------------------------

    def complete(self, batch: Batch, outcomes: list[Outcome], now: datetime,
                 conn: Connection | None = None) -> list[Outcome]:
        """Commit the outcomes whose lease is still ours, all in one transaction.

        Returns the outcomes committed; the others were taken over by another worker after
        our lease expired, and that worker's result stands.
        """
        if not outcomes:
            return []
        with _transaction(self.engine, conn) as conn:
            return self.complete_on(conn, batch, outcomes, now)

    def complete_on(self, conn: Connection, batch: Batch, outcomes: list[Outcome],
                    now: datetime) -> list[Outcome]:
        """:meth:`complete` in the caller's transaction (which may hold the routing lock)."""
        ours = self._finish(conn, batch, outcomes, now)
        kept = [o for o in outcomes if o.claim.event_id in ours]
        self._record(conn, kept, now)
        return kept

    def routed_orders(self, conn: Connection, order_ids: Sequence[str]) -> set[str]:
        """Those of ``order_ids`` that a committed decision routed already (here, or by
        ``orderhub flows route``), or that are history: none of them is routed again."""
        if not order_ids:
            return set()
        from ..engine.routing.once import routed_already

        return set(conn.execute(select(order_actions.c.order_id).where(
            one_of(order_actions.c.order_id, order_ids, self.dialect),
            order_actions.c.kind == "route")).scalars()) | routed_already(conn, order_ids)

    def _finish(self, conn: Connection, batch: Batch, outcomes: list[Outcome],
                now: datetime) -> set[int]:
        """Close our claims; an error is retried until ``max_attempts``, then ``failed``."""
        def ours(ids: list[int]) -> Any:
            return (self._where(update(event_claims), ids)
                    .where(event_claims.c.token == batch.token, event_claims.c.status == "leased")
                    .returning(event_claims.c.event_id))

        done = [o.claim.event_id for o in outcomes if o.error is None and o.delay is None]
        kept: set[int] = set()
        for o in outcomes:
            if o.delay is not None:  # parked under a lease that expires when it may run again
                conn.execute(ours([o.claim.event_id]).values(
                    token="delayed", lease_until=now + timedelta(seconds=o.delay),
                    attempts=event_claims.c.attempts - 1,
                    last_error=f"delayed: {o.error or 'waiting'}"[:2000]))
        if done:
            kept.update(conn.execute(ours(done).values(
                status="done", done_at=now, lease_until=None, last_error=None)).scalars())
        for o in outcomes:
            if o.error is None or o.delay is not None:
                continue
            final = o.claim.attempts >= self.max_attempts
            values = ({"status": "failed", "done_at": now} if final
                      else {"status": "pending"})
            got = conn.execute(ours([o.claim.event_id]).values(
                lease_until=None, last_error=o.error[:2000], **values)).scalars().all()
            if final:
                kept.update(got)
        return kept

    def _record(self, conn: Connection, kept: list[Outcome], now: datetime) -> None:
        decision_rows, action_rows, message_rows = [], [], []
        for o in kept:
            ev = o.evaluation
            actions = ev.actions if ev else []
            decision_rows.append({
                "consumer": self.consumer, "event_id": o.claim.event_id,
                "event_type": o.event_type, "order_id": o.claim.order_id,
                "outcome": "error" if o.error else "ok",
                "rules_version": ev.versions.rules if ev else None,
                "flows_version": ev.versions.flows if ev else None,
                "actions": [{"kind": a.kind, "key": a.key, "params": a.params} for a in actions],
                "messages": len(ev.messages) if ev else 0,
                "error": o.error, "worker": self.worker, "at": now,
            })
            action_rows += [{"idempotency_key": a.key, "order_id": o.claim.order_id,
                             "kind": a.kind, "params": a.params,
                             "decision_event_id": o.claim.event_id, "at": now} for a in actions]
            message_rows += [{"kind": m.kind, "idempotency_key": m.key,
                              "order_id": o.claim.order_id, "payload": m.payload,
                              "status": "pending", "attempts": 0, "next_attempt_at": now,
                              "created_at": now} for m in (ev.messages if ev else [])]
        insert_ignore(conn, decisions, decision_rows)
        if self.gate is not None:
            message_rows, action_rows = self.gate(conn, kept, message_rows, action_rows, now)
        insert_ignore(conn, order_actions, action_rows)
        insert_ignore(conn, outbox, message_rows)
        routes = [r for o in kept if o.evaluation for r in o.evaluation.routes]
        if routes:
            from ..engine.routing.ledger import reserve_routes
            from ..engine.routing.stock import record_on

            reserve_routes(conn, routes, now=now)  # stock.reserved and its ledger rows
            record_on(conn, routes, now=now)

    def release(self, batch: Batch) -> None:
        """Give back claims we will not process (shutting down before evaluating them)."""
        if not batch.claims:
            return
        with self.engine.begin() as conn:
            conn.execute(self._where(update(event_claims), [c.event_id for c in batch.claims])
                         .where(event_claims.c.token == batch.token,
                                event_claims.c.status == "leased")
                         .values(status="pending", lease_until=None,
                                 attempts=event_claims.c.attempts - 1))



@contextmanager
def _transaction(engine: Engine, conn: Connection | None) -> Iterator[Connection]:
    """A transaction on ``conn`` (one the consumer keeps for a whole step), else on a new
    connection."""
    if conn is None:
        with engine.begin() as own:
            yield own
        return
    with conn.begin():
        yield conn
