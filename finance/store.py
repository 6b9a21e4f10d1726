"""Settlement lines in the database: insert once per (platform, line id), read for a period."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import BigInteger, Engine, String, exists, func, select, type_coerce

from ..store import OrderStore
from ..store.bulk import insert_on_conflict
from .model import LineKind, SettlementLine
from .schema import settlement_lines

_CHUNK = 1000


@dataclass(frozen=True, slots=True)
class StoredLine:
    """A settlement line as read back for reconciliation (lighter than the pydantic model)."""

    id: int
    platform: str
    shop: str
    line_id: str
    order_no: str | None
    sub_ref: str | None
    kind: LineKind
    amount: Decimal
    occurred_at: datetime
    description: str | None
    source: str | None


# Amount and time are read raw (fen, naive UTC) and converted in _stored: reconciling reads
# every line of a month, and the generic column types cost more than the rest of the work.
_COLS = (
    settlement_lines.c.id, settlement_lines.c.platform, settlement_lines.c.shop,
    settlement_lines.c.line_id, settlement_lines.c.order_no, settlement_lines.c.sub_ref,
    settlement_lines.c.kind, type_coerce(settlement_lines.c.amount, BigInteger()),
    type_coerce(settlement_lines.c.occurred_at, String()).label("occurred_at"),
    settlement_lines.c.description, settlement_lines.c.source,
)


class SettlementStore:
    """The ``settlement_lines`` table on the order store's engine."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._dialect = engine.dialect.name

    @classmethod
    def of(cls, store: OrderStore) -> SettlementStore:
        return cls(store.engine)

    def add(self, lines: Iterable[SettlementLine], *, now: datetime | None = None) -> int:
        """Insert lines not yet stored; returns how many were new (the rest were known)."""
        at = now or datetime.now(UTC)
        rows = [_row(line, at) for line in lines]
        new = 0
        with self.engine.begin() as conn:
            for i in range(0, len(rows), _CHUNK):
                stmt = insert_on_conflict(self._dialect, settlement_lines).on_conflict_do_nothing(
                    index_elements=["platform", "line_id"]
                ).returning(settlement_lines.c.id)
                new += len(conn.execute(stmt, rows[i : i + _CHUNK]).all())
        return new

    def count(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(settlement_lines))
                       .scalar_one())

    def between(
        self, start: datetime, end: datetime, *, shop: str | None = None,
        platform: str | None = None,
    ) -> list[StoredLine]:
        """Lines that occurred in ``[start, end)``."""
        c = settlement_lines.c
        query = select(*_COLS).where(c.occurred_at >= start, c.occurred_at < end)
        if shop is not None:
            query = query.where(c.shop == shop)
        if platform is not None:
            query = query.where(c.platform == platform)
        with self.engine.connect() as conn:
            return [_stored(r) for r in conn.execute(query.order_by(c.occurred_at, c.id))]

    def earlier_lines(
        self, start: datetime, end: datetime, *, shop: str | None = None
    ) -> Iterator[StoredLine]:
        """Lines before ``start`` of the orders that have a line in ``[start, end)``, by id.

        One query (the order index answers the EXISTS) rather than the numbers sent in chunks:
        a month names some 100,000 orders and almost none has an earlier line.
        """
        c, later = settlement_lines.c, settlement_lines.alias("later")
        in_period = exists().where(
            later.c.platform == c.platform, later.c.order_no == c.order_no,
            later.c.occurred_at >= start, later.c.occurred_at < end)
        if shop is not None:
            in_period = in_period.where(later.c.shop == shop)
        query = select(*_COLS).where(c.occurred_at < start, c.order_no.is_not(None), in_period)
        with self.engine.connect() as conn:
            for r in conn.execute(query.order_by(c.id)):
                yield _stored(r)


def _row(line: SettlementLine, at: datetime) -> dict[str, Any]:
    return {
        "platform": line.platform.value, "shop": line.shop, "line_id": line.line_id,
        "order_no": line.order_no, "sub_ref": line.sub_ref, "kind": line.kind.value,
        "amount": line.amount, "occurred_at": line.occurred_at,
        "description": line.description, "source": line.source, "file": line.file,
        "raw": line.raw, "imported_at": at,
    }


_KINDS = {k.value: k for k in LineKind}


def _stored(r: Any) -> StoredLine:
    at = r.occurred_at
    at = (datetime.fromisoformat(at) if isinstance(at, str) else at).replace(tzinfo=UTC)
    return StoredLine(r[0], r[1], r[2], r[3], r[4], r[5], _KINDS[r[6]],
                      Decimal(r[7]).scaleb(-2), at, r[9], r[10])
