"""Write the bundled `examples/` directory deterministically.

    python -m orderhub.synth.examples OUTDIR     (default: ./examples)

Per platform: a list-API response with >=120 orders covering every planted
case, exact duplicates and malformed records; a later "updates" snapshot; plus
a GBK Taobao 订单报表/宝贝报表 export and the catalog.  The README written next
to them lists which order numbers carry which case.
"""

from __future__ import annotations

import copy
import json
import random
import sys
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from .carriers import pick_carrier
from .catalog import write_catalog_csv
from .export import (
    ITEM_REPORT_HEADERS,
    ORDER_REPORT_HEADERS,
    render_export_items,
    render_export_row,
)
from .fmt import to_epoch
from .logical import PLATFORMS, SHANGHAI, LogicalOrder, Plan, generate_orders
from .people import random_detail, vague_detail
from .readme import write_readme
from .render import ORDER_NO_FIELD, envelope, render

SEED = 20251126
START = datetime(2025, 11, 19, tzinfo=SHANGHAI)
SPAN = timedelta(days=7)
SNAPSHOT = datetime(2025, 11, 26, 9, 0, tzinfo=SHANGHAI)  # the main files are "as of" this
UPDATES_FROM = datetime(2025, 11, 26, 9, 5, tzinfo=SHANGHAI)  # updates happen after it
EXPORT_NAME = "ExportOrderList202511260930.csv"
ITEMS_EXPORT_NAME = "ExportOrderDetailList202511260930.csv"
N_ORDERS = 124
BAD_TIME = "2025-13-45 99:00:00"
# (field holding the order number, creation time, buyer payment, status; unknown status value)
MALFORM_FIELDS = {
    "taobao": ("tid", "created", "payment", "status", "WAIT_SOMETHING_ODD"),
    "jd": ("orderId", "orderStartTime", "orderPayment", "orderState", "WAIT_SOMETHING_ODD"),
    "pdd": ("order_sn", "created_time", "pay_amount", "order_status", 9),
    "douyin": ("order_id", "create_time", "pay_amount", "order_status", 999),
}


def planted(platform: str) -> list[Plan]:
    """The cases every example file must contain, late refunds first (they need days)."""
    s = timedelta(seconds=1)
    plans = [
        Plan("refunding", timedelta(days=3)), Plan("refunded", timedelta(days=2)),
        Plan(burst=4), Plan(burst=3),
        Plan("refunding", 599 * s), Plan("refunding", 600 * s), Plan("refunding", 601 * s),
        Plan("refunding", 180 * s), Plan("refunded", 300 * s), Plan("refunding", 2 * 3600 * s),
        Plan(vague=True), Plan("shipped", vague=True), Plan(vague=True, cold=True),
        Plan(items=3), Plan(items=2, cold=True), Plan(cold=True), Plan(cold=False),
        Plan("cancelled"), Plan("shipped"), Plan("completed"),
    ]
    if platform in ("taobao", "douyin"):
        plans += [Plan("pending_payment"), Plan("pending_payment")]
    return plans


@dataclass
class PlatformExample:
    """What was written for one platform, for the README."""

    platform: str
    orders: list[LogicalOrder]
    records: int = 0
    duplicates: list[str] = field(default_factory=list)
    malformed: dict[str, str] = field(default_factory=dict)
    updates: dict[str, list[str]] = field(default_factory=dict)


def build_platform(platform: str) -> tuple[PlatformExample, list[dict[str, Any]]]:
    orders = generate_orders(N_ORDERS + 4, SEED, START, platform, span=SPAN, until=SNAPSHOT,
                             planted=planted(platform))
    # Four untagged paid orders become the malformed records.
    spare = [o for o in orders if o.status == "paid" and not o.tags][-4:]
    good = [o for o in orders if o not in spare]
    ex = PlatformExample(platform, good)
    payloads = [render(o) for o in orders]
    key, created, amount, status, odd = MALFORM_FIELDS[platform]
    for kind, o in zip(("no_order_no", "bad_time", "bad_amount", "unknown_status"), spare,
                       strict=True):
        p = payloads[orders.index(o)]
        ex.malformed[kind] = o.order_no
        if kind == "no_order_no":
            p.pop(key, None)
            p.pop(ORDER_NO_FIELD[platform], None)
        elif kind == "bad_time":
            p[created] = BAD_TIME
        elif kind == "bad_amount":
            p[amount] = "abc"
        else:
            p[status] = odd
    # Exact duplicates: one adjacent, one mid-list, one at the end.
    picks = [good[5], good[40], good[77]]
    ex.duplicates = [o.order_no for o in picks]
    for o, where in zip(picks, (6, 60, len(payloads)), strict=True):
        payloads.insert(where, copy.deepcopy(payloads[orders.index(o)]))
    ex.records = len(payloads)
    return ex, payloads


def build_updates(ex: PlatformExample) -> list[dict[str, Any]]:
    """A later snapshot: ~15 orders moved on (shipped, refund asked, address fixed...)."""
    rng = random.Random(f"updates:{SEED}:{ex.platform}")
    base = to_epoch(UPDATES_FROM)
    assert base is not None
    clock = iter(sorted(base + rng.randrange(0, 20 * 60) for _ in range(15)))
    fresh = [o for o in ex.orders if "phone_burst" not in o.tags and o.order_no not in
             ex.duplicates]
    paid = [copy.deepcopy(o) for o in fresh if o.status == "paid" and not o.tags]
    shipped = [copy.deepcopy(o) for o in fresh if o.status == "shipped" and not o.tags]
    pending = [copy.deepcopy(o) for o in fresh if o.status == "pending_payment"]
    out: list[LogicalOrder] = []

    def moved(kind: str, o: LogicalOrder) -> None:
        ex.updates.setdefault(kind, []).append(o.order_no)
        out.append(o)

    n_ship = 7 if pending else 9
    for o in paid[:n_ship]:
        o.status, o.shipped_ts = "shipped", next(clock)
        o.modified_ts = o.shipped_ts
        o.carrier = pick_carrier(rng, o.platform, o.cold_chain)
        o.tracking_no = o.carrier.tracking_no(rng)
        moved("paid_to_shipped", o)
    for o in paid[n_ship:n_ship + 3]:
        o.status = "refunding"
        o.refund_requested_ts = o.modified_ts = next(clock)
        moved("refund_requested", o)
    for o in paid[n_ship + 3:n_ship + 4]:
        o.receiver = replace(o.receiver, detail=_new_detail(o, rng))
        o.modified_ts = next(clock)
        moved("address_changed", o)
    for o in shipped[:2]:
        o.status = "completed"
        o.completed_ts = o.modified_ts = next(clock)
        moved("shipped_to_completed", o)
    for o in pending[:2]:
        o.status = "paid"
        o.paid_ts = o.modified_ts = next(clock)
        moved("pending_to_paid", o)
    return [render(o) for o in out]


def _new_detail(o: LogicalOrder, rng: random.Random) -> str:
    detail = random_detail(rng, o.receiver.area)
    return detail if detail != o.receiver.detail else vague_detail(rng, o.receiver.area)


def _csv_cell(value: str) -> str:
    """Quote like Excel does, but keep Taobao's raw ="..." cells."""
    if value.startswith('="'):
        return value
    if any(c in value for c in ',"\n'):
        return '"' + value.replace('"', '""') + '"'
    return value


def write_gbk_csv(path: Path, header: tuple[str, ...], rows: list[list[str]]) -> None:
    lines = [",".join(_csv_cell(c) for c in row) for row in [list(header), *rows]]
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("gbk"))


def write_exports(out: Path, taobao: list[LogicalOrder]) -> dict[str, Any]:
    """~60 Taobao orders as the seller-center CSVs, plus two corrupt rows."""
    chosen = taobao[::2][:60]
    rows = [render_export_row(o) for o in chosen]
    truncated = render_export_row(taobao[1])[:9]  # cut off mid-row
    empty_no = render_export_row(taobao[3])
    empty_no[0] = ""
    rows.insert(20, truncated)
    rows.insert(41, empty_no)
    write_gbk_csv(out / EXPORT_NAME, ORDER_REPORT_HEADERS, rows)
    items = [row for o in chosen for row in render_export_items(o)]
    write_gbk_csv(out / ITEMS_EXPORT_NAME, ITEM_REPORT_HEADERS, items)
    return {"orders": len(chosen), "truncated_row": (21, taobao[1].order_no),
            "empty_order_no_row": (42, taobao[3].order_no), "item_rows": len(items),
            "yuan_suffixed": sum(1 for r in rows if len(r) > 8 and r[8].endswith("元"))}


def _dump(path: Path, data: Any) -> None:
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> Path:
    args = sys.argv[1:] if argv is None else argv
    out = Path(args[0] if args else "examples")
    (out / "orders" / "updates").mkdir(parents=True, exist_ok=True)
    (out / "exports").mkdir(parents=True, exist_ok=True)
    built: dict[str, PlatformExample] = {}
    for pf in PLATFORMS:
        ex, payloads = build_platform(pf)
        _dump(out / "orders" / f"{pf}.json", envelope(pf, payloads))
        _dump(out / "orders" / "updates" / f"{pf}.json", envelope(pf, build_updates(ex)))
        built[pf] = ex
    export_info = write_exports(out / "exports", built["taobao"].orders)
    write_catalog_csv(out / "catalog.csv")
    write_readme(out / "README.md", built, export_info)
    return out


if __name__ == "__main__":
    print(main())
