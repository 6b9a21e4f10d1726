"""An analyst switches a promo rule on (with ``until``) in the console, in Debian's Chromium,
and the RUNNING service judges the next order with it: ``orderhub run`` and ``orderhub web``
are real processes on one workspace, nothing is restarted, and the service's own hot reload
(its watcher on ``rules/``) is what picks the edit up."""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

_here = Path(__file__).resolve().parent
_modules = {}
for _name in ("web_support", "service_support"):
    _spec = importlib.util.spec_from_file_location(_name, _here / f"{_name}.py")
    _modules[_name] = importlib.util.module_from_spec(_spec)  # type: ignore[arg-type]
    _spec.loader.exec_module(_modules[_name])  # type: ignore[union-attr]
sup, svc = _modules["web_support"], _modules["service_support"]

from orderhub.model import Order  # noqa: E402
from orderhub.service import state  # noqa: E402
from orderhub.service.schema import decisions  # noqa: E402
from orderhub.store import OrderStore  # noqa: E402

pytestmark = pytest.mark.browser
RULE = "promo_big_cold_order"
SHANGHAI = ZoneInfo("Asia/Shanghai")


def _minute(at: datetime) -> str:
    return at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")


@pytest.fixture()
def browser() -> Iterator[Any]:
    with sup.chromium() as b:
        yield b


def cold_big_order(no: str) -> Order:
    at = datetime.now(UTC) - timedelta(minutes=1)
    return Order.model_validate({
        "platform": "taobao", "platform_order_no": no, "status": "paid", "created_at": at,
        "paid_at": at, "modified_at": at, "payment": "2680.00", "goods_total": "2680.00",
        "receiver": {"name": "李四", "phone": "13700001111", "province": "浙江省",
                     "city": "杭州市", "district": "西湖区", "address": "文三路 8 号 3 栋 501 室"},
        "items": [{"sku": "SALMON-2KG", "title": "冰鲜三文鱼 2kg", "quantity": 4,
                   "unit_price": "670.00", "attributes": {"cold_chain": True}}],
    })


def live_rules(engine: Any) -> set[str]:
    """The rules versions the live service nodes run."""
    return {(n.get("live") or {}).get("rules") for n in state.status(engine, "main")["live"]}


def rule_hits(engine: Any, order_id: str) -> list[tuple[str | None, list[Any]]]:
    with engine.connect() as conn:
        rows = conn.execute(select(decisions.c.rules_version, decisions.c.actions)
                            .where(decisions.c.order_id == order_id)).all()
    return [(r.rules_version, r.actions) for r in rows]


def test_running_service_judges_the_next_order_with_the_rule_enabled_in_the_page(
        tmp_path: Path, browser: Any) -> None:
    root = tmp_path / "shop"
    db_url = f"sqlite:///{tmp_path / 'orderhub.db'}"
    sup.make_workspace(root, db_url)
    promo = root / "rules" / "promo.rules"  # the campaign is now: move its window here
    now = datetime.now(UTC)
    window = f"active from {_minute(now - timedelta(days=1))} until " \
        f"{_minute(now + timedelta(days=30))}"
    promo.write_text(promo.read_text(encoding="utf-8").replace(
        "active from 2024-11-10 20:00 until 2024-11-12 00:00", window), encoding="utf-8")
    engine = OrderStore.open(db_url).engine
    service = svc.spawn(root, "--db", db_url, "run", "--no-schedules",
                        log=tmp_path / "service.log")
    try:
        before = svc.wait_until(lambda: live_rules(engine) - {None}, 90, "the service is live")
        with sup.console(root, db_url) as base:
            page = browser.new_page(viewport={"width": 1280, "height": 900}, base_url=base)
            page.goto("/login")
            page.fill("input[name=username]", sup.USERS["analyst"])
            page.fill("input[name=password]", sup.PASSWORD)
            page.click("button[type=submit]")
            page.goto("/rules")
            row = page.locator(f"#rule-{RULE}")
            assert row.locator("td").nth(2).inner_text() == "否"
            until = _minute(now + timedelta(days=7))
            row.locator("input[name=until]").fill(until)
            row.locator("button").click()
            page.wait_for_selector("#switched")
            assert f"enabled yes until {until}" in page.inner_text("#switched")
            page.close()
        after = svc.wait_until(lambda: (v := live_rules(engine)) != before and v - {None} and v,
                               60, "the service to reload the switched rule")
        assert service.poll() is None, "the service was restarted or died"
        store = OrderStore.open(db_url)
        store.upsert([cold_big_order("PROMO0001")])
        order_id = str(store.get("taobao:PROMO0001").id)
        judged = svc.wait_until(lambda: rule_hits(engine, order_id), 60,
                                "the service to judge the new order")
        versions = {v for v, _ in judged}
        assert versions <= after and not versions & before, (versions, before, after)
        # shadow mode: the decision logs what the rule would do (the WeCom note to the lead)
        hits = [a for _, actions in judged for a in actions if a["key"].startswith(f"{RULE}#")]
        assert hits and hits[0]["kind"] == "shadow:notify", judged
        assert "PROMO0001" in hits[0]["params"]["text"]
    finally:
        service.terminate()
        service.wait(30)
