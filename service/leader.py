"""Leader election for the schedules: exactly one node pulls shops and runs nightly jobs.

On PostgreSQL the leader holds a session-level ``pg_try_advisory_lock`` on a dedicated
connection.  If the leader process dies its session ends and the lock is free; the next
:meth:`LeaderElection.poll` of another node takes it (failover within one poll interval).  A
leader whose connection breaks steps down at once.  On SQLite there is only one process, which is
always the leader.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import Engine, text

log = logging.getLogger("orderhub.service.leader")

#: 'ordh' + 'sked': the advisory lock id for the schedule leader.
LEADER_LOCK_ID = 0x6F7264687363


class LeaderElection:
    def __init__(self, engine: Engine, lock_id: int = LEADER_LOCK_ID) -> None:
        self.engine = engine
        self.lock_id = lock_id
        self._conn: Any = None
        self.is_leader = False

    def poll(self) -> bool:
        """Try to become (or check we still are) the leader; returns whether we are."""
        if self.engine.dialect.name != "postgresql":
            self.is_leader = True
            return True
        if self.is_leader:
            try:
                self._conn.execute(text("SELECT 1"))
            except Exception:  # noqa: BLE001 - any failure: the lock may be gone with it
                log.warning("lost the leader connection; stepping down")
                self._drop()
            return self.is_leader
        try:
            if self._conn is None:
                self._conn = self.engine.connect().execution_options(
                    isolation_level="AUTOCOMMIT")
            got = self._conn.execute(text("SELECT pg_try_advisory_lock(:k)"),
                                     {"k": self.lock_id}).scalar()
        except Exception as exc:  # noqa: BLE001 - database away: try again next poll
            from .reconnect import is_connection_lost

            log.warning("leader election: database unreachable (%s)",
                        str(getattr(exc, "orig", None) or exc).strip().splitlines()[0],
                        exc_info=not is_connection_lost(exc))
            self._drop()
            return False
        self.is_leader = bool(got)
        return self.is_leader

    def resign(self) -> None:
        if self._conn is not None and self.is_leader:
            try:
                self._conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": self.lock_id})
            except Exception:  # noqa: BLE001 - closing the session releases it anyway
                pass
        self._drop()

    def _drop(self) -> None:
        self.is_leader = False
        if self._conn is not None:
            try:
                self._conn.close()
            except Exception:  # noqa: BLE001
                pass
            self._conn = None
