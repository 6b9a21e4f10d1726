"""Helpers for the console tests (loaded by path: tests are not a package).

A real workspace with the bundled sample orders plus one order full of XSS payloads, one user
per role, and ``orderhub web`` started as a subprocess on a free loopback port.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from click.testing import CliRunner

from orderhub.cli import main
from orderhub.config import init_workspace
from orderhub.model import Order
from orderhub.store import OrderStore
from orderhub.web.permissions import ROLES
from orderhub.web.users import UserStore

SRC = Path(__file__).resolve().parent.parent
PASSWORD = "correct horse 马"
#: one user per role, named after it
USERS = {role: f"{role}1" for role in ROLES}
XSS_NAME = "<script>alert('name')</script>"
XSS_ADDRESS = "<img src=x onerror=alert('addr')>路1号"
XSS_MESSAGE = "\"><svg onload=alert('msg')>请尽快发货"
XSS_ORDER_NO = "XSS0000001"


def xss_order() -> Order:
    at = datetime(2025, 11, 11, 10, 0, tzinfo=UTC)
    return Order.model_validate({
        "platform": "taobao", "platform_order_no": XSS_ORDER_NO, "status": "paid",
        "created_at": at, "paid_at": at, "modified_at": at, "buyer_message": XSS_MESSAGE,
        "receiver": {"name": XSS_NAME, "phone": "13912345678", "province": "浙江省",
                     "city": "杭州市", "district": "西湖区", "address": XSS_ADDRESS},
        "payment": "88.00", "goods_total": "88.00",
        "items": [{"sku": "X1", "title": "<b>bold</b> 商品", "quantity": 1, "unit_price": "88.00"}],
    })


def make_workspace(root: Path, db_url: str) -> Path:
    """A workspace with the sample orders, the XSS order and a user per role."""
    init_workspace(root)
    made = CliRunner().invoke(main, ["-w", str(root), "--db", db_url, "db", "upgrade"])
    assert made.exit_code == 0, made.output
    done = CliRunner().invoke(main, ["-w", str(root), "--db", db_url, "ingest",
                                     str(root / "samples" / "orders")])
    assert done.exit_code in (0, 10), done.output
    store = OrderStore.open(db_url)
    store.upsert([xss_order()])
    users = UserStore(store.engine)
    for role, name in USERS.items():
        users.add(name, role, PASSWORD)
    store.engine.dispose()
    return root


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def console(root: Path, db_url: str) -> Iterator[str]:
    """``orderhub web`` in a subprocess; yields its base URL."""
    port = free_port()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(SRC.parent), os.environ.get("PYTHONPATH", "")])}
    proc = subprocess.Popen([sys.executable, "-m", "orderhub", "-w", str(root), "--db", db_url,
                             "web", "--host", "127.0.0.1", "--port", str(port)],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(url + "/login", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                out = proc.stdout.read().decode() if proc.stdout else ""  # type: ignore[union-attr]
                raise RuntimeError(f"orderhub web did not start:\n{out}")
            time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "no CSRF token in the page"
    return found.group(1)


def login(base: str, role: str, password: str = PASSWORD) -> tuple[httpx.Client, str]:
    """A client signed in as the user of ``role``, and its CSRF token."""
    client = httpx.Client(base_url=base, timeout=30)
    token = csrf_of(client.get("/login").text)
    done = client.post("/login", data={"username": USERS[role], "password": password,
                                       "csrf_token": token})
    assert done.status_code == 303, done.text
    return client, token


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


@contextmanager
def chromium(*extra_args: str) -> Iterator[Any]:
    """Debian's Chromium under Playwright, or a loud skip saying why it cannot run here.

    A test tool's own browser download cannot work on these machines, so the system package is
    launched by path; ``extra_args`` add switches such as the fake camera's.
    """
    import pytest
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.skip(f"SKIPPING BROWSER TEST: {CHROMIUM} is missing "
                    "(apt-get update && apt-get install -y chromium)")
    with sync_playwright() as pw:
        try:
            browser = pw.chromium.launch(executable_path=CHROMIUM,
                                         args=[*CHROMIUM_ARGS, *extra_args])
        except Exception as exc:  # noqa: BLE001 - any launch failure is a reason to skip
            pytest.skip(f"SKIPPING BROWSER TEST: Chromium cannot be launched: {exc}")
        try:
            yield browser
        finally:
            browser.close()
