"""Routing each order once: the ``flows route`` cursor, and which orders are routed already.

``orderhub flows route`` reads the event log after its stored cursor (``route_cursors``, one
row per name, as the service keeps its consumer offsets), and never routes an order that
already has a routing decision (from an earlier run, or from the service), nor one brought in
as history.  A batch's decisions, its reservations and the cursor's new position commit in one
transaction under the routing lock, so a second run, or a crash and a rerun, reserves nothing
twice.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from sqlalchemy import BigInteger, Column, Connection, String, Table, select, update

from ...store.history import historical_among
from ...store.schema import UTCDateTime, metadata
from .stock import route_decisions

#: The cursor ``orderhub flows route`` keeps.
ROUTE_CURSOR = "flows route"

route_cursors = Table(
    "route_cursors",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("last_event", BigInteger, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)


def read_cursor(conn: Connection, name: str = ROUTE_CURSOR, *, lock: bool = False) -> int:
    """The last event id the named router has read (0 before its first run)."""
    query = select(route_cursors.c.last_event).where(route_cursors.c.name == name)
    if lock and conn.dialect.name == "postgresql":
        query = query.with_for_update()
    return int(conn.execute(query).scalar() or 0)


def save_cursor(conn: Connection, last_event: int, name: str = ROUTE_CURSOR, *,
                now: datetime | None = None) -> None:
    """Move the cursor forward to ``last_event`` (never back)."""
    now = now or datetime.now(UTC)
    current = conn.execute(select(route_cursors.c.last_event)
                           .where(route_cursors.c.name == name)).scalar()
    if current is None:
        conn.execute(route_cursors.insert().values(name=name, last_event=last_event,
                                                   updated_at=now))
    elif last_event > current:
        conn.execute(update(route_cursors).where(route_cursors.c.name == name)
                     .values(last_event=last_event, updated_at=now))


def routed_already(conn: Connection, order_ids: Iterable[str]) -> set[str]:
    """Those of ``order_ids`` that must not be routed now: they have a routing decision, or
    they are history."""
    ids = sorted(set(order_ids))
    found: set[str] = set()
    for i in range(0, len(ids), 500):
        chunk = ids[i:i + 500]
        found.update(conn.execute(select(route_decisions.c.order_id).distinct()
                                  .where(route_decisions.c.order_id.in_(chunk))).scalars())
    return found | historical_among(conn, ids)
