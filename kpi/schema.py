"""The facts the KPIs need that no other area stores: the finance close.

Reconciliation writes its differences to report files only; to count open and resolved
differences and the time from a period's end to its report, each run is recorded here
(:func:`orderhub.kpi.facts.record_reconciliation`).  Created by the Alembic branch ``kpi``
(``store/migrations/versions/kpi_0001_finance_close.py``): change both together.

Wrong items caught at scan are read from the scan pages' ``scan_events`` table
(:mod:`.sources`), not defined here.
"""

from __future__ import annotations

from sqlalchemy import Column, Index, Integer, String, Table, UniqueConstraint

from ..store.schema import BigId, UTCDateTime, metadata

#: One row per reconciliation report: which period it covers and when it was made.
reconciliation_reports = Table(
    "reconciliation_reports",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("label", String(32), nullable=False),
    Column("shop", String(64)),
    Column("period_start", UTCDateTime, nullable=False),
    Column("period_end", UTCDateTime, nullable=False),
    Column("generated_at", UTCDateTime, nullable=False),
    Column("differences", Integer, nullable=False),
)
Index("ix_reconciliation_reports_end", reconciliation_reports.c.period_end)

#: One row per difference found: open until a later report of its period no longer has it.
reconciliation_differences = Table(
    "reconciliation_differences",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("key", String(200), nullable=False),
    Column("platform", String(16), nullable=False),
    Column("shop", String(64)),
    Column("order_no", String(64)),
    Column("kind", String(32), nullable=False),
    Column("period_end", UTCDateTime, nullable=False),
    Column("found_at", UTCDateTime, nullable=False),
    Column("resolved_at", UTCDateTime),
    UniqueConstraint("key", name="uq_reconciliation_differences_key"),
)
Index("ix_reconciliation_differences_found", reconciliation_differences.c.found_at)

#: Each shipped order's first parcel (earliest ``shipments.shipped_at``) with the order's
#: platform, shop and payment time: the facts pay-to-ship, throughput and the mis-shipment
#: denominator read, so no KPI run has to find the first of a million orders' parcels.  Kept
#: by database triggers (``kpi_0002``: a parcel inserted, an order inserted or its payment,
#: platform or shop changed), so every writer keeps it, bulk loads included.
first_parcels = Table(
    "kpi_first_parcels",
    metadata,
    Column("order_id", String(26), primary_key=True),
    Column("shipped_at", UTCDateTime, nullable=False),
    Column("warehouse", String(32)),
    Column("person", String(128)),
    Column("platform", String(16), nullable=False),
    Column("shop", String(64), nullable=False),
    Column("paid_at", UTCDateTime),
)
Index("ix_kpi_first_parcels_at", first_parcels.c.shipped_at)

# kpi_0002 also indexes ``audit_log (target_kind, target, at)``, so exception response finds
# each task's first action without scanning every other entry.  Not declared here: fulfilment's
# first migration creates ``audit_log`` from its Table, which would take the index along.
