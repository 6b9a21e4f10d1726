"""The review queue in Chromium against a real ``orderhub web`` process: a cs user releases a
frozen order; the loopback WMS receives it exactly once and the timeline names the user and
the reason.  Also: who may act on the queue, and its filters."""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest


def _load(name: str) -> Any:
    spec = importlib.util.spec_from_file_location(name, Path(__file__).with_name(f"{name}.py"))
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


sup = _load("web_support")
fs = _load("fulfilment_support")

from orderhub.fulfilment import holds, timeline  # noqa: E402
from orderhub.web.users import UserStore  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
REASON = "客户来电确认三单均为本人购买"


@pytest.fixture
def shop(tmp_path: Path) -> Iterator[tuple[Any, Any, Any, str]]:
    """Three orders by one phone: the third is frozen; the console serves the workspace."""
    with fs.WmsStandIn() as wms:
        db_url = f"sqlite:///{tmp_path / 'orderhub.db'}"
        ws = fs.workspace(tmp_path / "ws", db_url, wms.url)
        users = UserStore(ws.store.engine)
        for role in ("cs", "viewer", "warehouse"):
            users.add(sup.USERS[role], role, sup.PASSWORD)
        svc = fs.service(ws)
        for i in range(3):
            ws.store.upsert([fs.order(f"P{i}", minutes=60 * i, phone="13900000009")])
            fs.drain(svc)
        fs.deliver(ws)
        with sup.console(ws.root, db_url) as base:
            yield ws, svc, wms, base
        svc.shutdown()


def _frozen(ws: Any) -> str:
    (held,) = {h.order_id for h in holds.list_holds(ws) if h.kind == "freeze"}
    return str(held)


def test_cs_releases_a_held_order_from_the_queue(shop) -> None:  # type: ignore[no-untyped-def]
    ws, svc, wms, base = shop
    frozen = _frozen(ws)
    assert frozen not in {p["order_id"] for p in wms.orders.values()}
    if not Path(CHROMIUM).exists():
        pytest.skip(f"SKIPPING BROWSER TEST: {CHROMIUM} is missing")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900}, base_url=base)
        page.goto("/login")
        page.fill("input[name=username]", sup.USERS["cs"])
        page.fill("input[name=password]", sup.PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_load_state("networkidle")
        page.goto("/queue")
        assert page.locator("header nav a[href='/queue']").count() == 1
        row = page.locator("#holds tbody tr", has_text="taobao:P2")
        assert row.count() >= 1
        form = row.first.locator("form.release")
        form.locator("input[name=reason]").fill(REASON)
        form.locator("button").click()
        page.wait_for_selector("#queue-message")
        assert page.locator("#holds tbody tr", has_text="taobao:P2").count() == 0
        page.goto(f"/orders/{frozen}")
        timeline_text = page.inner_text("#timeline")
        assert REASON in timeline_text and sup.USERS["cs"] in timeline_text
        browser.close()
    fs.drain(svc)
    fs.deliver(ws)
    fs.deliver(ws)  # a second delivery round sends nothing again
    assert [p["order_id"] for p in wms.orders.values()].count(frozen) == 1
    assert [b["order_id"] for b in wms.received if b.get("type") != "intercept"].count(
        frozen) == 1
    release = [e for e in timeline.timeline(ws, frozen) if e.kind == "release"]
    assert release and release[0].who == f"person {sup.USERS['cs']}"
    assert release[0].what == REASON


def test_only_queue_roles_act_and_a_release_needs_a_reason(shop) -> None:  # type: ignore[no-untyped-def]
    ws, _, _, base = shop
    frozen = _frozen(ws)
    viewer, token = sup.login(base, "viewer")
    assert viewer.get("/queue").status_code == 200
    assert "form.release" not in viewer.get("/queue").text
    refused = viewer.post(f"/queue/orders/{frozen}/release", data={"reason": "x"},
                          headers={"X-CSRF-Token": token})
    assert refused.status_code == 403
    cs, token = sup.login(base, "cs")
    assert cs.post(f"/queue/orders/{frozen}/release", data={"reason": "x"}).status_code == 403
    empty = cs.post(f"/queue/orders/{frozen}/release", data={"reason": "  "},
                    headers={"X-CSRF-Token": token})
    assert empty.status_code == 400 and "reason" in empty.text
    assert any(h.kind == "freeze" for h in holds.list_holds(ws, order=frozen))


def test_queue_filters(shop) -> None:  # type: ignore[no-untyped-def]
    ws, _, _, base = shop
    client, _ = sup.login(base, "warehouse")
    every = client.get("/api/queue").json()
    assert any(h["order"] == "taobao:P2" for h in every["holds"])
    assert client.get("/api/queue", params={"platform": "jd"}).json()["holds"] == []
    assert client.get("/api/queue", params={"kind": "freeze"}).json()["holds"]
    assert client.get("/api/queue", params={"kind": "no-such"}).json()["holds"] == []
    overdue = client.get("/api/queue", params={"overdue": "1"}).json()
    assert all(t["overdue"] for t in overdue["tasks"])
    page = httpx.Client(base_url=base, cookies=client.cookies).get("/queue?kind=freeze")
    assert page.status_code == 200 and "taobao:P2" in page.text
