"""The durable outbox: rows written with the decision, delivered later by the dispatcher.

States: ``pending`` (due at ``next_attempt_at``) -> ``sending`` (leased to one dispatcher until
``next_attempt_at``; a dispatcher that dies mid-send leaves it to be retried after that) ->
``sent``, or back to ``pending`` with exponential backoff and jitter, or ``dead`` after
``max_attempts`` or on a permanent error.  ``orderhub outbox retry ID`` puts a message back.
Every request carries the row's idempotency key, so a receiver can drop the rare second copy
that at-least-once delivery allows after a crash between sending and recording.
"""

from __future__ import annotations

import random
from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, and_, func, or_, select, text, update

from ..errors import NotFound, OrderhubError
from .schema import outbox

STATUSES = ("pending", "sending", "sent", "dead")


class OutboxError(OrderhubError):
    """An outbox operation that does not apply (retrying a message already sent)."""


@dataclass(frozen=True, slots=True)
class OutboxMessage:
    id: int
    kind: str
    idempotency_key: str
    order_id: str | None
    payload: dict[str, Any]
    status: str
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    created_at: datetime
    sent_at: datetime | None


@dataclass(frozen=True, slots=True)
class Backoff:
    """Delay before attempt ``n + 1``: base * 2**(n-1), capped, with +-jitter."""

    base: float = 5.0
    cap: float = 900.0
    jitter: float = 0.2

    def delay(self, attempts: int) -> timedelta:
        raw = min(self.cap, self.base * 2 ** max(attempts - 1, 0))
        return timedelta(seconds=raw * random.uniform(1 - self.jitter, 1 + self.jitter))


class Outbox:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def claim_due(self, limit: int, now: datetime, lease: timedelta,
                  skip_kinds: Collection[str] = ()) -> list[OutboxMessage]:
        """Lease due messages to this dispatcher (``FOR UPDATE SKIP LOCKED``); messages of
        ``skip_kinds`` (channels not configured) are left waiting, untried."""
        due = or_(outbox.c.status == "pending", outbox.c.status == "sending")
        if skip_kinds:
            due = and_(due, outbox.c.kind.not_in(list(skip_kinds)))
        query = (select(outbox).where(and_(due, outbox.c.next_attempt_at <= now))
                 .order_by(outbox.c.next_attempt_at, outbox.c.id).limit(limit)
                 .with_for_update(skip_locked=True))
        with self.engine.begin() as conn:
            rows = conn.execute(query).all()
            if not rows:
                return []
            conn.execute(update(outbox).where(outbox.c.id.in_([r.id for r in rows]))
                         .values(status="sending", next_attempt_at=now + lease,
                                 attempts=outbox.c.attempts + 1))
        return [OutboxMessage(**{**r._asdict(), "status": "sending", "attempts": r.attempts + 1})
                for r in rows]

    def sent(self, message: OutboxMessage, now: datetime) -> None:
        self._close(message, status="sent", sent_at=now, last_error=None)

    def failed(self, message: OutboxMessage, error: str, now: datetime, *, retryable: bool,
               max_attempts: int, backoff: Backoff) -> str:
        """Record a failed attempt; returns the new status (``pending`` or ``dead``)."""
        if retryable and message.attempts < max_attempts:
            self._close(message, status="pending", last_error=error[:2000],
                        next_attempt_at=now + backoff.delay(message.attempts))
            return "pending"
        self._close(message, status="dead", last_error=error[:2000])
        return "dead"

    def postpone(self, message: OutboxMessage, until: datetime) -> None:
        """Give back a leased message untried, due again at ``until`` (a rate limit)."""
        self._close(message, status="pending", next_attempt_at=until,
                    attempts=outbox.c.attempts - 1)

    def release(self, message: OutboxMessage, now: datetime) -> None:
        """Give back a leased message that was not tried (shutting down)."""
        self._close(message, status="pending", next_attempt_at=now,
                    attempts=outbox.c.attempts - 1)

    def _close(self, message: OutboxMessage, **values: Any) -> None:
        # Only while it is still ours: same attempt count, still sending.
        with self.engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                # A message's result need not wait for the disk: should the database crash
                # and lose it, the message is sent again under its idempotency key, which is
                # what at-least-once delivery promises anyway.  One flush less per message.
                conn.execute(text("SET LOCAL synchronous_commit = off"))
            conn.execute(update(outbox).where(outbox.c.id == message.id,
                                              outbox.c.status == "sending",
                                              outbox.c.attempts == message.attempts)
                         .values(**values))

    def list(self, *, status: str | None = None, limit: int = 100) -> list[OutboxMessage]:
        query = select(outbox).order_by(outbox.c.id.desc()).limit(limit)
        if status:
            query = query.where(outbox.c.status == status)
        with self.engine.connect() as conn:
            return [OutboxMessage(**r._asdict()) for r in conn.execute(query)]

    def get(self, message_id: int) -> OutboxMessage:
        with self.engine.connect() as conn:
            row = conn.execute(select(outbox).where(outbox.c.id == message_id)).first()
        if row is None:
            raise NotFound(f"no outbox message {message_id}")
        return OutboxMessage(**row._asdict())

    def retry(self, message_id: int, now: datetime | None = None) -> OutboxMessage:
        """Send a dead (or pending) message again now, with a fresh set of attempts."""
        message = self.get(message_id)
        if message.status == "sent":
            raise OutboxError(f"outbox message {message_id} was already sent at "
                           f"{message.sent_at:%Y-%m-%d %H:%M:%S} UTC")
        with self.engine.begin() as conn:
            conn.execute(update(outbox).where(outbox.c.id == message_id).values(
                status="pending", attempts=0, next_attempt_at=now or datetime.now(UTC)))
        return self.get(message_id)

    def waiting(self, kinds: Collection[str] | None = None, *,
                exclude: Collection[str] = ()) -> int:
        """Messages still to deliver (pending or sending): of ``kinds`` if given, not of
        ``exclude``."""
        query = select(func.count()).select_from(outbox).where(
            outbox.c.status.in_(["pending", "sending"]))
        if kinds is not None:
            query = query.where(outbox.c.kind.in_(list(kinds)))
        if exclude:
            query = query.where(outbox.c.kind.not_in(list(exclude)))
        with self.engine.connect() as conn:
            return int(conn.execute(query).scalar_one())

    def count(self, *, status: str | None = None) -> int:
        """How many messages :meth:`list` would show without a limit."""
        query = select(func.count()).select_from(outbox)
        if status:
            query = query.where(outbox.c.status == status)
        with self.engine.connect() as conn:
            return int(conn.execute(query).scalar_one())

    def backlog(self) -> dict[str, int]:
        query = select(outbox.c.status, func.count()).group_by(outbox.c.status)
        with self.engine.connect() as conn:
            counts = {s: int(n) for s, n in conn.execute(query)}
        return {s: counts.get(s, 0) for s in STATUSES}
