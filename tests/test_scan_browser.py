"""The warehouse phone in Debian's Chromium with mobile emulation (390x844, touch) against a
real ``orderhub web`` process, shipping taobao orders pulled from the simulator (a real HTTP
server on 127.0.0.1) and written back to it through the outbox.

Scans are typed the way a keyboard-wedge scanner types them: characters fast, then Enter.
Screenshots go to the test's temporary folder, or to ``ORDERHUB_SCREENSHOTS`` when set.
"""

from __future__ import annotations

import importlib.util
import io
import json
import os
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from playwright.sync_api import expect
from sqlalchemy import func, select

_here = Path(__file__).resolve().parent
_modules = {}
for _name in ("web_support", "fulfilment_support"):
    _spec = importlib.util.spec_from_file_location(_name, _here / f"{_name}.py")
    _modules[_name] = importlib.util.module_from_spec(_spec)  # type: ignore[arg-type]
    _spec.loader.exec_module(_modules[_name])  # type: ignore[union-attr]
sup, fs = _modules["web_support"], _modules["fulfilment_support"]

from orderhub.config import Workspace  # noqa: E402
from orderhub.connectors.pull import pull_shop  # noqa: E402
from orderhub.fulfilment import holds, scan, tasks  # noqa: E402
from orderhub.fulfilment.intercept import on_dead  # noqa: E402
from orderhub.fulfilment.schema import shipments  # noqa: E402
from orderhub.service.config import ServiceConfig  # noqa: E402
from orderhub.service.dispatcher import Dispatcher  # noqa: E402
from orderhub.service.outbox import Outbox  # noqa: E402
from orderhub.service.schema import outbox  # noqa: E402
from orderhub.service.ship_channel import PlatformShip  # noqa: E402
from orderhub.simulator import Simulator  # noqa: E402
from orderhub.web.users import UserStore  # noqa: E402

pytestmark = pytest.mark.browser
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True,
         "device_scale_factor": 2}
HOLD_REASON = "买家要求改地址"


class Site:
    def __init__(self, sim: Simulator, ws: Workspace, shop: Any, base: str,
                 orders: list[Any]) -> None:
        self.sim, self.ws, self.shop, self.base, self.orders = sim, ws, shop, base, orders
        self.dispatcher = Dispatcher(Outbox(ws.store.engine), ServiceConfig(send_concurrency=1),
                                     platform_ship=PlatformShip([shop]))
        self.dispatcher.on_dead.append(on_dead(ws.store.engine, ws.config.fulfilment))

    def deliver(self) -> None:
        while self.dispatcher.step():
            pass

    def pull_later(self) -> None:
        self.sim.world.clock.advance(600)
        pull_shop(self.ws.store, self.shop, until=datetime.fromtimestamp(
            self.sim.world.clock.now() - 200, UTC))

    def count(self, table: Any, order_id: str, *where: Any) -> int:
        with self.ws.store.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(table).where(
                table.c.order_id == order_id, *where)).scalar_one())


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    root = tmp_path_factory.mktemp("scan") / "shop"
    db_url = f"sqlite:///{root.parent / 'orderhub.db'}"
    with Simulator(seed=21, orders=60, history_hours=2) as sim:
        env: dict[str, str] = {}
        shops = {s.platform: s for s in sim.shops(env, all={"window": {"initial_hours": 3}})}
        old = {k: os.environ.get(k) for k in env}
        os.environ.update(env)
        ws = fs.workspace(root, db_url)
        pull_shop(ws.store, shops["taobao"])
        users = UserStore(ws.store.engine)
        for role in ("warehouse", "supervisor", "cs"):
            users.add(sup.USERS[role], role, sup.PASSWORD)
        paid = sorted((o for o in sim.world.orders["taobao"].values() if o.status == "paid"),
                      key=lambda o: (-sum(i.qty for i in o.items), o.order_no))
        try:
            with sup.console(root, db_url) as base:
                yield Site(sim, ws, shops["taobao"], base, paid)
        finally:
            for k, v in old.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sup.chromium() as b:
        yield b


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = Path(os.environ.get("ORDERHUB_SCREENSHOTS") or tmp_path_factory.mktemp("shots"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def phone(browser: Any, base: str, role: str) -> tuple[Any, Any]:
    context = browser.new_context(base_url=base, **PHONE)
    page = context.new_page()
    page.goto("/login")
    page.fill("input[name=username]", sup.USERS[role])
    page.fill("input[name=password]", sup.PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert "/login" not in page.url
    return context, page


def wedge(page: Any, code: str) -> None:
    """A keyboard-wedge scan: the characters as fast as the scanner sends them, then Enter."""
    page.keyboard.type(code)
    page.keyboard.press("Enter")


def barcodes(site: Site, order: Any) -> list[str]:
    catalog = site.ws.catalog
    return [str(catalog.attributes(i.sku)["barcode"]) for i in order.items for _ in range(i.qty)]


def open_order(page: Any, order: Any) -> None:
    page.goto("/scan")
    page.fill("#warehouse", "SH")
    page.locator("#wedge").focus()
    wedge(page, order.order_no)
    page.wait_for_selector("#step-items:not([hidden])")


def scan_items(page: Any, codes: list[str]) -> None:
    for i, code in enumerate(codes, 1):
        wedge(page, code)
        expect(page.locator("#progress")).to_have_text(re.compile(f"^{i}/"))


def test_wedge_scans_verify_ship_and_write_back(site: Site, browser: Any, shots: Path) -> None:
    order = site.orders[0]
    codes = barcodes(site, order)
    assert len(codes) >= 2, "the first order should have several units"
    context, page = phone(browser, site.base, "warehouse")
    open_order(page, order)
    assert page.locator("#lines li").count() == len(order.items)
    before = scan.prevented(site.ws)
    wedge(page, "6999999999994")  # an item of another order
    page.wait_for_selector("#result.bad:not([hidden])")
    assert "错货" in page.inner_text("#result-text")
    page.screenshot(path=str(shots / "scan-wrong-item.png"))
    page.click("#result-ok")
    assert scan.prevented(site.ws) == before + 1
    scan_items(page, codes)
    wedge(page, codes[0])  # one too many
    page.wait_for_selector("#result.bad:not([hidden])")
    assert "多货" in page.inner_text("#result-text")
    assert scan.prevented(site.ws) == before + 2
    page.click("#result-ok")
    page.screenshot(path=str(shots / "scan-verified.png"))
    wedge(page, "78300000000001")  # the waybill's barcode goes into the tracking number
    assert page.input_value("#tracking") == "78300000000001"
    page.fill("#weight", "2.5")
    page.click("#ship")
    page.wait_for_selector("#result.good:not([hidden])")
    assert "已发货" in page.inner_text("#result-text")
    order_id = site.ws.store.get(f"taobao:{order.order_no}").id
    assert site.count(shipments, order_id) == 1
    site.deliver()
    assert site.count(outbox, order_id, outbox.c.kind == "platform_ship",
                      outbox.c.status == "sent") == 1
    site.pull_later()
    got = site.ws.store.get(f"taobao:{order.order_no}")
    assert got.status == "shipped" and got.tracking_no == "78300000000001"
    context.close()


def test_a_held_order_is_refused_and_a_supervisor_releases_it(site: Site, browser: Any,
                                                              shots: Path) -> None:
    order = site.orders[1]
    ref = f"taobao:{order.order_no}"
    holds.hold(site.ws, ref, HOLD_REASON, "cs1")
    context, page = phone(browser, site.base, "warehouse")
    page.goto("/scan")
    page.locator("#wedge").focus()
    wedge(page, order.order_no)
    page.wait_for_selector("#result.bad:not([hidden])")
    assert page.inner_text("#result-text") == f"拦截：{HOLD_REASON}"
    box = page.locator("#result").bounding_box()
    assert box["width"] >= 389 and box["height"] >= 843  # the whole screen is red
    page.screenshot(path=str(shots / "scan-held.png"))
    page.click("#ask-release")
    page.wait_for_selector("#result.good:not([hidden])")
    context.close()

    boss_ctx, boss = phone(browser, site.base, "supervisor")
    boss.goto("/approvals")
    card = boss.locator(".card", has_text=order.order_no)
    card.locator("textarea[name=comment]").fill("已与买家确认地址")
    boss.screenshot(path=str(shots / "approvals.png"))
    card.locator("button[value=approve]").click()
    boss.wait_for_load_state("networkidle")
    assert "supervisor1：已与买家确认地址" in boss.inner_text(".decided")
    assert not holds.list_holds(site.ws, order=ref)
    boss.goto(f"/orders/{ref}")
    timeline = boss.inner_text("#timeline")
    assert "拦截：" + HOLD_REASON in timeline and "批准拦截放行：已与买家确认地址" in timeline
    assert "person supervisor1" in timeline
    boss_ctx.close()


def test_offline_scans_replay_once(site: Site, browser: Any, shots: Path) -> None:
    order = site.orders[2]
    context, page = phone(browser, site.base, "warehouse")
    open_order(page, order)
    context.set_offline(True)
    for code in barcodes(site, order):
        wedge(page, code)
    expect(page.locator("#ship")).to_be_enabled()
    page.fill("#tracking", "78300000000002")
    page.click("#ship")
    expect(page.locator("#waiting-count")).to_have_text("1")
    assert page.is_visible("#net")
    page.screenshot(path=str(shots / "scan-offline.png"))
    queued = json.loads(page.evaluate("localStorage.getItem('orderhub.scan.queue.warehouse1')"))
    order_id = site.ws.store.get(f"taobao:{order.order_no}").id
    assert site.count(shipments, order_id) == 0
    context.set_offline(False)
    expect(page.locator("#waiting-count")).to_have_text("0", timeout=20000)
    page.wait_for_selector("#result.good:not([hidden])")
    csrf = page.get_attribute("meta[name=csrf-token]", "content")
    again = page.request.post("/api/scan/ship", data=queued[0]["body"],
                              headers={"X-CSRF-Token": csrf}).json()
    assert again["replayed"] is True and again["tracking_no"] == "78300000000002"
    assert site.count(shipments, order_id) == 1
    site.deliver()
    assert site.count(outbox, order_id, outbox.c.kind == "platform_ship") == 1
    context.close()


def _photo_with_gps() -> bytes:
    image = Image.new("RGB", (2400, 1800), (180, 140, 90))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    exif[0x8825] = {1: "N", 2: (31.0, 14.0, 0.0), 3: "E", 4: (121.0, 28.0, 0.0)}
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    return out.getvalue()


def test_a_photo_exception_creates_a_cs_task_with_the_photo(site: Site, browser: Any,
                                                            shots: Path) -> None:
    order = site.orders[3]
    context, page = phone(browser, site.base, "warehouse")
    open_order(page, order)
    page.click("#exception")
    page.wait_for_selector("form.exc")
    page.check("input[value=damaged]")
    page.fill("textarea[name=note]", "外箱压坏")
    page.set_input_files("input[name=photos]", files=[{
        "name": "box.jpg", "mimeType": "image/jpeg", "buffer": _photo_with_gps()}])
    page.screenshot(path=str(shots / "scan-exception-form.png"), full_page=True)
    page.click("form.exc button[type=submit]")
    page.wait_for_selector("#reported img.photo")
    page.screenshot(path=str(shots / "scan-exception.png"))
    src = page.get_attribute("#reported img.photo", "src")
    stored = Image.open(io.BytesIO(page.request.get(src).body()))
    assert max(stored.size) <= 1600 and not stored.getexif()
    (task,) = tasks.list_tasks(site.ws, order=f"taobao:{order.order_no}")
    assert task.queue == "cs" and "破损" in task.title
    context.close()
    cs_ctx, cs = phone(browser, site.base, "cs")
    cs.goto("/queue")
    row = cs.locator("tr", has_text=order.order_no)
    assert row.locator("img.thumb").count() == 1
    cs.goto(f"/orders/taobao:{order.order_no}")
    assert cs.locator("#timeline img.thumb").count() == 1
    cs_ctx.close()


def test_screenshots_are_phone_sized_and_not_blank(site: Site, browser: Any,
                                                   shots: Path) -> None:
    context, page = phone(browser, site.base, "warehouse")
    open_order(page, site.orders[4])
    path = shots / "scan-order.png"
    page.screenshot(path=str(path))
    image = Image.open(path)
    assert image.size == (780, 1688)
    assert len(set(image.convert("L").tobytes())) > 20
    for button in ("#ship", "#reset", "#exception"):
        assert page.locator(button).bounding_box()["height"] >= 48
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    context.close()
