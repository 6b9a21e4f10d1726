"""Helpers for the service tests (loaded by path: tests are not a package).

Real things only: workspaces on disk, orders in a real store, worker processes started with
``python -m orderhub``, and HTTP peers served by :mod:`http.server` on 127.0.0.1.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from orderhub.model import Order

HERE = Path(__file__).resolve().parent
TINY = HERE / "service_tiny_evaluator.py"
SRC = HERE.parent


def make_orders(n: int, start: int = 0, paid: bool = True) -> list[Order]:
    """``n`` Taobao orders; each yields a ``created`` and (when paid) a ``paid`` event."""
    base = datetime(2025, 11, 11, 0, 0, tzinfo=UTC)
    out = []
    for i in range(start, start + n):
        created = base + timedelta(seconds=i)
        out.append(Order.model_validate({
            "platform": "taobao", "platform_order_no": f"T{i:07d}",
            "status": "paid" if paid else "pending_payment",
            "created_at": created, "paid_at": created + timedelta(seconds=30) if paid else None,
            "modified_at": created,
            "receiver": {"name": "张三", "phone": f"138{i % 10**8:08d}", "province": "浙江省",
                         "city": "杭州市", "district": "西湖区", "address": "文三路 1 号"},
            "payment": "99.00", "goods_total": "99.00",
        }))
    return out


def write_workspace(root: Path, db_url: str, *, rules: str = "tag = one\n",
                    **service: Any) -> Path:
    """A workspace using the tiny evaluator, with fast timings for tests."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "rules").mkdir(exist_ok=True)
    (root / "rules" / "tiny.tiny").write_text(rules, encoding="utf-8")
    cfg = {"evaluator": f"{TINY}:load", "lease_seconds": 3, "poll_seconds": 0.1,
           "beat_seconds": 0.25,
           "batch_size": 100, "backoff_seconds": 0.1, "backoff_max_seconds": 0.5,
           "max_attempts": 5, "send_timeout_seconds": 0.5, "watch": False, **service}
    config = {"database": db_url, "service": cfg}
    # JSON is YAML
    (root / "orderhub.yaml").write_text(json.dumps(config, ensure_ascii=False, indent=1),
                                        encoding="utf-8")
    return root


def spawn(ws: Path, *args: str, log: Path | None = None,
          env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    """``python -m orderhub -w WS ARGS`` as a real child process."""
    out = open(log or ws / f"proc-{time.monotonic_ns()}.log", "wb")  # noqa: SIM115
    full_env = {**os.environ, "PYTHONPATH": str(SRC.parent) + os.pathsep
                + os.environ.get("PYTHONPATH", ""), **(env or {})}
    return subprocess.Popen([sys.executable, "-m", "orderhub", "-w", str(ws), *args],
                            stdout=out, stderr=subprocess.STDOUT, env=full_env)


def wait_until(predicate: Callable[[], Any], timeout: float, what: str,
               every: float = 0.1) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(every)


def count(engine: Any, table: Any, *where: Any) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table).where(*where)).scalar())


def duplicates(engine: Any, column: Any) -> int:
    """Values of ``column`` that occur more than once."""
    with engine.connect() as conn:
        sub = select(column).group_by(column).having(func.count() > 1).subquery()
        return int(conn.execute(select(func.count()).select_from(sub)).scalar())


class Peer:
    """A local HTTP peer (WMS, SMS gateway, WeCom robot) that misbehaves on request.

    It deduplicates on the ``Idempotency-Key`` header like a careful receiver would, and counts
    every delivery per key.  ``plan(n)`` decides the fate of the n-th request:
    ``"ok"``, ``"500"``, ``"timeout"`` (answers after the client gave up), ``"echo"`` (a 401
    quoting the request's Authorization header), or a WeCom errcode.
    """

    def __init__(self, plan: Callable[[int, str, dict[str, Any]], str] | None = None,
                 timeout_sleep: float = 1.5) -> None:
        self.plan = plan or (lambda n, key, body: "ok")
        self.timeout_sleep = timeout_sleep
        self.deliveries: Counter[str] = Counter()
        self.accepted: dict[str, dict[str, Any]] = {}
        self.requests: list[tuple[str, str, dict[str, Any], dict[str, str]]] = []
        self._lock = threading.Lock()
        peer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])) or b"{}")
                key = self.headers.get("Idempotency-Key", "")
                with peer._lock:
                    n = len(peer.requests)
                    peer.requests.append((self.path, key, body, dict(self.headers)))
                fate = peer.plan(n, key, body)
                if fate == "timeout":
                    time.sleep(peer.timeout_sleep)
                    return self._reply(200, {"errcode": 0, "errmsg": "ok"})
                if fate == "500":
                    return self._reply(500, {"error": "internal"})
                if fate == "echo":  # a careless gateway quoting the credential it refused
                    return self._reply(401, {"error": "invalid credential",
                                             "authorization": self.headers["Authorization"]})
                if fate.startswith("errcode:"):
                    code = int(fate.split(":")[1])
                    return self._reply(200, {"errcode": code, "errmsg": "fail"})
                with peer._lock:
                    peer.deliveries[key] += 1
                    peer.accepted.setdefault(key, body)
                self._reply(200, {"errcode": 0, "errmsg": "ok"})

            def _reply(self, status: int, body: dict[str, Any]) -> None:
                data = json.dumps(body).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Peer:
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.server.shutdown()
        self.server.server_close()
