"""Stock pushed back to the listings: the offer follows available stock (less the safety stock,
times the shop's share), many changes make one push per listing, a push is a full quantity.
Real HTTP: the simulator's four gateways, delivered by the service's own Dispatcher; the store
on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from orderhub.cli import main
from orderhub.config import Workspace
from orderhub.engine.routing.stock import RoutingStore
from orderhub.service.config import ServiceConfig
from orderhub.service.dispatcher import Dispatcher
from orderhub.service.outbox import Outbox
from orderhub.service.schema import outbox
from orderhub.service.stock_sync import StockChannel, sync_stock
from orderhub.simulator import Simulator

#: shop platform -> (item id, platform sku id) of our SKU "A-RED" on that platform
LISTINGS = {"taobao": ("600001", "5001"), "jd": ("100012", "100012"),
            "pdd": ("3001", "7001"), "douyin": ("3650001", "1750001")}


@pytest.fixture(scope="module")
def sim():  # type: ignore[no-untyped-def]
    with Simulator(seed=8, orders=10, history_hours=1) as s:
        yield s


def _workspace(tmp_path: Path, sim: Simulator, db_url: str,
               monkeypatch: pytest.MonkeyPatch) -> Workspace:
    env: dict[str, str] = {}
    lines = ["timezone: Asia/Shanghai", f"database: {db_url}", "shops:"]
    for shop in sim.shops(env):
        lines += [f"  - name: {shop.name}", f"    platform: {shop.platform}",
                  f'    shop_id: "{shop.shop_id}"', f"    app_key: {shop.app_key}",
                  f"    secret_env: {shop.secret_env}", f"    token_env: {shop.token_env}",
                  f"    base_url: {shop.base_url}",
                  "    stock_push: {enabled: true, safety_stock: 3, share: 0.5}"]
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    (tmp_path / "orderhub.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    rows = ["shop,sku,item_id,sku_id"] + [f"sim-{p},A-RED,{i},{s}"
                                          for p, (i, s) in LISTINGS.items()]
    (tmp_path / "listings.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    return Workspace.load(tmp_path)


def _deliver(ws: Workspace) -> None:
    config = ServiceConfig()
    dispatcher = Dispatcher(Outbox(ws.store.engine), config,
                            channels={"platform_stock": StockChannel(ws.config.shops)})
    try:
        while dispatcher.step():
            pass
    finally:
        dispatcher.client.close()


def _listed(sim: Simulator, platform: str) -> int | None:
    item, sku = LISTINGS[platform]
    return sim.gateways[platform].listing_stock.get((item, sku))


def _set(ws: Workspace, on_hand: int, reserved: int = 0) -> None:
    RoutingStore(ws.store.engine).put_stock([("SH", "A-RED", on_hand, reserved),
                                             ("GZ", "A-RED", 2, 0)])


def test_offers_follow_stock_with_safety_and_share_on_every_platform(
        sim: Simulator, tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    ws = _workspace(tmp_path, sim, db_url, monkeypatch)
    _set(ws, on_hand=20, reserved=3)  # available 17 + 2 = 19 -> (19 - 3) * 0.5 = 8
    assert sync_stock(ws) == 4
    _deliver(ws)
    assert {p: _listed(sim, p) for p in LISTINGS} == {p: 8 for p in LISTINGS}

    # shipping 3 units, one at a time, before the next run: one push each, with the last figure
    for on_hand in (19, 18, 17):
        _set(ws, on_hand=on_hand, reserved=3)
    calls_before = len(sim.requests)
    assert sync_stock(ws) == 4
    _deliver(ws)
    # available 14 + 2 = 16 -> floor((16 - 3) * 0.5) = 6
    assert {p: _listed(sim, p) for p in LISTINGS} == {p: 6 for p in LISTINGS}
    assert len(sim.requests) - calls_before == 4  # once per listing

    assert sync_stock(ws) == 0  # nothing changed: nothing queued

    _set(ws, on_hand=2, reserved=1)  # available 3 = the safety stock: offer nothing
    sync_stock(ws)
    _deliver(ws)
    assert {p: _listed(sim, p) for p in LISTINGS} == {p: 0 for p in LISTINGS}
    with ws.store.engine.connect() as conn:
        dead = conn.execute(select(func.count()).select_from(outbox)
                            .where(outbox.c.status != "sent")).scalar_one()
    assert dead == 0
    ws.store.engine.dispose()


def test_stock_push_command_dry_run_queues_nothing(
        sim: Simulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ws = _workspace(tmp_path, sim, f"sqlite:///{tmp_path / 'o.db'}", monkeypatch)
    _set(ws, on_hand=10)
    runner = CliRunner()
    dry = runner.invoke(main, ["-w", str(tmp_path), "stock", "push", "--dry-run",
                               "--format", "json"])
    assert dry.exit_code == 0, dry.output
    shown = json.loads(dry.stdout)
    assert shown["messages"] == 0 and len(shown["listings"]) == 4
    assert {r["quantity"] for r in shown["listings"]} == {4}  # (10 + 2 - 3) * 0.5
    real = runner.invoke(main, ["-w", str(tmp_path), "stock", "push", "--format", "json"])
    assert json.loads(real.stdout)["messages"] == 4
    again = runner.invoke(main, ["-w", str(tmp_path), "stock", "push", "--format", "json"])
    assert json.loads(again.stdout)["messages"] == 0


def test_a_bad_listings_row_is_named(sim: Simulator, tmp_path: Path,
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    _workspace(tmp_path, sim, f"sqlite:///{tmp_path / 'o.db'}", monkeypatch)
    (tmp_path / "listings.csv").write_text("shop,sku,item_id,sku_id\nsim-pdd,A-RED,,7001\n",
                                           encoding="utf-8")
    out = CliRunner().invoke(main, ["-w", str(tmp_path), "stock", "push", "--dry-run"])
    assert out.exit_code != 0
    assert "listings.csv row 2" in out.output and "item_id" in out.output
