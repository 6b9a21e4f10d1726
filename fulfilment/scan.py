"""Scan to ship (验货发货): what the warehouse phone asks of fulfilment.

:func:`lookup` finds the order behind a scanned code (an order number, ``PLATFORM:NUMBER``, the
internal id, or a waybill number when the waybills tables exist) with its lines, their SKU
barcodes (the catalog's EAN-13) and its open holds; a held order's scan is logged and
refused.  :func:`check_item` says whether one scanned item belongs in the parcel given what was
scanned before (a wrong or extra item is stored as a prevented mis-shipment).
:func:`ship_scanned` re-checks the whole list of scans and calls :func:`~.shipping.ship` once
per idempotency key, so a phone that replays an offline confirm gets the first answer back.
Every scan goes on the order's timeline (``fulfilment_log`` kind ``scan``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, delete, func, insert, inspect, select, update
from sqlalchemy.exc import IntegrityError

from ..errors import NotFound
from ..store.schema import orders
from . import holds, stages
from .errors import FulfilmentError, ShipRefused
from .scan_schema import scan_events, scan_ships
from .stages import Actor

#: Scan results that are a mis-shipment the scan prevented.
PREVENTED = ("wrong_item", "extra_item")


@dataclass(frozen=True, slots=True)
class Line:
    key: str
    sku: str | None
    title: str
    quantity: int
    barcode: str | None

    def as_json(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__slots__}


@dataclass
class ScanOrder:
    """The order a scan found: what the phone shows and checks items against."""

    id: str
    label: str
    platform_order_no: str
    status: str
    stage: str
    lines: list[Line]
    holds: list[str] = field(default_factory=list)
    carrier: str | None = None
    tracking_no: str | None = None
    by_waybill: bool = False

    @property
    def units(self) -> int:
        return sum(line.quantity for line in self.lines)

    def as_json(self) -> dict[str, Any]:
        return {"id": self.id, "label": self.label, "order_no": self.platform_order_no,
                "status": self.status, "stage": self.stage, "holds": self.holds,
                "held": bool(self.holds), "carrier": self.carrier,
                "tracking_no": self.tracking_no, "by_waybill": self.by_waybill,
                "single": self.units == 1, "units": self.units,
                "lines": [line.as_json() for line in self.lines]}


@dataclass(frozen=True, slots=True)
class ItemCheck:
    ok: bool
    result: str  # item_ok, wrong_item, extra_item
    sku: str | None
    message: str
    complete: bool = False

    def as_json(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__slots__}


def waybill_of(conn: Connection, code: str) -> tuple[str, str, str] | None:
    """(order id, carrier, waybill code) of a waybill number, when the waybills branch's table
    is there (it is optional: without it, nothing is found)."""
    if "waybills" not in _tables(conn):
        return None
    row = conn.exec_driver_sql(
        "SELECT order_id, carrier, waybill_code FROM waybills WHERE waybill_code = "
        + ("%(c)s" if conn.dialect.name == "postgresql" else ":c"), {"c": code}).first()
    return (str(row[0]), str(row[1]), str(row[2])) if row else None


_TABLES: dict[str, set[str]] = {}


def _tables(conn: Connection) -> set[str]:
    url = str(conn.engine.url)
    if url not in _TABLES:
        _TABLES[url] = set(inspect(conn).get_table_names())
    return _TABLES[url]


def _find(conn: Connection, code: str) -> tuple[str, tuple[str, str, str] | None]:
    """The order id behind ``code`` (and the waybill, when it was one)."""
    code = code.strip()
    cond: ColumnElement[bool]
    if ":" in code:
        platform, number = code.split(":", 1)
        cond = (orders.c.platform == platform.lower()) & (orders.c.platform_order_no == number)
    else:
        cond = orders.c.platform_order_no == code
    rows = conn.execute(select(orders.c.id).where(cond).limit(2)).all()
    if len(rows) > 1:
        raise FulfilmentError(f"order number {code} is on more than one platform; "
                              "scan PLATFORM:NUMBER")
    if rows:
        return str(rows[0].id), None
    if len(code) == 26 and conn.execute(select(orders.c.id).where(orders.c.id == code)
                                        ).first():
        return code, None
    wb = waybill_of(conn, code)
    if wb is not None:
        return wb[0], wb
    raise NotFound(f"no order or waybill {code!r}")


def lines_of(ws: Any, o: Any) -> list[Line]:
    catalog = ws.catalog
    out = []
    for i, item in enumerate(o.items):
        attrs = catalog.attributes(item.sku)
        barcode = (item.attributes or {}).get("barcode") or attrs.get("barcode")
        out.append(Line(str(item.line_id or item.sku or f"#{i + 1}"), item.sku,
                        item.title or attrs.get("title") or item.sku or "",
                        item.quantity, str(barcode) if barcode else None))
    return out


def lookup(ws: Any, code: str, person: str, *, now: datetime | None = None) -> ScanOrder:
    """The order behind a scanned code, its lines and open holds; the scan is logged (a held
    order's as ``held``: the phone shows 拦截 and refuses to ship it)."""
    now = now or datetime.now(UTC)
    engine = ws.store.engine
    with engine.connect() as conn:
        try:
            order_id, wb = _find(conn, code)
        except NotFound:
            order_id = ""
        if order_id:
            held = holds.open_holds(conn, [order_id]).get(order_id) or []
            stage = stages.stage_of(conn, order_id)
    if not order_id:
        with engine.begin() as conn:
            _event(conn, person, None, code, "unknown", None, "not found", now)
        raise NotFound(f"no order or waybill {code!r}")
    o = ws.store.get(order_id)
    reasons = [h.reason or h.kind for h in held]
    found = ScanOrder(order_id, o.label, o.platform_order_no, o.status.value, stage,
                      lines_of(ws, o), reasons, carrier=wb[1] if wb else None,
                      tracking_no=wb[2] if wb else None, by_waybill=wb is not None)
    result = "held" if reasons else ("waybill" if wb else "order")
    detail = "拦截：" + "；".join(reasons) if reasons else None
    with engine.begin() as conn:
        _event(conn, person, order_id, code, result, None, detail, now)
        stages.log(conn, order_id, "scan", Actor("person", person),
                   f"扫描 {code}" + (f" — {detail}" if detail else ""), now,
                   data={"code": code, "result": result})
    return found


def _verify(lines: Sequence[Line], seen: Counter[str], code: str) -> ItemCheck:
    """Whether ``code`` fits given the barcodes ``seen`` before it (no side effects)."""
    want: Counter[str] = Counter()
    sku_of: dict[str, str | None] = {}
    for line in lines:
        for ref in filter(None, (line.barcode, line.sku)):
            want[ref] += line.quantity
            sku_of[ref] = line.sku
    if code not in want:
        return ItemCheck(False, "wrong_item", None, f"错货：{code} 不属于此订单")
    if seen[code] >= want[code]:
        return ItemCheck(False, "extra_item", sku_of[code],
                         f"多货：{sku_of[code]} 只需 {want[code]} 件")
    total = sum(line.quantity for line in lines)
    done = sum(seen.values()) + 1
    return ItemCheck(True, "item_ok", sku_of[code], f"{sku_of[code]} ✓ {done}/{total}",
                     complete=done >= total)


def check_item(ws: Any, order: str, code: str, seen: Sequence[str], person: str, *,
               now: datetime | None = None) -> ItemCheck:
    """One item scanned for ``order`` after the codes ``seen``: right, wrong or extra.  A
    wrong or extra item is stored (a prevented mis-shipment) and logged on the timeline."""
    now = now or datetime.now(UTC)
    o = ws.store.get(order)
    check = _verify(lines_of(ws, o), Counter(seen), code.strip())
    with ws.store.engine.begin() as conn:
        _event(conn, person, str(o.id), code, check.result, check.sku,
               None if check.ok else check.message, now)
        if not check.ok:
            stages.log(conn, str(o.id), "scan", Actor("person", person), check.message, now,
                       data={"code": code, "result": check.result})
    return check


def ship_scanned(ws: Any, key: str, order: str, scans: Sequence[str], person: str, *,
                 carrier: str | None = None, tracking_no: str | None = None,
                 weight_kg: float | None = None, warehouse: str | None = None,
                 now: datetime | None = None) -> dict[str, Any]:
    """Ship after verification, once per ``key`` (the phone's key for this confirm): the
    scans must be exactly the order's items; carrier and tracking number come from the
    waybill when none is given.  Replaying the key returns the first answer."""
    key = key.strip()
    if not key or len(key) > 64:
        raise FulfilmentError("a ship scan needs an idempotency key of 1 to 64 characters")
    now = now or datetime.now(UTC)
    o = ws.store.get(order)
    order_id = str(o.id)
    engine = ws.store.engine
    try:  # the key first: a replay answers at once, and two phones never ship one key twice
        with engine.begin() as conn:
            conn.execute(insert(scan_ships).values(key=key, order_id=order_id,
                                                   status="pending", person=person, at=now))
    except IntegrityError:
        with engine.connect() as conn:
            return _replayed(conn.execute(select(scan_ships).where(scan_ships.c.key == key)
                                          ).one())
    try:
        _check_scans(lines_of(ws, o), scans, o.label)
        carrier, tracking_no = _carrier_and_tracking(engine, o, carrier, tracking_no)
        from .shipping import ship

        shipment = ship(ws, o, carrier, tracking_no, person=person,
                        warehouse=warehouse or None, now=now)
    except Exception:  # refused or failed: the key is free for the corrected confirm
        with engine.begin() as conn:
            conn.execute(delete(scan_ships).where(scan_ships.c.key == key))
        raise
    result = {**shipment.as_json(), "weight_kg": weight_kg, "replayed": False}
    with engine.begin() as conn:
        conn.execute(update(scan_ships).where(scan_ships.c.key == key)
                     .values(status="shipped", result=result))
        _event(conn, person, order_id, tracking_no, "shipped", None,
               f"{shipment.carrier} {shipment.tracking_no}"
               + (f" {weight_kg} kg" if weight_kg else ""), now)
        stages.log(conn, order_id, "scan", Actor("person", person),
                   f"验货完成 {len(scans)} 件，发货 {shipment.carrier} {shipment.tracking_no}"
                   + (f"，{weight_kg} kg" if weight_kg else ""), now,
                   data={"key": key, "scans": list(scans), "weight_kg": weight_kg})
    return result


def _carrier_and_tracking(engine: Any, o: Any, carrier: str | None,
                          tracking_no: str | None) -> tuple[str, str]:
    """As scanned or typed, else from the order's waybill."""
    if carrier and tracking_no:
        return carrier, tracking_no
    with engine.connect() as conn:
        wb = _waybill_for(conn, str(o.id))
    if wb is None:
        raise FulfilmentError(f"order {o.label}: scan or type the carrier and tracking "
                              "number (no waybill on file)")
    return carrier or wb[0], tracking_no or wb[1]


def _replayed(row: Any) -> dict[str, Any]:
    if row.status != "shipped":
        raise FulfilmentError(f"ship scan {row.key} is still being processed; try again")
    return {**(row.result or {}), "replayed": True}


def _check_scans(lines: Sequence[Line], scans: Sequence[str], label: str) -> None:
    seen: Counter[str] = Counter()
    for code in scans:
        check = _verify(lines, seen, code)
        if not check.ok:
            raise ShipRefused(f"order {label}: {check.message}")
        seen[code] += 1
    if sum(seen.values()) < sum(line.quantity for line in lines):
        raise ShipRefused(f"order {label}: {sum(seen.values())} of "
                          f"{sum(line.quantity for line in lines)} items verified")


def _waybill_for(conn: Connection, order_id: str) -> tuple[str, str] | None:
    if "waybills" not in _tables(conn):
        return None
    row = conn.exec_driver_sql(
        "SELECT carrier, waybill_code FROM waybills WHERE order_id = "
        + ("%(o)s" if conn.dialect.name == "postgresql" else ":o")
        + " AND waybill_code IS NOT NULL ORDER BY id DESC", {"o": order_id}).first()
    return (str(row[0]), str(row[1])) if row else None


def _event(conn: Connection, person: str, order_id: str | None, code: str, result: str,
           sku: str | None, detail: str | None, now: datetime) -> None:
    conn.execute(insert(scan_events).values(at=now, person=person, order_id=order_id,
                                            code=code[:128], result=result, sku=sku,
                                            detail=detail))


def prevented(ws: Any, *, since: datetime | None = None) -> int:
    """How many mis-shipments scanning prevented (wrong or extra items refused)."""
    query = select(func.count()).select_from(scan_events).where(
        scan_events.c.result.in_(PREVENTED))
    if since is not None:
        query = query.where(scan_events.c.at >= since)
    with ws.store.engine.connect() as conn:
        return int(conn.execute(query).scalar_one())


def recent(ws: Any, person: str, limit: int = 10) -> list[dict[str, Any]]:
    """This person's last scans, newest first (the phone's "last 10" list)."""
    with ws.store.engine.connect() as conn:
        rows = conn.execute(select(scan_events).where(scan_events.c.person == person)
                            .order_by(scan_events.c.id.desc()).limit(limit))
        return [{"at": r.at.isoformat(), "code": r.code, "result": r.result,
                 "detail": r.detail} for r in rows]
