"""A scanned waybill barcode ships its order: the parcel's number says which order it is.

Packers scan the label, not the order: :func:`order_for` accepts a waybill number as well as an
internal ID or ``PLATFORM:NUMBER``, and :func:`ship_scanned` ships the order through the
fulfilment ship API with the waybill's carrier (in orderhub's carrier codes) and number.
"""

from __future__ import annotations

from typing import Any

from ..connectors.carriers import CarrierTable
from ..errors import NotFound
from ..model import Order
from .store import ISSUED, WaybillRow, WaybillStore


def order_for(store: Any, ref: str) -> tuple[Order, WaybillRow | None]:
    """The order a scan or a person names, with its issued waybill (if any)."""
    rows = WaybillStore(store.engine)
    found = [r for r in rows.rows(code=ref.strip()) if r.status == ISSUED] \
        if ":" not in ref else []
    if found:
        return store.get(found[0].order_id), found[0]
    try:
        order = store.get(ref)
    except NotFound:
        raise NotFound(f"no order and no issued waybill {ref!r}") from None
    issued = [r for r in rows.rows(order_id=order.id) if r.status == ISSUED]
    return order, issued[0] if issued else None


def carrier_code(table: CarrierTable, platform: str, account_carrier: str) -> str:
    """orderhub's carrier code for an account's platform-specific one (Douyin ``zhongtong``
    -> ``ZTO``); the code itself when the table has no row naming it."""
    wanted = account_carrier.strip()
    for row in table.rows.values():
        if row.code == wanted.upper():
            return row.code
    for row in table.rows.values():
        if str(getattr(row, platform, None) or "") == wanted:
            return row.code
    return wanted.upper()


def ship_scanned(ws: Any, barcode: str, *, person: str = "orderhub") -> Any:
    """Ship the order whose label (or order number) was scanned, with its waybill."""
    from ..fulfilment import ship

    order, row = order_for(ws.store, barcode)
    if row is None or not row.waybill_code:
        raise NotFound(f"order {order.label} has no issued waybill to ship with; take one "
                       "(`orderhub waybills take`) or ship with a tracking number")
    table = CarrierTable.for_workspace(getattr(ws, "root", None))
    return ship(ws, order.id or "", carrier_code(table, row.platform, row.carrier),
                row.waybill_code, person=person)
