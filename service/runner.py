"""The service process: ``orderhub run`` (everything, one process) and ``orderhub worker``.

A :class:`Service` runs, in one process:

* the consumer loop (main thread): enqueue new events, claim a batch, evaluate it with the live
  evaluator (grabbed once per batch), commit decisions + actions + outbox rows with the claims;
* the outbox dispatcher (thread);
* the file watcher for hot reload (thread), plus SIGHUP and ``orderhub reload`` requests;
* the schedules (APScheduler thread) while this node is the leader.

SIGTERM and Ctrl-C set a flag: the batch in hand is finished and committed, the threads stop,
and the next start resumes from the queue.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
import time
from collections import Counter
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, select
from ulid import ULID

from ..engine.routing.stock import lock_skus, order_skus
from ..errors import OrderhubError
from ..model import Order
from ..store.bulk import one_of
from ..store.orders import OrderEvent
from ..store.schema import order_events, orders
from . import state
from .dispatcher import Dispatcher
from .evaluator import EvaluatorFactory, ServiceContext, load_factory
from .jobs import build_scheduler
from .leader import LeaderElection
from .outbox import Outbox
from .pii import BatchPii, PiiGuard
from .queue import Batch, EventQueue, Outcome
from .reconnect import Reconnect, is_connection_lost
from .reload import Reloader, Watcher
from .ship_channel import PlatformShip
from .stock_sync import StockChannel

log = logging.getLogger("orderhub.service")


def _fulfilment(workspace: Any) -> Any:
    """``orderhub.fulfilment`` when the workspace configures it, else None."""
    if getattr(workspace.config, "fulfilment", None) is None:
        return None
    from .. import fulfilment
    from ..fulfilment import gate  # noqa: F401 - loads fulfilment.gate, which the runner uses

    return fulfilment


class ServiceError(OrderhubError):
    """The service cannot start (no valid rules, a worker on SQLite, ...)."""


class Service:
    def __init__(self, workspace: Any, *, mode: str = "run",
                 factory: EvaluatorFactory | None = None, dispatch: bool = True,
                 schedules: bool = True) -> None:
        self.workspace = workspace
        self.config = workspace.config.service
        self.mode = mode
        self.store = workspace.store
        self.engine = self.store.engine
        self.node_id = f"{socket.gethostname()}:{os.getpid()}:{str(ULID())[-6:]}"
        cfg = self.config
        self.queue = EventQueue(self.engine, cfg.consumer, self.node_id,
                                lease_seconds=cfg.lease_seconds, max_attempts=cfg.max_attempts,
                                grace_seconds=cfg.late_commit_grace_seconds)
        self.outbox = Outbox(self.engine)
        fulfilment = _fulfilment(workspace)
        self.queue.gate = fulfilment.gate.Gate(workspace.config.fulfilment) if fulfilment \
            else None
        if fulfilment:
            import orderhub.waybills.intercept  # noqa: F401 - intercepts cancel e-waybills
        self.reloader = Reloader(factory or load_factory(cfg.evaluator, workspace.root),
                                 workspace)
        self.leader = LeaderElection(self.engine)
        self.counters: Counter[str] = Counter()
        self._count_lock = threading.Lock()
        self.stop_event = threading.Event()
        self._sighup = threading.Event()
        self._reload_seq = 0
        self._want_dispatch = dispatch
        self._want_schedules = schedules
        self.dispatcher: Dispatcher | None = None
        self.watcher: Watcher | None = None
        self.scheduler: Any = None
        self.started_at = datetime.now(UTC)
        self._keepalive: Any = None
        self._short_claim = True
        self._enqueued_at = 0.0
        self.reconnect = Reconnect("consumer", self.count)
        #: receivers decrypted per batch, in memory only (service/pii.py)
        self.pii = PiiGuard(workspace.config.shops) if workspace.config.shops else None

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> None:
        if self.mode == "worker" and self.engine.dialect.name != "postgresql":
            raise ServiceError("`orderhub worker` shares work through PostgreSQL; on SQLite "
                               "use `orderhub run` (one process does everything)")
        if self.engine.dialect.name == "sqlite":
            # Closing the last connection to a WAL database checkpoints it (~10 ms, and the
            # store's engine does not pool): keep one open while the service runs.
            self._keepalive = self.engine.connect()
        first = self.reloader.reload("start")
        if not first.ok:
            raise ServiceError("cannot start: the rules/flows do not load:\n"
                               + "\n".join(first.errors))
        self._reload_seq = state.reload_seq(self.engine)
        if self._want_dispatch:
            self.dispatcher = Dispatcher(
                self.outbox, self.config, count=self.count,
                platform_ship=PlatformShip.for_workspace(self.workspace))
            self.dispatcher.channels.setdefault(
                "platform_stock", StockChannel(self.workspace.config.shops))
            from ..waybills.intercept import KIND, WaybillCancel

            self.dispatcher.channels[KIND] = WaybillCancel.for_workspace(self.workspace)
            if self.queue.gate is not None:
                from ..fulfilment.intercept import on_dead

                self.dispatcher.on_dead.append(on_dead(self.engine,
                                                       self.workspace.config.fulfilment))
            self.dispatcher.start()
        if self.config.watch:
            folders = [self.workspace.path(self.workspace.config.rules),
                       self.workspace.path(self.workspace.config.flows),
                       self.workspace.path(self.workspace.config.lists)]
            self.watcher = Watcher(self.reloader, folders)
            self.watcher.start()
        self.heartbeat()
        log.info("%s %s started (%s, consumer %s)", self.mode, self.node_id,
                 self.engine.dialect.name, self.config.consumer,
                 extra={"event": "start", "node": self.node_id})

    def run(self, *, idle_exit: float | None = None) -> None:
        """Start, serve until stopped (signal, :meth:`stop`, or idle), then stop cleanly."""
        self.start()
        self._install_signals()
        try:
            self.loop(idle_exit=idle_exit)
        finally:
            self.shutdown()

    def stop(self) -> None:
        self.stop_event.set()

    def loop(self, *, idle_exit: float | None = None) -> None:
        next_beat = 0.0
        idle_since: float | None = None
        while not self.stop_event.is_set():
            now = time.monotonic()
            if now >= next_beat:
                self._periodic()
                next_beat = now + self.config.beat_seconds
            try:
                done = self.step()
            except Exception as exc:
                if not is_connection_lost(exc):
                    raise
                # the batch rolled back and its leases run out: wait, reconnect, resume
                self.stop_event.wait(self.reconnect.lost(exc))
                idle_since = None
                continue
            self.reconnect.back()
            if done:
                idle_since = None
                continue
            idle_since = idle_since or now
            if idle_exit is not None and now - idle_since >= idle_exit and self._outbox_idle():
                log.info("idle for %.1fs; stopping", idle_exit)
                break
            self.stop_event.wait(self.config.poll_seconds)

    def shutdown(self) -> None:
        log.info("stopping %s", self.node_id, extra={"event": "stopping", "node": self.node_id})
        self._stop_schedules()
        if self.dispatcher:
            self.dispatcher.stop()
            self.dispatcher.join(timeout=self.config.send_timeout_seconds + 5)
        if self.watcher:
            self.watcher.stop()
            self.watcher.join(timeout=2)
        self.leader.resign()
        try:
            self.heartbeat(stopped=True)
        except Exception as exc:
            if not is_connection_lost(exc):
                raise
            log.warning("stopping without a last heartbeat: the database is away")
        if self._keepalive is not None:
            self._keepalive.close()
        log.info("stopped %s after %d events", self.node_id, self.counters["events"],
                 extra={"event": "stopped", "node": self.node_id})

    def _install_signals(self) -> None:
        if threading.current_thread() is not threading.main_thread():
            return

        def stop(signum: int, _frame: Any) -> None:
            log.info("%s: finishing the batch in hand, then stopping",
                     signal.Signals(signum).name)
            self.stop_event.set()

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        if hasattr(signal, "SIGHUP"):
            signal.signal(signal.SIGHUP, lambda *_: self._sighup.set())

    def _outbox_idle(self) -> bool:
        """Nothing left to deliver (messages waiting for a retry count as work; those of a
        channel that is not configured do not: they wait for configuration, not for time)."""
        if self.dispatcher is None:
            return True
        return self.outbox.waiting(exclude=self.dispatcher.unconfigured) == 0

    # -- periodic work ---------------------------------------------------------------------

    def _periodic(self) -> None:
        try:
            self._check_reload()
            self._check_leader()
            self.heartbeat()
        except Exception as exc:  # noqa: BLE001 - database blip: the next beat tries again
            if is_connection_lost(exc):
                log.debug("periodic housekeeping: no database (%s)", exc)
            else:
                log.exception("periodic housekeeping failed")

    def _check_reload(self) -> None:
        reason = None
        if self._sighup.is_set():
            self._sighup.clear()
            reason = "SIGHUP"
        seq = state.reload_seq(self.engine)
        if seq != self._reload_seq:
            self._reload_seq = seq
            reason = reason or f"orderhub reload (request {seq})"
        if reason:
            self.reloader.reload(reason)

    def _check_leader(self) -> None:
        if not self._want_schedules:
            return
        leading = self.leader.poll()
        if leading and self.scheduler is None:
            log.info("%s leads the schedules", self.node_id, extra={"event": "leader"})
            self.scheduler = build_scheduler(self)
            self.scheduler.start()
        elif not leading and self.scheduler is not None:
            self._stop_schedules()

    def _stop_schedules(self) -> None:
        if self.scheduler is not None:
            self.scheduler.shutdown(wait=True)
            self.scheduler = None

    def heartbeat(self, *, stopped: bool = False) -> None:
        live = self.reloader._live
        last = self.reloader.last
        with self._count_lock:
            counters = dict(self.counters)
        counters["reloads_ok"] = self.reloader.ok_count
        counters["reloads_failed"] = self.reloader.failed_count
        state.write_node(self.engine, self.node_id, {
            "node": self.node_id, "host": socket.gethostname(), "pid": os.getpid(),
            "mode": self.mode, "consumer": self.config.consumer,
            "started_at": self.started_at.isoformat(), "leader": self.leader.is_leader,
            "live": {"rules": live.versions.rules, "flows": live.versions.flows,
                     "since": live.since.isoformat()} if live else None,
            "last_reload": last.as_dict() if last else None,
            "counters": counters, "reload_seq_seen": self._reload_seq, "stopped": stopped,
            "database": self.reconnect.as_dict(),
        })

    def timed_checks(self) -> None:
        """The leader's periodic checks: warn on queue lag and dead letters."""
        lag = state.queue_lag(self.engine, self.config.consumer)
        backlog = self.outbox.backlog()
        if lag["oldest_age_seconds"] > 8 * 60:
            log.warning("queue lag: %d events waiting, the oldest for %.0fs",
                        lag["unprocessed"], lag["oldest_age_seconds"],
                        extra={"event": "lag", **lag})
        if backlog["dead"]:
            log.warning("outbox: %d dead message(s); see `orderhub outbox list --status dead`",
                        backlog["dead"], extra={"event": "dead_letters", "dead": backlog["dead"]})

    def count(self, name: str, n: int = 1) -> None:
        with self._count_lock:
            self.counters[name] += n

    # -- the consumer ----------------------------------------------------------------------

    def step(self) -> int:
        """Enqueue, claim one batch, evaluate and commit it; returns events handled.

        The decisions, their actions and outbox rows, the stock reservations and the routing
        decisions are committed in one transaction: together or not at all.  On PostgreSQL a
        batch whose events may route is evaluated inside that transaction, holding the locks
        of its orders' SKUs from reading their stock to the commit, so workers never reserve
        the same units twice, and batches of different SKUs do not wait for each other.
        """
        if self.engine.dialect.name == "postgresql":
            # one connection for the whole step: claim, load and commit without checkouts
            with self.engine.connect() as conn:
                got = self._step(conn)
        else:
            got = self._step(None)
        if got is None:
            return 0
        batch, outcomes, kept = got
        errors = sum(1 for o in kept if o.error)
        self.count("events", len(kept))
        self.count("batches")
        if errors:
            self.count("events_failed", errors)
        if len(kept) < len(outcomes):
            self.count("leases_lost", len(outcomes) - len(kept))
        return len(batch.claims)

    def _step(self, conn: Connection | None) -> tuple[Batch, list[Outcome], list[Outcome]] | None:
        """One batch: claimed, loaded, evaluated, committed (``conn``: PostgreSQL's, or None:
        a connection per transaction, as SQLite wants)."""
        now = datetime.now(UTC)
        mono = time.monotonic()
        if self._short_claim or mono - self._enqueued_at >= self.config.poll_seconds:
            self.queue.enqueue(now)
            self._enqueued_at = mono
        batch = self.queue.claim(self.config.batch_size, now, conn)
        self._short_claim = len(batch.claims) < self.config.batch_size
        if not batch.claims:
            return None
        live = self.reloader.live
        events, docs = self._load(batch, conn)
        routes = getattr(live.evaluator, "routes", None)
        routing = routes is not None and any(routes(e.type) for e in events.values())
        ctx = ServiceContext(store=self.store, now=datetime.now(UTC), workspace=self.workspace)
        parsed = self._orders(docs)
        if conn is not None and routing:
            # Stock is read and reserved in this transaction: hold the locks of the batch's
            # SKUs from before reading it to the commit.  Batches of other SKUs go on at the
            # same time on other workers.
            with conn.begin():
                ctx.skus = order_skus(parsed.values())
                lock_skus(conn, ctx.skus)
                ctx.routed = self.queue.routed_orders(conn, list(docs))
                outcomes = self._evaluate(batch, live, events, docs, ctx, parsed)
                kept = self.queue.complete_on(conn, batch, outcomes, datetime.now(UTC))
            return batch, outcomes, kept
        # Without routing nothing read here can go stale before the commit.  On SQLite this
        # thread is the only router, and a transaction held open would lock out the
        # evaluation's own reads; the commit below is still the single one.
        if routing:
            with self.engine.connect() as own:
                ctx.routed = self.queue.routed_orders(own, list(docs))
        outcomes = self._evaluate(batch, live, events, docs, ctx, parsed)
        if conn is not None and self.queue.gate is not None:
            # fulfilment's gate may release reservations (a refund): lock the batch's SKUs
            # once, in order, rather than order by order as each release would
            with conn.begin():
                lock_skus(conn, order_skus(parsed.values()))
                kept = self.queue.complete_on(conn, batch, outcomes, datetime.now(UTC))
            return batch, outcomes, kept
        kept = self.queue.complete(batch, outcomes, datetime.now(UTC), conn)
        return batch, outcomes, kept

    def _load(self, batch: Batch, conn: Connection | None = None
              ) -> tuple[dict[int, OrderEvent], dict[str, Any]]:
        """The batch's events and their orders' documents, in two queries."""
        if conn is None:
            with self.engine.connect() as own:
                return self._load(batch, own)
        dialect = self.engine.dialect.name
        ids = [c.event_id for c in batch.claims]
        order_ids = sorted({c.order_id for c in batch.claims})
        with conn.begin():
            events = {r.id: OrderEvent(**r._asdict()) for r in conn.execute(
                select(order_events).where(one_of(order_events.c.id, ids, dialect)))}
            docs = {r.id: r.doc for r in conn.execute(
                select(orders.c.id, orders.c.doc).where(one_of(orders.c.id, order_ids,
                                                                dialect)))}
        return events, docs

    def evaluate(self, batch: Batch) -> list[Outcome]:
        """Evaluate a batch with ONE live evaluator, so no batch mixes versions (nothing is
        committed: :meth:`step` does both)."""
        events, docs = self._load(batch)
        ctx = ServiceContext(store=self.store, now=datetime.now(UTC), workspace=self.workspace)
        return self._evaluate(batch, self.reloader.live, events, docs, ctx)

    def _evaluate(self, batch: Batch, live: Any, events: dict[int, OrderEvent],
                  docs: dict[str, Any], ctx: ServiceContext,
                  parsed: dict[str, Order] | None = None) -> list[Outcome]:
        """Every claim's outcome, in claim order.  The orders are made ready first, so that an
        evaluator with ``prepare`` sees the whole batch at once (the rules fetch the batch's
        history in one query per window, not one per event)."""
        if parsed is None:
            parsed = self._orders(docs)
        pii = self._reveal(list(parsed.values()))
        if pii is not None:
            ctx.store = pii.history(ctx.store)
        outcomes = []
        ready: list[tuple[Outcome, Order, OrderEvent]] = []
        for claim in batch.claims:
            event = events[claim.event_id]
            outcome = Outcome(claim, event.type, event_data=event.data)
            outcomes.append(outcome)
            try:
                if claim.order_id not in docs:
                    raise LookupError(f"order {claim.order_id} is not in the store")
                order = parsed.get(claim.order_id) or self._order(claim.order_id,
                                                                  docs[claim.order_id])
                if pii is not None and claim.order_id in pii.delayed:
                    outcome.delay = pii.delay_seconds
                    outcome.error = pii.delayed[claim.order_id][:200]
                    self.count("events_delayed")
                    continue
                ready.append((outcome, pii.clear_order(order) if pii is not None else order,
                              event))
            except Exception as exc:  # noqa: BLE001 - one bad order must not stop the batch
                self._failed(outcome, exc, pii)
        prepare = getattr(live.evaluator, "prepare", None)
        if prepare is not None and ready:
            prepare([(order, event) for _, order, event in ready], ctx)
        for outcome, order, event in ready:
            try:
                outcome.evaluation = live.evaluator.evaluate(order, event, ctx)
                if pii is not None:
                    outcome.evaluation = pii.scrub(outcome.claim.order_id, outcome.evaluation)
            except Exception as exc:  # noqa: BLE001 - one bad order must not stop the batch
                self._failed(outcome, exc, pii)
        return outcomes

    def _failed(self, outcome: Outcome, exc: Exception, pii: BatchPii | None) -> None:
        claim = outcome.claim
        outcome.error = f"{type(exc).__name__}: {exc}"
        if pii is not None:
            outcome.error = pii.scrub_text(claim.order_id, outcome.error)
        log.warning("event %d (order %s): %s", claim.event_id, claim.order_id,
                    outcome.error, extra={"event": "evaluate_failed",
                                          "event_id": claim.event_id})

    @staticmethod
    def _order(order_id: str, doc: Any) -> Order:
        order = (Order.model_validate_json(doc) if isinstance(doc, str | bytes)
                 else Order.model_validate(doc))
        order.id = order_id
        return order

    def _orders(self, docs: dict[str, Any]) -> dict[str, Order]:
        """The batch's orders, parsed once (a bad document fails its own event later), with
        what rules and flows set and decided before (tags, carrier, flags, holds)."""
        out = {}
        for order_id, doc in docs.items():
            try:
                out[order_id] = self._order(order_id, doc)
            except ValueError:
                continue
        return self._with_outcomes(out) if out else out

    def _with_outcomes(self, parsed: dict[str, Order]) -> dict[str, Order]:
        """Two queries for the batch: stored fields, and flags and open holds."""
        from ..fulfilment.holds import outcomes
        from ..store.fields import apply, stored

        with self.engine.connect() as conn:
            values = stored(conn, parsed)
            marks = outcomes(conn, list(parsed))
        for order_id, order in parsed.items():
            order = apply(order, values.get(order_id, {}))
            if order_id in marks:
                order = order.model_copy(update=marks[order_id])
            parsed[order_id] = order
        return parsed

    def _reveal(self, orders: list[Order]) -> BatchPii | None:
        """The batch's receivers decrypted (memory only), when shops are configured."""
        if self.pii is None or not orders:
            return None
        pii = self.pii.reveal(orders)
        if pii.calls:
            self.count("decrypt_calls", pii.calls)
        return pii
