"""Render logical orders into each platform's native order-API payloads.

    render(order, "douyin") -> one shop order dict, as order.searchList returns it
    envelope("douyin", [..]) -> the list response around those dicts
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..gcpause import paused_gc
from .douyin import envelope_douyin, render_douyin
from .export import EXPORT_HEADERS, render_export_items, render_export_row
from .jd import envelope_jd, render_jd
from .logical import LogicalOrder
from .pdd import envelope_pdd, render_pdd
from .taobao import envelope_taobao, render_taobao

Payload = dict[str, Any]

RENDERERS: dict[str, Callable[[LogicalOrder], Payload]] = {
    "taobao": render_taobao, "jd": render_jd, "pdd": render_pdd, "douyin": render_douyin,
}
ENVELOPES: dict[str, Callable[[list[Payload]], Payload]] = {
    "taobao": envelope_taobao, "jd": envelope_jd, "pdd": envelope_pdd,
    "douyin": envelope_douyin,
}
# Where the order list and the order number sit in each platform's payloads.
ORDER_NO_FIELD = {"taobao": "tid_str", "jd": "orderId", "pdd": "order_sn", "douyin": "order_id"}

__all__ = ["ENVELOPES", "EXPORT_HEADERS", "ORDER_NO_FIELD", "RENDERERS", "envelope",
           "order_list", "render", "render_export_items", "render_export_row", "render_many"]


def _lookup(table: dict[str, Any], platform: str) -> Any:
    try:
        return table[platform]
    except KeyError:
        raise ValueError(f"unknown platform {platform!r}; expected one of "
                         f"{sorted(table)}") from None


def render(order: LogicalOrder, platform: str | None = None) -> Payload:
    """The order as `platform`'s order-list API returns it (default: the order's own)."""
    pf = platform or order.platform
    if pf != order.platform:
        raise ValueError(f"order {order.order_no} was generated for {order.platform}, not {pf}; "
                         "order numbers and ids are platform specific")
    return _lookup(RENDERERS, pf)(order)


def render_many(orders: list[LogicalOrder], platform: str) -> list[Payload]:
    fn = _lookup(RENDERERS, platform)
    with paused_gc():
        return [fn(o) for o in orders]


def envelope(platform: str, orders: list[Payload]) -> Payload:
    """The list-API response around rendered orders (counts = len(orders), no next page)."""
    return _lookup(ENVELOPES, platform)(orders)


def order_list(platform: str, response: Payload) -> list[Payload]:
    """The order dicts inside an envelope (inverse of `envelope`)."""
    if platform == "taobao":
        return response["trades_sold_increment_get_response"]["trades"]["trade"]
    if platform == "jd":
        return response["jingdong_pop_order_search_responce"]["searchorderinfo_result"][
            "orderInfoList"]
    if platform == "pdd":
        return response["order_list_get_response"]["order_list"]
    if platform == "douyin":
        return response["data"]["shop_order_list"]
    raise ValueError(f"unknown platform {platform!r}")
