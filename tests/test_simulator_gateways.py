"""The simulated gateways as an independent examiner of the connectors.

Signatures: fixed vectors computed by independent SDKs (tests/data/signing_vectors.json, each
entry names its SDK and function) must be reproduced by the connectors AND by the simulator's
own implementation, so a signing bug on either side fails here.  Timestamps: each gateway
refuses a missing, malformed or stale one in its platform's error shape.  Douyin's documented
error codes (40003 + sub_code, 60000) drive token refresh and back-off.
"""

from __future__ import annotations

import json
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import httpx
import pytest

from orderhub.connectors import douyin, jd, pdd, taobao
from orderhub.connectors.http import (
    AuthError,
    HttpClient,
    RateLimited,
    RequestRejected,
    RetryPolicy,
    TokenExpired,
)
from orderhub.connectors.pull import make_client, pull_shop
from orderhub.simulator import Simulator, signing

VECTORS = json.loads((Path(__file__).parent / "data" / "signing_vectors.json").read_text("utf-8"))
BEIJING = timezone(timedelta(hours=8))


def test_taobao_vector_from_alitop() -> None:
    v = VECTORS["taobao"]
    assert taobao.sign(v["params"], v["secret"], "md5") == v["sign"]
    assert signing.top_signature(v["params"], v["secret"], "md5") == v["sign"]


def test_jd_vector_from_jd_sdk() -> None:
    v = VECTORS["jd"]
    assert jd.sign(v["params"], v["secret"]) == v["sign"]
    assert signing.jos_signature(v["params"], v["secret"]) == v["sign"]


def test_pdd_vector_from_ddk() -> None:
    v = VECTORS["pdd"]
    assert pdd.sign(v["params"], v["secret"]) == v["sign"]
    assert signing.pdd_signature(v["params"], v["secret"]) == v["sign"]


@pytest.mark.parametrize("v", VECTORS["douyin"], ids=lambda v: v["timestamp"])
def test_douyin_vectors_from_doudian(v: dict[str, Any]) -> None:
    args = (v["app_key"], v["secret"], v["method"], v["param_json"], v["timestamp"], v["v"])
    assert douyin.sign(*args) == v["sign"]
    assert signing.douyin_signature(*args) == v["sign"]
    assert signing.douyin_body(json.loads(v["param_json"])) == v["param_json"]


def test_a_changed_parameter_changes_every_signature() -> None:
    v = VECTORS["pdd"]
    changed = {**v["params"], "page": "2"}
    assert signing.pdd_signature(changed, v["secret"]) != v["sign"]
    assert signing.top_signature({**VECTORS["taobao"]["params"], "buyer_nick": "奔跑的狗"},
                                 VECTORS["taobao"]["secret"], "md5") != VECTORS["taobao"]["sign"]


# -- timestamps over real HTTP ---------------------------------------------------------------


@pytest.fixture
def sim():  # type: ignore[no-untyped-def]
    with Simulator(seed=5, orders=20, history_hours=1) as s:
        yield s


def _beijing(at: float) -> str:
    return datetime.fromtimestamp(at, BEIJING).strftime("%Y-%m-%d %H:%M:%S")


def _call(sim: Simulator, platform: str, timestamp: str | None) -> dict[str, Any]:
    """A correctly signed call whose only fault can be its timestamp."""
    creds = sim.credentials(platform)
    if platform == "taobao":
        p = {"method": "taobao.trade.fullinfo.get", "app_key": creds.app_key,
             "session": creds.token, "format": "json", "v": "2.0", "sign_method": "md5",
             "fields": "tid", "tid": "1"}
        if timestamp is not None:
            p["timestamp"] = timestamp
        p["sign"] = taobao.sign(p, creds.secret)
        return httpx.post(sim.url + taobao.API_PATH, data=p).json()  # type: ignore[no-any-return]
    if platform == "jd":
        p = {"method": "jingdong.pop.order.get", "app_key": creds.app_key,
             "access_token": creds.token, "format": "json", "v": "2.0",
             "360buy_param_json": '{"order_id":"1"}'}
        if timestamp is not None:
            p["timestamp"] = timestamp
        p["sign"] = jd.sign(p, creds.secret)
        return httpx.post(sim.url + jd.API_PATH, data=p).json()  # type: ignore[no-any-return]
    if platform == "pdd":
        p = {"type": "pdd.order.information.get", "client_id": creds.app_key,
             "access_token": creds.token, "data_type": "JSON", "version": "V1",
             "order_sn": "1"}
        if timestamp is not None:
            p["timestamp"] = timestamp
        p["sign"] = pdd.sign(p, creds.secret)
        return httpx.post(sim.url + pdd.API_PATH, data=p).json()  # type: ignore[no-any-return]
    body = '{"shop_order_id":"1"}'
    q = {"app_key": creds.app_key, "method": douyin.DETAIL_API, "v": "2",
         "access_token": creds.token, "sign_method": "hmac-sha256"}
    if timestamp is not None:
        q["timestamp"] = timestamp
    q["sign"] = douyin.sign(creds.app_key, creds.secret, douyin.DETAIL_API, body,
                            timestamp or "")
    return httpx.post(sim.url + douyin.path_of(douyin.DETAIL_API), params=q,  # type: ignore[no-any-return]
                      content=body.encode()).json()


FRESH = {"taobao": lambda: _beijing(time.time()), "jd": lambda: _beijing(time.time()),
         "pdd": lambda: str(int(time.time())), "douyin": lambda: str(int(time.time()))}
STALE = {"taobao": _beijing(time.time() - 3600), "jd": "2020-01-01 00:00:00",
         "pdd": str(int(time.time()) - 11 * 60), "douyin": str(int(time.time()) + 3600)}


@pytest.mark.parametrize("platform", ["taobao", "jd", "pdd", "douyin"])
@pytest.mark.parametrize("case", ["stale", "malformed", "missing"])
def test_gateways_refuse_bad_timestamps(sim: Simulator, platform: str, case: str) -> None:
    timestamp = {"stale": STALE[platform], "malformed": "not-a-time", "missing": None}[case]
    answer = _call(sim, platform, timestamp)
    assert [e["error"] for e in sim.calls(platform)] == ["timestamp"]
    text = json.dumps(answer, ensure_ascii=False)
    assert "timestamp" in text.lower() or "时间戳" in text
    # the connectors read it as a refused request, not as an expired token or bad credentials
    check = {"taobao": taobao.check, "jd": jd.check, "pdd": pdd.check,
             "douyin": douyin.check}[platform]
    with pytest.raises(RequestRejected) as info:
        check(answer)
    assert not isinstance(info.value, (TokenExpired, AuthError, RateLimited))


@pytest.mark.parametrize("platform", ["taobao", "jd", "pdd", "douyin"])
def test_gateways_accept_a_fresh_timestamp(sim: Simulator, platform: str) -> None:
    _call(sim, platform, FRESH[platform]())
    assert [e["error"] for e in sim.calls(platform)] != ["timestamp"]
    assert sim.calls(platform)[0]["error"] in (None, "parameter")  # no such order "1"


def test_douyin_accepts_its_documented_datetime_timestamp_too(sim: Simulator) -> None:
    _call(sim, "douyin", _beijing(time.time()))
    assert sim.calls("douyin")[0]["error"] in (None, "parameter")


# -- Douyin's documented error codes ---------------------------------------------------------


@pytest.mark.parametrize(("body", "error"), [
    ({"code": 40003, "sub_code": "isv.access-token-expired"}, TokenExpired),
    ({"code": 40003, "sub_code": "isv.signature-invalid"}, AuthError),
    ({"code": 40003, "sub_code": "isv.parameter-invalid"}, RequestRejected),
    ({"code": 30001, "sub_code": ""}, AuthError),
    ({"code": 30002, "sub_code": ""}, AuthError),
    ({"code": 60000, "sub_code": ""}, RateLimited),
])
def test_douyin_codes_are_read_by_code_and_sub_code(body: dict[str, Any],
                                                    error: type[Exception]) -> None:
    with pytest.raises(error) as info:
        douyin.check({**body, "msg": "x"})
    assert type(info.value) is error


def _douyin_shop(sim: Simulator, monkeypatch: pytest.MonkeyPatch) -> Any:
    env: dict[str, str] = {}
    shop = next(s for s in sim.shops(env) if s.platform == "douyin")
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return shop


def test_douyin_expired_token_answer_refreshes_and_the_pull_completes(
        sim: Simulator, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from orderhub.store import OrderStore

    shop = _douyin_shop(sim, monkeypatch)
    sim.set_faults(expire_token=["douyin"])
    store = OrderStore.open(f"sqlite:///{tmp_path / 'o.db'}")
    pull_shop(store, shop)
    token_errors = [e for e in sim.calls("douyin") if e["error"] == "token"]
    assert token_errors, "the simulator never expired the token"
    assert sim.calls("douyin", api=douyin.REFRESH_API)
    assert store.count(platform="douyin") == sim.world.count("douyin")


def test_douyin_rate_limit_60000_backs_off_and_retries(
        sim: Simulator, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from orderhub.store import OrderStore

    shop = _douyin_shop(sim, monkeypatch)
    sim.set_faults(rate_limit=2, platforms=["douyin"])
    store = OrderStore.open(f"sqlite:///{tmp_path / 'o.db'}")
    client = make_client(shop, http=HttpClient(retry=RetryPolicy(attempts=5, base=0.01)))
    summary = pull_shop(store, shop, client=client)
    assert summary.retries == 2
    assert store.count(platform="douyin") == sim.world.count("douyin")


# -- APIs the simulator lacked ---------------------------------------------------------------


def _douyin_call(sim: Simulator, method: str, business: dict[str, Any]) -> dict[str, Any]:
    creds = sim.credentials("douyin")
    body = douyin.param_json(business)
    ts = str(int(time.time()))
    q = {"app_key": creds.app_key, "method": method, "v": "2", "timestamp": ts,
         "sign_method": "hmac-sha256",
         "sign": douyin.sign(creds.app_key, creds.secret, method, body, ts)}
    return httpx.post(sim.url + douyin.path_of(method), params=q,  # type: ignore[no-any-return]
                      content=body.encode()).json()


def test_douyin_token_create_for_a_self_built_app_and_with_a_code(sim: Simulator) -> None:
    own = _douyin_call(sim, "token.create", {"grant_type": "authorization_self",
                                             "shop_id": "8123456"})
    assert own["code"] == douyin.SUCCESS and own["data"]["access_token"]
    gateway: Any = sim.gateways["douyin"]
    code = gateway.issue_code()
    by_code = _douyin_call(sim, "token.create", {"grant_type": "authorization_code",
                                                 "code": code})
    assert by_code["code"] == douyin.SUCCESS and by_code["data"]["refresh_token"]
    again = _douyin_call(sim, "token.create", {"grant_type": "authorization_code",
                                               "code": code})
    assert again["code"] != douyin.SUCCESS  # a code is good once
    other = _douyin_call(sim, "token.create", {"grant_type": "authorization_self",
                                               "shop_id": "999"})
    assert other["code"] == 30001


def test_pdd_order_list_get_lists_by_deal_time_within_24_hours(sim: Simulator) -> None:
    creds = sim.credentials("pdd")
    now = int(sim.world.clock.now())

    def call(start: int, end: int) -> dict[str, Any]:
        p = {"type": "pdd.order.list.get", "client_id": creds.app_key,
             "access_token": creds.token, "data_type": "JSON", "version": "V1",
             "timestamp": str(int(time.time())), "start_confirm_at": str(start),
             "end_confirm_at": str(end), "order_status": "5", "refund_status": "5",
             "page": "1", "page_size": "100"}
        p["sign"] = pdd.sign(p, creds.secret)
        return httpx.post(sim.url + pdd.API_PATH, data=p).json()  # type: ignore[no-any-return]

    listed = call(now - 6 * 3600, now)["order_list_get_response"]
    paid = [o for o in sim.world.orders["pdd"].values() if o.paid_ts is not None]
    assert listed["total_count"] == len(paid) > 0
    assert {o["order_sn"] for o in listed["order_list"]} == {o.order_no for o in paid}
    too_wide = call(now - 25 * 3600, now)
    assert "error_response" in too_wide
