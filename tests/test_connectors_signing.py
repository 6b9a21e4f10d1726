"""Request signing per platform (known vectors computed here by hand from the documented
algorithms), and what a wrong secret looks like against the simulator."""

from __future__ import annotations

import hashlib
import hmac
import logging

import pytest

from orderhub.connectors import douyin, jd, pdd, taobao
from orderhub.connectors.http import AuthError, HttpClient, RetryPolicy
from orderhub.connectors.pull import make_client, pull_shop
from orderhub.simulator import Simulator


def test_taobao_md5_and_hmac_signatures_follow_top_rules() -> None:
    params = {"method": "taobao.trades.sold.increment.get", "app_key": "12345678",
              "session": "test-session", "timestamp": "2025-11-11 09:30:00", "format": "json",
              "v": "2.0", "sign_method": "md5", "fields": "tid,modified", "page_no": "1"}
    # keys sorted: app_key, fields, format, method, page_no, session, sign_method, timestamp, v
    concat = ("app_key12345678fieldstid,modifiedformatjson"
              "methodtaobao.trades.sold.increment.getpage_no1sessiontest-session"
              "sign_methodmd5timestamp2025-11-11 09:30:00v2.0")
    expected_md5 = hashlib.md5(("s3cret" + concat + "s3cret").encode()).hexdigest().upper()
    assert taobao.sign(params, "s3cret", "md5") == expected_md5
    params["sign_method"] = "hmac"
    concat_h = concat.replace("sign_methodmd5", "sign_methodhmac")
    expected_hmac = hmac.new(b"s3cret", concat_h.encode(), hashlib.md5).hexdigest().upper()
    assert taobao.sign(params, "s3cret", "hmac") == expected_hmac
    # the sign parameter itself never takes part
    assert taobao.sign({**params, "sign": "X"}, "s3cret", "hmac") == expected_hmac


def test_jd_signature_covers_the_param_json() -> None:
    business = jd.param_json({"page": "1", "start_date": "2025-11-11 09:00:00"})
    assert business == '{"page":"1","start_date":"2025-11-11 09:00:00"}'
    params = {"method": "jingdong.pop.order.search", "access_token": "tok", "app_key": "ak",
              "timestamp": "2025-11-11 09:30:00", "format": "json", "v": "2.0",
              "360buy_param_json": business}
    # keys sorted: 360buy_param_json, access_token, app_key, format, method, timestamp, v
    concat = ("360buy_param_json" + business + "access_tokentok" + "app_keyak" + "formatjson"
              + "methodjingdong.pop.order.search" + "timestamp2025-11-11 09:30:00" + "v2.0")
    expected = hashlib.md5(("sec" + concat + "sec").encode()).hexdigest().upper()
    assert jd.sign(params, "sec") == expected


def test_pdd_signature_is_uppercase_md5_of_sorted_pairs() -> None:
    params = {"type": "pdd.order.number.list.increment.get", "client_id": "cid",
              "access_token": "tok", "timestamp": "1731288600", "data_type": "JSON",
              "version": "V1", "start_updated_at": "1731286800", "end_updated_at": "1731288000"}
    concat = ("access_tokentokclient_idciddata_typeJSONend_updated_at1731288000"
              "start_updated_at1731286800timestamp1731288600"
              "typepdd.order.number.list.increment.getversionV1")
    expected = hashlib.md5(("psec" + concat + "psec").encode()).hexdigest().upper()
    assert pdd.sign(params, "psec") == expected
    assert expected == expected.upper() and len(expected) == 32


def test_douyin_signature_is_hmac_sha256_over_the_documented_string() -> None:
    body = douyin.param_json({"size": 100, "page": 0, "order_by": "update_time",
                              "buyer": "张三"})
    assert body == '{"buyer":"张三","order_by":"update_time","page":0,"size":100}'
    text = ("dsec" + "app_key" + "7000" + "method" + "order.searchList" + "param_json" + body
            + "timestamp" + "1731288600" + "v" + "2" + "dsec")
    expected = hmac.new(b"dsec", text.encode(), hashlib.sha256).hexdigest()
    assert douyin.sign("7000", "dsec", "order.searchList", body, "1731288600") == expected
    assert douyin.path_of("order.searchList") == "/order/searchList"


@pytest.fixture
def sim():  # type: ignore[no-untyped-def]
    with Simulator(seed=3, orders=40, history_hours=1) as s:
        yield s


@pytest.mark.parametrize("platform", ["taobao", "jd", "pdd", "douyin"])
def test_wrong_secret_is_a_clear_authentication_error_naming_the_shop(
    sim: Simulator, platform: str, monkeypatch: pytest.MonkeyPatch, tmp_path, caplog
) -> None:
    from orderhub.store import OrderStore

    env: dict[str, str] = {}
    shop = next(s for s in sim.shops(env) if s.platform == platform)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv(shop.secret_env, "not-the-secret")
    store = OrderStore.open(f"sqlite:///{tmp_path / 'o.db'}")
    caplog.set_level(logging.DEBUG, logger="orderhub")
    with pytest.raises(AuthError) as info:
        pull_shop(store, shop)
    message = str(info.value)
    assert f"shop {shop.name!r}" in message
    assert "authentication failed" in message
    assert shop.secret_env in message  # where to fix it...
    assert "not-the-secret" not in message  # ...never the secret itself
    assert env[f"SIM_{platform.upper()}_TOKEN"] not in message + caplog.text
    assert [e["error"] for e in sim.calls(platform) if e["error"]] in (
        ["signature"], ["client_id"], ["app_key"])
    assert store.count(platform=platform) == 0


def test_secrets_never_reach_logs_or_errors(sim: Simulator, monkeypatch, tmp_path,
                                            caplog) -> None:
    from orderhub.store import OrderStore

    env: dict[str, str] = {}
    shop = next(s for s in sim.shops(env) if s.platform == "taobao")
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    sim.set_faults(rate_limit=2, server_error=1)
    caplog.set_level(logging.DEBUG)
    store = OrderStore.open(f"sqlite:///{tmp_path / 'o.db'}")
    client = make_client(shop, http=HttpClient(retry=RetryPolicy(attempts=6, base=0.01)))
    summary = pull_shop(store, shop, client=client)
    assert summary.retries == 3
    for secret in (env["SIM_TAOBAO_SECRET"], env["SIM_TAOBAO_TOKEN"]):
        assert secret not in caplog.text
    assert "retrying" in caplog.text
