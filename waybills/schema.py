"""The waybill tables, on the store's metadata (migration ``waybills_0001``).

``waybills`` holds exactly one row per order and package: the row is written *before* the
platform is asked (status ``requested``), so a crash or a timeout leaves a row whose stable
``request_key`` is sent again and finds the number already taken instead of a second one.
"""

from __future__ import annotations

from sqlalchemy import Column, Index, Integer, String, Table, Text, UniqueConstraint

from ..store.schema import BigId, JSONDoc, UTCDateTime, metadata

waybills = Table(
    "waybills",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("order_id", String(26), nullable=False),
    Column("package", String(16), nullable=False),
    Column("request_key", String(48), nullable=False),
    Column("platform", String(16), nullable=False),
    Column("order_label", String(96), nullable=False),
    Column("warehouse", String(32), nullable=False),
    Column("wave", String(64)),
    Column("shop", String(64), nullable=False),
    Column("carrier", String(32), nullable=False),
    Column("status", String(16), nullable=False),
    Column("waybill_code", String(64)),
    Column("parent_waybill_code", String(64)),
    Column("sort_code", String(64)),
    Column("short_address", String(128)),
    Column("package_center", String(128)),
    Column("print_data", JSONDoc),
    Column("error_code", String(64)),
    Column("error", Text),
    Column("attempts", Integer, nullable=False),
    Column("cancelled_codes", JSONDoc),
    Column("print_task", String(64)),
    Column("printed_at", UTCDateTime),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    UniqueConstraint("order_id", "package", name="uq_waybills_order_package"),
)
Index("ix_waybills_wave", waybills.c.wave)
Index("ix_waybills_code", waybills.c.waybill_code)

waves = Table(
    "waves",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("warehouse", String(32), nullable=False),
    Column("filters", JSONDoc, nullable=False),
    Column("skipped", JSONDoc, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)
