"""Finance reconciliation: settlement lines matched to orders, differences, reports, vouchers.

Public API::

    import_settlements(store, paths, source=None, shop=None) -> ImportSummary
    reconcile(store, period, config) -> Reconciliation        # Period.day / Period.month
    write_reports(reconciliation, out_dir) -> ReportFiles     # HTML, XLSX, CSV
    build_vouchers(store, period, config) -> list[Voucher]
    write_vouchers(vouchers, path, format="kingdee"|"yonyou", config) -> Path
    nightly_reconcile(workspace, day) -> NightlyResult        # for the service's scheduler
"""

from .config import Account, FeeBand, FinanceConfig, VoucherOptions
from .importer import ImportSummary, import_settlements, read_settlements
from .mapping import SettlementMapping, load_settlement_mapping, settlement_mappings
from .model import LineKind, SettlementLine
from .nightly import NightlyResult, nightly_reconcile
from .period import Period
from .reconcile import (
    DIFFERENCE_LABELS,
    Difference,
    DifferenceKind,
    OrderSettlement,
    Reconciliation,
    reconcile,
)
from .report import ReportFiles, render_html, write_reports
from .store import SettlementStore
from .vouchers import (
    Voucher,
    VoucherEntry,
    VoucherUnbalanced,
    build_vouchers,
    check_balanced,
    write_vouchers,
)

__all__ = [
    "DIFFERENCE_LABELS",
    "Account",
    "Difference",
    "DifferenceKind",
    "FeeBand",
    "FinanceConfig",
    "ImportSummary",
    "NightlyResult",
    "LineKind",
    "OrderSettlement",
    "Period",
    "Reconciliation",
    "ReportFiles",
    "SettlementLine",
    "SettlementMapping",
    "SettlementStore",
    "Voucher",
    "VoucherEntry",
    "VoucherOptions",
    "VoucherUnbalanced",
    "build_vouchers",
    "check_balanced",
    "import_settlements",
    "load_settlement_mapping",
    "nightly_reconcile",
    "read_settlements",
    "reconcile",
    "render_html",
    "settlement_mappings",
    "write_reports",
    "write_vouchers",
]
