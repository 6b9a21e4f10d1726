"""An order intercepted after its number was taken gives the number back, exactly once.

:func:`cancel_on_intercept` is registered with :mod:`orderhub.fulfilment.hooks` when this module
is imported (the service does).  It runs in the intercept's own transaction and only queues one
``waybill_cancel`` outbox message per issued waybill (idempotency key
``waybill-cancel:<number>``), so a retried event queues nothing new and no platform is called
while the transaction is open.  The dispatcher's :class:`WaybillCancel` channel then cancels at
the platform and marks the row cancelled; a row already cancelled (by a person) is not sent.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select

from ..connectors.http import PlatformError
from ..fulfilment import hooks
from ..service.channels import DeliveryError
from ..service.schema import outbox
from ..store.bulk import insert_ignore
from .schema import waybills

KIND = "waybill_cancel"


@hooks.on_intercept
def cancel_on_intercept(conn: Connection, order_id: str, reason: str, now: datetime) -> None:
    """Queue the cancel of the order's issued waybills (in the intercept's transaction)."""
    rows = conn.execute(select(waybills.c.id, waybills.c.waybill_code, waybills.c.platform)
                        .where(waybills.c.order_id == order_id,
                               waybills.c.status == "issued")).all()
    insert_ignore(conn, outbox, [{
        "kind": KIND, "idempotency_key": f"waybill-cancel:{r.waybill_code}",
        "order_id": order_id, "status": "pending", "attempts": 0, "next_attempt_at": now,
        "created_at": now,
        "payload": {"row": r.id, "waybill_code": r.waybill_code, "platform": r.platform,
                    "reason": reason}} for r in rows])


class WaybillCancel:
    """The ``waybill_cancel`` outbox channel (one :class:`~.service.Waybills` per process)."""

    def __init__(self, waybills_api: Any) -> None:
        self.api = waybills_api

    @classmethod
    def for_workspace(cls, workspace: Any) -> WaybillCancel:
        from .service import Waybills

        return cls(Waybills.of(workspace))

    def send(self, payload: dict[str, Any], key: str) -> None:
        code = str(payload.get("waybill_code") or "")
        rows = [r for r in self.api.rows.rows(code=code) if r.status == "issued"]
        for row in rows:
            provider = self.api.provider(row.warehouse, row.platform, row.carrier)
            if provider is None:
                raise DeliveryError(f"no {row.platform} {row.carrier} account in "
                                    f"{row.warehouse} to cancel {code}", retryable=False)
            try:
                provider.cancel(code)
            except PlatformError as exc:
                raise DeliveryError(f"cancelling waybill {code}: {exc}",
                                    retryable=exc.retryable) from None
            self.api.rows.cancelled(row)

    def close(self) -> None:
        self.api.close()
