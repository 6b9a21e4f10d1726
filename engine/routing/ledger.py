"""The stock ledger: every change to on-hand or reserved stock is a row, with its cause.

``stock`` (in :mod:`.stock`) holds the current levels per warehouse and merchant SKU; this
module keeps them honest: each change (``import``, ``reserve``, ``release``, ``ship``,
``adjust``) adds a ``stock_ledger`` row with its deltas and what caused it (the order, the
shipment, the person, the file), and moves ``stock`` by the same deltas in the same
transaction.  So the levels can always be explained, and an order's open reservations are the
sum of its ledger rows: no separate table to drift.

Every function here writes on a connection the caller owns, in the caller's transaction, so a
reservation, a release or a shipment commits together with whatever caused it (a routing
decision, a refund, a scan) or not at all.  Every change locks the SKUs it moves
(:func:`~.stock.lock_skus`, PostgreSQL), as routing does, so a release or a shipment never
interleaves with a routing that is reserving stock for the same order, and an import never
changes stock a router has read and not yet reserved.
"""

from __future__ import annotations

import json as jsonlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    Column,
    Connection,
    Index,
    Integer,
    String,
    Table,
    Text,
    func,
    literal_column,
    or_,
    select,
)

from ...errors import OrderhubError
from ...store.bulk import insert_on_conflict, insert_rows
from ...store.schema import BigId, UTCDateTime, metadata
from .stock import lock_skus, stock_table

if TYPE_CHECKING:
    from .runtime import RouteResult

KINDS = ("import", "reserve", "release", "ship", "adjust")

stock_ledger = Table(
    "stock_ledger",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("warehouse", String(32), nullable=False),
    Column("sku", String(64), nullable=False),
    Column("kind", String(16), nullable=False),  # one of KINDS
    Column("on_hand", Integer, nullable=False),  # change to on hand
    Column("reserved", Integer, nullable=False),  # change to reserved
    Column("order_id", String(26)),
    Column("cause", Text),  # shipment id, file, reason, "refund completed", ...
    Column("actor", String(64)),  # person, or the part of orderhub that made the change
    Column("at", UTCDateTime, nullable=False),
)
Index("ix_stock_ledger_order", stock_ledger.c.order_id)
# No index on (warehouse, sku): routing adds a row per order and SKU, and that index (random
# insert positions) would double the ledger's cost to routing.  An item's history is read
# newest first by id instead (``orderhub stock history``).
# a shipment takes its units off hand once: the same (order, shipment, warehouse, sku) twice is
# refused by the database, whatever the callers do
Index("uq_stock_ledger_ship", stock_ledger.c.order_id, stock_ledger.c.cause,
      stock_ledger.c.warehouse, stock_ledger.c.sku, unique=True,
      sqlite_where=stock_ledger.c.kind == "ship",
      postgresql_where=stock_ledger.c.kind == "ship")

_LEDGER_COLUMNS = ("warehouse", "sku", "kind", "on_hand", "reserved", "order_id", "cause",
                   "actor")
_TIMED_COLUMNS = (*_LEDGER_COLUMNS, "at")
#: (warehouse, sku, kind, on_hand delta, reserved delta, order_id, cause, actor)
LedgerRow = tuple[str, str, str, int, int, str | None, str | None, str | None]


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    """One stock change as read back (``orderhub stock history``, an order's timeline)."""

    id: int
    at: datetime
    warehouse: str
    sku: str
    kind: str
    on_hand: int
    reserved: int
    order_id: str | None
    cause: str | None
    actor: str | None

    def as_json(self) -> dict[str, Any]:
        return {"id": self.id, "at": self.at.isoformat(), "warehouse": self.warehouse,
                "sku": self.sku, "kind": self.kind, "on_hand": self.on_hand,
                "reserved": self.reserved, "order_id": self.order_id, "cause": self.cause,
                "actor": self.actor}


def post(conn: Connection, rows: Sequence[LedgerRow], *, now: datetime | None = None) -> None:
    """Write ledger rows and move ``stock`` by their deltas (:func:`move`)."""
    if not rows:
        return
    now = now or datetime.now(UTC)
    totals: dict[tuple[str, str], list[int]] = {}
    for w, s, _, h, r, *_ in rows:
        t = totals.setdefault((w, s), [0, 0])
        t[0] += h
        t[1] += r
    move(conn, totals, now)
    insert_rows(conn, stock_ledger, _LEDGER_COLUMNS, rows, at=now)


def move(conn: Connection, totals: Mapping[tuple[str, str], Sequence[int]],
         now: datetime) -> None:
    """Add (on hand, reserved) deltas per (warehouse, sku) to ``stock``, as increments, so
    they compose with other transactions' changes; a pair without a row gets one (even with
    nothing in it: a stock file saying 0 is still a known item).

    One upsert for all of them (``INSERT ... ON CONFLICT DO UPDATE``): no read of which rows
    exist first, and on SQLite a few statements a batch rather than one per row (see
    :func:`~orderhub.store.bulk.insert_rows`)."""
    if not totals:
        return
    at = _stored_time(conn, now)
    rows = [(w, s, v[0], v[1], at) for (w, s), v in sorted(totals.items())]
    insert_rows(conn, stock_table, _STOCK_COLUMNS, rows, statement=_upsert(conn.dialect.name))


_ZERO: Any = literal_column("0")  # in the SQL text: no parameter among the rows' own
_STOCK_COLUMNS = ("warehouse", "sku", "on_hand", "reserved", "updated_at")
_UPSERTS: dict[str, Any] = {}


def _upsert(dialect: str) -> Any:
    """INSERT into ``stock`` adding to the row already there; a known row with nothing to
    add is left alone (its ``updated_at`` too)."""
    stmt = _UPSERTS.get(dialect)
    if stmt is None:
        ins = insert_on_conflict(dialect, stock_table)
        new = ins.excluded
        stmt = _UPSERTS[dialect] = ins.on_conflict_do_update(
            index_elements=[stock_table.c.warehouse, stock_table.c.sku],
            set_={"on_hand": stock_table.c.on_hand + new.on_hand,
                  "reserved": stock_table.c.reserved + new.reserved,
                  "updated_at": new.updated_at},
            where=or_(new.on_hand != _ZERO, new.reserved != _ZERO))
    return stmt


# -- imports and adjustments --------------------------------------------------------------------

class StockChangeError(OrderhubError):
    """A stock change that cannot be made (an adjustment below zero, no reason given)."""


def levels(conn: Connection, keys: Iterable[tuple[str, str]], *, lock: bool = False
           ) -> dict[tuple[str, str], tuple[int, int]]:
    """Current (on hand, reserved) of the given (warehouse, sku) pairs that have a row;
    ``lock``: hold those rows until the transaction ends (PostgreSQL)."""
    keys = set(keys)
    if not keys:
        return {}
    query = select(stock_table.c.warehouse, stock_table.c.sku, stock_table.c.on_hand,
                   stock_table.c.reserved).where(
        stock_table.c.warehouse.in_(sorted({w for w, _ in keys})),
        stock_table.c.sku.in_(sorted({s for _, s in keys})))
    if lock and conn.dialect.name == "postgresql":
        query = query.with_for_update()
    return {(w, s): (n, r) for w, s, n, r in conn.execute(query) if (w, s) in keys}


def set_on_hand(conn: Connection, rows: Sequence[tuple[str, str, int]], *, cause: str | None,
                actor: str | None = None, now: datetime | None = None) -> int:
    """Set on hand to counted values (a stock file): an ``import`` row for the difference of
    each (warehouse, sku) whose on hand changes; reserved is left as it is.  Returns how many
    changed."""
    lock_skus(conn, {s for _, s, _ in rows})
    current = levels(conn, ((w, s) for w, s, _ in rows), lock=True)
    post_rows: list[LedgerRow] = []
    for w, s, n in rows:
        delta = n - current.get((w, s), (0, 0))[0]
        if delta or (w, s) not in current:
            post_rows.append((w, s, "import", delta, 0, None, cause, actor))
    post(conn, post_rows, now=now)
    return len(post_rows)


def set_levels(conn: Connection, rows: Sequence[tuple[str, str, int, int]], *,
               cause: str | None = None, actor: str | None = None,
               now: datetime | None = None) -> None:
    """Set on hand and reserved to the given values (``import`` rows for the differences)."""
    lock_skus(conn, {s for _, s, _, _ in rows})
    current = levels(conn, ((w, s) for w, s, _, _ in rows), lock=True)
    post_rows: list[LedgerRow] = []
    for w, s, n, r in rows:
        old_n, old_r = current.get((w, s), (0, 0))
        if n != old_n or r != old_r or (w, s) not in current:
            post_rows.append((w, s, "import", n - old_n, r - old_r, None, cause, actor))
    post(conn, post_rows, now=now)


@dataclass(frozen=True, slots=True)
class Adjustment:
    """An adjustment made: on hand before and after, who and why."""

    warehouse: str
    sku: str
    before: int
    after: int
    reserved: int
    actor: str
    reason: str

    def as_json(self) -> dict[str, Any]:
        return {"warehouse": self.warehouse, "sku": self.sku, "before": self.before,
                "after": self.after, "change": self.after - self.before,
                "reserved": self.reserved, "available": max(self.after - self.reserved, 0),
                "actor": self.actor, "reason": self.reason}


def adjust(conn: Connection, warehouse: str, sku: str, change: int, *, reason: str,
           actor: str, now: datetime | None = None) -> Adjustment:
    """Correct on hand by ``change`` units (a count found more, breakage, a return to stock):
    an ``adjust`` ledger row with the person and the reason.  On hand cannot go below zero
    this way: the error says how many there are."""
    reason = (reason or "").strip()
    if not reason:
        raise StockChangeError("an adjustment needs a reason (--reason)")
    if not actor:
        raise StockChangeError("an adjustment needs the person making it (--as)")
    if change == 0:
        raise StockChangeError("an adjustment of 0 changes nothing")
    lock_skus(conn, [sku])
    before, reserved = levels(conn, [(warehouse, sku)], lock=True).get((warehouse, sku), (0, 0))
    if before + change < 0:
        have = "none on hand" if before <= 0 else f"only {before} on hand"
        raise StockChangeError(f"cannot take {-change} off {warehouse} {sku}: {have}")
    post(conn, [(warehouse, sku, "adjust", change, 0, None, reason, actor)], now=now)
    return Adjustment(warehouse, sku, before, before + change, reserved, actor, reason)


# -- routing ----------------------------------------------------------------------------------

def reserve_routes(conn: Connection, routes: Iterable[RouteResult], *,
                   now: datetime | None = None, actor: str = "routing") -> int:
    """The reservations of routed orders (``RouteResult.reserved``): a ``reserve`` ledger row
    per order, warehouse and SKU, and ``stock.reserved`` raised by the same amounts.  Returns
    the number of ledger rows.

    This runs for every routed order, so it is :func:`post` unrolled: one pass makes the
    rows, ready for the driver with their time, and the totals per warehouse and SKU (an
    assignment reserves each SKU of the order once, so rows are not regrouped per order)."""
    now = now or datetime.now(UTC)
    at = _stored_time(conn, now)
    rows: list[tuple[Any, ...]] = []
    add = rows.append
    totals: dict[tuple[str, str], int] = {}
    causes: dict[tuple[str | None, str | None], str | None] = {}
    for r in routes:
        if not r.reserved:
            continue
        key = (r.flow, r.version)
        cause = causes.get(key)
        if cause is None:
            cause = causes[key] = f"flow {r.flow} {r.version}" if r.flow else None
        oid = r.order_id
        for w, s, q in r.reserved:
            if q:
                add((w, s, "reserve", 0, q, oid, cause, actor, at))
                totals[(w, s)] = totals.get((w, s), 0) + q
    if rows:
        move(conn, {k: (0, q) for k, q in totals.items()}, now)
        insert_rows(conn, stock_ledger, _TIMED_COLUMNS, rows)
    return len(rows)


def _stored_time(conn: Connection, now: datetime) -> Any:
    """``now`` as the ``at`` column stores it on this connection's database."""
    dialect = conn.dialect
    process = stock_ledger.c.at.type.dialect_impl(dialect).bind_processor(dialect)
    return process(now) if process else now


# -- fulfilment: releases and shipments --------------------------------------------------------

def open_reservations(conn: Connection, order_id: str) -> dict[tuple[str, str], int]:
    """The order's reservations still open, per (warehouse, sku): what its ledger rows
    reserved and no release or shipment has consumed yet."""
    query = (select(stock_ledger.c.warehouse, stock_ledger.c.sku,
                    func.sum(stock_ledger.c.reserved))
             .where(stock_ledger.c.order_id == order_id)
             .group_by(stock_ledger.c.warehouse, stock_ledger.c.sku))
    return {(w, s): int(q) for w, s, q in conn.execute(query) if q and int(q) > 0}


def lock_order(conn: Connection, order_id: str, more: Iterable[str] = ()) -> list[int]:
    """Lock the SKUs of an order (its lines as stored, what it holds reserved) and ``more``,
    before reading its reservations: a routing of the same order commits before this reads,
    or waits for this transaction (PostgreSQL; nothing to do on SQLite)."""
    if conn.dialect.name != "postgresql":
        return []
    from ...store.schema import orders

    skus = set(more) | {s for _, s in open_reservations(conn, order_id)}
    doc = conn.execute(select(orders.c.doc).where(orders.c.id == order_id)).scalar()
    if doc is not None:
        parsed = jsonlib.loads(doc) if isinstance(doc, str | bytes) else doc
        skus |= {str(i["sku"]) for i in parsed.get("items") or () if i.get("sku")}
    return lock_skus(conn, skus or {""})


def release_order(conn: Connection, order_id: str, cause: str, *, actor: str | None = None,
                  now: datetime | None = None) -> int:
    """Drop the order's open reservations (a refund completed, the order was cancelled): a
    ``release`` ledger row per warehouse and SKU.  Returns the units released; calling it
    again releases nothing more (0)."""
    lock_order(conn, order_id)
    held = open_reservations(conn, order_id)
    post(conn, [(w, s, "release", 0, -q, order_id, cause, actor)
                for (w, s), q in sorted(held.items())], now=now)
    return sum(held.values())


def ship_units(conn: Connection, order_id: str, warehouse: str,
               lines: Sequence[tuple[str, int]], cause: str, *, actor: str | None = None,
               now: datetime | None = None) -> None:
    """Take shipped units off hand at ``warehouse`` and consume the order's reservation for
    them.  ``cause`` is the shipment's id: a second call with the same order and shipment
    changes nothing, so a retried scan or a replayed event cannot ship twice.

    ``lines`` are (merchant SKU, quantity).  The reservation is consumed at ``warehouse``
    first; if the order was reserved elsewhere for the SKU (it shipped from another
    warehouse than routing chose), that reservation is released, so nothing stays reserved
    for units already gone.  On hand may go below zero when the stock records were wrong:
    the parcel has left, and the ledger says so."""
    if not cause:
        raise ValueError("ship_units needs the shipment id as its cause")
    lock_order(conn, order_id, [sku for sku, _ in lines])
    done = conn.execute(select(func.count()).select_from(stock_ledger).where(
        stock_ledger.c.order_id == order_id, stock_ledger.c.kind == "ship",
        stock_ledger.c.cause == cause)).scalar()
    if done:
        return
    wanted: dict[str, int] = {}
    for sku, qty in lines:
        if qty < 0:
            raise ValueError(f"cannot ship a negative quantity ({sku}: {qty})")
        if qty:
            wanted[sku] = wanted.get(sku, 0) + qty
    held = open_reservations(conn, order_id)
    rows: list[LedgerRow] = []
    for sku, qty in sorted(wanted.items()):
        here = min(qty, held.get((warehouse, sku), 0))
        rows.append((warehouse, sku, "ship", -qty, -here, order_id, cause, actor))
        rest = qty - here
        for (w, s), q in sorted(held.items()):
            if rest <= 0:
                break
            if s == sku and w != warehouse:
                take = min(rest, q)
                rows.append((w, s, "release", 0, -take, order_id, cause, actor))
                rest -= take
    post(conn, rows, now=now)


def order_entries(conn: Connection, order_id: str) -> list[LedgerEntry]:
    """An order's stock movements, oldest first (for its timeline)."""
    return entries(conn, order_id=order_id)


def entries(conn: Connection, *, order_id: str | None = None, warehouse: str | None = None,
            sku: str | None = None, limit: int | None = None) -> list[LedgerEntry]:
    """Ledger rows, oldest first, filtered by order, warehouse and SKU; with ``limit``, the
    newest ``limit`` of them."""
    query = select(stock_ledger)
    if order_id is not None:
        query = query.where(stock_ledger.c.order_id == order_id)
    if warehouse is not None:
        query = query.where(stock_ledger.c.warehouse == warehouse)
    if sku is not None:
        query = query.where(stock_ledger.c.sku == sku)
    if limit is not None:
        query = query.order_by(stock_ledger.c.id.desc()).limit(limit)
        found = list(conn.execute(query))[::-1]
    else:
        found = list(conn.execute(query.order_by(stock_ledger.c.id)))
    return [LedgerEntry(**r._mapping) for r in found]
