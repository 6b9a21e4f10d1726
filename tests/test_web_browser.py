"""The console in Debian's Chromium (Playwright) against a real ``orderhub web`` process:
logging in per role, switching a promo rule from the page, XSS, screenshots of every page.

Screenshots go to the test's temporary folder, or to ``ORDERHUB_SCREENSHOTS`` when set.
"""

from __future__ import annotations

import importlib.util
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

_spec = importlib.util.spec_from_file_location(
    "web_support", Path(__file__).with_name("web_support.py"))
sup = importlib.util.module_from_spec(_spec)  # type: ignore[arg-type]
_spec.loader.exec_module(sup)  # type: ignore[union-attr]

from orderhub.cli import main  # noqa: E402
from orderhub.web.permissions import NAV, ROLES, allowed  # noqa: E402

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path, str]]:
    root = tmp_path_factory.mktemp("browser") / "shop"
    db_url = f"sqlite:///{root.parent / 'orderhub.db'}"
    sup.make_workspace(root, db_url)
    with sup.console(root, db_url) as base:
        yield base, root, db_url


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sup.chromium() as b:
        yield b


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = Path(os.environ.get("ORDERHUB_SCREENSHOTS") or tmp_path_factory.mktemp("shots"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def sign_in(browser: Any, base: str, role: str) -> Any:
    page = browser.new_page(viewport={"width": 1280, "height": 900}, base_url=base)
    page.goto("/login")
    page.fill("input[name=username]", sup.USERS[role])
    page.fill("input[name=password]", sup.PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert "/login" not in page.url, page.content()
    return page


def not_blank(path: Path) -> None:
    """The screenshot has text on it: many colours and a fair share of dark pixels."""
    from PIL import Image

    image = Image.open(path).convert("L")
    histogram = image.histogram()
    dark = sum(histogram[:128]) / (image.width * image.height)
    assert len([n for n in histogram if n]) > 20, f"{path} looks blank"
    assert dark > 0.005, f"{path} has almost no text ({dark:.2%} dark pixels)"


@pytest.mark.parametrize("role", ROLES)
def test_each_role_sees_only_its_pages(site, browser, role: str) -> None:  # type: ignore[no-untyped-def]
    base, _, _ = site
    page = sign_in(browser, base, role)
    links = page.eval_on_selector_all("header nav a", "els => els.map(e => e.getAttribute('href'))")
    expected = [path for path, perm, _ in NAV if allowed(role, perm)]
    assert links == expected
    for path, perm, _ in NAV:
        response = page.goto(path)
        assert response.status == (200 if allowed(role, perm) else 403), (role, path)
    page.close()


def test_warehouse_gets_403_on_rules(site, browser) -> None:  # type: ignore[no-untyped-def]
    base, _, _ = site
    page = sign_in(browser, base, "warehouse")
    assert page.goto("/rules").status == 403
    assert "无权访问" in page.inner_text("main")
    assert page.goto("/api/rules").status == 403
    page.close()


def test_analyst_enables_a_promo_rule_with_until(site, browser, shots: Path) -> None:  # type: ignore[no-untyped-def]
    base, root, db_url = site
    page = sign_in(browser, base, "analyst")
    page.goto("/rules")
    row = page.locator("#rule-promo_big_cold_order")
    assert row.locator("td").nth(2).inner_text() == "否"
    row.locator("input[name=until]").fill("2030-11-12 00:00")
    row.locator("button").click()
    page.wait_for_selector("#switched")
    assert "enabled yes until 2030-11-12 00:00" in page.inner_text("#switched")
    page.screenshot(path=str(shots / "rules-switched.png"), full_page=True)
    done = CliRunner().invoke(main, ["-w", str(root), "--db", db_url, "rules", "list",
                                     "--format", "json", "--at", "2026-01-01 00:00"])
    assert done.exit_code == 0, done.output
    rules = {r["id"]: r for r in map(json.loads, done.stdout.splitlines())}
    assert rules["promo_big_cold_order"]["enabled"] is True
    text = (root / "rules" / "promo.rules").read_text(encoding="utf-8")
    assert "enabled yes until 2030-11-12 00:00" in text
    assert "# 活动临时规则 · temporary promo rules" in text
    assert "mode shadow            # log what it would do before trusting it" in text
    page.close()


def test_xss_in_order_data_renders_as_text(site, browser, shots: Path) -> None:  # type: ignore[no-untyped-def]
    base, _, _ = site
    page = sign_in(browser, base, "cs")
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(f"/orders?q={sup.XSS_ORDER_NO}")
    assert sup.XSS_NAME in page.inner_text("#order-hits")
    page.click(f"text=taobao:{sup.XSS_ORDER_NO}")
    page.wait_for_selector("#order-fields")
    assert sup.XSS_NAME in page.inner_text(".receiver-name")
    assert sup.XSS_ADDRESS in page.inner_text(".address")
    assert sup.XSS_MESSAGE in page.inner_text(".buyer-message")
    assert page.locator("#order-fields script, #order-fields img, #order-fields svg").count() == 0
    page.screenshot(path=str(shots / "order-xss.png"), full_page=True)
    assert dialogs == []
    page.close()


def test_screenshots_of_the_main_pages(site, browser, shots: Path) -> None:  # type: ignore[no-untyped-def]
    base, _, _ = site
    page = sign_in(browser, base, "admin")
    page.goto("/orders")
    page.screenshot(path=str(shots / "orders.png"), full_page=True)
    page.fill("#q", "13912345678")  # htmx swaps the results in as one types
    page.wait_for_selector("#order-hits tbody tr:only-child")
    assert "13912345678" in page.url  # the search is in the address bar, to share or reload
    page.goto("/rules")
    page.click("form[hx-post='/rules/dry-run'] button")
    page.wait_for_selector(".dry-run")
    page.screenshot(path=str(shots / "rules.png"), full_page=True)
    page.goto("/flows")
    assert page.locator("svg.flowchart g.node").count() >= 5
    page.click("#what-if-form button[type=submit]")
    page.wait_for_selector("#what-if-table")
    page.screenshot(path=str(shots / "flows.png"), full_page=True)
    page.goto("/finance")
    page.fill("input[name=period]", "2025-11")
    page.click("form[hx-post='/finance/reconcile'] button")
    page.wait_for_selector("#report-link")
    page.screenshot(path=str(shots / "finance.png"), full_page=True)
    for name in ("queue", "service", "audit"):
        page.goto(f"/{name}")
        page.screenshot(path=str(shots / f"{name}.png"), full_page=True)
    page.click("#lang")
    page.wait_for_load_state("networkidle")
    assert "Audit log" in page.inner_text("h1")
    page.screenshot(path=str(shots / "audit-en.png"), full_page=True)
    page.close()
    for png in sorted(shots.glob("*.png")):
        not_blank(png)
