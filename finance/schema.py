"""The finance tables, on the store's metadata (migration ``finance_0001``)."""

from __future__ import annotations

from sqlalchemy import Column, Index, String, Table, Text, UniqueConstraint

from ..store.schema import BigId, JSONDoc, Money, UTCDateTime, metadata

settlement_lines = Table(
    "settlement_lines",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("platform", String(16), nullable=False),
    Column("shop", String(64), nullable=False),
    Column("line_id", String(128), nullable=False),
    Column("order_no", String(64)),
    Column("sub_ref", String(64)),
    Column("kind", String(16), nullable=False),
    Column("amount", Money, nullable=False),
    Column("occurred_at", UTCDateTime, nullable=False),
    Column("description", Text),
    Column("source", String(64)),
    Column("file", Text),
    Column("raw", JSONDoc, nullable=False),
    Column("imported_at", UTCDateTime, nullable=False),
    UniqueConstraint("platform", "line_id", name="uq_settlement_lines_platform_line"),
)
Index("ix_settlement_lines_order", settlement_lines.c.platform, settlement_lines.c.order_no)
Index("ix_settlement_lines_occurred", settlement_lines.c.occurred_at)
