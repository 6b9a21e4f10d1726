"""Tables of the order store, in SQLAlchemy Core.

Money is stored as integer fen and times as UTC, so SQLite and PostgreSQL hold identical values;
the column types below convert at the boundary.  Alembic migrations under ``migrations/`` create
these tables: change both together.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    DateTime,
    Dialect,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.dialects import postgresql

metadata = MetaData()

#: JSON on SQLite, JSONB on PostgreSQL.
JSONDoc = JSON().with_variant(postgresql.JSONB(), "postgresql")
#: Auto-incrementing 64-bit ids on both (SQLite only auto-increments INTEGER PRIMARY KEY).
BigId = BigInteger().with_variant(Integer(), "sqlite")


class UTCDateTime(TypeDecorator[datetime]):
    """Aware datetimes in, aware UTC datetimes out; naive UTC in the database."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)

    def reader(self, dialect: Dialect) -> Callable[[Any], datetime]:
        """What :meth:`result_processor` gives for a value that is not null, in one call: the
        dialect's own reading (SQLite's text, the driver's naive datetime on PostgreSQL) made
        UTC as :meth:`process_result_value` makes it.  A history batch reads one per fetched
        order, and the generic processor's two nested calls cost as much as the parse."""
        parse = self.impl_instance.result_processor(dialect, None)
        if parse is None:
            return lambda value: value.replace(tzinfo=UTC)  # type: ignore[no-any-return]
        return lambda value: parse(value).replace(tzinfo=UTC)  # type: ignore[no-any-return,union-attr]


class Money(TypeDecorator[Decimal]):
    """Decimal yuan in and out; integer fen in the database (exact on every backend)."""

    impl = BigInteger
    cache_ok = True

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> int | None:
        return None if value is None else int((value * 100).to_integral_value())

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        return None if value is None else Decimal(int(value)).scaleb(-2)


orders = Table(
    "orders",
    metadata,
    Column("id", String(26), primary_key=True),
    Column("platform", String(16), nullable=False),
    Column("shop_id", String(64), nullable=False),
    Column("platform_order_no", String(64), nullable=False),
    Column("status", String(20), nullable=False),
    Column("platform_status", String(64)),
    Column("timezone", String(40), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("paid_at", UTCDateTime),
    Column("modified_at", UTCDateTime),
    Column("shipped_at", UTCDateTime),
    Column("completed_at", UTCDateTime),
    Column("buyer_nick", String(128)),
    Column("receiver_name", String(256)),
    Column("receiver_phone", String(256)),  # ciphertext too (pii_0001)
    Column("receiver_province", String(64)),
    Column("receiver_city", String(64)),
    Column("receiver_district", String(64)),
    Column("receiver_address", Text),
    Column("goods_total", Money, nullable=False),
    Column("discount", Money, nullable=False),
    Column("post_fee", Money, nullable=False),
    Column("payment", Money, nullable=False),
    Column("refund_status", String(16)),
    Column("refund_requested_at", UTCDateTime),
    Column("refund_amount", Money),
    Column("tracking_no", String(64)),
    Column("doc", Text, nullable=False),  # the whole normalized order, as JSON text
    Column("content_hash", String(32), nullable=False),
    Column("fingerprint", String(32)),
    Column("source", String(64)),
    Column("batch", String(64)),
    Column("version", Integer, nullable=False, default=1),
    Column("ingested_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    UniqueConstraint("platform", "platform_order_no", name="uq_orders_platform_no"),
)
Index("ix_orders_phone_created", orders.c.receiver_phone, orders.c.created_at)
Index("ix_orders_status_created", orders.c.status, orders.c.created_at)
Index("ix_orders_batch", orders.c.batch)
#: what a re-ingest looks up for every record, without reading the row (migration ingest_0001)
Index("ix_orders_fingerprint", orders.c.platform, orders.c.platform_order_no,
      orders.c.fingerprint)

order_events = Table(
    "order_events",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("order_id", String(26), nullable=False),
    Column("type", String(32), nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Column("data", JSONDoc, nullable=False),
)
Index("ix_order_events_order", order_events.c.order_id, order_events.c.id)

rejects = Table(
    "rejects",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("source", String(64)),
    Column("file", Text),
    Column("record", Integer),
    Column("platform_order_no", String(64)),
    Column("field", String(128)),
    Column("reason", Text, nullable=False),
    Column("raw", Text),
    Column("batch", String(64)),
    Column("at", UTCDateTime, nullable=False),
)
