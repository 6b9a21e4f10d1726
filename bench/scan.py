"""Warehouse phones: server time per scan (p50/p95) with 20 phones scanning at once against
PostgreSQL.  Prints figures; asserts only that every order shipped.

    python bench/scan.py [--phones 20] [--orders-per-phone 10] [--pace 0.5] [--sqlite]
                         [--pg postgresql+psycopg://... | --pg ""]

A real ``orderhub web`` process serves a workspace on loopback; each phone is an HTTP client
signed in as its own warehouse user, and all of them start together (a barrier).  Each phone
works its own orders the way the scan page does, one call per scan: the order number
(``/api/scan/lookup``), every unit's EAN-13 from the lines the lookup answered
(``/api/scan/item``), then the confirm with its idempotency key, carrier, waybill number and
weight (``/api/scan/ship``: the order is marked shipped and the platform write-back queued).
Orders hold 1 to 3 lines of 40 SKUs, 1 or 2 units each.  A packer needs time between scans
(``--pace``, 0.5 s by default: 20 phones then offer about 40 scans a second); ``--pace 0``
scans again the moment the server answers, which measures saturation, not a warehouse.

"Server" is the route's own time from its ``Server-Timing: app;dur=`` header (the fulfilment
call and its database work); "round trip" is the phone's wall clock (sign-in check, CSRF,
JSON and HTTP included).  Bounded: a fixed number of orders per phone, a 30 s timeout per
request and a deadline for the whole run.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import re
import tempfile
import threading
import time
import uuid
from collections import defaultdict
from pathlib import Path
from typing import Any

import httpx
from figures import p50_p95

ROOT = Path(__file__).resolve().parent.parent


def _support(name: str) -> Any:
    spec = importlib.util.spec_from_file_location(name, ROOT / "tests" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


sup, fs = _support("web_support"), _support("fulfilment_support")

from orderhub.web.users import UserStore  # noqa: E402

DEADLINE_S = 600
SERVER_TIMING = re.compile(r"app;dur=([0-9.]+)")


def load_avg() -> str:
    one, five, _ = os.getloadavg()
    return f"load {one:.2f} {five:.2f} (1 and 5 min, {os.cpu_count()} cores)"


def ean13(body: str) -> str:
    """``body`` (12 digits) with its EAN-13 check digit."""
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(body))
    return body + str((10 - total % 10) % 10)


#: the warehouse's shelf: SKUs with their EAN-13 (a mug, towels, cups, ...)
SKUS = [(f"BENCH-{n:03d}", ean13(f"690{n:09d}")) for n in range(40)]


def order(no: str, i: int) -> Any:
    """A paid order of 1 to 3 lines of different SKUs, 1 or 2 of each."""
    base = fs.order(no, minutes=i)
    lines = [{"line_id": f"{no}-{k}", "sku": SKUS[(i * 7 + k * 13) % len(SKUS)][0],
              "title": "商品", "quantity": 1 + (i + k) % 2, "unit_price": "33.00"}
             for k in range(1 + i % 3)]
    return base.model_validate({**base.model_dump(), "items": lines})


def prepare(root: Path, db_url: str, phones: int, per_phone: int) -> list[list[str]]:
    """The workspace: a catalog of SKUs with EAN-13 barcodes, stock in the warehouse, one
    warehouse user per phone and ``per_phone`` paid orders for each; returns each phone's
    order numbers."""
    from orderhub.engine.routing.stock import RoutingStore

    ws = fs.workspace(root, db_url)
    with (root / "catalog.csv").open("a", encoding="utf-8") as f:
        f.writelines(f"{sku},商品 {sku},家居日用,false,0.4,33.00,{code}\n" for sku, code in SKUS)
    RoutingStore(ws.store.engine).put_stock([("SH", sku, 10**6, 0) for sku, _ in SKUS])
    work = [[f"B{p:02d}{i:04d}" for i in range(per_phone)] for p in range(phones)]
    ws.store.upsert([order(no, p * per_phone + i)
                     for p, numbers in enumerate(work) for i, no in enumerate(numbers)])
    users = UserStore(ws.store.engine)
    for p in range(phones):
        users.add(f"phone{p:02d}", "warehouse", sup.PASSWORD)
    ws.store.engine.dispose()
    return work


class Phone:
    """One warehouse phone: its own sign-in, its own orders, its own timings."""

    def __init__(self, base: str, n: int, pace: float = 0.0) -> None:
        self.pace = pace
        self.client = httpx.Client(base_url=base, timeout=30)
        token = sup.csrf_of(self.client.get("/login").text)
        done = self.client.post("/login", data={"username": f"phone{n:02d}",
                                                "password": sup.PASSWORD, "csrf_token": token})
        assert done.status_code == 303, done.text
        self.headers = {"X-CSRF-Token": token}
        self.server: dict[str, list[float]] = defaultdict(list)
        self.wall: dict[str, list[float]] = defaultdict(list)
        self.shipped = 0
        self.n = n

    def call(self, kind: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
        if self.pace:  # the packer's hands: find the next item, aim, pull the trigger
            time.sleep(self.pace)
        started = time.perf_counter()
        r = self.client.post(path, json=body, headers=self.headers)
        self.wall[kind].append((time.perf_counter() - started) * 1000)
        assert r.status_code == 200, f"{path}: {r.status_code} {r.text[:300]}"
        found = SERVER_TIMING.search(r.headers.get("server-timing", ""))
        if found:
            self.server[kind].append(float(found.group(1)))
        return dict(r.json())

    def ship(self, number: str, deadline: float) -> None:
        if time.monotonic() > deadline:
            return
        order = self.call("order scan", "/api/scan/lookup", {"code": number})
        seen: list[str] = []
        for line in order["lines"]:
            for _ in range(int(line["quantity"])):
                check = self.call("item scan", "/api/scan/item",
                                  {"order": order["label"], "code": line["barcode"],
                                   "seen": seen})
                assert check["ok"], check
                seen.append(line["barcode"])
        self.call("confirm", "/api/scan/ship", {
            "key": uuid.uuid4().hex, "order": order["label"], "scans": seen, "carrier": "ZTO",
            "tracking_no": f"ZT{self.n:02d}{number}", "weight_kg": 0.4 * len(seen),
            "warehouse": "SH"})
        self.shipped += 1


def run(label: str, db_url: str, phones: int, per_phone: int, pace: float) -> None:
    print(f"{label}: {phones} phones x {per_phone} orders, "
          + (f"{pace:g} s between a phone's scans" if pace else "each scan right after the last"))
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "ws"
        work = prepare(root, db_url, phones, per_phone)
        with sup.console(root, db_url) as base:
            crew = [Phone(base, p, pace) for p in range(phones)]
            barrier = threading.Barrier(phones)
            deadline = time.monotonic() + DEADLINE_S
            errors: list[BaseException] = []

            def shift(phone: Phone, numbers: list[str]) -> None:
                try:
                    barrier.wait(60)
                    for number in numbers:
                        phone.ship(number, deadline)
                except BaseException as exc:  # noqa: BLE001 - reported below
                    errors.append(exc)

            threads = [threading.Thread(target=shift, args=(phone, numbers))
                       for phone, numbers in zip(crew, work, strict=True)]
            started = time.perf_counter()
            for t in threads:
                t.start()
            for t in threads:
                t.join(DEADLINE_S + 60)
            took = time.perf_counter() - started
    if errors:
        print(f"  {len(errors)} phone(s) failed; first: {errors[0]!r}")
    shipped = sum(p.shipped for p in crew)
    scans = sum(len(v) for p in crew for v in p.wall.values())
    print(f"  shipped {shipped} of {phones * per_phone} orders, {scans} scans in {took:.1f}s "
          f"({scans / took:.0f} scans/s)")
    for kind in ("order scan", "item scan", "confirm"):
        print(f"  {kind:<10} server {p50_p95([v for p in crew for v in p.server[kind]])}")
        print(f"  {'':<10} round  {p50_p95([v for p in crew for v in p.wall[kind]])}")
    every_server = [v for p in crew for s in p.server.values() for v in s]
    every_wall = [v for p in crew for s in p.wall.values() for v in s]
    print(f"  every scan server {p50_p95(every_server)}")
    print(f"  every scan round  {p50_p95(every_wall)}")


def main() -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--phones", type=int, default=20)
    ap.add_argument("--orders-per-phone", type=int, default=10)
    ap.add_argument("--pg", default=os.environ.get(
        "ORDERHUB_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test"),
        help="PostgreSQL URL; an empty one skips PostgreSQL")
    ap.add_argument("--pace", type=float, default=0.5,
                    help="seconds a packer takes between scans (0: as fast as the server answers)")
    ap.add_argument("--sqlite", action="store_true", help="also run on SQLite (for comparison)")
    args = ap.parse_args()
    print(load_avg())
    if args.sqlite:
        with tempfile.TemporaryDirectory() as tmp:
            run("SQLite", f"sqlite:///{tmp}/orderhub.db", args.phones, args.orders_per_phone,
                args.pace)
    if not args.pg:
        return
    from pgschema import scratch_schema

    with scratch_schema(args.pg) as url:
        if url is not None:
            run("PostgreSQL", url, args.phones, args.orders_per_phone, args.pace)
    print(load_avg())


if __name__ == "__main__":
    main()
