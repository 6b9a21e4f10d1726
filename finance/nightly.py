"""The nightly job: yesterday's settlements in, yesterday reconciled, reports on disk.

The service's scheduler calls :func:`nightly_reconcile` once a night (the service owns the
schedule).  When the connectors can fetch settlement bills, pass ``pull``: it is given the
workspace and the day and returns the files it saved; they are imported before reconciling.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from ..connectors.transforms import zone
from .importer import ImportSummary, import_settlements
from .mapping import settlement_mappings
from .period import Period
from .reconcile import Reconciliation, reconcile
from .report import ReportFiles, write_reports

Pull = Callable[[Any, date], Iterable[Path]]


@dataclass
class NightlyResult:
    day: date
    reconciliation: Reconciliation
    reports: ReportFiles
    imported: ImportSummary | None


def workspace_mappings(workspace: Any) -> dict[str, Any]:
    """Built-in settlement mappings plus the workspace's ``settlement-mappings/``."""
    folder = workspace.path(workspace.config.finance.mappings)
    return settlement_mappings([folder] if folder.is_dir() else [])


def yesterday(workspace: Any) -> date:
    """The day before today in the shops' timezone."""
    return (datetime.now(zone(workspace.config.timezone)) - timedelta(days=1)).date()


def nightly_reconcile(
    workspace: Any, day: date | str | None = None, *, pull: Pull | None = None,
    out_dir: Path | None = None,
) -> NightlyResult:
    """Reconcile ``day`` (default: yesterday in the shops' timezone) and write its reports
    under ``finance.reports/<day>/`` in the workspace."""
    tz = zone(workspace.config.timezone)
    if day is None:
        day = yesterday(workspace)
    elif isinstance(day, str):
        day = date.fromisoformat(day)
    imported = None
    if pull is not None:
        files = list(pull(workspace, day))
        if files:
            imported = import_settlements(workspace.store, files,
                                          mappings=workspace_mappings(workspace))
    period = Period.day(day, tz)
    rec = reconcile(workspace.store, period, workspace.config.finance)
    target = out_dir or workspace.path(workspace.config.finance.reports) / day.isoformat()
    reports = write_reports(rec, target)
    from ..kpi.facts import record_reconciliation  # the finance close, for the KPIs

    record_reconciliation(workspace.store.engine, rec)
    return NightlyResult(day, rec, reports, imported)
