"""Helpers for the fulfilment tests (loaded by path): a workspace with the real rules and
flows, orders of one mug, a loopback WMS stand-in that validates the contract."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from orderhub import wms
from orderhub.config import Workspace, init_workspace
from orderhub.engine.routing.stock import RoutingStore
from orderhub.model import Order
from orderhub.service import Service
from orderhub.service.dispatcher import Dispatcher

SKU = "MUG-350"
BASE = datetime(2025, 11, 11, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai


class WmsStandIn:
    """A WMS on 127.0.0.1 that keeps the contract: every body must validate against
    :data:`orderhub.wms.SCHEMA` (else 400); it keeps orders and intercepts by
    idempotency key.  ``packed``: order ids it answers ALREADY_PACKED to on intercept."""

    def __init__(self) -> None:
        self.orders: dict[str, dict[str, Any]] = {}
        self.intercepts: dict[str, dict[str, Any]] = {}
        self.received: list[dict[str, Any]] = []
        self.invalid: list[list[str]] = []
        self.packed: set[str] = set()
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                key = self.headers.get("Idempotency-Key", "")
                stand_in.received.append(body)
                errors = wms.validate(body)
                if errors:
                    stand_in.invalid.append(errors)
                    return self._reply(400, {"ok": False, "code": "INVALID",
                                             "message": "; ".join(errors)})
                if body["type"] == "intercept":
                    if body["order_id"] in stand_in.packed:
                        return self._reply(200, {"ok": False, "code": "ALREADY_PACKED",
                                                 "message": "已打包"})
                    stand_in.intercepts.setdefault(key, body)
                else:
                    stand_in.orders.setdefault(key, body)
                self._reply(200, {"ok": True})

            def _reply(self, status: int, body: dict[str, Any]) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/api/orders"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> WmsStandIn:
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.server.shutdown()
        self.server.server_close()


def workspace(root: Path, db_url: str, wms_url: str | None = None,
              sms_url: str | None = None, stock: int = 50) -> Workspace:
    init_workspace(root, samples=False)
    channels = {"wms": {"url": wms_url}} if wms_url else {}
    if sms_url:
        channels["sms"] = {"url": sms_url}
    service = {"watch": False, "batch_size": 50, "backoff_seconds": 0.05,
               "backoff_max_seconds": 0.1, "max_attempts": 2, "send_timeout_seconds": 2,
               "channels": channels}
    with (root / "orderhub.yaml").open("a", encoding="utf-8") as f:
        f.write(f"database: {db_url}\nservice: {json.dumps(service)}\n")
    ws = Workspace.load(root)
    RoutingStore(ws.store.engine).put_stock([("SH", SKU, stock, 0), ("WH", SKU, stock, 0)])
    return ws


def order(no: str, *, minutes: float = 0, phone: str = "13800000001",
          address: str = "文三路 1 号 2 栋 301 室", refund_after: float | None = None,
          refund_status: str = "requested", modified: float | None = None,
          status: str | None = None, quantity: int = 1) -> Order:
    """A paid 华东 order of ``quantity`` mugs, created ``minutes`` after BASE."""
    created = BASE + timedelta(minutes=minutes)
    doc: dict[str, Any] = {
        "platform": "taobao", "platform_order_no": no, "status": status or "paid",
        "created_at": created, "paid_at": created + timedelta(seconds=30),
        "modified_at": created + timedelta(minutes=modified if modified is not None else 1),
        "receiver": {"name": "张三", "phone": phone, "province": "浙江省", "city": "杭州市",
                     "district": "西湖区", "address": address},
        "items": [{"line_id": f"{no}-1", "sku": SKU, "title": "马克杯 350ml",
                   "quantity": quantity, "unit_price": "99.00"}],
        "payment": "99.00", "goods_total": "99.00",
    }
    if refund_after is not None:
        doc["refund"] = {"status": refund_status,
                         "requested_at": created + timedelta(minutes=refund_after)}
        doc["status"] = status or ("refunded" if refund_status == "refunded" else "refunding")
    return Order.model_validate(doc)


def service(ws: Workspace) -> Service:
    svc = Service(ws, dispatch=False, schedules=False)
    svc.start()
    return svc


def drain(svc: Service) -> int:
    n = 0
    while k := svc.step():
        n += k
    return n


def deliver(ws: Workspace, on_dead: Callable[..., None] | None = None) -> int:
    """Deliver every due outbox message through the real channels; returns messages tried."""
    from orderhub.fulfilment.intercept import on_dead as dead_hook
    from orderhub.service.outbox import Outbox

    d = Dispatcher(Outbox(ws.store.engine), ws.config.service)
    d.on_dead.append(on_dead or dead_hook(ws.store.engine, ws.config.fulfilment))
    total = 0
    for _ in range(20):
        n = d.step()
        total += n
        if not n:
            break
    d.client.close()
    return total
