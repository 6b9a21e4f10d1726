"""Simulated JD open platform (JOS): ``/routerjson`` and the OAuth refresh."""

from __future__ import annotations

import json
from typing import Any

from ..connectors import jd
from . import aftersales, signing
from .gateway import Call, Gateway, Rejection, SimRequest, beijing_epoch, int_param, page_slice
from .shipping import JD_COMPANIES, ShipDenied, ship
from .waybill_apis import AlphaApis

#: The refusal codes of jingdong.pop.order.shipment are not public (fulfilment.md section 9);
#: these ``errorCode`` values are the simulator's own.
SHIP_CODES = {"shipped": "sim.order-shipped", "refunding": "sim.order-locked",
              "refunded": "sim.order-canceled", "cancelled": "sim.order-canceled",
              "unpaid": "sim.order-unpaid", "not_found": "sim.order-not-found",
              "bad_tracking": "sim.bad-waybill", "unknown_line": "sim.bad-param",
              "too_many": "sim.bad-param"}

ACCESS_PATH = "/oauth2/access_token"


class JosGateway(AlphaApis, Gateway):
    platform = "jd"
    routes = (jd.API_PATH, jd.REFRESH_PATH, ACCESS_PATH)
    tokenless = frozenset({"oauth2.refresh_token", "oauth2.access_token"})

    def parse(self, req: SimRequest) -> Call:
        params = {**req.query, **req.form}
        if req.path in (jd.REFRESH_PATH, ACCESS_PATH):
            api = "oauth2." + req.path.rsplit("/", 1)[1]
            return Call(api, params, {"grant_type": params.get("grant_type")}, signed=False)
        api = params.get("method") or ""
        if not api:
            raise Rejection("parameter", "missing method")
        try:
            business = json.loads(params.get("360buy_param_json") or "{}")
        except ValueError:
            raise Rejection("parameter", "360buy_param_json is not JSON") from None
        return Call(api, params, business)

    def authenticate(self, call: Call) -> None:
        p = call.params
        if p.get("app_key") != self.creds.app_key:
            raise Rejection("app_key")
        if not call.signed:
            if p.get("app_secret") != self.creds.secret:
                raise Rejection("signature", "app_secret mismatch")
            return
        if p.get("sign") != signing.jos_signature(p, self.creds.secret):
            raise Rejection("signature")
        self.check_fresh(p, ("datetime",))


    def error_body(self, kind: str, detail: str) -> Any:
        code, zh, en = jd.ERRORS.get(kind, jd.ERRORS["parameter"])
        text = f"{zh}：{detail}" if detail else zh
        return {"error_response": {"code": code, "zh_desc": text, "en_desc": en}}

    # -- APIs ------------------------------------------------------------------------------

    def api_jingdong_pop_order_search(self, call: Call, entry: dict[str, Any]) -> Any:
        b = call.business
        fields = b.get("optional_fields")
        if not fields:
            raise Rejection("parameter", "optional_fields不能为空")
        if str(b.get("dateType", "0")) != "0":
            raise Rejection("parameter", "the simulator lists by modified time only (dateType=0)")
        start = beijing_epoch(b.get("start_date"), "start_date")
        end = beijing_epoch(b.get("end_date"), "end_date")
        entry["window"] = (start, end)
        if end < start or end - start > jd.MAX_WINDOW_SECONDS:
            raise Rejection("parameter", "查询时间跨度不能超过一个月")
        page = int_param(b, "page", 1, low=1)
        size = int_param(b, "page_size", 20, low=1, high=100)
        states = set(str(b.get("order_state") or "").split(",")) - {""}
        keep = set(str(fields).split(","))
        with self.world.lock:
            listed = self.world.modified_between(self.platform, start, end,
                                                 newest_first=str(b.get("sortType")) == "1")
            rendered = [self.render(o) for o in listed]
            if states:
                rendered = [r for r in rendered if r["orderState"] in states]
            chosen = [{k: v for k, v in r.items() if k in keep}
                      for r in page_slice(rendered, page, size)]
        self.churn(listed)
        return {"jingdong_pop_order_search_responce": {"code": "0", "searchorderinfo_result": {
            "apiResult": {"success": True, "resultCode": "0", "chineseErrCode": "成功"},
            "orderInfoList": chosen, "orderTotal": len(rendered)}}}

    def api_jingdong_pop_afs_soa_refundapply_queryPageList(  # noqa: N802
            self, call: Call, entry: dict[str, Any]) -> Any:
        """Refund applications (退款审核单) by their apply time."""
        b = call.business
        start = beijing_epoch(b.get("applyTimeStart"), "applyTimeStart")
        end = beijing_epoch(b.get("applyTimeEnd"), "applyTimeEnd")
        entry["window"] = (start, end)
        page = int_param(b, "pageIndex", 1, low=1)
        size = int_param(b, "pageSize", 50, low=1, high=50)
        with self.world.lock:
            found = aftersales.requests(self.world, self.platform, start, end, by_created=True)
            shown = [aftersales.jd(o) for o in page_slice(found, page, size)]
        return {"jingdong_pop_afs_soa_refundapply_queryPageList_responce": {"queryResult": {
            "success": True, "result": shown, "totalCount": len(found)}}}

    def api_jingdong_pop_order_get(self, call: Call, entry: dict[str, Any]) -> Any:
        number = str(call.business.get("order_id", ""))
        with self.world.lock:
            order = self.world.get(self.platform, number)
            if order is None:
                raise Rejection("parameter", f"no order {number}")
            info = self.render(order)
        return {"jingdong_pop_order_get_responce": {"code": "0", "orderDetailInfo": {
            "apiResult": {"success": True}, "orderInfo": info}}}

    def api_jingdong_stock_write_updateSkuStock(  # noqa: N802
            self, call: Call, entry: dict[str, Any]) -> Any:
        b = call.business
        if not b.get("skuId"):
            raise Rejection("parameter", "skuId is required")
        self.set_listing(b["skuId"], b["skuId"], b.get("stockNum"))
        return {"jingdong_stock_write_updateSkuStock_responce": {"code": "0", "success": True}}

    def api_oauth2_access_token(self, call: Call, entry: dict[str, Any]) -> Any:
        if call.params.get("grant_type") != "authorization_code":
            raise Rejection("parameter", "grant_type must be authorization_code")
        token = self.take_code(str(call.params.get("code", "")))
        return {"access_token": token, "refresh_token": self.creds.refresh_token,
                "expires_in": 86400, "uid": "jd-sim-seller", "code": 0}

    def api_jingdong_pop_order_shipment(self, call: Call, entry: dict[str, Any]) -> Any:
        """出库: ``orderId``, ``logiCoprId`` (carrier id), ``logiNo`` (tracking number)."""
        b = call.business
        for name in ("orderId", "logiCoprId", "logiNo"):
            if not str(b.get(name) or "").strip():
                raise Rejection("parameter", f"{name}不能为空")
        company = int_param(b, "logiCoprId")
        if company not in JD_COMPANIES:
            return _shipment(False, "sim.bad-carrier", f"物流公司{company}不存在")
        try:
            ship(self.world, self.platform, str(b["orderId"]), str(company),
                 JD_COMPANIES[company], str(b["logiNo"]))
        except ShipDenied as denied:
            return _shipment(False, SHIP_CODES[denied.kind], denied.detail)
        return _shipment(True, "0", "成功")

    def api_oauth2_refresh_token(self, call: Call, entry: dict[str, Any]) -> Any:
        token = self.issue_token(str(call.params.get("refresh_token", "")))
        return {"access_token": token, "refresh_token": self.creds.refresh_token,
                "expires_in": 86400, "code": 0}


def _shipment(success: bool, code: str, text: str) -> dict[str, Any]:
    return {"jingdong_pop_order_shipment_responce": {"code": "0", "sopjosshipment_result": {
        "success": success, "errorCode": code, "chineseErrCode": text,
        "englishErrCode": "success" if success else code}}}
