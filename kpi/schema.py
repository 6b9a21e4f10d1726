"""The facts the KPIs need that no other area stores: the finance close.

Reconciliation writes its differences to report files only; to count open and resolved
differences and the time from a period's end to its report, each run is recorded here
(:func:`orderhub.kpi.facts.record_reconciliation`).  Created by the Alembic branch ``kpi``
(``store/migrations/versions/kpi_0001_finance_close.py``): change both together.

Wrong items caught at scan are read from the scan pages' ``scan_events`` table
(:mod:`.sources`), not defined here.
"""

from __future__ import annotations

from sqlalchemy import Column, Float, Index, Integer, String, Table, UniqueConstraint

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
#: platform, shop and payment time, and the seconds from payment to that parcel: the facts
#: pay-to-ship, throughput and the mis-shipment denominator read, so no KPI run has to find
#: the first of a million orders' parcels or work out its duration.  Kept by database
#: triggers (``kpi_0002``, ``kpi_0003``: a parcel inserted, an order inserted or its payment,
#: platform or shop changed), so every writer keeps it, bulk loads included.  ``pay_seconds``
#: is null while the order has no payment time.
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
    Column("pay_seconds", Float),
)
Index("ix_kpi_first_parcels_at", first_parcels.c.shipped_at)

#: Each task's first human action: the earliest ``audit_log`` row on it (``target_kind``
#: ``task``, ``target`` its id as text), and of several at that instant the least person.
#: Kept by a trigger on ``audit_log`` (``kpi_0003``), which is only ever appended to, so
#: exception response joins the period's tasks to one row each instead of grouping the
#: whole audit trail on every run.
task_responses = Table(
    "kpi_task_responses",
    metadata,
    Column("target", String(64), primary_key=True),
    Column("at", UTCDateTime, nullable=False),
    Column("person", String(128), nullable=False),
)

# kpi_0002 also indexes ``audit_log (target_kind, target, at)``, and kpi_0003
# ``fulfilment_log (kind, at)`` (interceptions read the period's holds and intercepts, a few
# percent of the log).  Not declared here: fulfilment's first migration creates those tables
# from their Table objects, which would take the indexes along.
