"""Stock and routing decisions in the store: the ``stock`` and ``route_decisions`` tables.

``stock`` holds on-hand and reserved quantity per warehouse and merchant SKU (imported from a
CSV).  ``route_decisions`` holds every routing: order, flow, version, warehouse, trace.  Both are
written in batches: one ``executemany`` per batch of results.

:class:`RoutingStore` opens its own transactions.  The functions at the end (``lock_skus``,
``reserve_on``, ``record_on``) write on a connection the caller owns, so the service commits a
routing's reservations and decision in the same transaction as the event's decision and its
outbox rows: a crash before that commit leaves no reservation behind, and one after it leaves
nothing to redo.
"""

from __future__ import annotations

import csv
import io
import zlib
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Column,
    Connection,
    Engine,
    Index,
    Integer,
    String,
    Table,
    Text,
    bindparam,
    func,
    select,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY

from ...connectors.files import decode
from ...errors import RecordError
from ...store.bulk import insert_rows
from ...store.schema import BigId, JSONDoc, UTCDateTime, metadata, orders
from . import jsontext
from .runtime import RouteResult
from .state import StockLevels
from .trace import Trace

stock_table = Table(
    "stock",
    metadata,
    Column("warehouse", String(32), primary_key=True),
    Column("sku", String(64), primary_key=True),
    Column("on_hand", Integer, nullable=False),
    Column("reserved", Integer, nullable=False, default=0),
    Column("updated_at", UTCDateTime, nullable=False),
)

route_decisions = Table(
    "route_decisions",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("order_id", String(26), nullable=False),
    Column("flow", String(64)),
    Column("version", String(16)),
    Column("warehouse", String(32)),
    Column("diverted_from", String(32)),
    Column("result", JSONDoc, nullable=False),
    Column("trace", Text),
    Column("at", UTCDateTime, nullable=False),
)
#: The columns :meth:`RoutingStore.record` writes, in the order of its row tuples (+ ``at``).
_DECISION_COLUMNS = ("order_id", "flow", "version", "warehouse", "diverted_from", "result",
                     "trace")
_UPDATE_RESERVED = stock_table.update().where(
    stock_table.c.warehouse == bindparam("w"), stock_table.c.sku == bindparam("s")
).values(reserved=bindparam("r"), updated_at=bindparam("u"))
Index("ix_route_decisions_order", route_decisions.c.order_id, route_decisions.c.id)
Index("ix_route_decisions_wh_at", route_decisions.c.warehouse, route_decisions.c.at)

_HEADERS = {
    "warehouse": ("warehouse", "仓库", "仓库编码", "仓库代码"),
    "sku": ("sku", "商家编码", "SKU", "sku_code", "货号"),
    "on_hand": ("on_hand", "库存", "数量", "qty", "quantity", "在库"),
    "reserved": ("reserved", "占用", "预占"),
}


@dataclass
class StockImport:
    """What ``stock import`` did: rows imported (of which ``changed`` moved on hand), the rows
    rejected with their reason, and whether the file's reserved column was left aside."""

    imported: int = 0
    rejected: list[RecordError] = field(default_factory=list)
    changed: int = 0
    reserved_ignored: bool = False


def read_stock_csv(path: Path, known: Sequence[str] | None = None
                   ) -> tuple[list[tuple[str, str, int, int]], list[RecordError]]:
    """(warehouse, sku, on_hand, reserved) rows of a stock CSV (UTF-8 or GB18030), and the
    rejected rows, each with its line and field.  Headers may be English or Chinese (仓库,
    商家编码, 库存, 占用).  Quantities must be whole numbers, not negative; the warehouse must
    be one of ``known``; a warehouse and SKU given twice keeps its first line."""
    text, _ = decode(path.read_bytes())
    reader = csv.DictReader(io.StringIO(text))
    cols: dict[str, str] = {}
    for name in reader.fieldnames or []:
        for key, aliases in _HEADERS.items():
            if name.strip() in aliases or name.strip().lower() in aliases:
                cols[key] = name
    missing = [k for k in ("warehouse", "sku", "on_hand") if k not in cols]
    if missing:
        return [], [RecordError(f"missing column(s) {', '.join(missing)}; expected "
                                "warehouse, sku, on_hand[, reserved]", file=str(path))]
    rows: list[tuple[str, str, int, int]] = []
    bad: list[RecordError] = []
    seen: dict[tuple[str, str], int] = {}
    for row in reader:
        line = reader.line_num
        try:
            extra = row.pop(None, None)  # type: ignore[call-overload]
            if extra:
                width = len(reader.fieldnames or [])
                raise _BadRow(None, f"row has {width + len(extra)} cells, the header has {width}")
            item = _stock_row(row, cols, known, seen, line)
        except _BadRow as exc:
            bad.append(RecordError(exc.reason, file=str(path), record=line, unit="line",
                                   field=exc.field))
            continue
        seen[item[:2]] = line
        rows.append(item)
    return rows, bad


class _BadRow(Exception):
    def __init__(self, field: str | None, reason: str) -> None:
        self.field, self.reason = field, reason


def _stock_row(row: dict[str, str | None], cols: dict[str, str], known: Sequence[str] | None,
               seen: dict[tuple[str, str], int], line: int) -> tuple[str, str, int, int]:
    wh = (row.get(cols["warehouse"]) or "").strip()
    sku = (row.get(cols["sku"]) or "").strip()
    if not wh or not sku:
        raise _BadRow(None, "warehouse and sku are required")
    if known is not None and wh not in known:
        raise _BadRow("warehouse", f"unknown warehouse {wh!r} (config has {', '.join(known)})")
    if len(wh) > 32 or len(sku) > 64 or "\x00" in wh + sku:
        raise _BadRow("warehouse" if len(wh) > 32 else "sku",
                      "warehouse (32 characters at most) or sku (64) too long, or holding a NUL")
    if (wh, sku) in seen:
        raise _BadRow("sku", f"{wh} {sku} is also on line {seen[(wh, sku)]}; "
                             "keep the right one")
    on_hand = _quantity(row.get(cols["on_hand"]), "on_hand", blank_ok=False)
    reserved = _quantity(row.get(cols["reserved"]), "reserved", blank_ok=True) \
        if "reserved" in cols else 0
    return wh, sku, on_hand, reserved


def _quantity(raw: str | None, name: str, *, blank_ok: bool) -> int:
    """A whole, non-negative number of units: ``12``, ``12.0`` or ``1,200`` (as spreadsheets
    write them); not ``many``, ``2.5`` or ``-3``."""
    text = (raw or "").strip().replace(",", "")
    if not text:
        if blank_ok:
            return 0
        raise _BadRow(name, f"{name} is blank")
    try:
        value = float(text)
    except ValueError:
        raise _BadRow(name, f"not a whole number: {raw!r}") from None
    if value != value or value in (float("inf"), float("-inf")) or value != int(value):
        raise _BadRow(name, f"not a whole number: {raw!r}")
    if value < 0:
        raise _BadRow(name, f"negative quantity: {raw!r}")
    if value > _MAX_QUANTITY:
        raise _BadRow(name, f"more than {_MAX_QUANTITY:,} units: {text[:40]!r}")
    return int(value)


#: The largest quantity the stock table's integer columns hold.
_MAX_QUANTITY = 2**31 - 1


class RoutingStore:
    """Stock levels and routing decisions on the order store's engine."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def load_stock(self, skus: Iterable[str] | None = None) -> StockLevels:
        """Every warehouse's stock, or only that of ``skus`` (those a router has locked: see
        :func:`lock_skus`)."""
        query = select(stock_table.c.warehouse, stock_table.c.sku, stock_table.c.on_hand,
                       stock_table.c.reserved)
        if skus is not None:
            query = query.where(stock_table.c.sku.in_(sorted(skus)))
        with self.engine.connect() as conn:
            return StockLevels(conn.execute(query))

    def import_stock(self, path: Path, known: Sequence[str] | None = None, *,
                     actor: str | None = None, now: datetime | None = None) -> StockImport:
        """Set on hand from a CSV, one ``import`` ledger row (cause: the file) per warehouse
        and SKU whose on hand changes; bad rows are reported, the rest imported.

        A reserved (占用) column is not imported: reserved stock is orderhub's own, the open
        reservations of routed orders (see :mod:`.ledger`); taking another system's figure
        would count them twice or lose them."""
        from .ledger import set_on_hand

        rows, bad = read_stock_csv(path, known)
        with self.engine.begin() as conn:
            changed = set_on_hand(conn, [(w, s, n) for w, s, n, _ in rows], cause=str(path),
                                  actor=actor, now=now)
        return StockImport(len(rows), bad, changed, any(r for *_, r in rows))

    def put_stock(self, rows: Iterable[tuple[str, str, int, int]], *,
                  now: datetime | None = None, cause: str | None = None) -> None:
        """Set on hand and reserved to the given (warehouse, sku, on_hand, reserved) values,
        through the ledger (``import`` rows with the differences): tests, benchmarks, and
        stores seeded from another system."""
        from .ledger import set_levels

        rows = list(rows)
        if rows:
            with self.engine.begin() as conn:
                set_levels(conn, rows, cause=cause, now=now)

    def write(self, results: Sequence[RouteResult], stock: StockLevels, *,
              now: datetime | None = None, conn: Connection | None = None) -> int:
        """A routed batch in one transaction: its decisions (:meth:`record`) and the stock it
        reserved, as increments with a ledger row per order (:func:`.ledger.reserve_routes`).
        Returns the number of decisions stored.

        ``conn``: a connection the caller keeps open over many batches (see
        :meth:`connection`); on SQLite, where each new connection is opened and closed again
        (with a WAL checkpoint), that is a good part of a batch's cost."""
        from .ledger import reserve_routes

        now = now or datetime.now(UTC)
        with self._transaction(conn) as tx:
            n = self.insert_decisions(tx, results, now)
            reserve_routes(tx, results, now=now)
        stock.changed.clear()
        return n

    @contextmanager
    def connection(self) -> Iterator[Connection]:
        """One connection for a series of :meth:`write` calls (each still its own
        transaction)."""
        with self.engine.connect() as conn:
            yield conn

    def save_reservations(self, stock: StockLevels, *, now: datetime | None = None) -> None:
        """Write back the reserved quantities routing changed: one batched UPDATE (and an
        INSERT for SKUs a warehouse had no row for)."""
        with self.engine.begin() as conn:
            self._save_reservations(conn, stock, now or datetime.now(UTC))

    def record(self, results: Sequence[RouteResult], *, now: datetime | None = None) -> int:
        """Store routing decisions (with traces) in one batch; results without an order id or
        without a flow are skipped.  Returns the number stored."""
        with self.engine.begin() as conn:
            return self.insert_decisions(conn, results, now or datetime.now(UTC))

    @contextmanager
    def _transaction(self, conn: Connection | None) -> Iterator[Connection]:
        if conn is None:
            with self.engine.begin() as own:
                yield own
        else:
            with conn.begin():
                yield conn

    def _save_reservations(self, conn: Connection, stock: StockLevels, now: datetime) -> None:
        self.save_rows(conn, stock.changed_rows(), now)
        stock.changed.clear()

    def save_rows(self, conn: Connection, rows: list[tuple[str, str, int, int]],
                  now: datetime) -> None:
        """Set reserved quantities from (warehouse, sku, on_hand, reserved) rows."""
        if not rows:
            return
        known = self._keys(conn, {(w, s) for w, s, _, _ in rows})
        old = [{"w": w, "s": s, "r": r, "u": now} for w, s, _, r in rows if (w, s) in known]
        if old:
            conn.execute(_UPDATE_RESERVED, old)
        new = [{"warehouse": w, "sku": s, "on_hand": n, "reserved": r, "updated_at": now}
               for w, s, n, r in rows if (w, s) not in known]
        if new:
            conn.execute(stock_table.insert(), new)

    @staticmethod
    def _keys(conn: Connection, wanted: set[tuple[str, str]]) -> set[tuple[str, str]]:
        warehouses = sorted({w for w, _ in wanted})
        found = conn.execute(select(stock_table.c.warehouse, stock_table.c.sku)
                             .where(stock_table.c.warehouse.in_(warehouses)))
        return {(w, s) for w, s in found} & wanted

    @staticmethod
    def insert_decisions(conn: Connection, results: Sequence[RouteResult], now: datetime) -> int:
        """Decisions as ready tuples: this runs once per routed order, so it skips
        SQLAlchemy's per-row work (see :func:`insert_rows`): the JSON columns are text made by
        :func:`jsontext.dumps`, the time (the same for the whole batch) is converted once."""
        dumps = jsontext.dumps
        rows = [(r.order_id, r.flow, r.version, r.warehouse, r.diverted_from,
                 dumps({"path": r.path, "reasons": r.reasons, "region": r.region,
                        "stockout": r.stockout, "error": r.error, "carrier": r.carrier,
                        "actions": [a.as_json() for a in r.actions]}),
                 dumps(r.trace.compact()) if r.trace else None)
                for r in results if r.order_id and r.flow]
        insert_rows(conn, route_decisions, _DECISION_COLUMNS, rows, at=now)
        return len(rows)

    def decisions(self, order_id: str) -> list[dict[str, Any]]:
        """Every routing decision of an order, oldest first, with its trace."""
        query = select(route_decisions).where(route_decisions.c.order_id == order_id) \
            .order_by(route_decisions.c.id)
        with self.engine.connect() as conn:
            out = []
            for r in conn.execute(query):
                doc = dict(r._mapping)
                doc["result"] = {**doc["result"], "flow": doc["flow"], "version": doc["version"],
                                 "warehouse": doc["warehouse"],
                                 "diverted_from": doc["diverted_from"]}
                doc["trace"] = Trace.from_json(jsontext.loads(doc["trace"])).as_json() \
                    if doc["trace"] else None
                out.append(doc)
            return out

    def load_today(self, now: datetime, tz: Any) -> dict[str, int]:
        """Pending orders per warehouse today: orders routed since local midnight that are
        still paid and not shipped (the latest decision of each order counts)."""
        local = now.astimezone(tz)
        start = local.replace(hour=0, minute=0, second=0, microsecond=0)
        start = (start if start <= local else start - timedelta(days=1)).astimezone(UTC)
        latest = (select(func.max(route_decisions.c.id).label("id"))
                  .where(route_decisions.c.at >= start)
                  .group_by(route_decisions.c.order_id).subquery())
        query = (select(route_decisions.c.warehouse, func.count())
                 .join(latest, latest.c.id == route_decisions.c.id)
                 .join(orders, orders.c.id == route_decisions.c.order_id)
                 .where(orders.c.status == "paid", route_decisions.c.warehouse.is_not(None))
                 .group_by(route_decisions.c.warehouse))
        with self.engine.connect() as conn:
            return {w: int(n) for w, n in conn.execute(query)}


# -- on the caller's connection, in the caller's transaction ----------------------------------

#: 'orou': the first key of routing's stock locks (PostgreSQL's two-key advisory locks, a key
#: space apart from the one-key locks of the leader and the migrations).
SKU_LOCK_CLASS = 0x6F726F75
#: SKUs are locked by bucket (a hash of the SKU), so one transaction holds at most this many
#: locks whatever the catalog; two SKUs sharing a bucket only wait for each other.
SKU_LOCK_BUCKETS = 1024
_LOCK_SKUS = text(
    "SELECT count(pg_advisory_xact_lock(:c, k)) FROM unnest(:keys) AS t(k)"
).bindparams(bindparam("keys", type_=ARRAY(Integer)))


def sku_lock_keys(skus: Iterable[str]) -> list[int]:
    """The lock keys of ``skus``, sorted: every taker locks in this order, so two
    transactions wanting overlapping sets never wait for each other in a circle."""
    return sorted({zlib.crc32(s.encode()) % SKU_LOCK_BUCKETS for s in skus})


def lock_skus(conn: Connection, skus: Iterable[str]) -> list[int]:
    """Hold the stock locks of ``skus`` (every warehouse's rows of them) until ``conn``'s
    transaction ends (PostgreSQL; SQLite has one writing process).  Returns the keys.

    What two routings share is the stock of a SKU: a router reads it for every candidate
    warehouse and reserves it.  So a router locks the SKUs of the orders it routes before
    reading their stock, and keeps them to the commit that writes its reservations; imports,
    adjustments, releases and shipments lock the SKUs they change.  Batches of different
    SKUs run side by side; batches sharing one wait for each other there."""
    keys = sku_lock_keys(skus)
    if keys and conn.dialect.name == "postgresql":
        conn.execute(_LOCK_SKUS, {"c": SKU_LOCK_CLASS, "keys": keys})
    return keys


def order_skus(orders: Iterable[Any]) -> set[str]:
    """The SKUs routing ``orders`` may reserve (``""`` stands for an order with none, so that
    two routings of such orders still meet at one lock)."""
    out: set[str] = set()
    for order in orders:
        skus = {i.sku for i in order.items if i.sku}
        out |= skus or {""}
    return out


def reserve_on(conn: Connection, reserved: Iterable[tuple[str, str, int]], *,
               now: datetime | None = None) -> int:
    """Add (warehouse, sku, quantity) reservations to ``stock.reserved`` on ``conn``.

    Increments, not absolute values, so they compose with a stock import committed meanwhile;
    a SKU a warehouse has no row for gets one (on hand 0: the order is short there).
    Returns the number of (warehouse, sku) rows changed."""
    now = now or datetime.now(UTC)
    totals: dict[tuple[str, str], int] = {}
    for w, s, q in reserved:
        if q:
            totals[(w, s)] = totals.get((w, s), 0) + q
    if not totals:
        return 0
    warehouses = sorted({w for w, _ in totals})
    known = {(w, s) for w, s in conn.execute(
        select(stock_table.c.warehouse, stock_table.c.sku)
        .where(stock_table.c.warehouse.in_(warehouses),
               stock_table.c.sku.in_(sorted({s for _, s in totals}))))}
    add = stock_table.update().where(
        stock_table.c.warehouse == bindparam("w"), stock_table.c.sku == bindparam("s")
    ).values(reserved=stock_table.c.reserved + bindparam("q", type_=Integer),
             updated_at=bindparam("u"))
    old = [{"w": w, "s": s, "q": q, "u": now} for (w, s), q in sorted(totals.items())
           if (w, s) in known]
    if old:
        conn.execute(add, old)
    new = [{"warehouse": w, "sku": s, "on_hand": 0, "reserved": q, "updated_at": now}
           for (w, s), q in sorted(totals.items()) if (w, s) not in known]
    if new:
        conn.execute(stock_table.insert(), new)
    return len(totals)


def record_on(conn: Connection, results: Sequence[RouteResult], *,
              now: datetime | None = None) -> int:
    """Insert routing decisions (with traces) on ``conn``, in the caller's transaction;
    results without an order id or a flow are skipped.  Returns the number stored."""
    return RoutingStore.insert_decisions(conn, results, now or datetime.now(UTC))


def write_sample_stock(path: Path, catalog: Any, warehouses: Sequence[Any]) -> None:
    """A stock CSV for the example workspace: cold-chain warehouses carry everything (an order
    with one chilled item ships whole from there), the others everything but cold-chain SKUs,
    with a few gaps so fallbacks show up in dry-runs."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["warehouse", "sku", "on_hand", "reserved"])
    skus = sorted(catalog.products) if catalog is not None else []
    for i, sku in enumerate(skus):
        cold = bool(catalog.attributes(sku).get("cold_chain"))
        for j, w in enumerate(warehouses):
            is_cold = "cold_chain" in w.capabilities
            if cold and not is_cold:
                continue
            on_hand = 0 if (i + j) % 7 == 3 else 200 + 50 * ((i * 3 + j) % 5)
            writer.writerow([w.code, sku, on_hand, 0])
    path.write_text(out.getvalue(), encoding="utf-8")
