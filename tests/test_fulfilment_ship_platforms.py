"""`orderhub ship` for one order of each platform, written back through the simulator (a real
HTTP server on 127.0.0.1) and pulled back as shipped; a refunding order's refusal opens a
物流拦截 task."""

from __future__ import annotations

import importlib.util
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

_spec = importlib.util.spec_from_file_location(
    "fulfilment_support", Path(__file__).with_name("fulfilment_support.py"))
fs = importlib.util.module_from_spec(_spec)  # type: ignore[arg-type]
_spec.loader.exec_module(fs)  # type: ignore[union-attr]

from orderhub.cli import main  # noqa: E402
from orderhub.connectors.pull import pull_shop  # noqa: E402
from orderhub.fulfilment import tasks  # noqa: E402
from orderhub.fulfilment.intercept import on_dead  # noqa: E402
from orderhub.service.config import ServiceConfig  # noqa: E402
from orderhub.service.dispatcher import Dispatcher  # noqa: E402
from orderhub.service.outbox import Outbox  # noqa: E402
from orderhub.service.ship_channel import PlatformShip  # noqa: E402
from orderhub.simulator import Simulator  # noqa: E402

PLATFORMS = ["taobao", "jd", "pdd", "douyin"]


@pytest.fixture
def sim():  # type: ignore[no-untyped-def]
    with Simulator(seed=21, orders=60, history_hours=2) as s:
        yield s


def _setup(sim: Simulator, tmp_path: Path, db_url: str,
           monkeypatch: pytest.MonkeyPatch) -> tuple[Any, dict[str, Any], Dispatcher]:
    env: dict[str, str] = {}
    shops = {s.platform: s for s in sim.shops(env, all={"window": {"initial_hours": 3}})}
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    ws = fs.workspace(tmp_path / "ws", db_url)
    d = Dispatcher(Outbox(ws.store.engine), ServiceConfig(send_concurrency=1),
                   platform_ship=PlatformShip(list(shops.values())))
    d.on_dead.append(on_dead(ws.store.engine, ws.config.fulfilment))
    for p in PLATFORMS:
        pull_shop(ws.store, shops[p])
    return ws, shops, d


def _paid(sim: Simulator, platform: str) -> Any:
    found = [o for o in sim.world.orders[platform].values() if o.status == "paid"]
    return sorted(found, key=lambda o: o.order_no)[0]


def _deliver(d: Dispatcher) -> None:
    while d.step():
        pass


def _pull_later(sim: Simulator, ws: Any, shop: Any) -> Any:
    sim.world.clock.advance(600)
    return pull_shop(ws.store, shop, until=datetime.fromtimestamp(sim.world.clock.now() - 200,
                                                                 UTC))


def test_ship_writes_back_to_each_platform_once(sim: Simulator, tmp_path: Path, db_url: str,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    ws, shops, d = _setup(sim, tmp_path, db_url, monkeypatch)
    orders = {p: _paid(sim, p) for p in PLATFORMS}
    for i, p in enumerate(PLATFORMS):
        result = CliRunner().invoke(main, [
            "-w", str(ws.root), "ship", f"{p}:{orders[p].order_no}", "--carrier", "ZTO",
            "--tracking", f"7{i}000001234{i}", "--warehouse", "SH", "--as", "packer"])
        assert result.exit_code == 0, result.output
    _deliver(d)
    assert Outbox(ws.store.engine).backlog()["sent"] == 4
    for i, p in enumerate(PLATFORMS):
        _pull_later(sim, ws, shops[p])
        got = ws.store.get(f"{p}:{orders[p].order_no}")
        assert got.status == "shipped" and got.tracking_no == f"7{i}000001234{i}", p
    again = CliRunner().invoke(main, [
        "-w", str(ws.root), "ship", f"taobao:{orders['taobao'].order_no}", "--carrier", "ZTO",
        "--tracking", "70000001234" + "0"])
    assert again.exit_code == 0 and "nothing changed" in again.output
    _deliver(d)
    assert Outbox(ws.store.engine).backlog()["sent"] == 4


def test_a_refunding_platform_refusal_opens_a_logistics_intercept_task(
        sim: Simulator, tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from orderhub.fulfilment import ship

    ws, _, d = _setup(sim, tmp_path, db_url, monkeypatch)
    order = _paid(sim, "taobao")
    ship(ws, f"taobao:{order.order_no}", "ZTO", "78000000000001", person="packer",
         warehouse="SH")
    sim.request_refund("taobao", order.order_no)  # the buyer asks for a refund meanwhile
    _deliver(d)
    (task,) = tasks.list_tasks(ws, order=f"taobao:{order.order_no}")
    assert task.title.startswith("物流拦截") and "ZTO 78000000000001" in task.title
    assert task.queue == "cs"
