"""Leader election for the schedules: exactly one node pulls shops and runs nightly jobs.

On PostgreSQL the leader holds a session-level ``pg_try_advisory_lock`` on a dedicated
connection, keyed by the schema the store lives in: advisory locks are database-wide, and two
deployments in one database (one schema each) must each elect their own leader.  If the leader
process dies its session ends and the lock is free; the next :meth:`LeaderElection.poll` of
another node takes it (failover within one poll interval).  A leader whose connection breaks
steps down at once.  On SQLite there is only one process, which is always the leader.
"""

from __future__ import annotations

import logging
import zlib
from typing import Any

from sqlalchemy import Engine, text

log = logging.getLogger("orderhub.service.leader")

#: 'ordh': the advisory lock class of the schedule leader; the second key is the schema's.
LEADER_LOCK_CLASS = 0x6F726468


def schema_key(schema: str) -> int:
    """The schema's name as a signed 32-bit advisory-lock key."""
    key = zlib.crc32(schema.encode())
    return key - (1 << 32) if key >= 1 << 31 else key


class LeaderElection:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._conn: Any = None
        self._key: int | None = None
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
                schema = self._conn.execute(text("SELECT current_schema()")).scalar()
                self._key = schema_key(str(schema))
            got = self._conn.execute(text("SELECT pg_try_advisory_lock(:c, :k)"),
                                     {"c": LEADER_LOCK_CLASS, "k": self._key}).scalar()
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
                self._conn.execute(text("SELECT pg_advisory_unlock(:c, :k)"),
                                   {"c": LEADER_LOCK_CLASS, "k": self._key})
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
