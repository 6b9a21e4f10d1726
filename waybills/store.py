"""Waybill rows and waves in the database (tables in :mod:`.schema`).

A row is claimed (``requested``) before the platform is asked and keeps its ``request_key``
until the number is known, so whatever happens between asking and storing, asking again sends
the same key.  A cancelled row gets a new key when a number is taken again.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, Engine, and_, bindparam, select, update

from ..model import Order
from ..store.bulk import insert_on_conflict
from .providers.base import Taken
from .schema import waves, waybills

REQUESTED, ISSUED, FAILED, CANCELLED = "requested", "issued", "failed", "cancelled"


@dataclass(frozen=True)
class WaybillRow:
    """One stored waybill (or attempt at one)."""

    id: int
    order_id: str
    package: str
    request_key: str
    platform: str
    order_label: str
    warehouse: str
    wave: str | None
    shop: str
    carrier: str
    status: str
    waybill_code: str | None
    parent_waybill_code: str | None
    sort_code: str | None
    short_address: str | None
    package_center: str | None
    print_data: dict[str, Any] | None
    error_code: str | None
    error: str | None
    attempts: int
    cancelled_codes: list[str] | None
    print_task: str | None
    printed_at: datetime | None
    created_at: datetime
    updated_at: datetime

    @property
    def encrypted(self) -> bool:
        data = self.print_data or {}
        return bool(data.get("encryptedData") or data.get("printData"))

    def public(self) -> dict[str, Any]:
        """The row for ``--format json`` (print data left out: it is long and opaque)."""
        out = {k: getattr(self, k) for k in self.__dataclass_fields__ if k != "print_data"}
        out["encrypted"] = self.encrypted
        return out


@dataclass(frozen=True)
class Wave:
    name: str
    warehouse: str
    filters: dict[str, Any]
    skipped: list[dict[str, Any]]
    created_at: datetime


class WaybillStore:
    """The ``waybills`` and ``waves`` tables on the order store's engine."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._dialect = engine.dialect.name

    # -- claiming and answers --------------------------------------------------------------

    def claim(self, orders: Sequence[tuple[Order, str]], *, warehouse: str, wave: str,
              now: datetime | None = None) -> list[WaybillRow]:
        """Rows for (order, shop) pairs, package 1: new ones ``requested``, failed and cancelled
        ones re-opened in this wave; issued ones are returned as they are."""
        at = now or datetime.now(UTC)
        rows = [{"order_id": o.id, "package": "1", "request_key": f"{o.id}-1",
                 "platform": o.platform.value, "order_label": o.label, "warehouse": warehouse,
                 "wave": wave, "shop": shop, "carrier": "", "status": REQUESTED, "attempts": 0,
                 "created_at": at, "updated_at": at} for o, shop in orders]
        with self.engine.begin() as conn:
            for i in range(0, len(rows), 500):
                conn.execute(insert_on_conflict(self._dialect, waybills).on_conflict_do_nothing(
                    index_elements=["order_id", "package"]), rows[i:i + 500])
            ids = [o.id for o, _ in orders]
            found: list[Any] = []
            for i in range(0, len(ids), 500):
                found += conn.execute(select(waybills).where(
                    waybills.c.order_id.in_(ids[i:i + 500]))).all()
            reopen = [r for r in found if r.status in (FAILED, CANCELLED)
                      or (r.status == REQUESTED and r.wave != wave)]
            for r in reopen:
                key = r.request_key
                if r.status == CANCELLED:
                    key = f"{r.order_id}-{r.package}R{len(r.cancelled_codes or [])}"
                conn.execute(update(waybills).where(waybills.c.id == r.id).values(
                    status=REQUESTED, wave=wave, warehouse=warehouse, request_key=key,
                    waybill_code=None, error=None, error_code=None, updated_at=at))
            final: list[Any] = []
            for i in range(0, len(ids), 500):
                final += conn.execute(select(waybills).where(
                    waybills.c.order_id.in_(ids[i:i + 500]))).all()
        return [_row(r) for r in final]

    def record(self, answers: Iterable[tuple[int, str, Taken]], *,
               now: datetime | None = None) -> None:
        """Store answers: (row id, carrier, what the platform said)."""
        at = now or datetime.now(UTC)
        ok: list[dict[str, Any]] = []
        bad: list[dict[str, Any]] = []
        for row_id, carrier, t in answers:
            if t.ok:
                ok.append({"_id": row_id, "carrier": carrier, "waybill_code": t.waybill_code,
                           "parent_waybill_code": t.parent_waybill_code,
                           "sort_code": t.sort_code, "short_address": t.short_address,
                           "package_center": t.package_center, "print_data": t.print_data,
                           "error": t.extra.get("print_error")})
            else:
                bad.append({"_id": row_id, "carrier": carrier, "error": t.error,
                            "error_code": t.error_code})
        common = {"updated_at": at, "attempts": waybills.c.attempts + 1}
        with self.engine.begin() as conn:
            if ok:
                conn.execute(update(waybills).where(waybills.c.id == bindparam("_id"))
                             .values(status=ISSUED, error_code=None, **common), ok)
            if bad:
                conn.execute(update(waybills).where(waybills.c.id == bindparam("_id"))
                             .values(status=FAILED, **common), bad)

    def cancelled(self, row: WaybillRow, *, now: datetime | None = None) -> None:
        at = now or datetime.now(UTC)
        codes = [*(row.cancelled_codes or []), row.waybill_code]
        with self.engine.begin() as conn:
            conn.execute(update(waybills).where(and_(waybills.c.id == row.id,
                                                     waybills.c.status == ISSUED))
                         .values(status=CANCELLED, cancelled_codes=codes, waybill_code=None,
                                 print_data=None, print_task=None, printed_at=None,
                                 updated_at=at))

    def set_print_data(self, row_id: int, data: dict[str, Any]) -> None:
        with self.engine.begin() as conn:
            conn.execute(update(waybills).where(waybills.c.id == row_id)
                         .values(print_data=data, error=None))

    def sent_to_printer(self, ids: Sequence[int], task: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(update(waybills).where(waybills.c.id.in_(list(ids)))
                         .values(print_task=task))

    def printed(self, codes: Sequence[str], *, task: str | None = None,
                now: datetime | None = None) -> int:
        """Mark waybills printed (by code); returns how many rows changed."""
        at = now or datetime.now(UTC)
        cond: ColumnElement[bool] = waybills.c.waybill_code.in_(list(codes))
        if task is not None:
            cond = and_(cond, waybills.c.print_task == task)
        with self.engine.begin() as conn:
            return conn.execute(update(waybills).where(cond).values(printed_at=at)).rowcount

    # -- reading ---------------------------------------------------------------------------

    def rows(self, *, wave: str | None = None, order_id: str | None = None,
             code: str | None = None, status: str | None = None,
             limit: int | None = None) -> list[WaybillRow]:
        query = select(waybills).order_by(waybills.c.id)
        for column, value in ((waybills.c.wave, wave), (waybills.c.order_id, order_id),
                              (waybills.c.waybill_code, code), (waybills.c.status, status)):
            if value is not None:
                query = query.where(column == value)
        if limit:
            query = query.limit(limit)
        with self.engine.connect() as conn:
            return [_row(r) for r in conn.execute(query)]

    def save_wave(self, name: str, warehouse: str, filters: dict[str, Any],
                  skipped: list[dict[str, Any]], *, now: datetime | None = None) -> None:
        at = now or datetime.now(UTC)
        with self.engine.begin() as conn:
            old = conn.execute(select(waves.c.name).where(waves.c.name == name)).first()
            if old is None:
                conn.execute(waves.insert().values(name=name, warehouse=warehouse,
                                                   filters=filters, skipped=skipped,
                                                   created_at=at))
            else:
                conn.execute(update(waves).where(waves.c.name == name)
                             .values(skipped=skipped))

    def wave(self, name: str) -> Wave | None:
        with self.engine.connect() as conn:
            r = conn.execute(select(waves).where(waves.c.name == name)).first()
        return None if r is None else Wave(r.name, r.warehouse, r.filters, r.skipped,
                                           r.created_at)

    def waves(self, limit: int = 50) -> list[Wave]:
        with self.engine.connect() as conn:
            rs = conn.execute(select(waves).order_by(waves.c.created_at.desc()).limit(limit))
            return [Wave(r.name, r.warehouse, r.filters, r.skipped, r.created_at) for r in rs]


def _row(r: Any) -> WaybillRow:
    return WaybillRow(**{k: getattr(r, k) for k in WaybillRow.__dataclass_fields__})
