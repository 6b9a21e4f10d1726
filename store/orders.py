"""The normalized order store: dedup on (platform, platform order number), one internal ID each.

:meth:`OrderStore.upsert` takes a batch of mapped orders and, in one transaction, inserts the new
ones, updates those with a newer ``modified`` time, ignores unchanged and stale ones, and appends
the events each change implies.  Concurrent writers (several ingest processes on PostgreSQL) are
safe: rows are locked while compared, and a lost insert race turns into an update.
"""

from __future__ import annotations

import builtins  # the class's method `list` shadows the builtin in annotations
import hashlib
import os
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timezone
from decimal import Decimal
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import orjson
from sqlalchemy import (
    Connection,
    Engine,
    String,
    and_,
    bindparam,
    func,
    insert,
    select,
    text,
    tuple_,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY

from ..errors import NotFound
from ..model import Order
from ..record_checks import cut, has_undecoded
from . import db
from .bulk import copy_insert_ignore, copy_rows, insert_rows, update_rows
from .events import diff, snapshot
from .records import HistoryOrder
from .schema import Money, UTCDateTime, order_events, orders, rejects

_LOOKUP_COLS = (
    orders.c.id,
    orders.c.platform_order_no,
    orders.c.modified_at,
    orders.c.content_hash,
    orders.c.version,
)
_CHUNK = 500
_T = TypeVar("_T")
#: Longest text kept per rejects column (the column widths, or a readable size for Text ones).
_REJECT_LIMITS = {"reason": 1000, "source": 64, "file": 4096, "platform_order_no": 64,
                  "field": 128, "raw": 65536, "batch": 64}


@dataclass
class UpsertResult:
    """What one batch did.  ``stale`` orders were older than the stored version."""

    new: int = 0
    updated: int = 0
    unchanged: int = 0
    stale: int = 0
    events: int = 0
    ids: dict[tuple[str, str], str] = field(default_factory=dict)
    #: ids of the orders this batch inserted
    inserted: list[str] = field(default_factory=list)

    def add(self, other: UpsertResult) -> None:
        self.new += other.new
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.stale += other.stale
        self.events += other.events
        self.ids.update(other.ids)
        self.inserted.extend(other.inserted)


@dataclass(frozen=True, slots=True)
class OrderEvent:
    id: int
    order_id: str
    type: str
    at: datetime
    data: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Reject:
    """A record that could not be ingested, kept with its reason so nothing is lost."""

    reason: str
    source: str | None = None
    file: str | None = None
    record: int | None = None
    platform_order_no: str | None = None
    field: str | None = None
    raw: str | None = None
    batch: str | None = None

    def __post_init__(self) -> None:
        # Cut to what the rejects table holds (and a person reads): a 10 MB value is named by
        # its position, not copied; NULs are made visible (PostgreSQL text cannot hold them).
        for name, limit in _REJECT_LIMITS.items():
            value = getattr(self, name)
            if value is not None:
                object.__setattr__(self, name, cut(str(value), limit))


def serialize(order: Order) -> tuple[str, str]:
    """The stored document (the order without its id, which is a column) and its hash.

    One serialization serves both: re-ingesting the same record yields the same hash, so an
    unchanged order is a no-op.
    """
    # pydantic's bytes, as model_dump_json makes them before decoding: hashed as they are
    # rather than encoded again (the same digest, one encode of ~3 kB fewer per order)
    body = order.__pydantic_serializer__.to_json(order, exclude=_NO_ID)
    return body.decode(), hashlib.blake2b(body, digest_size=16).hexdigest()


_NO_ID: set[str] = {"id"}  # never changed: pydantic only reads it


def content_hash(order: Order) -> str:
    return serialize(order)[1]


@dataclass(slots=True)
class ReadyOrder:
    """An order in the forms :meth:`OrderStore.upsert` writes: its document and hash, its
    orders row in stored form (id, version and times still to fill), and the events of its
    creation.  Made once per order by :func:`prepare`, in the process that mapped it (an
    ingest worker sends these: plain strings and tuples, cheap to pass between processes)."""

    platform: str
    platform_order_no: str
    modified_at: datetime | None
    fingerprint: str | None
    doc: str
    digest: str
    row: tuple[Any, ...]
    created: list[tuple[str, str]]
    source: str | None = None
    mapped: Order | None = None

    @property
    def key(self) -> tuple[str, str]:
        return (self.platform, self.platform_order_no)

    def order(self) -> Order:
        """The order itself (an update compares it with the stored one): the mapped one, or
        read back from its document, which holds all of it but the fingerprint."""
        if self.mapped is None:
            self.mapped = Order.model_validate_json(self.doc)
            self.mapped.fingerprint = self.fingerprint
        return self.mapped


def prepare(order: Order, dialect: str, *, keep: bool = True) -> ReadyOrder:
    """``order`` ready for ``dialect``'s store ("sqlite" or "postgresql"); ``keep``: the
    :class:`ReadyOrder` holds the order too (not worth sending between processes)."""
    doc, digest = serialize(order)
    values = _ready(_STORERS_BY_NAME[dialect](),
                    _row_values(order, "", doc, digest, None, 0))  # type: ignore[arg-type]
    return ReadyOrder(order.platform._value_, order.platform_order_no, order.modified_at,
                      order.fingerprint, doc, digest, values,
                      [(t, orjson.dumps(d).decode()) for t, d in diff(None, order)],
                      order.source, order if keep else None)


class OrderStore:
    """Orders, their events and rejects, on one SQLAlchemy engine."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._dialect = engine.dialect.name

    @classmethod
    def open(cls, url: str) -> OrderStore:
        return cls(db.connect(url))

    # -- writing ---------------------------------------------------------------------------

    def upsert(self, batch: Iterable[Order | ReadyOrder], *, now: datetime | None = None,
               history: str | None = None) -> UpsertResult:
        """Store a batch of orders in one transaction.  See the module docstring.

        ``history`` (e.g. ``"migrate <batch>"``): the orders it inserts are history, marked as
        such in the same transaction (:mod:`.history`), so nothing ever acts on them.  An order
        already stored keeps what it was: a live order stays live (its platform updates must
        still reach the rules), a historical one stays history."""
        now = now or datetime.now(UTC)
        latest: dict[tuple[str, str], ReadyOrder] = {}
        total = 0
        for item in batch:
            total += 1
            order = item if isinstance(item, ReadyOrder) else prepare(item, self._dialect)
            prev = latest.get(order.key)
            if prev is None or _newer(order, prev):
                latest[order.key] = order
        # a record repeated within the batch counts once; its other copies are "unchanged"
        result = UpsertResult()
        by_platform: dict[str, list[ReadyOrder]] = {}
        for order in latest.values():
            by_platform.setdefault(order.platform, []).append(order)
        with self.engine.begin() as conn:
            for platform, group in by_platform.items():
                for part in self._parts(group):
                    result.add(self._upsert_chunk(conn, platform, part, now))
            if history:
                from .history import mark_historical

                mark_historical(conn, result.inserted, history, now=now)
        result.unchanged += total - len(latest)
        return result

    def _upsert_chunk(
        self, conn: Connection, platform: str, chunk: list[ReadyOrder], now: datetime
    ) -> UpsertResult:
        result = UpsertResult()
        hashes = {o.platform_order_no: o.digest for o in chunk}
        existing = self._lookup(conn, platform, list(hashes))
        fresh = [o for o in chunk if o.platform_order_no not in existing]
        if fresh:
            lost = self._insert_new(conn, fresh, now, result)
            if lost:  # another process inserted them first: compare against its rows instead
                existing.update(self._lookup(conn, platform, [o.platform_order_no for o in lost]))
        changed: list[tuple[ReadyOrder, dict[str, Any]]] = []
        for order in chunk:
            row = existing.get(order.platform_order_no)
            if row is None:
                continue
            result.ids[order.key] = row["id"]
            if row["content_hash"] == hashes[order.platform_order_no]:
                result.unchanged += 1
            elif _is_stale(order, row["modified_at"]):
                result.stale += 1
            else:
                changed.append((order, row))
        if changed:
            self._apply_updates(conn, changed, now, result)
        return result

    def _parts(self, items: builtins.list[_T]) -> Iterator[builtins.list[_T]]:
        """``items`` in the parts one lookup takes: 500 on SQLite (a list of bound
        parameters), all at once on PostgreSQL, where one array parameter holds them (each
        statement is a round trip to the server)."""
        size = len(items) if self._dialect == "postgresql" else _CHUNK
        for i in range(0, len(items), max(1, size)):
            yield items[i : i + size]

    def _lookup(self, conn: Connection, platform: str, numbers: list[str]) -> dict[str, Any]:
        if self._dialect == "postgresql":  # one array parameter, one index probe per number
            # sorted: the rows found are locked in the array's order, the same in every writer,
            # so two that share orders wait for each other instead of deadlocking
            query: Any = text(_probes(conn, "id, platform_order_no, modified_at, content_hash, "
                                            "version", lock=True)).bindparams(
                bindparam("p", platform), bindparam("n", sorted(numbers), type_=ARRAY(String)),
            ).columns(*_LOOKUP_COLS)
        else:
            query = select(*_LOOKUP_COLS).where(
                orders.c.platform == platform, orders.c.platform_order_no.in_(numbers))
        return {r.platform_order_no: r._asdict() for r in conn.execute(query)}

    def _insert_new(
        self,
        conn: Connection,
        fresh: list[ReadyOrder],
        now: datetime,
        result: UpsertResult,
    ) -> list[ReadyOrder]:
        rows: list[tuple[Any, ...]] = []
        event_rows: list[tuple[str, str, str]] = []
        at = stored_now(conn.dialect, now)
        for order, order_id in zip(fresh, new_ids(len(fresh)), strict=True):
            rows.append((order_id, *order.row[1:-3], 1, at, at))
            event_rows.extend((order_id, t, d) for t, d in order.created)
            result.ids[order.key] = order_id
        if self._dialect == "sqlite":
            # BEGIN IMMEDIATE made this transaction the only writer since the lookup, so no
            # other process can have inserted these: the plain executemany fast path is safe.
            insert_rows(conn, orders, ROW_COLUMNS, rows)
            inserted = {o.platform_order_no for o in fresh}
        else:
            inserted = set(copy_insert_ignore(conn, orders, ROW_COLUMNS, rows,
                                              ("platform", "platform_order_no"),
                                              "platform_order_no"))
        lost = [o for o in fresh if o.platform_order_no not in inserted]
        if lost:
            lost_ids = set()
            for order in lost:
                lost_ids.add(result.ids.pop(order.key))
            event_rows = [e for e in event_rows if e[0] not in lost_ids]
        _insert_events(conn, event_rows, now)
        result.inserted.extend(result.ids[o.key] for o in fresh
                               if o.platform_order_no in inserted)
        result.new += len(inserted)
        result.events += len(event_rows)
        return lost

    def _apply_updates(
        self,
        conn: Connection,
        changed: list[tuple[ReadyOrder, dict[str, Any]]],
        now: datetime,
        result: UpsertResult,
    ) -> None:
        rows, event_rows, same = [], [], []
        stored, at = _storers(conn.dialect), stored_now(conn.dialect, now)
        ids = [old["id"] for _, old in changed]
        query = select(orders.c.id, orders.c.doc).where(orders.c.id.in_(ids))
        old_docs = {r.id: r.doc for r in conn.execute(query)}
        for ready, old in changed:
            old_order = Order.model_validate_json(old_docs[old["id"]])
            order = ready.order()
            merged = _carry_over(order, old_order)
            doc, digest = ready.doc, ready.digest
            if merged is not order:
                doc = merged.model_dump_json(exclude={"id"})
            if doc == old_docs[old["id"]]:
                # what the version adds is already known (a refund time an after-sales record
                # gave first): remember its hash so a repeat is a no-op, record no event
                same.append({"_id": old["id"], "content_hash": digest})
                continue
            if merged is order:
                rows.append((old["id"], *ready.row[1:-3], old["version"] + 1, at, at))
            else:
                rows.append(_ready(stored, _row_values(merged, old["id"], doc, digest, at,
                                                       old["version"] + 1)))
            event_rows.extend(_event_rows(old["id"], diff(snapshot(old_order), merged)))
        if same:
            conn.execute(update(orders).where(orders.c.id == bindparam("_id"))
                         .values(content_hash=bindparam("content_hash")), same)
            result.unchanged += len(same)
        if not rows:
            return
        update_rows(conn, orders, ROW_COLUMNS, rows, key="id", keep=("ingested_at",))
        _insert_events(conn, event_rows, now)
        result.updated += len(rows)
        result.events += len(event_rows)

    def add_rejects(self, items: Sequence[Reject], *, now: datetime | None = None) -> None:
        if not items:
            return
        at = now or datetime.now(UTC)
        with self.engine.begin() as conn:
            conn.execute(insert(rejects), [{**asdict(r), "at": at} for r in items])

    # -- reading ---------------------------------------------------------------------------

    def get(self, ref: str) -> Order:
        """An order by internal ID or ``PLATFORM:NUMBER``; raises :class:`NotFound`."""
        if has_undecoded(ref):  # bytes that are not text (a shell's argv): no order has them
            raise NotFound(f"no order {ref!r} (give an internal ID or PLATFORM:NUMBER)")
        if ":" in ref:
            platform, number = ref.split(":", 1)
            cond = and_(orders.c.platform == platform.lower(), orders.c.platform_order_no == number)
        else:
            cond = orders.c.id == ref
        from .fields import overlay

        with self.engine.connect() as conn:
            row = conn.execute(select(orders.c.id, orders.c.doc).where(cond)).first()
            if row is None:
                raise NotFound(f"no order {ref!r} (give an internal ID or PLATFORM:NUMBER)")
            # with what rules and flows set on it (tags, carrier...): the order as it stands
            return overlay(conn, [_order(row)])[0]

    def list(
        self,
        *,
        platform: str | None = None,
        status: str | None = None,
        shop: str | None = None,
        phone: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        batch: str | None = None,
        limit: int | None = 100,
        offset: int = 0,
    ) -> list[Order]:
        """Orders matching every given filter, oldest created first."""
        query = _filtered(select(orders.c.id, orders.c.doc).order_by(orders.c.created_at,
                                                                      orders.c.id),
                          platform=platform, status=status, shop=shop, phone=phone, since=since,
                          until=until, batch=batch).offset(offset)
        if limit is not None:
            query = query.limit(limit)
        with self.engine.connect() as conn:
            return [_order(row) for row in conn.execute(query)]

    def count_matching(self, *, platform: str | None = None, status: str | None = None,
                       shop: str | None = None, phone: str | None = None,
                       since: datetime | None = None, until: datetime | None = None,
                       batch: str | None = None) -> int:
        """How many orders :meth:`list` would return without a limit ("showing 50 of 62")."""
        query = _filtered(select(func.count()).select_from(orders), platform=platform,
                          status=status, shop=shop, phone=phone, since=since, until=until,
                          batch=batch)
        with self.engine.connect() as conn:
            return int(conn.execute(query).scalar_one())

    def count(self, **filters: Any) -> int:
        query = select(func.count()).select_from(orders)
        for key, value in filters.items():
            if value is not None:
                query = query.where(orders.c[key] == value)
        with self.engine.connect() as conn:
            return int(conn.execute(query).scalar_one())

    def counts_by(self, *columns: str) -> builtins.list[tuple[Any, ...]]:
        """Order counts grouped by the given columns, e.g. ``("platform", "status")``."""
        cols = [orders.c[c] for c in columns]
        query = select(*cols, func.count()).group_by(*cols).order_by(*cols)
        with self.engine.connect() as conn:
            return [tuple(r) for r in conn.execute(query)]

    def events(
        self, order_id: str | None = None, *, after: int = 0, limit: int | None = None
    ) -> builtins.list[OrderEvent]:
        """Events in log order, for one order or all of them after event id ``after``."""
        query = select(order_events).where(order_events.c.id > after).order_by(order_events.c.id)
        if order_id is not None:
            query = query.where(order_events.c.order_id == order_id)
        if limit is not None:
            query = query.limit(limit)
        with self.engine.connect() as conn:
            return [OrderEvent(**r._asdict()) for r in conn.execute(query)]

    def rejects(self, *, limit: int = 100) -> builtins.list[Reject]:
        query = select(rejects).order_by(rejects.c.id.desc()).limit(limit)
        with self.engine.connect() as conn:
            return [
                Reject(**{k: v for k, v in r._asdict().items() if k in Reject.__slots__})
                for r in conn.execute(query)
            ]

    def count_rejects(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(rejects)).scalar_one())

    def phones_of(
        self, keys: Iterable[tuple[str, str]]
    ) -> dict[tuple[str, str], tuple[str | None, datetime]]:
        """(receiver phone, created at) of the stored orders among ``keys`` = (platform,
        platform order no); keys not stored are absent.  One query per 500 keys: a dry-run
        uses it so that an order both in its file and in the store counts once."""
        wanted = sorted(set(keys))
        out: dict[tuple[str, str], tuple[str | None, datetime]] = {}
        with self.engine.connect() as conn:
            for i in range(0, len(wanted), _CHUNK):
                part = wanted[i : i + _CHUNK]
                query = select(
                    orders.c.platform, orders.c.platform_order_no, orders.c.receiver_phone,
                    orders.c.created_at,
                ).where(tuple_(orders.c.platform, orders.c.platform_order_no).in_(part))
                out.update({(r[0], r[1]): (r[2], r[3]) for r in conn.execute(query)})
        return out

    def fingerprints(self, platform: str, numbers: Sequence[str]) -> dict[str, str | None]:
        """The stored source fingerprint of each of these orders that exists (see
        :attr:`Order.fingerprint`): one indexed query per part (:meth:`_parts`)."""
        out: dict[str, str | None] = {}
        wanted = list(dict.fromkeys(n for n in numbers if n))
        columns = "platform_order_no, fingerprint"
        with self.engine.connect() as conn:
            # driver SQL: a re-ingest asks this for every record, and SQLAlchemy's rendering
            # of a 500-value IN and its row objects cost more than the query.  On SQLite the
            # driver's own cursor, outside any transaction: a plain WAL read, which neither
            # takes nor waits for the write lock (the ingest's writer thread holds it)
            cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
            if self._dialect == "postgresql":
                probes = _probes(conn, columns, lock=False, driver=True)
                for part in self._parts(wanted):
                    out.update(cursor.execute(probes, {"p": platform, "n": part}).fetchall())
            else:
                table = conn.dialect.identifier_preparer.format_table(orders)
                for part in self._parts(wanted):
                    cursor.execute(f"SELECT {columns} FROM {table} WHERE platform = ? AND "
                                   f"platform_order_no IN ({', '.join('?' * len(part))})",
                                   (platform, *part))
                    out.update(cursor.fetchall())
            cursor.close()
        return out

    def order_times_by_phone(
        self, phones: Sequence[str], since: datetime, until: datetime | None = None
    ) -> dict[str, builtins.list[datetime]]:
        """Creation times of the orders per receiver phone in ``[since, until)``: one indexed
        query (phone, created_at) per 500 phones.  A batch of rules fetches these once for all
        its orders and counts each order's own window ("before this order") in memory."""
        out: dict[str, builtins.list[datetime]] = {p: [] for p in phones if p}
        with self.engine.connect() as conn:
            for part in _chunks(sorted(out)):
                query = select(orders.c.receiver_phone, orders.c.created_at).where(
                    orders.c.receiver_phone.in_(part), orders.c.created_at >= since)
                if until is not None:
                    query = query.where(orders.c.created_at < until)
                for phone, created in conn.execute(query):
                    out[phone].append(created)
        return out

    #: :meth:`orders_by_phone` reads the rows :meth:`order_times_by_phone` counts: a batch that
    #: needs both takes the times off the orders (one query, see EvalContext.times_with_orders)
    times_in_orders = True

    def orders_by_phone(
        self, phones: Sequence[str], since: datetime, until: datetime | None = None
    ) -> dict[str, builtins.list[HistoryOrder]]:
        """The orders themselves per receiver phone in ``[since, until)`` (history aggregates
        with a filter on the order or its lines): one indexed query (receiver phone, created
        at) per 500 phones.  Each is a :class:`HistoryOrder`: it reads like the stored
        :class:`Order`, and validates it only when a rule reads a field beyond the usual few."""
        out: dict[str, builtins.list[HistoryOrder]] = {p: [] for p in phones if p}
        bind, read = self._time_processors()
        table = self.engine.dialect.identifier_preparer.format_table(orders)
        times = [bind(since)] if until is None else [bind(since), bind(until)]
        pg = self._dialect == "postgresql"
        mark = ["%(since)s", "%(until)s"] if pg else ["?", "?"]
        sql = (f"SELECT id, receiver_phone, doc, created_at, platform FROM {table} "
               f"WHERE created_at >= {mark[0]}")
        if until is not None:
            sql += f" AND created_at < {mark[1]}"
        with self.engine.connect() as conn:
            # driver SQL: a batch's fetch is one statement, and SQLAlchemy's rendering of a
            # 500-value IN and its row objects cost more than the indexed query itself
            for part in _chunks(sorted(out)):
                params: Any
                if pg:
                    query = sql + " AND receiver_phone = ANY(%(phones)s)"
                    params = {"since": times[0], "until": times[-1], "phones": part}
                else:
                    query = sql + f" AND receiver_phone IN ({', '.join('?' * len(part))})"
                    params = (*times, *part)
                rows = conn.exec_driver_sql(query, params).cursor.fetchall()  # type: ignore[union-attr]
                for order_id, phone, doc, created, platform in rows:
                    out[phone].append(HistoryOrder(order_id, doc, read(created), platform))
        return out

    def _time_processors(self) -> tuple[Callable[[Any], Any], Callable[[Any], Any]]:
        """How a ``created_at`` value goes to the driver and comes back from it, exactly as the
        column type (:class:`UTCDateTime` over the dialect's DateTime) binds and reads it, for
        the driver-SQL fetch of :meth:`orders_by_phone` (the column is never null)."""
        dialect = self.engine.dialect
        column = orders.c.created_at.type.dialect_impl(dialect)
        assert isinstance(column, UTCDateTime)
        return column.bind_processor(dialect) or _same, column.reader(dialect)

    def count_orders_by_phone(
        self, phones: Sequence[str], since: datetime, until: datetime | None = None
    ) -> dict[str, int]:
        """Orders per receiver phone created in ``[since, until)``: one indexed query."""
        wanted = sorted({p for p in phones if p})
        out = dict.fromkeys(wanted, 0)
        with self.engine.connect() as conn:
            for i in range(0, len(wanted), _CHUNK):
                part = wanted[i : i + _CHUNK]
                query = (
                    select(orders.c.receiver_phone, func.count())
                    .where(orders.c.receiver_phone.in_(part), orders.c.created_at >= since)
                    .group_by(orders.c.receiver_phone)
                )
                if until is not None:
                    query = query.where(orders.c.created_at < until)
                out.update({phone: int(n) for phone, n in conn.execute(query)})
        return out


def _chunks(items: list[str]) -> Iterable[list[str]]:
    for i in range(0, len(items), _CHUNK):
        yield items[i : i + _CHUNK]


def latest_versions(batch: Iterable[Order]) -> list[Order]:
    """One version per order (platform + order number), the one :meth:`OrderStore.upsert`
    would keep, in first-seen order: a file holding an order and its later snapshot is one
    order, for dry runs and simulations as for the store."""
    latest: dict[tuple[str, str], Order] = {}
    for order in batch:
        prev = latest.get(order.key)
        if prev is None or _newer(order, prev):
            latest[order.key] = order
    return list(latest.values())


def _newer(a: Order | ReadyOrder, b: Order | ReadyOrder) -> bool:
    if a.modified_at is None or b.modified_at is None:
        return True
    return a.modified_at >= b.modified_at


def _is_stale(order: Order | ReadyOrder, stored_modified: datetime | None) -> bool:
    """Older than what is stored.  A version without a modified time (most exports) cannot
    prove it is newer, so it never overwrites one that has it."""
    if stored_modified is None:
        return False
    return order.modified_at is None or order.modified_at < stored_modified


def _carry_over(new: Order, old: Order) -> Order:
    """Keep what only an earlier version knew: when the refund was first seen."""
    if new.refund and old.refund and old.refund.requested_at:
        first = old.refund.requested_at
        if new.refund.requested_at is None or first < new.refund.requested_at:
            new = new.model_copy(
                update={"refund": new.refund.model_copy(update={"requested_at": first})}
            )
    if old.batch and not new.batch:
        new = new.model_copy(update={"batch": old.batch})
    return new


#: The orders columns :func:`_row_values` gives, in its order.
ROW_COLUMNS = (
    "id", "platform", "shop_id", "platform_order_no", "status", "platform_status", "timezone",
    "created_at", "paid_at", "modified_at", "shipped_at", "completed_at", "buyer_nick",
    "receiver_name", "receiver_phone", "receiver_province", "receiver_city",
    "receiver_district", "receiver_address", "goods_total", "discount", "post_fee", "payment",
    "refund_status", "refund_requested_at", "refund_amount", "tracking_no", "doc",
    "content_hash", "fingerprint", "source", "batch", "version", "ingested_at", "updated_at",
)


def _row(order: Order, order_id: str, doc: str, digest: str, now: datetime, *,
         version: int) -> dict[str, Any]:
    return dict(zip(ROW_COLUMNS, _row_values(order, order_id, doc, digest, now, version),
                    strict=True))


def _row_values(order: Order, order_id: str, doc: str, digest: str, now: datetime,
                version: int) -> tuple[Any, ...]:
    """An order's orders row, in :data:`ROW_COLUMNS` order (Python values: the column types
    store them, see :func:`_storers`).  Enum values are read as ``_value_``: ``.value`` is a
    Python-level descriptor call, three an order."""
    r = order.receiver
    refund = order.refund
    return (
        order_id, order.platform._value_, order.shop_id, order.platform_order_no,
        order.status._value_, order.platform_status, order.timezone, order.created_at,
        order.paid_at, order.modified_at, order.shipped_at, order.completed_at,
        order.buyer_nick, r.name, r.phone, r.province, r.city, r.district, r.address,
        order.goods_total, order.discount, order.post_fee, order.payment,
        refund.status._value_ if refund else None, refund.requested_at if refund else None,
        refund.amount if refund else None, order.tracking_no, doc, digest, order.fingerprint,
        order.source, order.batch, version, now, now,
    )


_STORERS: dict[str, list[tuple[int, Any]]] = {}


def _storers(dialect: Any) -> list[tuple[int, Any]]:
    """(index in :data:`ROW_COLUMNS`, conversion to the stored form for this driver) of the
    columns that need one: what SQLAlchemy's column types apply to each value of each row,
    here once per value so rows go to the driver as ready tuples.  Times and money take
    direct equivalents of the types' processors (the same stored text and integers:
    tests/test_ingest_equivalence.py holds them equal); the batch's ``now`` is converted
    once by the caller."""
    found = _STORERS.get(dialect.name)
    if found is None:
        found = _STORERS[dialect.name] = [
            (i, f) for i, name in enumerate(ROW_COLUMNS) if (f := _storer(name, dialect))]
    return found


def _dialect_storers(name: str) -> Callable[[], list[tuple[int, Any]]]:
    def storers() -> list[tuple[int, Any]]:
        found = _STORERS.get(name)
        if found is None:
            from sqlalchemy.dialects import postgresql, sqlite

            found = _storers(sqlite.dialect() if name == "sqlite"
                             else postgresql.psycopg.dialect())  # type: ignore[attr-defined]
        return found
    return storers


#: The storers of each dialect by its name, for :func:`prepare` (a worker has no engine).
_STORERS_BY_NAME = {name: _dialect_storers(name) for name in ("sqlite", "postgresql")}


def _storer(name: str, dialect: Any) -> Any:
    if name in ("ingested_at", "updated_at"):
        return None
    kind = orders.c[name].type
    if isinstance(kind, UTCDateTime):
        return _sqlite_time if dialect.name == "sqlite" else _naive_utc
    if isinstance(kind, Money):
        return _fen
    return kind.dialect_impl(dialect).bind_processor(dialect)


def _naive_utc(value: datetime) -> datetime:
    u = _utc_fields(value)
    return datetime.combine(u, u.time())  # naive: replace(tzinfo=None) parses keywords


def _utc_fields(value: datetime) -> datetime:
    """``value`` with the wall-clock fields of ``value.astimezone(UTC)``: for the usual zones
    (valid offsets under a day, never None) that is ``value - value.utcoffset()``, what
    astimezone computes before it changes the zone, at half its cost."""
    tz = value.tzinfo
    if tz is UTC:
        return value  # astimezone returns it as it is (fold and all)
    if type(tz) in _ZONES:
        return value - value.utcoffset()  # type: ignore[operator]
    return value.astimezone(UTC)


_ZONES = (ZoneInfo, timezone)
#: "HH:MM:" of each minute of a day, "SS" of each second
_CLOCK = [f"{h:02d}:{m:02d}:" for h in range(24) for m in range(60)]
_TWO = [f"{n:02d}" for n in range(60)]
#: "YYYY-MM-DD " by date ordinal (a batch's times fall on a few days)
_DAYS: dict[int, str] = {}


def _sqlite_time(value: datetime) -> str:
    """SQLAlchemy's SQLite DATETIME text of a UTC time (always six fraction digits): the
    naive UTC time's ``isoformat(" ", "microseconds")``, put together from tables
    (isoformat's printf costs more than the rest of a row's conversions together)."""
    u = _utc_fields(value)
    day = _DAYS.get(ordinal := u.toordinal())
    if day is None:
        day = u.date().isoformat() + " "
        if len(_DAYS) < 10_000:
            _DAYS[ordinal] = day
    us = u.microsecond
    return day + _CLOCK[u.hour * 60 + u.minute] + _TWO[u.second] + \
        (f".{us:06d}" if us else ".000000")


def _fen(value: Decimal) -> int:
    return int((value * 100).to_integral_value())


_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
#: Every 10-bit value as two Crockford characters: a ULID is 13 lookups.
_PAIRS = [a + b for a in _CROCKFORD for b in _CROCKFORD]
_SHIFTS = tuple(range(120, -1, -10))


def new_ids(n: int) -> list[str]:
    """``n`` new ULIDs (48-bit millisecond time, 80 random bits, 26 Crockford characters)
    exactly as ``str(ULID())`` spells them, a few times faster: one read of random bytes for
    the batch, the characters two at a time."""
    random = os.urandom(10 * n)
    pairs, shifts = _PAIRS, _SHIFTS
    out = []
    for i in range(n):
        value = (time.time_ns() // 1_000_000) << 80 | int.from_bytes(random[10 * i:10 * i + 10])
        out.append("".join([pairs[value >> s & 1023] for s in shifts]))
    return out


def _ready(stored: list[tuple[int, Any]], values: tuple[Any, ...]) -> tuple[Any, ...]:
    """``values`` in their stored forms (see :func:`_storers`)."""
    row = list(values)
    for i, convert in stored:
        value = row[i]
        if value is not None:
            row[i] = convert(value)
    return tuple(row)


def stored_now(dialect: Any, now: datetime) -> Any:
    """``now`` as the ingested_at/updated_at columns store it on this dialect."""
    bind = orders.c.ingested_at.type.dialect_impl(dialect).bind_processor(dialect)
    return bind(now) if bind else now


def _event_rows(
    order_id: str, events: list[tuple[str, dict[str, Any]]]
) -> list[tuple[str, str, str]]:
    """(order_id, type, data as JSON text) for :func:`bulk.insert_rows`: events are written
    for nearly every order, so they skip SQLAlchemy's per-row processing."""
    return [(order_id, t, orjson.dumps(d).decode()) for t, d in events]


_EVENT_COLUMNS = ("order_id", "type", "data")


def _insert_events(conn: Connection, rows: list[tuple[str, str, str]], now: datetime) -> None:
    """Events as ready tuples: an executemany on SQLite, a COPY on PostgreSQL."""
    if conn.dialect.name != "postgresql":
        insert_rows(conn, order_events, _EVENT_COLUMNS, rows, at=now)
        return
    if rows:
        at = now.astimezone(UTC).replace(tzinfo=None)
        copy_rows(conn, order_events, (*_EVENT_COLUMNS, "at"), [(*r, at) for r in rows])


def _probes(conn: Connection, columns: str, *, lock: bool, driver: bool = False) -> str:
    """PostgreSQL: the orders of platform ``p`` whose numbers are in the array ``n``, as one
    index probe per number (``unnest`` and a ``LATERAL`` subquery the planner cannot flatten).

    ``platform = p AND platform_order_no = ANY(n)`` is planned from the table's statistics,
    and during a bulk ingest they are stale: a platform whose files came after the last
    ``ANALYZE`` looks rare, and the planner reads all its rows and filters them by the array,
    a scan that grows with the table (1,000,000 orders, one platform file after another: the
    server's CPU was three times the COPY floor's).  A probe per number is ``log n`` whatever
    the statistics say.  ``lock``: each row found is locked (``FOR UPDATE``); ``driver``:
    psycopg's ``%(p)s`` placeholders instead of SQLAlchemy's ``:p``."""
    p, n = ("%(p)s", "%(n)s") if driver else (":p", ":n")
    table = conn.dialect.identifier_preparer.format_table(orders)
    return (f"SELECT o.* FROM unnest(CAST({n} AS VARCHAR[])) AS k(no), LATERAL ("
            f"SELECT {columns} FROM {table} WHERE platform = {p} AND platform_order_no = k.no "
            f"LIMIT 1{' FOR UPDATE' if lock else ''}) AS o")


def _same(value: Any) -> Any:
    return value


def _order(row: Any) -> Order:
    order = Order.model_validate_json(row.doc)
    order.id = row.id
    return order


def _filtered(query: Any, *, platform: str | None, status: str | None, shop: str | None,
              phone: str | None, since: datetime | None, until: datetime | None,
              batch: str | None) -> Any:
    """``query`` restricted by the filters of :meth:`OrderStore.list` (None: no filter)."""
    for column, value in (
        (orders.c.platform, platform),
        (orders.c.status, status),
        (orders.c.shop_id, shop),
        (orders.c.receiver_phone, phone),
        (orders.c.batch, batch),
    ):
        if value is not None:
            query = query.where(column == value)
    if since is not None:
        query = query.where(orders.c.created_at >= since)
    if until is not None:
        query = query.where(orders.c.created_at < until)
    return query
