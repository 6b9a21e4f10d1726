"""Pulling from the simulator (a real HTTP server on 127.0.0.1) into the store, on SQLite and
PostgreSQL: completeness while orders change mid-paging, crash and resume, PDD's window."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from orderhub.connectors.cursors import CursorStore
from orderhub.connectors.http import WindowError
from orderhub.connectors.pull import make_client, pull_shop
from orderhub.connectors.shops import ShopConfig
from orderhub.simulator import Simulator
from orderhub.store import OrderStore
from orderhub.synth.logical import NO_UNPAID

PLATFORMS = ["taobao", "jd", "pdd", "douyin"]


@pytest.fixture
def sim():  # type: ignore[no-untyped-def]
    with Simulator(seed=11, orders=80, history_hours=2) as s:
        yield s


def sim_shops(sim: Simulator, monkeypatch: pytest.MonkeyPatch,
              **window: object) -> dict[str, ShopConfig]:
    env: dict[str, str] = {}
    settings = {"window": {"initial_hours": 3, **window}}
    shops = sim.shops(env, all=settings)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return {s.platform: s for s in shops}


def visible(sim: Simulator, platform: str, until: float) -> dict[str, int]:
    """order no -> modified time of what the platform's list shows up to ``until``."""
    return {o.order_no: o.modified_ts for o in sim.world.orders[platform].values()
            if o.modified_ts <= until
            and not (platform in NO_UNPAID and o.status == "pending_payment")}


def stored(store: OrderStore, platform: str) -> dict[str, int]:
    return {o.platform_order_no: int(o.modified_at.timestamp())
            for o in store.list(platform=platform, limit=None) if o.modified_at}


def created_events(store: OrderStore) -> Counter[str]:
    return Counter(e.order_id for e in store.events() if e.type == "created")


def test_pull_stores_every_platforms_orders_once(sim: Simulator, store: OrderStore,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    shops = sim_shops(sim, monkeypatch)
    ends = {}
    for platform in PLATFORMS:
        summary = pull_shop(store, shops[platform])
        assert summary.end is not None and summary.rejected == 0
        want = visible(sim, platform, summary.end.timestamp())
        assert stored(store, platform) == want, platform
        assert summary.new == len(want)
        assert CursorStore(store.engine).get(shops[platform].name) == summary.end
        ends[platform] = summary.end
    # the same range again (orders modified after the first pull's end are a later pull's)
    again = [pull_shop(store, shops[p], until=ends[p]) for p in PLATFORMS]
    assert sum(s.new + s.updated for s in again) == 0
    assert set(created_events(store).values()) == {1}


def test_orders_changing_mid_paging_are_neither_missed_nor_duplicated(
    sim: Simulator, store: OrderStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    shops = sim_shops(sim, monkeypatch, page_size=10, minutes=120)
    before = {p: dict(visible(sim, p, sim.world.clock.now())) for p in PLATFORMS}
    sim.set_faults(churn=2, churn_new=1)  # every list page served changes orders of its window
    firsts = {p: pull_shop(store, shops[p]) for p in PLATFORMS}
    assert sim.world.changes > 40
    for platform in PLATFORMS:
        end = firsts[platform].end.timestamp()  # type: ignore[union-attr]
        now_state = visible(sim, platform, float("inf"))
        untouched = {no for no, ts in before[platform].items()
                     if ts <= end and now_state.get(no) == ts}
        got = stored(store, platform)
        missing = untouched - set(got)
        assert not missing, f"{platform}: {len(missing)} unchanged orders missed"
    # later pulls catch up with what changed meanwhile, each order stored once
    sim.set_faults(churn=0, churn_new=0)
    sim.world.clock.advance(600)
    until = datetime.fromtimestamp(sim.world.clock.now() - 200, UTC)  # the platforms' "now"
    for platform in PLATFORMS:
        pull_shop(store, shops[platform], until=until)
        assert stored(store, platform) == visible(sim, platform, float("inf")), platform
    assert set(created_events(store).values()) == {1}


class Crash(Exception):
    pass


def test_a_crash_between_pages_resumes_from_the_stored_cursor(
    sim: Simulator, store: OrderStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    shop = sim_shops(sim, monkeypatch, page_size=10, minutes=30, overlap_seconds=60)["douyin"]
    pages = 0

    def crash_after_three(progress: object) -> None:
        nonlocal pages
        pages += 1
        if pages == 3:
            raise Crash("killed")

    with pytest.raises(Crash):
        pull_shop(store, shop, progress=crash_after_three)
    cursor = CursorStore(store.engine).get(shop.name)
    assert cursor is not None
    stored_before = stored(store, "douyin")
    assert 0 < len(stored_before) < len(visible(sim, "douyin", cursor.timestamp() + 7200))
    assert all(ts <= cursor.timestamp() for ts in stored_before.values())
    log_mark = len(sim.requests)

    summary = pull_shop(store, shop)
    resumed = [e for e in sim.requests[log_mark:] if e.get("api") == "order.searchList"]
    assert resumed[0]["window"][0] == int((cursor - timedelta(seconds=60)).timestamp())
    assert stored(store, "douyin") == visible(sim, "douyin", summary.end.timestamp())  # type: ignore[union-attr]
    assert set(created_events(store).values()) == {1}


def test_pdd_windows_longer_than_30_minutes_or_too_recent_are_never_sent(
    sim: Simulator, store: OrderStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    shop = sim_shops(sim, monkeypatch)["pdd"]
    client = make_client(shop)
    now = datetime.fromtimestamp(sim.world.clock.now(), UTC)
    with pytest.raises(WindowError, match="30 minutes"):
        list(client.pages(now - timedelta(minutes=80), now - timedelta(minutes=35)))
    with pytest.raises(WindowError, match="3 minutes"):
        list(client.pages(now - timedelta(minutes=20), now - timedelta(minutes=1)))
    assert sim.calls("pdd", "pdd.order.number.list.increment.get") == []

    summary = pull_shop(store, shop, client=client)
    sent = sim.calls("pdd", "pdd.order.number.list.increment.get")
    assert len(sent) >= 6 and summary.fetched > 0
    for entry in sent:
        start, end = entry["window"]
        assert end - start <= 30 * 60
        assert end <= entry["at"] - 180
        assert entry["error"] is None


def test_pdd_follows_the_platforms_clock_not_ours(
    store: OrderStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    from orderhub.simulator import Clock

    with Simulator(seed=5, orders=60, history_hours=1, clock=Clock(offset=-900)) as behind:
        shop = sim_shops(behind, monkeypatch)["pdd"]
        summary = pull_shop(store, shop)
        assert summary.end is not None
        assert summary.end.timestamp() <= behind.world.clock.now() - 180
        assert all(e["error"] is None for e in behind.requests)
        assert stored(store, "pdd") == visible(behind, "pdd", summary.end.timestamp())


def test_cursor_moves_forward_only_unless_reset(db_url: str) -> None:
    store = OrderStore.open(db_url)
    cursors = CursorStore(store.engine)
    t0 = datetime(2025, 11, 11, 1, 0, tzinfo=UTC)
    assert cursors.get("shop-a") is None
    assert cursors.advance("shop-a", "jd", t0) == t0
    assert cursors.advance("shop-a", "jd", t0 - timedelta(hours=1)) == t0
    assert cursors.advance("shop-a", "jd", t0 + timedelta(minutes=5)) == t0 + timedelta(
        minutes=5)
    cursors.reset("shop-a", "jd", t0 - timedelta(days=1))
    assert cursors.get("shop-a") == t0 - timedelta(days=1)
    assert set(cursors.all()) == {"shop-a"}
    store.engine.dispose()


def test_since_reads_again_from_an_earlier_time(sim: Simulator, store: OrderStore,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    shop = sim_shops(sim, monkeypatch)["jd"]
    first = pull_shop(store, shop)
    since = datetime.fromtimestamp(sim.world.clock.now(), UTC) - timedelta(hours=1)
    again = pull_shop(store, shop, since=since)
    assert again.start == since.replace(microsecond=0)
    assert again.fetched > 0 and again.new == 0
    assert again.unchanged == again.fetched
    assert first.new > again.fetched
