"""Reconciliation: hand-built settlement files with one planted difference of each kind."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from orderhub.finance import (
    DifferenceKind,
    FinanceConfig,
    Period,
    SettlementStore,
    import_settlements,
    read_settlements,
    reconcile,
)
from orderhub.finance.model import LineKind
from orderhub.model import Order

DATA = Path(__file__).parent / "data" / "finance"
BILLS = sorted(DATA.glob("*-2025-11.*"))
D = Decimal


def load_orders(store) -> dict[str, str]:  # type: ignore[no-untyped-def]
    orders = [Order.model_validate(o) for o in json.loads((DATA / "orders.json").read_text())]
    result = store.upsert(orders)
    return {no: oid for (_, no), oid in result.ids.items()}


def test_gbk_alipay_file_with_comment_lines_imports() -> None:
    lines, rejects, summary = read_settlements([DATA / "alipay-2025-11.csv"])
    assert rejects == []
    assert summary.by_source == {"alipay": 8}
    assert summary.skipped == 1  # the withdrawal to the bank card
    by_id = {ln.line_id: ln for ln in lines}
    pay = by_id["20251103200040011100010000000011"]
    assert (pay.order_no, pay.kind, pay.amount) == ("3901234567890123451", LineKind.goods,
                                                    D("199.00"))
    commission = by_id["20251103200040011100010000000012"]
    assert (commission.order_no, commission.kind, commission.amount) == (
        "3901234567890123451", LineKind.commission, D("-9.95"))
    fee = by_id["20251103200040011100010000000013"]
    assert (fee.order_no, fee.kind, fee.amount) == ("3901234567890123451", LineKind.service_fee,
                                                    D("-1.19"))
    software = by_id["20251110200040011100010000000041"]
    assert software.order_no is None and software.amount == D("-30.00")
    assert pay.occurred_at.isoformat() == "2025-11-03T10:15:22+08:00"


def test_douyin_record_is_split_into_parts_that_add_up_to_the_payout() -> None:
    lines, _, _ = read_settlements([DATA / "douyin-settle-2025-11.json"])
    first = [ln for ln in lines if ln.line_id.startswith("7300000000000000001")]
    kinds = {ln.kind: ln.amount for ln in first}
    assert kinds == {LineKind.goods: D("129.00"), LineKind.subsidy: D("5.00"),
                     LineKind.service_fee: D("-6.45"), LineKind.commission: D("-12.90")}
    assert sum(kinds.values()) == D("114.65")  # settle_amount 11465 fen
    refund = [ln for ln in lines if ln.line_id == "7300000000000000003"]
    assert [(r.kind, r.amount) for r in refund] == [(LineKind.refund, D("-50.00"))]


def test_planted_differences_of_every_kind_and_totals(store) -> None:  # type: ignore[no-untyped-def]
    ids = load_orders(store)
    summary = import_settlements(store, BILLS)
    assert summary.rejected == 0 and summary.new == 24

    rec = reconcile(store, Period.month("2025-11"), FinanceConfig())

    found = {(d.kind, d.platform, d.order_no, d.amount) for d in rec.differences}
    assert found == {
        (DifferenceKind.no_payout, "jd", "301234567891", D("-159.00")),
        (DifferenceKind.payout_without_order, "pdd", "251102-999999999999999", D("35.00")),
        (DifferenceKind.amount_mismatch, "pdd", "251101-123456789012342", D("-8.00")),
        (DifferenceKind.refunded_paid_in_full, "taobao", "3901234567890123452", D("30.00")),
        (DifferenceKind.paid_twice, "taobao", "3901234567890123453", D("59.90")),
        (DifferenceKind.fee_rate, "pdd", "251101-123456789012343", D("3.00")),
    }
    twice = next(d for d in rec.differences if d.kind == DifferenceKind.paid_twice)
    assert twice.line_ids == ["20251030200040011100010000000001",
                              "20251106200040011100010000000031"]  # last month's, this one's
    assert twice.order_id == ids["3901234567890123453"]
    fee = next(d for d in rec.differences if d.kind == DifferenceKind.fee_rate)
    assert "8.00%" in fee.evidence and "5.00%" in fee.evidence

    t = rec.totals
    assert t["lines"] == 23  # 24 imported, one of them in October
    assert t["goods"] == D("1101.80")
    assert t["commission"] == D("-51.77")
    assert t["service_fee"] == D("-51.43")
    assert t["subsidy"] == D("5.00")
    assert t["refund"] == D("-50.00")
    assert t["net"] == D("953.60")
    assert t["unallocated"] == D("-30.00")
    assert t["orders"] == 9
    assert rec.by_platform["taobao"]["net"] == D("312.76")
    assert rec.by_platform["douyin"]["net"] == D("112.15")

    clean = {o.order_no: o for o in rec.orders if not o.differences}
    jd = clean["301234567890"]
    assert (jd.expected_income, jd.settled_income, jd.fees) == (D("299.00"), D("299.00"),
                                                                D("-26.91"))
    refunded = clean["6920000000000000011"]  # refunded after settlement, refund line matches
    assert (refunded.expected_income, refunded.settled_income) == (D("0.00"), D("0.00"))


def test_reimport_does_not_double_count(store) -> None:  # type: ignore[no-untyped-def]
    load_orders(store)
    first = import_settlements(store, BILLS)
    again = import_settlements(store, BILLS)
    assert (again.new, again.duplicate) == (0, first.lines)
    assert SettlementStore.of(store).count() == first.lines
    rec = reconcile(store, Period.month("2025-11"))
    assert rec.totals["net"] == D("953.60")
    assert len(rec.differences) == 6


def test_tolerance_and_bands_come_from_config(store) -> None:  # type: ignore[no-untyped-def]
    load_orders(store)
    import_settlements(store, BILLS)
    config = FinanceConfig.model_validate({
        "amount_tolerance": "10.00",
        "fee_bands": {"pdd": {"min": 0, "max": "0.10"}},
        "no_payout_days": {"jd": 90},
    })
    kinds = {d.kind for d in reconcile(store, Period.month("2025-11"), config).differences}
    assert DifferenceKind.amount_mismatch not in kinds  # 8.00 is within 10.00
    assert DifferenceKind.fee_rate not in kinds  # 8 % is inside 0-10 %
    assert DifferenceKind.no_payout not in kinds  # 61 days < 90


def test_one_day_and_one_shop(store) -> None:  # type: ignore[no-untyped-def]
    load_orders(store)
    import_settlements(store, BILLS)
    rec = reconcile(store, Period.day("2025-11-04"))
    assert rec.totals["lines"] == 3  # the PDD lines of that day
    assert {(d.kind, d.order_no) for d in rec.differences} == {
        (DifferenceKind.amount_mismatch, "251101-123456789012342"),
        (DifferenceKind.no_payout, "301234567891"),  # still unpaid: reported every night
    }
    assert reconcile(store, Period.month("2025-11"), shop="elsewhere").totals["lines"] == 0


def test_matching_by_internal_id(store, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    ids = load_orders(store)
    internal = ids["251101-123456789012342"]
    bill = tmp_path / "pdd-bill.csv"
    bill.write_text("商户订单号,发生时间,收入金额（+元）,支出金额（-元）,账务类型,备注,业务描述\n"
                    f"{internal},2025-11-20 10:00:00,8.00,,交易收入,补差,\n", encoding="utf-8")
    import_settlements(store, BILLS + [bill])
    rec = reconcile(store, Period.month("2025-11"))
    kinds = {(d.kind, d.order_no) for d in rec.differences}
    assert (DifferenceKind.amount_mismatch, "251101-123456789012342") not in kinds
    order = next(o for o in rec.orders if o.order_no == "251101-123456789012342")
    assert order.settled_income == D("88.00") and order.lines == 2


def test_bad_record_is_rejected_and_the_rest_imports(store, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    bill = tmp_path / "pdd.csv"
    bill.write_text("商户订单号,发生时间,收入金额（+元）,支出金额（-元）,账务类型,备注,业务描述\n"
                    "251101-1,2025-11-20 10:00:00,abc,,交易收入,,\n"
                    "251101-2,2025-11-20 10:00:00,5.00,,交易收入,,\n", encoding="utf-8")
    summary = import_settlements(store, [bill])
    assert (summary.new, summary.rejected) == (1, 1)
    reject = summary.rejects[0]
    assert reject.record == 2 and reject.field == "收入金额（+元）"
    assert "not an amount" in reject.reason and reject.file == str(bill)


@pytest.mark.parametrize("month", ["2025-13", "11/2025"])
def test_bad_month_is_refused(month: str) -> None:
    with pytest.raises(ValueError, match="not a month"):
        Period.month(month)
