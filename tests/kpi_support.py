"""A seeded week (2026-W48, Asia/Shanghai) of stored facts with hand-computed KPIs.

Times are written in shop time (+08:00).  Two facts sit just across midnight: O5 ships at
00:30 on Monday 23rd shop time (still Sunday in UTC: inside the week), O6 ships at 00:10 on
Monday 30th shop time (still Sunday 29th in UTC: outside the week).
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

from sqlalchemy import Column, Engine, Integer, MetaData, String, Table, Text, insert

from orderhub.connectors.aftersale_store import after_sales
from orderhub.engine.routing.stock import route_decisions
from orderhub.fulfilment.schema import audit_log, fulfilment_log, shipments, tasks
from orderhub.kpi.schema import reconciliation_differences, reconciliation_reports
from orderhub.store.schema import UTCDateTime, orders

CST = timezone(timedelta(hours=8))
WEEK = "2026-W48"
NOW = datetime(2026, 12, 5, 12, 0, tzinfo=CST)


def t(text: str) -> datetime:
    """``MM-DD HH:MM`` in shop time, 2026."""
    return datetime.strptime(f"2026-{text}", "%Y-%m-%d %H:%M").replace(tzinfo=CST)


# id: (platform, shop, paid) ; parcels: (order, shipped, warehouse, person)
ORDERS = {
    "O1": ("taobao", "tb1", "11-23 10:00"), "O2": ("taobao", "tb1", "11-23 20:00"),
    "O3": ("pdd", "pdd1", "11-24 09:00"), "O4": ("jd", "jd1", "11-25 12:00"),
    "O5": ("douyin", "dy1", "11-22 23:30"), "O6": ("taobao", "tb2", "11-29 20:00"),
    "O7": ("pdd", "pdd1", "11-27 10:00"), "O8": ("taobao", "tb1", "11-28 08:00"),
}
PARCELS = [("O1", "11-24 08:00", "SH", "alice"), ("O2", "11-26 02:00", "SH", "bob"),
           ("O3", "11-24 21:00", "GZ", "alice"), ("O4", "11-26 12:00", "GZ", "alice"),
           ("O5", "11-23 00:30", "SH", "bob"), ("O6", "11-30 00:10", "SH", "carol"),
           ("O7", "11-27 14:00", "GZ", "carol"), ("O7", "11-28 10:00", "GZ", "alice")]
#: jd's deadline is set to 20 h in the test config: O4 (24 h) is late.
DEADLINES = {"jd": 20.0}

#: The scan pages' table, as their branch defines it (created here when absent).
_scan_meta = MetaData()
scan_events = Table(
    "scan_events", _scan_meta,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", UTCDateTime, nullable=False), Column("person", String(128), nullable=False),
    Column("order_id", String(26)), Column("code", String(128), nullable=False),
    Column("result", String(16), nullable=False), Column("sku", String(128)),
    Column("detail", Text))


def _order(oid: str, platform: str, shop: str, paid: datetime) -> dict[str, Any]:
    return {"id": oid, "platform": platform, "shop_id": shop, "platform_order_no": f"N{oid}",
            "status": "paid", "timezone": "Asia/Shanghai", "created_at": paid, "paid_at": paid,
            "goods_total": Decimal(0), "discount": Decimal(0), "post_fee": Decimal(0),
            "payment": Decimal(0), "doc": "{}",
            "content_hash": oid, "version": 1, "ingested_at": paid, "updated_at": paid}


def _log(oid: str, at: str, kind: str, actor_kind: str, *, to: str | None = None,
         data: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"order_id": oid, "at": t(at), "kind": kind, "stage_from": None, "stage_to": to,
            "actor_kind": actor_kind, "actor": "x", "why": None, "data": data}


def _task(tid: int, oid: str | None, queue: str, created: str) -> dict[str, Any]:
    return {"id": tid, "key": f"k{tid}", "order_id": oid, "queue": queue, "title": "审单",
            "priority": 50, "status": "open", "source_kind": "rule", "source": "r",
            "created_at": t(created), "due_at": None, "updated_at": t(created), "notes": []}


def _audit(tid: int, at: str, person: str, action: str) -> dict[str, Any]:
    return {"at": t(at), "person": person, "action": action, "target_kind": "task",
            "target": str(tid), "order_id": None}


def _route(oid: str, at: str, wh: str, diverted: str | None = None, stockout: bool = False,
           trace: str | None = None) -> dict[str, Any]:
    return {"order_id": oid, "flow": "routing", "version": "1", "warehouse": wh,
            "diverted_from": diverted, "result": {"stockout": stockout}, "trace": trace,
            "at": t(at)}


def _aftersale(oid: str, created: str, reason: str) -> dict[str, Any]:
    platform = ORDERS[oid][0]
    return {"platform": platform, "aftersale_id": f"A{oid}{created}", "shop": ORDERS[oid][1],
            "platform_order_no": f"N{oid}", "kind": "refund_only", "status": "open",
            "raw_status": "1", "reason": reason, "created_at": t(created),
            "modified_at": t(created), "raw": "{}", "stored_at": t(created)}


def seed_week(engine: Engine) -> None:
    """The seeded week; :data:`EXPECTED` holds its answers."""
    _scan_meta.create_all(engine)
    with engine.begin() as conn:
        conn.execute(insert(orders), [_order(k, p, s, t(paid)) for k, (p, s, paid)
                                      in ORDERS.items()])
        conn.execute(insert(shipments), [
            {"id": f"S{i}", "order_id": o, "warehouse": wh, "carrier": "SF",
             "tracking_no": f"SF{i}", "shipped_at": t(at), "shipped_by": who}
            for i, (o, at, wh, who) in enumerate(PARCELS)])
        conn.execute(insert(tasks), [
            _task(1, "O8", "cs", "11-23 09:00"), _task(2, "O2", "cs", "11-25 23:50"),
            _task(3, "O3", "warehouse", "11-26 10:00"), _task(4, "O4", "cs", "11-28 12:00"),
            _task(5, None, "cs", "11-22 10:00")])
        conn.execute(insert(audit_log), [
            _audit(1, "11-23 09:20", "dave", "task_claim"),
            _audit(1, "11-23 10:00", "dave", "task_done"),
            _audit(2, "11-26 00:40", "erin", "task_note"),
            _audit(3, "11-26 10:45", "dave", "task_claim"),
            _audit(5, "11-22 10:05", "erin", "task_claim")])
        conn.execute(insert(scan_events), [
            {"at": t("11-24 20:50"), "person": "alice", "order_id": "O3", "code": "X",
             "result": "wrong_item"},
            {"at": t("11-27 13:50"), "person": "carol", "order_id": "O7", "code": "Y",
             "result": "extra_item"},
            {"at": t("11-27 13:55"), "person": "carol", "order_id": "O7", "code": "Z",
             "result": "item_ok"},
            {"at": t("11-30 01:00"), "person": "carol", "order_id": "O6", "code": "W",
             "result": "wrong_item"}])
        conn.execute(insert(after_sales), [
            _aftersale("O1", "11-26 09:00", "卖家错发了颜色"),
            _aftersale("O3", "11-28 10:00", "漏发一件"),
            _aftersale("O2", "11-27 10:00", "不想要了"), _aftersale("O5", "11-21 10:00", "少件")])
        conn.execute(insert(fulfilment_log), [
            _log("O8", "11-28 08:01", "hold", "rule", data={"kind": "review"}),
            _log("O2", "11-24 10:00", "stage", "flow", to="released"),
            _log("O2", "11-25 23:50", "hold", "rule", data={"kind": "review"}),
            _log("O2", "11-25 23:51", "intercept", "rule", data={"to": "wms"}),
            _log("O1", "11-26 09:00", "intercept", "platform", data={"to": "carrier"}),
            _log("O4", "11-26 11:00", "hold", "person", data={"kind": "manual"})])
        conn.execute(insert(route_decisions), [
            _route("O1", "11-23 10:01", "SH"), _route("O2", "11-23 20:01", "SH"),
            _route("O3", "11-24 09:01", "GZ", "SH"),
            _route("O4", "11-25 12:01", "GZ", trace='{"raw":[["inventory","SH","out of stock"]]}'),
            _route("O7", "11-27 10:01", "GZ", "SH", stockout=True),
            _route("O5", "11-22 23:31", "SH")])
        conn.execute(insert(reconciliation_reports), [
            _report("11-24", "11-25 02:30"), _report("11-25", "11-26 01:00"),
            _report("11-25", "11-26 05:00"), _report("11-29", "11-30 03:00")])
        conn.execute(insert(reconciliation_differences), [
            _diff("D1", "11-25 02:30", None), _diff("D2", "11-25 02:30", "11-26 01:00"),
            _diff("D3", "11-20 02:30", "11-24 09:00")])


def _report(day: str, at: str) -> dict[str, Any]:
    start = t(f"{day} 00:00")
    return {"label": f"2026-{day}", "shop": None, "period_start": start,
            "period_end": start + timedelta(days=1), "generated_at": t(at), "differences": 1}


def _diff(key: str, found: str, resolved: str | None) -> dict[str, Any]:
    return {"key": key, "platform": "taobao", "shop": "tb1", "order_no": "NO1",
            "kind": "missing_settlement", "period_end": t(found),
            "found_at": t(found), "resolved_at": t(resolved) if resolved else None}


#: The week's answers, worked out by hand (see the module docstring for the data).
EXPECTED: dict[str, Any] = {
    # shipped O1 22h, O2 54h, O3 12h, O4 24h (jd: 20 h deadline), O5 1h, O7 4h (first parcel)
    "pay_to_ship": {"orders": 6, "median_hours": 17.0, "p90_hours": 39.0, "within_deadline": 4,
                    "late": 2, "within_deadline_share": 0.6667},
    # T1 20 min (cs 30), T2 50 min (cs), T3 45 min (warehouse 60), T4 never
    "exception_response": {"tasks": 4, "responded": 3, "median_minutes": 45.0,
                           "p90_minutes": 49.0, "within_sla": 2, "within_sla_share": 0.5,
                           "breached": 2},
    "mis_shipment": {"shipped_orders": 6, "caught_at_scan": 2, "after_sales": 2,
                     "rate": 0.3333, "caught_rate": 0.3333},
    # alice 11-24 (O1, O3), 11-26 (O4); bob 11-23 (O5), 11-26 (O2); carol 11-27 (O7)
    "throughput": {"orders_shipped": 6, "people": 3, "person_days": 5,
                   "orders_per_person_day": 1.2},
    "interceptions": {"before_release": 1, "after_release": 1, "after_shipping": 1},
    "routing": {"decisions": 5, "diverted_in": 2, "diverted_out": 2, "stockouts": 2},
    "finance": {"differences_found": 2, "differences_open": 1, "differences_resolved": 2,
                "reports": 2, "median_hours_to_report": 1.75, "max_hours_to_report": 2.5},
}

EXPECTED_PLATFORM_SHIP = {
    "douyin": {"orders": 1, "median_hours": 1.0, "p90_hours": 1.0, "within_deadline": 1},
    "jd": {"orders": 1, "median_hours": 24.0, "p90_hours": 24.0, "within_deadline": 0},
    "pdd": {"orders": 2, "median_hours": 8.0, "p90_hours": 11.2, "within_deadline": 2},
    "taobao": {"orders": 2, "median_hours": 38.0, "p90_hours": 50.8, "within_deadline": 1},
}
EXPECTED_DAYS_SHIPPED = {"2026-11-23": 1, "2026-11-24": 2, "2026-11-25": 0, "2026-11-26": 2,
                         "2026-11-27": 1, "2026-11-28": 0, "2026-11-29": 0}


def dumps(doc: Any) -> str:
    return json.dumps(doc, ensure_ascii=False, sort_keys=True)
