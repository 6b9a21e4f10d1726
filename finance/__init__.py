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
from .period import Period
from .reconcile import (
    DIFFERENCE_LABELS,
    Difference,
    DifferenceKind,
    OrderSettlement,
    Reconciliation,
    reconcile,
)
from .store import SettlementStore

__all__ = [
    "DIFFERENCE_LABELS",
    "Account",
    "Difference",
    "DifferenceKind",
    "FeeBand",
    "FinanceConfig",
    "ImportSummary",
    "LineKind",
    "OrderSettlement",
    "Period",
    "Reconciliation",
    "SettlementLine",
    "SettlementMapping",
    "SettlementStore",
    "VoucherOptions",
    "import_settlements",
    "load_settlement_mapping",
    "read_settlements",
    "reconcile",
    "settlement_mappings",
]
