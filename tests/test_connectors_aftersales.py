"""After-sales feeds give the refund rules the platform's own request time.

The scenario the issue names: a refund asked 9m59s after the order, the order changed again at
12 minutes, and only then pulled.  From the order snapshot alone the refund seems asked at 12
minutes and the 10-minute rule misses it; with the after-sales record the rule fires.  One asked
at 10m01s never fires, whatever the pull timing.  Real HTTP against the simulator, the store on
SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from orderhub.connectors.aftersale_store import AfterSalesStore
from orderhub.connectors.pull import pull_shop
from orderhub.dsl import MemoryHistory
from orderhub.engine.ruleset import load_rules
from orderhub.simulator import Simulator
from orderhub.store import OrderStore

REPO = Path(__file__).resolve().parent.parent
PLATFORMS = ["taobao", "jd", "pdd", "douyin"]


@pytest.fixture
def sim():  # type: ignore[no-untyped-def]
    with Simulator(seed=11, orders=60, history_hours=2) as s:
        yield s


def _shop(sim: Simulator, platform: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    env: dict[str, str] = {}
    shop = next(s for s in sim.shops(env) if s.platform == platform)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return shop


def _paid_orders(sim: Simulator, platform: str, older_than: int) -> list[Any]:
    now = sim.world.clock.now_int()
    found = [o for o in sim.world.orders[platform].values()
             if o.status == "paid" and o.created_ts < now - older_than]
    assert len(found) >= 2, "the simulated world has too few paid orders"
    return sorted(found, key=lambda o: o.order_no)


def _fires(order: Any) -> bool:
    rules = load_rules(REPO / "rules")
    decision = rules.evaluate(order, now=datetime.now(UTC), history=MemoryHistory([order]))
    return "high_risk_refund" in {f.rule for f in decision.fired}


@pytest.mark.parametrize("platform", PLATFORMS)
def test_true_request_time_decides_the_ten_minute_rule(
        sim: Simulator, platform: str, db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    shop = _shop(sim, platform, monkeypatch)
    early, late = _paid_orders(sim, platform, older_than=30 * 60)[:2]
    sim.world.request_refund(platform, early.order_no, early.created_ts + 599,
                             touched_at=early.created_ts + 720)
    sim.world.request_refund(platform, late.order_no, late.created_ts + 601,
                             touched_at=late.created_ts + 601)
    store = OrderStore.open(db_url)
    try:
        summary = pull_shop(store, shop)
        assert summary.aftersales >= 2
        got_early = store.get(f"{platform}:{early.order_no}")
        got_late = store.get(f"{platform}:{late.order_no}")
        assert got_early.refund is not None and got_early.refund.requested_at is not None
        assert got_early.refund.requested_at.timestamp() == early.created_ts + 599
        assert _fires(got_early)
        assert got_late.refund is not None and got_late.refund.requested_at is not None
        assert got_late.refund.requested_at.timestamp() == late.created_ts + 601
        assert not _fires(got_late)
        records = AfterSalesStore(store.engine).for_orders(platform, [early.order_no])
        assert [r["status"] for r in records] == ["requested"]
        assert records[0]["created_at"].timestamp() == early.created_ts + 599
    finally:
        store.engine.dispose()


@pytest.mark.parametrize("platform", ["taobao", "douyin"])
def test_a_late_snapshot_first_then_the_record_corrects_the_time_once(
        sim: Simulator, platform: str, db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    shop = _shop(sim, platform, monkeypatch).model_copy(update={"aftersales": False})
    order = _paid_orders(sim, platform, older_than=30 * 60)[0]
    sim.world.request_refund(platform, order.order_no, order.created_ts + 300,
                             touched_at=order.created_ts + 900)
    store = OrderStore.open(db_url)
    try:
        pull_shop(store, shop)  # the order feed alone: the refund seems asked at 15 minutes
        seen = store.get(f"{platform}:{order.order_no}")
        assert seen.refund is not None and seen.refund.requested_at is not None
        assert seen.refund.requested_at.timestamp() == order.created_ts + 900
        assert not _fires(seen)
        with_feed = shop.model_copy(update={"aftersales": True})
        first = pull_shop(store, with_feed, since=datetime.fromtimestamp(order.created_ts, UTC))
        assert first.refund_times_corrected >= 1  # ours, and any other late-seen refund
        fixed = store.get(f"{platform}:{order.order_no}")
        assert fixed.refund is not None and fixed.refund.requested_at is not None
        assert fixed.refund.requested_at.timestamp() == order.created_ts + 300
        assert _fires(fixed)
        events = [e for e in store.events(fixed.id or "") if e.type == "refund_requested"]
        assert events[-1].data["requested_at"].startswith(
            datetime.fromtimestamp(order.created_ts + 300, UTC).isoformat()[:19])
        count = len(store.events(fixed.id or ""))
        again = pull_shop(store, with_feed, since=datetime.fromtimestamp(order.created_ts, UTC))
        assert again.refund_times_corrected == 0
        assert len(store.events(fixed.id or "")) == count  # a repeat pull records nothing
    finally:
        store.engine.dispose()


def test_withdrawn_requests_change_nothing(sim: Simulator, tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    shop = _shop(sim, "pdd", monkeypatch)
    order = _paid_orders(sim, "pdd", older_than=30 * 60)[0]
    o = sim.world.request_refund("pdd", order.order_no, order.created_ts + 120)
    with sim.world.lock:
        o.status = o.base_status  # the buyer withdrew
    store = OrderStore.open(f"sqlite:///{tmp_path / 'o.db'}")
    pull_shop(store, shop)
    records = AfterSalesStore(store.engine).for_orders("pdd", [order.order_no])
    assert [r["status"] for r in records] == ["closed"]
    assert store.get(f"pdd:{order.order_no}").refund is None
