"""Riding out a lost database connection: back off, try again, say so once, count it.

A PostgreSQL session can end under a running node (``pg_terminate_backend``, a failover, a
restart, a network cut).  The batch in hand rolls back and its leases run out, so nothing is
lost or done twice; what the node must not do is exit.  Each loop that talks to the database
(the consumer, the outbox dispatcher) keeps a :class:`Reconnect`: on a connection error it
waits (0.5 s doubling to 30 s), and the first success afterwards logs the outage and counts a
``db_reconnects`` that ``orderhub status`` shows.  SQLAlchemy's ``pool_pre_ping`` replaces the
pool's dead connections on the next checkout.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

log = logging.getLogger("orderhub.service.db")


def is_connection_lost(exc: BaseException) -> bool:
    """Whether ``exc`` says the database connection is gone or cannot be made (as opposed to
    a query that is wrong, which reconnecting would not mend)."""
    if not isinstance(exc, DBAPIError):
        return False
    return bool(exc.connection_invalidated) or isinstance(exc, OperationalError | InterfaceError)


class Reconnect:
    """Backoff and reporting for one loop's lost connection (see the module docstring)."""

    def __init__(self, where: str, count: Callable[[str], None] = lambda _: None, *,
                 first: float = 0.5, most: float = 30.0) -> None:
        self.where = where
        self.count = count
        self.first = first
        self.most = most
        self.lost_since: float | None = None
        self.tries = 0
        self.last_error: str | None = None
        self.last_lost_at: datetime | None = None

    def lost(self, exc: BaseException) -> float:
        """Note a failed attempt; returns how long to wait before the next one."""
        self.tries += 1
        self.last_error = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        if self.lost_since is None:
            self.lost_since = time.monotonic()
            self.last_lost_at = datetime.now(UTC)
            log.warning("%s: database connection lost (%s); reconnecting with backoff",
                        self.where, self.last_error,
                        extra={"event": "db_lost", "where": self.where})
        else:
            log.debug("%s: still no database (%s), try %d", self.where, self.last_error,
                      self.tries)
        return min(self.most, self.first * 2 ** (self.tries - 1))

    def back(self) -> None:
        """A database call succeeded: end the outage, if there was one."""
        if self.lost_since is None:
            return
        took = time.monotonic() - self.lost_since
        log.warning("%s: database connection back after %.1fs (%d tries); resuming",
                    self.where, took, self.tries,
                    extra={"event": "db_back", "where": self.where, "seconds": round(took, 1)})
        self.count("db_reconnects")
        self.lost_since = None
        self.tries = 0

    def as_dict(self) -> dict[str, Any]:
        """For the heartbeat: is the connection down now, and the last outage."""
        return {"down": self.lost_since is not None, "last_error": self.last_error,
                "last_lost_at": self.last_lost_at.isoformat() if self.last_lost_at else None}
