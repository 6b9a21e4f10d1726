"""Bad days at the gateway: rate limits, 500s, slow answers, expired tokens; and the minimal
settlement endpoints the finance side reads."""

from __future__ import annotations

import csv
import io

import httpx
import pytest

from orderhub.connectors.cursors import CursorStore
from orderhub.connectors.http import AuthError, HttpClient, RateLimited, RetryPolicy
from orderhub.connectors.pull import make_client, pull_shop
from orderhub.connectors.shops import ShopConfig
from orderhub.simulator import Simulator
from orderhub.store import OrderStore

FAST = RetryPolicy(attempts=8, base=0.01, cap=0.05)


@pytest.fixture
def sim():  # type: ignore[no-untyped-def]
    with Simulator(seed=5, orders=40, history_hours=1) as s:
        yield s


@pytest.fixture
def sqlite_store(tmp_path):  # type: ignore[no-untyped-def]
    s = OrderStore.open(f"sqlite:///{tmp_path / 'o.db'}")
    yield s
    s.engine.dispose()


def shop_for(sim: Simulator, platform: str, monkeypatch: pytest.MonkeyPatch,
             **settings: object) -> ShopConfig:
    env: dict[str, str] = {}
    shops = sim.shops(env, all={"window": {"initial_hours": 2}, **settings})
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return next(s for s in shops if s.platform == platform)


@pytest.mark.parametrize("platform", ["taobao", "jd", "pdd", "douyin"])
def test_rate_limits_and_500s_are_retried_and_the_pull_completes(
    sim: Simulator, sqlite_store: OrderStore, platform: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    shop = shop_for(sim, platform, monkeypatch)
    sim.set_faults(rate_limit=3, server_error=2, platforms=[platform])
    client = make_client(shop, http=HttpClient(retry=FAST))
    summary = pull_shop(sqlite_store, shop, client=client)
    errors = [e["error"] for e in sim.calls(platform) if e["error"]]
    assert errors.count("rate_limit") == 3 and errors.count("http-500") == 2
    assert summary.retries == 5
    assert summary.new == sqlite_store.count(platform=platform) > 0


def test_slow_answers_time_out_and_are_retried(sim: Simulator, sqlite_store: OrderStore,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    shop = shop_for(sim, "jd", monkeypatch)
    sim.set_faults(slow=1, slow_seconds=1.0)
    client = make_client(shop, http=HttpClient(timeout=0.3, retry=FAST))
    summary = pull_shop(sqlite_store, shop, client=client)
    assert summary.retries == 1 and summary.new > 0


def test_a_rate_limit_that_does_not_end_fails_naming_the_shop_and_keeps_the_cursor(
    sim: Simulator, sqlite_store: OrderStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    shop = shop_for(sim, "douyin", monkeypatch)
    sim.set_faults(every_nth=1)
    client = make_client(shop, http=HttpClient(retry=RetryPolicy(attempts=3, base=0.01)))
    with pytest.raises(RateLimited, match="shop 'sim-douyin'.*rate limited"):
        pull_shop(sqlite_store, shop, client=client)
    assert CursorStore(sqlite_store.engine).get(shop.name) is None
    assert len(sim.calls("douyin")) == 3


@pytest.mark.parametrize("platform", ["taobao", "jd", "pdd", "douyin"])
def test_an_expired_token_is_refreshed_and_the_pull_goes_on(
    sim: Simulator, sqlite_store: OrderStore, platform: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    shop = shop_for(sim, platform, monkeypatch)
    sim.set_faults(expire_token=[platform])
    client = make_client(shop)
    summary = pull_shop(sqlite_store, shop, client=client)
    assert summary.new > 0
    assert client.token != sim.credentials(platform).token  # the refreshed one
    assert [e["error"] for e in sim.calls(platform) if e["error"]] == ["token"]
    refreshes = [e for e in sim.calls(platform) if "refresh" in (e.get("api") or "")]
    assert len(refreshes) == 1


def test_an_expired_token_without_a_refresh_token_says_to_reauthorise(
    sim: Simulator, sqlite_store: OrderStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    shop = shop_for(sim, "pdd", monkeypatch, refresh_token_env=None)
    sim.set_faults(expire_token=["pdd"])
    with pytest.raises(AuthError, match="shop 'sim-pdd'.*re-authorise"):
        pull_shop(sqlite_store, shop)


def test_a_missing_secret_variable_is_named(sim: Simulator, sqlite_store: OrderStore,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    from orderhub.connectors.shops import ShopConfigError

    shop = shop_for(sim, "jd", monkeypatch)
    monkeypatch.delenv(shop.secret_env)
    with pytest.raises(ShopConfigError, match=f"shop 'sim-jd'.*{shop.secret_env}"):
        pull_shop(sqlite_store, shop)


def test_faults_are_controlled_over_http_too(sim: Simulator) -> None:
    answer = httpx.post(f"{sim.url}/_sim/faults", json={"rate_limit": 2, "platforms": ["jd"]})
    assert answer.json()["rate_limit"] == 2
    assert httpx.post(f"{sim.url}/_sim/faults", json={"nonsense": 1}).status_code == 400
    state = httpx.post(f"{sim.url}/_sim/tick", json={"new": 4, "changes": 2}).json()
    assert sum(state["orders"].values()) == sim.world.count()
    assert state["changes"] == 6


def test_settlement_endpoints_answer_in_the_documented_shapes(
    sim: Simulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    from datetime import UTC, datetime, timedelta

    from orderhub.connectors.base import beijing

    douyin = make_client(shop_for(sim, "douyin", monkeypatch))
    now = datetime.fromtimestamp(sim.world.clock.now(), UTC)
    body = douyin.call("order.getSettleBillDetailV3", {
        "size": 100, "start_time": beijing(now - timedelta(days=7)), "end_time": beijing(now),
        "time_type": 0})
    data = body["data"]
    assert data["is_end"] in (0, 1)
    completed = [o for o in sim.world.orders["douyin"].values() if o.completed_ts]
    assert {row["shop_order_id"] for row in data["data"]} == {o.order_no for o in completed}
    row = data["data"][0]
    assert row["settle_amount"] == row["total_income"] - row["total_outcome"]

    pdd = make_client(shop_for(sim, "pdd", monkeypatch))
    day = datetime.fromtimestamp(sim.world.clock.now(), UTC).astimezone(
        timezone_beijing()).date().isoformat()
    url = pdd.call("pdd.finance.balance.daily.bill.url.get", {"bill_date": day})[
        "finance_balance_daily_bill_url_get_response"]["download_url"]
    rows = list(csv.reader(io.StringIO(httpx.get(url).content.decode("utf-8-sig"))))
    assert rows[0][:3] == ["商户订单号", "发生时间", "收入金额（+元）"]


def timezone_beijing():  # type: ignore[no-untyped-def]
    from orderhub.connectors.base import BEIJING

    return BEIJING
