"""Taking e-waybill numbers from the four platforms' (simulated) waybill systems, by wave."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from orderhub.simulator import Simulator
from orderhub.waybills.service import Waybills
from orderhub.waybills.waves import WaveFilter

_spec = importlib.util.spec_from_file_location(
    "waybills_support", Path(__file__).with_name("waybills_support.py"))
support = importlib.util.module_from_spec(_spec)  # type: ignore[arg-type]
_spec.loader.exec_module(support)  # type: ignore[union-attr]


@pytest.fixture
def sim():  # type: ignore[no-untyped-def]
    with Simulator(orders=1, seed=3) as s:
        yield s


def _waybills(store, sim, holds=None, timeout=10.0, **account):  # type: ignore[no-untyped-def]
    shops = sim.shops(all={"timeout_seconds": timeout, "retries": 3})
    kwargs = {"holds": holds} if holds else {}
    return Waybills(store, support.waybills_config(**account), shops, **kwargs)


def test_numbers_for_all_four_platforms_each_with_a_sort_code(store, sim) -> None:
    support.store_routed(store, support.make_orders(12))
    wb = _waybills(store, sim, taobao={"need_encrypt": False}, pdd={"need_encrypt": False})
    result = wb.take("SH", wave="W1")
    assert result.failed == [] and result.selected == 48
    assert len(result.issued) == 48
    by_platform = {r.platform for r in result.issued}
    assert by_platform == {"taobao", "pdd", "jd", "douyin"}
    for r in result.issued:
        assert r.waybill_code and r.sort_code, r
        assert sim.waybills.by_code[r.waybill_code].order_no == r.order_label.split(":")[1]
    # Douyin: 12 orders in one call of up to 50; Cainiao and PDD: batches of 10
    assert len(sim.calls("douyin", "logistics.newCreateOrder")) == 1
    assert len(sim.calls("taobao", "cainiao.waybill.ii.get")) == 2
    # a second take finds nothing left to number
    assert wb.take("SH", wave="W2").selected == 0


def test_encrypted_print_data_is_kept_as_delivered(store, sim) -> None:
    support.store_routed(store, support.make_orders(2, ("taobao", "douyin", "jd")))
    wb = _waybills(store, sim)
    result = wb.take("SH", wave="W")
    for r in result.issued:
        data = r.print_data or {}
        sealed = data.get("encryptedData") or data.get("printData")
        assert sealed, r
        assert sim.waybills.unseal(sealed)["waybillCode"] == r.waybill_code


def test_a_retry_after_a_timeout_takes_no_second_number(store, sim) -> None:
    orders = support.store_routed(store, support.make_orders(3))
    sim.waybills.late = 4          # the next four answers come after the client gave up
    sim.waybills.late_seconds = 3.0
    wb = _waybills(store, sim, timeout=1.0)
    result = wb.take("SH", wave="W")
    assert result.failed == [] and len(result.issued) == 12
    assert sim.waybills.late == 0  # every late answer was met, and asked again
    # one call per batch (JD: one per order), and (at least) the four answered late again
    assert sim.waybills.take_calls >= 1 + 1 + 3 + 1 + 4
    for o in orders:
        assert len(sim.waybills.numbers_for(o.platform.value, o.platform_order_no)) == 1, o.label


def test_a_bad_address_fails_alone_with_the_platform_reason_and_can_be_retried(
        store, sim) -> None:
    orders = support.make_orders(3, ("taobao", "douyin"))
    orders[1].receiver.address = ""
    orders[4].receiver.address = ""
    stored = support.store_routed(store, orders)
    wb = _waybills(store, sim)
    result = wb.take("SH", wave="W")
    assert len(result.issued) == 4
    assert sorted(f.order for f in result.failed) == ["douyin:7000001", "taobao:7000001"]
    assert all("收件人地址不能为空" in f.reason for f in result.failed)
    # the address is fixed on the platform, the order re-ingested: retry takes the two
    for o in stored:
        if not o.receiver.address:
            o.receiver.address = "改好的地址1号"
            o.modified_at = None
    store.upsert([o.model_copy(update={"id": None}) for o in stored
                  if o.receiver.address == "改好的地址1号"])
    again = wb.retry("W")
    assert again.failed == [] and len(again.issued) == 2


def test_filters_and_held_orders(store, sim) -> None:
    stored = support.store_routed(store, support.make_orders(6))
    held_id = next(o.id for o in stored if o.platform.value == "pdd")
    wb = _waybills(store, sim, holds=lambda ids: {held_id: "风控: 退款审核中"})
    result = wb.take("SH", wave="W", filters=WaveFilter(platform="pdd", single_item=True))
    assert [h["order_id"] for h in result.held] == [held_id]
    assert all(r.platform == "pdd" for r in result.issued)
    singles = [o for o in stored if o.platform.value == "pdd" and o.item_count == 1
               and o.id != held_id]
    assert len(result.issued) == len(singles)
    assert held_id not in {r.order_id for r in wb.list()}


def test_cancel_gives_the_number_back_once(store, sim) -> None:
    support.store_routed(store, support.make_orders(1))
    wb = _waybills(store, sim)
    result = wb.take("SH", wave="W")
    for r in result.issued:
        assert wb.cancel(r.order_label) == [r.waybill_code]
        assert wb.intercept(r.order_id) == []
        assert sim.waybills.cancels[r.waybill_code] == 1
        assert sim.waybills.by_code[r.waybill_code].cancelled
    assert {r.status for r in wb.list()} == {"cancelled"}
    # taking again after a cancel takes a new number under a new key
    again = wb.take("SH", wave="W2")
    assert len(again.issued) == 4
    assert not {r.waybill_code for r in again.issued} & {r.waybill_code for r in result.issued}


def test_print_data_missing_at_take_is_fetched_when_printing(store, sim) -> None:
    support.store_routed(store, support.make_orders(2, ("jd", "douyin")))
    sim.waybills.refuse.update({"jingdong.printing.printData.pullData": 10,
                                "logistics.waybillApply": 10})
    wb = _waybills(store, sim)
    result = wb.take("SH", wave="W")
    assert len(result.issued) == 4  # the numbers are kept
    assert all(r.print_data is None and "繁忙" in (r.error or "") for r in result.issued)
    sim.waybills.refuse.clear()
    jobs = wb.print_jobs("W")
    assert sorted(j.component for j in jobs) == ["douyin", "jd"]
    assert all(r.print_data for r in wb.list())
    jd = next(j for j in jobs if j.component == "jd")
    sealed = [c["printData"] for c in jd.message["parameters"]["contents"]]
    assert sorted(sim.waybills.unseal(x)["waybillCode"] for x in sealed) == sorted(jd.codes)


def test_rate_limits_are_waited_out_without_second_numbers(store, sim) -> None:
    orders = support.store_routed(store, support.make_orders(5))
    sim.set_faults(rate_limit=2)  # fewer than the 3 attempts each call gets
    wb = _waybills(store, sim)
    result = wb.take("SH", wave="W")
    assert result.failed == [] and len(result.issued) == 20
    assert sum(1 for e in sim.requests if e.get("error") == "rate_limit") == 2
    for o in orders:
        assert len(sim.waybills.numbers_for(o.platform.value, o.platform_order_no)) == 1


def test_one_click_takes_and_returns_print_jobs_and_accounts_are_searchable(
        store, sim, tmp_path) -> None:
    support.store_routed(store, support.make_orders(3, ("taobao", "pdd")))
    wb = _waybills(store, sim)
    out = wb.one_click("SH", pdf=tmp_path / "wave.pdf")
    assert out["wave"]["issued"] == 6
    assert sorted(j["component"] for j in out["jobs"]) == ["cainiao", "pdd"]
    pdd_job = next(j for j in out["jobs"] if j["component"] == "pdd")
    assert pdd_job["url"] == "ws://localhost:5000" and pdd_job["message"]["ERPId"]
    assert pdd_job["message"]["task"]["documents"][0]["contents"][0]["templateUrl"]
    assert out["pdf"]["count"] == 6 and (tmp_path / "wave-picklist.pdf").is_file()
    [subscription] = wb.provider("SH", "taobao").search()  # type: ignore[union-attr]
    assert subscription["cp_code"] == "YTO"
    assert subscription["branch_account_cols"][0]["allocated_quantity"] == 3


def test_a_wrong_app_secret_is_refused_by_signature_and_reported(store, sim,
                                                                 monkeypatch) -> None:
    support.store_routed(store, support.make_orders(2, ("pdd",)))
    wb = _waybills(store, sim)
    monkeypatch.setenv("SIM_PDD_SECRET", "not-the-secret")
    result = wb.take("SH", wave="W")
    assert result.issued == [] and len(result.failed) == 2
    assert all("authentication failed" in f.reason for f in result.failed)
    assert sim.waybills.issued == {}
