"""Matching settlement lines to orders, and finding what does not add up.

For a period (a day or a month) every line that occurred in it is matched to its order by
platform order number, else by internal order ID.  Each matched order is then looked at as of
the period's end, with all its lines so far: goods, shipping, subsidies, fees and refunds, the
income expected from the order and its refunds, and the income actually settled.  Six kinds of
difference are reported, each with the money at stake and the evidence (see
:class:`DifferenceKind`).  Totals count only the lines that occurred in the period.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import and_, exists, func, or_, select

from ..store import OrderStore
from ..store.schema import orders
from .config import FeeBand, FinanceConfig
from .model import FEE_KINDS, INCOME_KINDS, LineKind
from .period import Period
from .schema import settlement_lines
from .store import SettlementStore, StoredLine

ZERO = Decimal("0.00")
_CHUNK = 1000


class DifferenceKind(StrEnum):
    no_payout = "no_payout"
    payout_without_order = "payout_without_order"
    amount_mismatch = "amount_mismatch"
    refunded_paid_in_full = "refunded_paid_in_full"
    paid_twice = "paid_twice"
    fee_rate = "fee_rate"


#: How the report names each kind (finance staff read Chinese first).
DIFFERENCE_LABELS = {
    DifferenceKind.no_payout: "已发货未回款 shipped, no payout",
    DifferenceKind.payout_without_order: "有回款无订单 payout without order",
    DifferenceKind.amount_mismatch: "金额不符 amount mismatch",
    DifferenceKind.refunded_paid_in_full: "已退款仍全额回款 refunded, paid in full",
    DifferenceKind.paid_twice: "重复回款 paid twice",
    DifferenceKind.fee_rate: "费率异常 fee rate out of band",
}


@dataclass
class Difference:
    """One thing for finance to look at.  ``amount`` is the money at stake, signed: positive
    means the platform paid (or charged) more than expected."""

    kind: DifferenceKind
    platform: str
    shop: str
    order_no: str | None
    order_id: str | None
    amount: Decimal
    evidence: str
    line_ids: list[str] = field(default_factory=list)
    detail: dict[str, Any] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return DIFFERENCE_LABELS[self.kind]

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind.value, "label": self.label, "platform": self.platform,
                "shop": self.shop, "order_no": self.order_no, "order_id": self.order_id,
                "amount": self.amount, "evidence": self.evidence, "line_ids": self.line_ids,
                "detail": self.detail}


@dataclass
class OrderSettlement:
    """One order's money as of the period's end: what it should bring, what it brought."""

    order_id: str
    platform: str
    shop: str
    order_no: str
    status: str
    goods_total: Decimal
    discount: Decimal
    post_fee: Decimal
    payment: Decimal
    refunded: Decimal
    by_kind: dict[LineKind, Decimal]
    lines: int
    differences: list[DifferenceKind] = field(default_factory=list)

    @property
    def expected_income(self) -> Decimal:
        return self.payment - self.refunded

    @property
    def settled_income(self) -> Decimal:
        k = self.by_kind
        return k[LineKind.goods] + k[LineKind.shipping] + k[LineKind.refund]

    @property
    def fees(self) -> Decimal:
        return sum((self.by_kind[k] for k in FEE_KINDS), ZERO)

    @property
    def net(self) -> Decimal:
        return sum(self.by_kind.values(), ZERO)

    def as_dict(self) -> dict[str, Any]:
        return {
            "order_id": self.order_id, "platform": self.platform, "shop": self.shop,
            "order_no": self.order_no, "status": self.status, "goods_total": self.goods_total,
            "discount": self.discount, "post_fee": self.post_fee, "payment": self.payment,
            "refunded": self.refunded, "expected_income": self.expected_income,
            **{k.value: v for k, v in self.by_kind.items()},
            "settled_income": self.settled_income, "net": self.net, "lines": self.lines,
            "differences": [d.value for d in self.differences],
        }


@dataclass
class Reconciliation:
    """The outcome of :func:`reconcile`: per-order breakdown, differences, totals."""

    period: Period
    shop: str | None
    generated_at: datetime
    orders: list[OrderSettlement]
    differences: list[Difference]
    totals: dict[str, Any]
    by_platform: dict[str, dict[str, Any]]

    def summary(self) -> dict[str, Any]:
        """The figures the CLI prints and scripts read."""
        counts = {k.value: 0 for k in DifferenceKind}
        amounts = {k.value: ZERO for k in DifferenceKind}
        for d in self.differences:
            counts[d.kind.value] += 1
            amounts[d.kind.value] += d.amount
        return {"period": self.period.label, "shop": self.shop, **self.totals,
                "differences": len(self.differences), "by_kind": counts,
                "amount_by_kind": amounts}


# -- loading -----------------------------------------------------------------------------------

_ORDER_COLS = (
    orders.c.id, orders.c.platform, orders.c.shop_id, orders.c.platform_order_no,
    orders.c.status, orders.c.goods_total, orders.c.discount, orders.c.post_fee,
    orders.c.payment, orders.c.refund_status, orders.c.refund_amount,
)
#: Unpaid orders need their shipping and completion times for the evidence.
_DUE_COLS = (*_ORDER_COLS, orders.c.shipped_at, orders.c.completed_at)
_KIND_LIST = list(LineKind)


def _orders_in_period(conn: Any, period: Period, shop: str | None,
                      keys: set[tuple[str, str]]) -> dict[tuple[str, str], Any]:
    """Orders named by the period's lines: one join on the platform order number, then the
    few numbers left over are tried as internal IDs."""
    s = settlement_lines.c
    numbers = select(s.platform, s.order_no).where(
        s.occurred_at >= period.start, s.occurred_at < period.end, s.order_no.is_not(None))
    if shop is not None:
        numbers = numbers.where(s.shop == shop)
    sub = numbers.distinct().subquery()
    query = select(*_ORDER_COLS).join(sub, and_(orders.c.platform == sub.c.platform,
                                                orders.c.platform_order_no == sub.c.order_no))
    found = {(row.platform, row.platform_order_no): row for row in conn.execute(query)}
    missing: dict[str, str] = {n: p for p, n in keys if (p, n) not in found}
    names = list(missing)
    for i in range(0, len(names), _CHUNK):
        query = select(*_ORDER_COLS).where(orders.c.id.in_(names[i : i + _CHUNK]))
        for row in conn.execute(query):
            found[(missing[row.id], row.id)] = row
    return found


def _due_unpaid(conn: Any, period: Period, config: FinanceConfig, shop: str | None) -> list[Any]:
    """Shipped or completed orders past their payout days by the period's end, no line at all."""
    s = settlement_lines.c
    due = func.coalesce(orders.c.completed_at, orders.c.shipped_at)
    any_line = exists().where(
        s.platform == orders.c.platform,
        or_(s.order_no == orders.c.platform_order_no, s.order_no == orders.c.id),
        s.occurred_at < period.end,
    )
    out = []
    for platform in sorted({p for p, in conn.execute(select(orders.c.platform).distinct())}):
        latest = period.end - timedelta(days=config.payout_days(platform))
        earliest = latest - timedelta(days=config.overdue_lookback_days)
        query = select(*_DUE_COLS).where(
            orders.c.platform == platform,
            orders.c.status.in_(("shipped", "completed")),
            and_(due < latest, due >= earliest),
            ~any_line,
        )
        if shop is not None:
            query = query.where(orders.c.shop_id == shop)
        out.extend(conn.execute(query))
    return out


# -- the reconciliation ------------------------------------------------------------------------


def reconcile(
    store: OrderStore, period: Period, config: FinanceConfig | None = None, *,
    shop: str | None = None, now: datetime | None = None,
) -> Reconciliation:
    """Reconcile the settlement lines of ``period`` against the orders in ``store``."""
    config = config or FinanceConfig()
    tol = config.amount_tolerance
    settlements = SettlementStore.of(store)
    lines = settlements.between(period.start, period.end, shop=shop)
    keys = {(ln.platform, ln.order_no) for ln in lines if ln.order_no}
    with store.engine.connect() as conn:
        matched = _orders_in_period(conn, period, shop, keys)
        overdue = _due_unpaid(conn, period, config, shop)

    per_order: dict[str, list[StoredLine]] = defaultdict(list)
    orphans: dict[tuple[str, str], list[StoredLine]] = defaultdict(list)
    unallocated: list[StoredLine] = []
    for ln in lines:
        row = matched.get((ln.platform, ln.order_no)) if ln.order_no else None
        if row is not None:
            per_order[row.id].append(ln)
        elif ln.order_no:
            orphans[(ln.platform, ln.order_no)].append(ln)
        else:
            unallocated.append(ln)
    rows = {row.id: row for row in matched.values()}
    for ln in settlements.earlier_lines(period.start, period.end, shop=shop):
        row = matched.get((ln.platform, ln.order_no))  # type: ignore[arg-type]
        if row is not None:
            per_order[row.id].append(ln)

    differences: list[Difference] = []
    breakdown: list[OrderSettlement] = []
    bands: dict[str, FeeBand] = {}
    for order_id, its_lines in per_order.items():
        order = _settlement(rows[order_id], its_lines)
        band = bands.get(order.platform) or bands.setdefault(order.platform,
                                                             config.fee_band(order.platform))
        found = _check_order(order, its_lines, band, tol)
        order.differences = [d.kind for d in found]
        differences.extend(found)
        breakdown.append(order)
    for (platform, number), its_lines in orphans.items():
        differences.append(_orphan(platform, number, its_lines))
    for row in overdue:
        differences.append(_no_payout(row, period, config))
        order = _settlement(row, [])
        order.differences = [DifferenceKind.no_payout]
        breakdown.append(order)

    breakdown.sort(key=lambda o: (o.platform, o.order_no))
    differences.sort(key=lambda d: (list(DifferenceKind).index(d.kind), d.platform,
                                    d.order_no or ""))
    totals, by_platform = _totals(lines, breakdown, unallocated)
    return Reconciliation(period, shop, now or datetime.now(UTC), breakdown, differences,
                          totals, by_platform)


def _settlement(row: Any, its_lines: Iterable[StoredLine]) -> OrderSettlement:
    by_kind = dict.fromkeys(_KIND_LIST, ZERO)
    n = 0
    for ln in its_lines:
        by_kind[ln.kind] += ln.amount
        n += 1
    refunded = ZERO
    if row.refund_status == "refunded" or row.status == "refunded":
        refunded = row.refund_amount if row.refund_amount is not None else row.payment
    return OrderSettlement(
        order_id=row.id, platform=row.platform, shop=row.shop_id,
        order_no=row.platform_order_no, status=row.status, goods_total=row.goods_total,
        discount=row.discount, post_fee=row.post_fee, payment=row.payment, refunded=refunded,
        by_kind=by_kind, lines=n,
    )


def _check_order(
    order: OrderSettlement, its_lines: list[StoredLine], band: FeeBand, tol: Decimal
) -> list[Difference]:
    """The differences of one matched order (most have none: this runs for every order, so the
    evidence is only put together for the ones found)."""
    out: list[Difference] = []

    def diff(kind: DifferenceKind, amount: Decimal, evidence: str, ids: list[str],
             **detail: Any) -> None:
        out.append(Difference(kind, order.platform, order.shop, order.order_no, order.order_id,
                              amount, evidence, ids, detail))

    extra, dup_ids = _duplicates(its_lines, tol)
    if extra:
        diff(DifferenceKind.paid_twice, extra,
             f"goods paid {len(dup_ids)} times for the same item: lines {', '.join(dup_ids)}",
             dup_ids, lines=len(dup_ids))
    settled = order.settled_income - extra
    expected = order.expected_income
    if order.refunded > tol and settled >= order.payment - tol:
        diff(DifferenceKind.refunded_paid_in_full, settled - expected,
             f"refunded {order.refunded} of {order.payment}, yet {settled} was paid out with "
             f"no refund deducted", _income_ids(its_lines), refunded=order.refunded,
             settled=settled, payment=order.payment)
    elif abs(settled - expected) > tol:
        diff(DifferenceKind.amount_mismatch, settled - expected,
             f"expected {expected} (paid {order.payment}, refunded {order.refunded}), "
             f"settled {settled}", _income_ids(its_lines), expected=expected, settled=settled)
    base = order.by_kind[LineKind.goods] + order.by_kind[LineKind.shipping] - extra
    if base > 0:
        fees = -order.fees
        rate = fees / base
        if rate < band.min or rate > band.max:
            edge = band.max if rate > band.max else band.min
            fee_ids = [ln.line_id for ln in its_lines if ln.kind in FEE_KINDS]
            diff(DifferenceKind.fee_rate, (fees - base * edge).quantize(Decimal("0.01")),
                 f"fees {fees} on {base} = {rate:.2%}, expected {band.min:.2%}–{band.max:.2%}",
                 fee_ids, rate=rate.quantize(Decimal("0.0001")), band=[band.min, band.max])
    return out


def _income_ids(its_lines: list[StoredLine]) -> list[str]:
    return [ln.line_id for ln in its_lines if ln.kind in INCOME_KINDS]


def _duplicates(its_lines: list[StoredLine], tol: Decimal) -> tuple[Decimal, list[str]]:
    """Goods paid more than once for the same item (sub-order): same amount, another line."""
    if len(its_lines) < 2:  # most orders: nothing to compare
        return ZERO, []
    groups: dict[str, list[StoredLine]] = defaultdict(list)
    for ln in its_lines:
        if ln.kind == LineKind.goods and ln.amount > 0:
            groups[ln.sub_ref or ""].append(ln)
    extra, ids = ZERO, []
    for group in groups.values():
        if len(group) < 2:
            continue
        group.sort(key=lambda ln: (ln.occurred_at, ln.id))
        first = group[0]
        repeats = [ln for ln in group[1:] if abs(ln.amount - first.amount) <= tol]
        if repeats:
            extra += sum((ln.amount for ln in repeats), ZERO)
            ids.extend([first.line_id, *(ln.line_id for ln in repeats)])
    return extra, ids


def _orphan(platform: str, number: str, its_lines: list[StoredLine]) -> Difference:
    total = sum((ln.amount for ln in its_lines), ZERO)
    what = "; ".join(f"{ln.line_id} {ln.kind.value} {ln.amount}" for ln in its_lines[:5])
    more = f" (+{len(its_lines) - 5} more)" if len(its_lines) > 5 else ""
    return Difference(DifferenceKind.payout_without_order, platform, its_lines[0].shop, number,
                      None, total, f"no order {platform}:{number} in the store; lines {what}{more}",
                      [ln.line_id for ln in its_lines], {"lines": len(its_lines)})


def _no_payout(row: Any, period: Period, config: FinanceConfig) -> Difference:
    due_from = row.completed_at or row.shipped_at
    what = "completed" if row.completed_at else "shipped"
    days = (period.end - due_from).days
    refunded = row.refund_amount if row.refund_status == "refunded" and row.refund_amount \
        else ZERO
    limit = config.payout_days(row.platform)
    local = due_from.astimezone(period.start.tzinfo).strftime("%Y-%m-%d %H:%M")
    return Difference(
        DifferenceKind.no_payout, row.platform, row.shop_id, row.platform_order_no, row.id,
        -(row.payment - refunded),
        f"{what} {local}, {days} days before the period's end (limit {limit}), no settlement "
        f"line; expected {row.payment - refunded}", [], {"days": days, "limit": limit},
    )


def _totals(
    lines: list[StoredLine], breakdown: list[OrderSettlement], unallocated: list[StoredLine]
) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    def blank() -> dict[str, Any]:
        return {"lines": 0, **{k.value: ZERO for k in LineKind}, "net": ZERO}

    totals = blank()
    by_platform: dict[str, dict[str, Any]] = defaultdict(blank)
    sums: dict[tuple[str, LineKind], list[Decimal]] = defaultdict(list)
    for ln in lines:
        sums[(ln.platform, ln.kind)].append(ln.amount)
    for (platform, kind), amounts in sums.items():
        total = sum(amounts, ZERO)
        for bucket in (totals, by_platform[platform]):
            bucket["lines"] += len(amounts)
            bucket[kind.value] += total
            bucket["net"] += total
    matched = [o for o in breakdown if o.lines]
    totals.update({
        "orders": len(matched),
        "expected_income": sum((o.expected_income for o in matched), ZERO),
        "settled_income": sum((o.settled_income for o in matched), ZERO),
        "unallocated": sum((ln.amount for ln in unallocated), ZERO),
    })
    for o in matched:
        bucket = by_platform[o.platform]
        bucket["orders"] = bucket.get("orders", 0) + 1
    return totals, dict(sorted(by_platform.items()))
