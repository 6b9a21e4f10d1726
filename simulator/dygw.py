"""Simulated Douyin Shop open platform: one path per method (``/order/searchList`` ...)."""

from __future__ import annotations

import json
import uuid
from typing import Any

from ..connectors import douyin as dy
from ..synth import render
from ..synth.fmt import ts
from .gateway import Call, Gateway, Rejection, SimRequest, beijing_epoch, int_param, page_slice
from .waybill_apis import DOUYIN_ROUTES, LogisticsApis

SETTLE_FEE_RATE = 0.05  # platform service fee + commission [U]; the simulator's choice


class DouyinGateway(LogisticsApis, Gateway):
    platform = "douyin"
    routes = tuple(dy.path_of(m) for m in (dy.LIST_API, dy.DETAIL_API, dy.REFRESH_API,
                                           dy.SETTLE_API)) + DOUYIN_ROUTES
    tokenless = frozenset({dy.REFRESH_API})

    def parse(self, req: SimRequest) -> Call:
        params = dict(req.query)
        method = params.get("method") or req.path.strip("/").replace("/", ".")
        if dy.path_of(method) != req.path:
            raise Rejection("parameter", f"method {method} does not match path {req.path}")
        text = req.body.decode("utf-8") if req.body else params.get("param_json", "{}")
        try:
            business = json.loads(text or "{}")
        except ValueError:
            raise Rejection("parameter", "param_json is not JSON") from None
        params["param_json"] = text
        return Call(method, params, business)

    def authenticate(self, call: Call) -> None:
        p = call.params
        if p.get("app_key") != self.creds.app_key:
            raise Rejection("app_key")
        # the platform signs the param_json it re-serializes with sorted keys
        canonical = dy.param_json(call.business)
        expected = dy.sign(self.creds.app_key, self.creds.secret, call.api, canonical,
                           str(p.get("timestamp", "")), str(p.get("v", "2")))
        if p.get("sign") != expected:
            raise Rejection("signature")

    def token_of(self, call: Call) -> str | None:
        return call.params.get("access_token")

    def error_body(self, kind: str, detail: str) -> Any:
        code, msg, sub = dy.ERRORS.get(kind, dy.ERRORS["parameter"])
        return {"code": code, "msg": msg, "sub_code": sub, "sub_msg": detail,
                "log_id": uuid.uuid4().hex, "data": {}}

    def ok(self, data: Any) -> Any:
        return {"code": dy.SUCCESS, "msg": "success", "sub_code": "", "sub_msg": "",
                "log_id": uuid.uuid4().hex, "data": data}

    # -- APIs ------------------------------------------------------------------------------

    def api_order_searchList(self, call: Call, entry: dict[str, Any]) -> Any:  # noqa: N802
        b = call.business
        start = int_param(b, "update_time_start", 0)
        end = int_param(b, "update_time_end", self.world.clock.now_int())
        entry["window"] = (start, end)
        if b.get("order_by", "create_time") != "update_time":
            raise Rejection("parameter", "the simulator lists by update_time only")
        page = int_param(b, "page", 0, low=0)
        size = int_param(b, "size", 10, low=1, high=100)
        with self.world.lock:
            listed = self.world.modified_between(self.platform, start, end,
                                                 newest_first=not b.get("order_asc", False))
            orders = [render(o) for o in page_slice(listed, page, size, first=0)]
        self.churn(listed)
        return self.ok({"page": page, "size": size, "total": len(listed),
                        "shop_order_list": orders})

    def api_order_orderDetail(self, call: Call, entry: dict[str, Any]) -> Any:  # noqa: N802
        number = str(call.business.get("shop_order_id", ""))
        with self.world.lock:
            order = self.world.get(self.platform, number)
            if order is None:
                raise Rejection("parameter", f"no order {number}")
            detail = render(order)
        return self.ok({"shop_order_detail": detail})

    def api_token_refresh(self, call: Call, entry: dict[str, Any]) -> Any:
        token = self.issue_token(str(call.business.get("refresh_token", "")))
        return self.ok({"access_token": token, "refresh_token": self.creds.refresh_token,
                        "expires_in": 86400, "shop_id": "8123456"})

    def api_order_getSettleBillDetailV3(self, call: Call,  # noqa: N802
                                        entry: dict[str, Any]) -> Any:
        """Settled SKU orders by settle time, cursor-paged (``start_index``, ``is_end``)."""
        b = call.business
        size = int_param(b, "size", 100, low=1, high=100)
        lo = beijing_epoch(b.get("start_time"), "start_time")
        hi = beijing_epoch(b.get("end_time"), "end_time")
        after = int_param(b, "start_index", 0, low=0) if b.get("start_index") else 0
        rows: list[dict[str, Any]] = []
        with self.world.lock:
            done = sorted((o for o in self.world.orders[self.platform].values()
                           if o.completed_ts is not None and lo <= o.completed_ts <= hi),
                          key=lambda o: (o.completed_ts or 0, o.order_no))
            for o in done:
                rows.extend(_settle_rows(o))
        page = rows[after: after + size]
        is_end = after + size >= len(rows)
        return self.ok({"code": "100000", "code_msg": "success", "size": size,
                        "is_end": 1 if is_end else 0,
                        "next_start_index": "" if is_end else str(after + size),
                        "next_start_time": page[-1]["settle_time"] if page else "",
                        "data": page})


def _settle_rows(o: Any) -> list[dict[str, Any]]:
    payload = render(o)
    rows = []
    for sku in payload["sku_order_list"]:
        pay = int(sku["pay_amount"]) + int(sku.get("post_amount") or 0)
        fee = round(pay * SETTLE_FEE_RATE)
        rows.append({
            "settle_time": ts(o.completed_ts), "request_no": f"S{sku['order_id']}",
            "shop_order_id": o.order_no, "order_id": sku["order_id"],
            "settle_amount": pay - fee, "pay_type_desc": "抖音支付", "trade_type": 0,
            "is_contains_refund_before_settle": 0, "refund_before_settle": 0,
            "order_time": ts(o.created_ts), "product_id": sku["product_id"],
            "goods_count": sku["item_num"], "flow_type_desc": "订单结算", "order_type": 0,
            "total_amount": pay, "total_goods_amount": sku["sum_amount"],
            "post_amount": sku.get("post_amount") or 0,
            "shop_coupon": sku["promotion_shop_amount"],
            "platform_coupon": sku["promotion_platform_amount"], "author_coupon": 0,
            "zt_pay_promotion": 0, "zr_pay_promotion": 0, "real_pay_amount": pay,
            "total_income": pay, "platform_service_fee": fee // 2, "commission": fee - fee // 2,
            "good_learn_channel_fee": 0, "colonel_service_fee": 0, "channel_promotion_fee": 0,
            "other_sharing_amount": 0, "total_outcome": fee, "packing_amount": 0, "remark": "",
        })
    return rows
