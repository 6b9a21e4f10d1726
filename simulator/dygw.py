"""Simulated Douyin Shop open platform: one path per method (``/order/searchList`` ...)."""

from __future__ import annotations

import json
import uuid
from typing import Any

from ..connectors import douyin as dy
from ..synth import render
from ..synth.fmt import ts
from . import aftersales, signing
from .gateway import Call, Gateway, Rejection, SimRequest, beijing_epoch, int_param, page_slice
from .shipping import DOUYIN_COMPANIES, ShipDenied, ship
from .waybill_apis import DOUYIN_ROUTES, LogisticsApis

SHOP_ID = "8123456"
AFTERSALE_API = "afterSale.List"
STOCK_API = "sku.syncStock"
CREATE_API = "token.create"
SETTLE_FEE_RATE = 0.05  # platform service fee + commission [U]; the simulator's choice
#: Douyin's refusals: code 50002 业务处理失败, sub_code isv.business-failed:<n> [C: DYE]
#: (a malformed number is 40004 isv.parameter-invalid:60017).
SHIP_CODES = {"shipped": "60110", "refunding": "60040", "refunded": "60068",
              "cancelled": "60021", "unpaid": "60137", "not_found": "60033",
              "bad_tracking": "60017", "unknown_line": "60102", "too_many": "60080"}


class DouyinGateway(LogisticsApis, Gateway):
    platform = "douyin"
    routes = tuple(dy.path_of(m) for m in (dy.LIST_API, dy.DETAIL_API, dy.REFRESH_API,
                                           dy.SETTLE_API, CREATE_API, AFTERSALE_API,
                                           STOCK_API, dy.SHIP_API, dy.SHIP_PACK_API)
                   ) + DOUYIN_ROUTES
    tokenless = frozenset({dy.REFRESH_API, CREATE_API})
    applied: set[str]  # idempotent_ids of stock syncs already applied

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.applied = set()

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
        canonical = signing.douyin_body(call.business)
        expected = signing.douyin_signature(self.creds.app_key, self.creds.secret, call.api,
                                            canonical, str(p.get("timestamp", "")),
                                            str(p.get("v", "2")))
        if p.get("sign") != expected:
            raise Rejection("signature")
        self.check_fresh(p, ("epoch", "datetime"))


    def error_body(self, kind: str, detail: str) -> Any:
        if kind.startswith("ship:"):
            number = kind[5:]
            code, msg, sub = (40004, "非法的参数", f"isv.parameter-invalid:{number}") \
                if number == "60017" else (50002, "业务处理失败", f"isv.business-failed:{number}")
            return {"code": code, "msg": msg, "sub_code": sub, "sub_msg": detail,
                    "log_id": uuid.uuid4().hex, "data": {}}
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
            orders = [self.render(o) for o in page_slice(listed, page, size, first=0)]
        self.churn(listed)
        return self.ok({"page": page, "size": size, "total": len(listed),
                        "shop_order_list": orders})

    def api_order_orderDetail(self, call: Call, entry: dict[str, Any]) -> Any:  # noqa: N802
        number = str(call.business.get("shop_order_id", ""))
        with self.world.lock:
            order = self.world.get(self.platform, number)
            if order is None:
                raise Rejection("parameter", f"no order {number}")
            detail = self.render(order)
        return self.ok({"shop_order_detail": detail})

    def api_order_logisticsAdd(self, call: Call, entry: dict[str, Any]) -> Any:  # noqa: N802
        """Ship a whole shop order: ``order_id``, ``company_code``, ``logistics_code``."""
        b = call.business
        company = self._company(b)
        self._ship(str(b.get("order_id") or ""), company, b, None, None)
        return self.ok({})

    def api_order_logisticsAddSinglePack(self, call: Call,  # noqa: N802
                                         entry: dict[str, Any]) -> Any:
        """One parcel of some sku orders: ``order_id_list``, ``shipped_order_info[{
        shipped_order_id, shipped_num}]``, ``company_code``, ``logistics_code``, and
        ``request_id`` (a repeat returns the first result and ships nothing)."""
        b = call.business
        company = self._company(b)
        orders = b.get("order_id_list")
        if not isinstance(orders, list) or len(orders) != 1:
            raise Rejection("parameter", "order_id_list must hold one order id")
        if not str(b.get("request_id") or "").strip():
            raise Rejection("ship:50050", "发货请求id不能为空，请检查requestId")
        info = b.get("shipped_order_info")
        if not isinstance(info, list) or not info:
            raise Rejection("ship:60036", "发货信息为空")
        lines: dict[str, int | None] = {}
        for item in info:
            if not isinstance(item, dict) or not item.get("shipped_order_id"):
                raise Rejection("ship:60016", "商品单单号为空或者格式错误")
            num = int_param(item, "shipped_num", low=1)
            lines[str(item["shipped_order_id"])] = num
        parcel = self._ship(str(orders[0]), company, b, lines, str(b["request_id"]))
        return self.ok({"pack_id": f"P{parcel.at}{parcel.tracking_no[-6:]}"})

    def _company(self, b: dict[str, Any]) -> str:
        for name in ("company_code", "logistics_code"):
            if not str(b.get(name) or "").strip():
                raise Rejection("ship:60011", f"{name}不允许为空")
        company = str(b["company_code"])
        if company not in DOUYIN_COMPANIES:
            raise Rejection("ship:60018", "暂不支持该物流公司或物流商已失效，请检查。")
        return company

    def _ship(self, order_id: str, company: str, b: dict[str, Any],
              lines: dict[str, int | None] | None, request_id: str | None) -> Any:
        if not order_id:
            raise Rejection("parameter", "order_id不能为空")
        try:
            return ship(self.world, self.platform, order_id, company,
                        DOUYIN_COMPANIES[company], str(b["logistics_code"]), lines, request_id)
        except ShipDenied as denied:
            raise Rejection("ship:" + SHIP_CODES[denied.kind], denied.detail) from None

    def api_afterSale_List(self, call: Call, entry: dict[str, Any]) -> Any:  # noqa: N802
        """After-sales by update time (``update_start_time``/``update_end_time``), pages from 0."""
        b = call.business
        start = int_param(b, "update_start_time", 0)
        end = int_param(b, "update_end_time", self.world.clock.now_int())
        entry["window"] = (start, end)
        page = int_param(b, "page", 0, low=0)
        size = int_param(b, "size", 10, low=1, high=100)
        with self.world.lock:
            found = aftersales.requests(self.world, self.platform, start, end)
            shown = [aftersales.douyin(o) for o in page_slice(found, page, size, first=0)]
        return self.ok({"items": shown, "has_more": (page + 1) * size < len(found),
                        "total": len(found), "page": page, "size": size})

    def api_sku_syncStock(self, call: Call, entry: dict[str, Any]) -> Any:  # noqa: N802
        """A full set (``incremental`` false); an ``idempotent_id`` already applied is 40010."""
        b = call.business
        if b.get("incremental"):
            raise Rejection("parameter", "the simulator takes full quantities only")
        key = b.get("idempotent_id")
        with self._lock:
            if key and key in self.applied:
                return {"code": 40010, "msg": "idempotent_id已使用", "sub_code": "",
                        "sub_msg": "", "log_id": uuid.uuid4().hex, "data": {}}
            if key:
                self.applied.add(str(key))
        self.set_listing(b.get("product_id"), b.get("sku_id"), b.get("stock_num"))
        return self.ok({})

    def api_token_create(self, call: Call, entry: dict[str, Any]) -> Any:
        """``grant_type=authorization_self`` (a self-built app, by ``shop_id``) or
        ``authorization_code`` (a service-market app, with a code from :meth:`issue_code`)."""
        b = call.business
        grant = b.get("grant_type")
        if grant == "authorization_self":
            if str(b.get("shop_id", "")) != SHOP_ID:
                raise Rejection("app_key", f"app not authorised for shop {b.get('shop_id')!r}")
            token = self.issue_token(self.creds.refresh_token)
        elif grant == "authorization_code":
            token = self.take_code(str(b.get("code", "")))
        else:
            raise Rejection("parameter", f"unsupported grant_type {grant!r}")
        return self.ok({"access_token": token, "refresh_token": self.creds.refresh_token,
                        "expires_in": 604800, "shop_id": SHOP_ID, "shop_name": "模拟抖店",
                        "authority_id": "", "scope": "SCOPE"})

    def api_token_refresh(self, call: Call, entry: dict[str, Any]) -> Any:
        token = self.issue_token(str(call.business.get("refresh_token", "")))
        return self.ok({"access_token": token, "refresh_token": self.creds.refresh_token,
                        "expires_in": 86400, "shop_id": SHOP_ID})

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
