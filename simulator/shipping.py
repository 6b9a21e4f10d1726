"""The simulated platforms' side of shipping write-back: carriers they accept, parcels, refusals.

A ship call records a :class:`Parcel` on the order (the whole order, or some lines with their
units).  Once every unit has left, the order is ``shipped`` with that carrier and tracking
number and its modified time moves, so the next pull reports it in the platform's own fields
(Taobao ``WAIT_BUYER_CONFIRM_GOODS`` + ``invoice_no``, JD ``WAIT_GOODS_RECEIVE_CONFIRM`` +
``waybill``, PDD ``order_status`` 2 + ``tracking_number``, Douyin ``order_status`` 3 +
``logistics_info``).  Until then a split order shows Taobao ``SELLER_CONSIGNED_PART`` / Douyin
101 with the shipped lines' numbers.  A repeat, a refunding, cancelled or unknown order, or a
malformed tracking number is refused with :class:`ShipDenied`, which each gateway answers in its
platform's words.

The carrier lists are each platform's own (what its companies API returns), kept apart from
orderhub's carrier table on purpose: a wrong row there is refused here, as the platform would.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from ..synth.carriers import Carrier
from ..synth.fmt import ts
from ..synth.logical import LogicalOrder
from .world import World

#: taobao.logistics.companies.get (code -> name) [U: the codes ERPs use]
TAOBAO_COMPANIES = {"ZTO": "中通快递", "YTO": "圆通速递", "STO": "申通快递", "YUNDA": "韵达快递",
                    "SF": "顺丰速运", "EMS": "EMS", "JD": "京东配送", "JTSD": "极兔速递",
                    "POSTB": "邮政快递包裹", "DBKD": "德邦快递"}
#: 360buy.get.vender.all.delivery.company (logiCoprId -> name) [C*: fulfilment.md section 3]
JD_COMPANIES = {1499: "中通快递", 463: "圆通快递", 470: "申通快递", 1327: "韵达快递",
                467: "顺丰快递", 465: "EMS", 2087: "京东快递"}
#: pdd.logistics.companies.get (id -> name) [C*]
PDD_COMPANIES = {115: "中通快递", 85: "圆通快递", 1: "申通快递", 121: "韵达快递", 44: "顺丰快递",
                 118: "邮政EMS", 120: "京东配送", 132: "邮政快递包裹", 131: "德邦快递"}
#: order.logisticsCompanyList (code -> name) [U]
DOUYIN_COMPANIES = {"zhongtong": "中通快递", "yuantong": "圆通速递", "shentong": "申通快递",
                    "yunda": "韵达快递", "shunfeng": "顺丰速运", "ems": "EMS", "jd": "京东物流",
                    "jtexpress": "极兔速递", "youzhengguonei": "邮政快递包裹",
                    "debangkuaidi": "德邦快递"}

TRACKING = re.compile(r"[A-Za-z0-9]{8,32}")


class ShipDenied(Exception):  # noqa: N818 - a platform's answer, not a bug
    """Why a simulated platform refuses a shipment: ``shipped``, ``refunding``, ``refunded``,
    ``cancelled``, ``unpaid``, ``not_found``, ``bad_tracking``, ``unknown_line``,
    ``too_many``."""

    def __init__(self, kind: str, detail: str) -> None:
        super().__init__(detail)
        self.kind = kind
        self.detail = detail


@dataclass
class Parcel:
    """One shipment as the platform recorded it."""

    company: str
    company_name: str
    tracking_no: str
    lines: dict[str, int] | None  # line id -> units; None: the whole order
    at: int
    request_id: str | None = None


def parcels(world: World, platform: str, order_no: str) -> list[Parcel]:
    return world.parcels.get((platform, order_no), [])


def ship(world: World, platform: str, order_no: str, company: str, company_name: str,
         tracking_no: str, lines: dict[str, int | None] | None = None,
         request_id: str | None = None) -> Parcel:
    """Record a parcel of ``order_no`` (``lines``: line id -> units, None units = the whole
    line), or raise :class:`ShipDenied`.  A repeated ``request_id`` returns the first parcel."""
    with world.lock:
        order = world.get(platform, order_no)
        if order is None:
            raise ShipDenied("not_found", f"订单{order_no}不存在")
        done = parcels(world, platform, order_no)
        for parcel in done:
            if request_id and parcel.request_id == request_id:
                return parcel  # idempotent by request id
        _check_state(order)
        if not TRACKING.fullmatch(tracking_no):
            raise ShipDenied("bad_tracking", f"运单号{tracking_no!r}不符合规则")
        left = remaining(order, done)
        wanted = _wanted(order, left, lines)
        now = world.clock.now_int()
        parcel = Parcel(company, company_name, tracking_no,
                        None if lines is None else wanted, now, request_id)
        world.parcels.setdefault((platform, order_no), []).append(parcel)
        if all(left[k] - wanted.get(k, 0) <= 0 for k in left):
            order.status, order.shipped_ts = "shipped", now
            order.tracking_no = tracking_no
            order.carrier = Carrier(company, company_name, "", 0)
        order.modified_ts = max(now, order.modified_ts)
        world.changes += 1
        return parcel


def _check_state(order: LogicalOrder) -> None:
    status = order.status
    if status in ("refunding", "refunded"):
        raise ShipDenied(status, "订单退款中，不能发货" if status == "refunding"
                         else "订单已退款，不能发货")
    if status == "cancelled":
        raise ShipDenied("cancelled", "订单已取消，不能发货")
    if status == "pending_payment":
        raise ShipDenied("unpaid", "订单未支付，不能发货")
    if status in ("shipped", "completed"):
        raise ShipDenied("shipped", "订单已发货，不允许再次发货")


def remaining(order: LogicalOrder, done: list[Parcel]) -> dict[str, int]:
    """Units of each line not yet shipped (lines keyed by line id, or by position)."""
    left = {line_key(order, i): item.qty for i, item in enumerate(order.items)}
    for parcel in done:
        for key in left:
            left[key] -= left[key] if parcel.lines is None else parcel.lines.get(key, 0)
    return left


def line_key(order: LogicalOrder, index: int) -> str:
    return order.items[index].line_id or str(index)


def _wanted(order: LogicalOrder, left: dict[str, int],
            lines: dict[str, int | None] | None) -> dict[str, int]:
    if lines is None:
        return {k: v for k, v in left.items() if v > 0}
    wanted = {}
    for key, units in lines.items():
        if key not in left:
            raise ShipDenied("unknown_line", f"子订单{key}不属于订单{order.order_no}")
        if left[key] <= 0:
            raise ShipDenied("shipped", f"子订单{key}已发货，不允许再次发货")
        count = left[key] if units is None else units
        if count > left[key]:
            raise ShipDenied("too_many", f"子订单{key}只剩{left[key]}件待发货")
        wanted[key] = count
    return wanted


def request_refund(world: World, platform: str, order_no: str) -> LogicalOrder:
    """The buyer asks for a refund of ``order_no`` now (tests: a refunding order)."""
    return world.request_refund(platform, order_no, world.clock.now_int())


# -- what a pull shows of parcels (on top of the synth renderers) ---------------------------

def overlay(world: World, order: LogicalOrder, payload: dict[str, Any]) -> dict[str, Any]:
    """The rendered order with its recorded parcels (split shipments) shown."""
    done = parcels(world, order.platform, order.order_no)
    if not done:
        return payload
    partial = order.status == "paid"
    if order.platform == "taobao":
        _taobao(order, payload, done, partial)
    elif order.platform == "douyin":
        _douyin(order, payload, done, partial)
    return payload


def _by_line(order: LogicalOrder, done: list[Parcel]) -> dict[str, Parcel]:
    out: dict[str, Parcel] = {}
    for parcel in done:
        keys = [line_key(order, i) for i in range(len(order.items))] if parcel.lines is None \
            else list(parcel.lines)
        for key in keys:
            out.setdefault(key, parcel)
    return out


def _taobao(order: LogicalOrder, trade: dict[str, Any], done: list[Parcel],
            partial: bool) -> None:
    shipped = _by_line(order, done)
    if partial:
        trade["status"] = "SELLER_CONSIGNED_PART"
    for line in trade["orders"]["order"]:
        parcel = shipped.get(line["oid_str"])
        if partial or parcel is not None:  # else: shipped otherwise (the world's own life)
            for key in ("invoice_no", "logistics_company", "consign_time"):
                line.pop(key, None)
        if parcel is not None:
            line.update(invoice_no=parcel.tracking_no, logistics_company=parcel.company_name,
                        consign_time=ts(parcel.at))
            if partial:
                line["status"] = "WAIT_BUYER_CONFIRM_GOODS"


def _douyin(order: LogicalOrder, shop_order: dict[str, Any], done: list[Parcel],
            partial: bool) -> None:
    others = [x for x in shop_order.get("logistics_info") or []
              if x["tracking_no"] not in {p.tracking_no for p in done}]
    shop_order["logistics_info"] = [
        {"tracking_no": p.tracking_no, "company": p.company, "company_name": p.company_name,
         "ship_time": p.at} for p in done] + others
    if not partial:
        return
    shipped = _by_line(order, done)
    left = remaining(order, done)
    shop_order["order_status"], shop_order["order_status_desc"] = 101, "部分发货"
    shop_order["ship_time"] = done[0].at
    for sku in shop_order["sku_order_list"]:
        if sku["order_id"] in shipped and left.get(sku["order_id"], 1) <= 0:
            sku["order_status"] = 3
