"""After-sales feeds: each platform's refund records, with the platform's own creation times.

Order snapshots carry no refund request time: the store falls back to the modified time of the
first version that showed the refund, which is late whenever the order changed again before it
was pulled.  The after-sales APIs publish each request with its creation time, so the
"refund within 10 minutes" rule reads the true time when a record is known:

=========  ===================================================  ===========================
platform   API (incremental by modified time)                   creation time
=========  ===================================================  ===========================
taobao     ``taobao.refunds.receive.get``                       ``created``
pdd        ``pdd.refund.list.increment.get`` (30-min windows)   ``created_time``
douyin     ``afterSale.List`` (pages from 0)                    ``apply_time``
jd         ``jingdong.pop.afs.soa.refundapply.queryPageList``   ``applyTime`` [U: API name]
=========  ===================================================  ===========================

Each feed keeps its own cursor (``<shop>#aftersales``), advanced only after a page is stored.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from pydantic import BaseModel

from .base import PlatformClient, beijing, epoch, parse_beijing
from .http import PlatformError

Record = dict[str, Any]

TAOBAO_API = "taobao.refunds.receive.get"
PDD_API = "pdd.refund.list.increment.get"
DOUYIN_API = "afterSale.List"
JD_API = "jingdong.pop.afs.soa.refundapply.queryPageList"
TAOBAO_FIELDS = ("refund_id,tid,oid,status,created,modified,refund_fee,reason,has_good_return,"
                 "good_status")


class AfterSale(BaseModel):
    """One after-sales request, normalized.  ``status``: requested | refunded | closed."""

    platform: str
    shop: str
    aftersale_id: str
    platform_order_no: str
    line_id: str | None = None
    kind: str  # refund_only | return_refund | exchange | resend
    status: str
    raw_status: str
    amount: Decimal | None = None
    reason: str | None = None
    created_at: datetime
    modified_at: datetime
    raw: Record


# -- each platform's record -> AfterSale ---------------------------------------------------

TAOBAO_STATUS = {"WAIT_SELLER_AGREE": "requested", "WAIT_BUYER_RETURN_GOODS": "requested",
                 "WAIT_SELLER_CONFIRM_GOODS": "requested", "SUCCESS": "refunded",
                 "CLOSED": "closed", "SELLER_REFUSE_BUYER": "closed"}
#: PDD after_sales_status: 10 refunded; 6 rejected, 9 platform closed, 11 withdrawn, 12 buyer
#: overdue, 13 expired; the rest are in progress.
PDD_CLOSED = {6, 9, 11, 12, 13}
PDD_KIND = {2: "refund_only", 3: "return_refund", 4: "exchange", 5: "resend"}
#: Douyin aftersale_status: 12 success, 53 reverse transaction done; 27/28/29/51 closed.
DOUYIN_CLOSED = {27, 28, 29, 51}
DOUYIN_KIND = {0: "return_refund", 1: "refund_only", 2: "refund_only", 3: "exchange"}
#: JD refund-apply status: 3 refund succeeded, 6 intercepted + refunded, 9 forced close +
#: refund; 2 and 4 rejected, 11 withdrawn by the user; the rest in progress.
JD_REFUNDED = {3, 6, 9}
JD_CLOSED = {2, 4, 11}


def _when(value: Any) -> datetime:
    """A Beijing ``yyyy-MM-dd HH:mm:ss`` text or unix seconds, as an aware UTC time."""
    if isinstance(value, int | float) or (isinstance(value, str) and value.isdigit()):
        return datetime.fromtimestamp(int(value), UTC)
    parsed = parse_beijing(str(value))
    if parsed is None:
        raise ValueError(f"not a time: {value!r}")
    return parsed.astimezone(UTC)


def _fen(value: Any) -> Decimal | None:
    return None if value in (None, "") else Decimal(int(value)) / 100


def from_taobao(r: Record, shop: str) -> AfterSale:
    status = str(r["status"])
    return AfterSale(
        platform="taobao", shop=shop, aftersale_id=str(r["refund_id"]),
        platform_order_no=str(r["tid"]), line_id=str(r["oid"]) if r.get("oid") else None,
        kind="return_refund" if r.get("has_good_return") in (True, "true") else "refund_only",
        status=TAOBAO_STATUS.get(status, "requested"), raw_status=status,
        amount=Decimal(str(r["refund_fee"])) if r.get("refund_fee") else None,
        reason=r.get("reason"), created_at=_when(r["created"]), modified_at=_when(r["modified"]),
        raw=r)


def from_pdd(r: Record, shop: str) -> AfterSale:
    code = int(r["after_sales_status"])
    status = "refunded" if code == 10 else "closed" if code in PDD_CLOSED else "requested"
    return AfterSale(
        platform="pdd", shop=shop, aftersale_id=str(r["id"]),
        platform_order_no=str(r["order_sn"]), line_id=None,
        kind=PDD_KIND.get(int(r.get("after_sales_type") or 2), "refund_only"),
        status=status, raw_status=str(code), amount=_fen(r.get("refund_amount")),
        reason=r.get("after_sale_reason"), created_at=_when(r["created_time"]),
        modified_at=_when(r["updated_time"]), raw=r)


def from_douyin(r: Record, shop: str) -> AfterSale:
    info, order = r["aftersale_info"], r["order_info"]
    code = int(info["aftersale_status"])
    status = ("refunded" if code in (12, 53) else "closed" if code in DOUYIN_CLOSED
              else "requested")
    related = order.get("related_order_info") or [{}]
    return AfterSale(
        platform="douyin", shop=shop, aftersale_id=str(info["aftersale_id"]),
        platform_order_no=str(order["shop_order_id"]),
        line_id=str(related[0]["sku_order_id"]) if related[0].get("sku_order_id") else None,
        kind=DOUYIN_KIND.get(int(info.get("aftersale_type") or 0), "refund_only"),
        status=status, raw_status=str(code), amount=_fen(info.get("refund_amount")),
        reason=info.get("reason"), created_at=_when(info["apply_time"]),
        modified_at=_when(info["update_time"]), raw=r)


def from_jd(r: Record, shop: str) -> AfterSale:
    code = int(r["status"])
    status = "refunded" if code in JD_REFUNDED else "closed" if code in JD_CLOSED else "requested"
    return AfterSale(
        platform="jd", shop=shop, aftersale_id=str(r["id"]), platform_order_no=str(r["orderId"]),
        kind="refund_only", status=status, raw_status=str(code),
        amount=Decimal(str(r["applyRefundSum"])) if r.get("applyRefundSum") else None,
        reason=r.get("reason"), created_at=_when(r["applyTime"]),
        modified_at=_when(r.get("checkTime") or r["applyTime"]), raw=r)


# -- each platform's list call ---------------------------------------------------------------


@dataclass
class FeedPage:
    records: list[Record]
    more: bool


def _taobao_page(client: PlatformClient, start: datetime, end: datetime, page: int) -> FeedPage:
    body = client.call(TAOBAO_API, {
        "fields": TAOBAO_FIELDS, "start_modified": beijing(start), "end_modified": beijing(end),
        "page_no": page, "page_size": 100, "use_has_next": "true"})
    answer = body.get("refunds_receive_get_response", {})
    refunds = (answer.get("refunds") or {}).get("refund") or []
    return FeedPage(refunds, bool(answer.get("has_next")))


def _pdd_page(client: PlatformClient, start: datetime, end: datetime, page: int) -> FeedPage:
    body = client.call(PDD_API, {
        "start_updated_at": epoch(start), "end_updated_at": epoch(end),
        "after_sales_status": 1, "after_sales_type": 1, "page": page, "page_size": 100})
    answer = body.get("refund_increment_get_response", {})
    found = answer.get("refund_list") or []
    return FeedPage(found, page * 100 < int(answer.get("total_count") or 0))


def _douyin_page(client: PlatformClient, start: datetime, end: datetime, page: int) -> FeedPage:
    body = client.call(DOUYIN_API, {
        "update_start_time": epoch(start), "update_end_time": epoch(end),
        "page": page - 1, "size": 100})
    data = body.get("data") or {}
    return FeedPage(data.get("items") or [], bool(data.get("has_more")))


def _jd_page(client: PlatformClient, start: datetime, end: datetime, page: int) -> FeedPage:
    body = client.call(JD_API, {
        "applyTimeStart": beijing(start), "applyTimeEnd": beijing(end),
        "pageIndex": page, "pageSize": 50})
    answer = body.get("jingdong_pop_afs_soa_refundapply_queryPageList_responce", {})
    result = answer.get("queryResult") or {}
    found = result.get("result") or []
    return FeedPage(found, page * 50 < int(result.get("totalCount") or 0))


@dataclass(frozen=True)
class Feed:
    page: Callable[[PlatformClient, datetime, datetime, int], FeedPage]
    parse: Callable[[Record, str], AfterSale]
    window: timedelta


FEEDS = {
    "taobao": Feed(_taobao_page, from_taobao, timedelta(hours=1)),
    "pdd": Feed(_pdd_page, from_pdd, timedelta(minutes=30)),
    "douyin": Feed(_douyin_page, from_douyin, timedelta(hours=1)),
    "jd": Feed(_jd_page, from_jd, timedelta(hours=1)),
}


@dataclass
class FeedResult:
    """What one window yielded: parsed records, and records that could not be read."""

    records: list[AfterSale] = field(default_factory=list)
    bad: list[tuple[Record, str]] = field(default_factory=list)


def read_window(client: PlatformClient, start: datetime, end: datetime) -> Iterator[FeedResult]:
    """The after-sales records modified in ``[start, end]``, a page at a time."""
    feed = FEEDS[client.platform]
    page = 1
    while True:
        got = feed.page(client, start, end, page)
        result = FeedResult()
        for record in got.records:
            try:
                result.records.append(feed.parse(record, client.shop.name))
            except (KeyError, TypeError, ValueError, ArithmeticError) as exc:
                result.bad.append((record, f"{type(exc).__name__}: {exc}"))
        yield result
        if not got.more or not got.records:
            return
        page += 1


__all__ = ["FEEDS", "AfterSale", "FeedResult", "PlatformError", "read_window"]
