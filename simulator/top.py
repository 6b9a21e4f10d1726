"""Simulated Taobao Open Platform: ``/router/rest``."""

from __future__ import annotations

import json
import uuid
from typing import Any

from ..connectors import taobao as top
from ..synth.fmt import ts
from . import aftersales, signing
from .gateway import Call, Gateway, Rejection, SimRequest, beijing_epoch, int_param, page_slice
from .shipping import TAOBAO_COMPANIES, ShipDenied, ship
from .waybill_apis import CainiaoApis

#: How TOP answers a refused offline.send: sub_code isv.logistics-offline-service-error:<code>
#: (fulfilment.md section 3).  Whether TOP refuses a trade with a pending refund is not known
#: [U]; the simulator refuses it with B04 (trade state wrong), like a closed one.
SHIP_CODES = {"shipped": "B04", "refunding": "B04", "refunded": "B04", "cancelled": "B04",
              "unpaid": "B04", "not_found": "B01", "bad_tracking": "B60", "unknown_line": "P38",
              "too_many": "P38"}
SHIP_PREFIX = "isv.logistics-offline-service-error:"


class TopGateway(CainiaoApis, Gateway):
    platform = "taobao"
    routes = (top.API_PATH,)
    tokenless = frozenset({top.REFRESH_API, "taobao.top.auth.token.create"})
    token_param = "session"

    def parse(self, req: SimRequest) -> Call:
        params = {**req.query, **req.form}
        api = params.get("method")
        if not api:
            raise Rejection("parameter", "missing method")
        system = {"method", "app_key", "session", "timestamp", "format", "v", "sign_method",
                  "sign", "partner_id", "simplify", "target_app_key"}
        return Call(api, params, {k: v for k, v in params.items() if k not in system})

    def authenticate(self, call: Call) -> None:
        p = call.params
        if p.get("app_key") != self.creds.app_key:
            raise Rejection("app_key")
        method = p.get("sign_method", "md5")
        if method not in ("md5", "hmac", "hmac-sha256"):
            raise Rejection("parameter", f"unsupported sign_method {method}")
        if p.get("sign") != signing.top_signature(p, self.creds.secret, method):
            raise Rejection("signature")
        self.check_fresh(p, ("datetime",))

    def error_body(self, kind: str, detail: str) -> Any:
        if kind.startswith("ship:"):  # a business refusal: TOP sends it with code 15
            return {"error_response": {"code": 15, "msg": "Remote service error",
                                       "sub_code": SHIP_PREFIX + kind[5:], "sub_msg": detail,
                                       "request_id": uuid.uuid4().hex[:13]}}
        code, msg, sub = top.ERRORS.get(kind, top.ERRORS["parameter"])
        err: dict[str, Any] = {"code": code, "msg": msg, "request_id": uuid.uuid4().hex[:13]}
        if sub:
            err["sub_code"] = sub
        if detail:
            err["sub_msg"] = detail
        return {"error_response": err}

    # -- APIs ------------------------------------------------------------------------------

    def api_taobao_trades_sold_increment_get(self, call: Call, entry: dict[str, Any]) -> Any:
        p = call.params
        if not p.get("fields"):
            raise Rejection("parameter", "fields is required")
        start = beijing_epoch(p.get("start_modified"), "start_modified")
        end = beijing_epoch(p.get("end_modified"), "end_modified")
        entry["window"] = (start, end)
        if end < start or end - start > top.MAX_WINDOW_SECONDS:
            raise Rejection("parameter", "start_modified and end_modified must be within one "
                                         "day")
        page = int_param(p, "page_no", 1, low=1)
        size = int_param(p, "page_size", 40, low=1, high=100)
        fields = set(str(p["fields"]).split(","))
        with self.world.lock:
            listed = self.world.modified_between(self.platform, start, end)
            trades = [_only(self.render(o), fields) for o in page_slice(listed, page, size)]
        self.churn(listed)
        body: dict[str, Any] = {}
        if trades:
            body["trades"] = {"trade": trades}
        if p.get("use_has_next") == "true":
            body["has_next"] = page * size < len(listed)
        else:
            body["total_results"] = len(listed)
        return {"trades_sold_increment_get_response": body}

    def api_taobao_refunds_receive_get(self, call: Call, entry: dict[str, Any]) -> Any:
        """Refunds received, by their modified time (``start_modified``/``end_modified``)."""
        p = call.params
        start = beijing_epoch(p.get("start_modified"), "start_modified")
        end = beijing_epoch(p.get("end_modified"), "end_modified")
        entry["window"] = (start, end)
        if end < start or end - start > top.MAX_WINDOW_SECONDS:
            raise Rejection("parameter", "start_modified and end_modified must be within one day")
        page = int_param(p, "page_no", 1, low=1)
        size = int_param(p, "page_size", 40, low=1, high=100)
        with self.world.lock:
            found = aftersales.requests(self.world, self.platform, start, end)
            shown = [aftersales.taobao(o) for o in page_slice(found, page, size)]
        return {"refunds_receive_get_response": {
            "refunds": {"refund": shown}, "total_results": len(found),
            "has_next": page * size < len(found)}}

    def api_taobao_trade_fullinfo_get(self, call: Call, entry: dict[str, Any]) -> Any:
        tid = str(call.params.get("tid", ""))
        with self.world.lock:
            order = self.world.get(self.platform, tid)
            if order is None:
                raise Rejection("parameter", f"no trade {tid}")
            trade = _only(self.render(order), set(str(call.params.get("fields", "")).split(",")))
        return {"trade_fullinfo_get_response": {"trade": trade}}

    def api_taobao_skus_quantity_update(self, call: Call, entry: dict[str, Any]) -> Any:
        """``skuid_quantities`` = "skuId:qty;..." (at most 20), ``type`` 1 = full."""
        p = call.params
        item = p.get("num_iid")
        pairs = [x for x in str(p.get("skuid_quantities") or "").split(";") if x]
        if not item or not pairs or len(pairs) > 20:
            raise Rejection("parameter", "num_iid and 1-20 skuid_quantities are required")
        if str(p.get("type", "1")) != "1":
            raise Rejection("parameter", "the simulator takes full quantities (type=1) only")
        for pair in pairs:
            sku, _, qty = pair.partition(":")
            self.set_listing(item, sku, qty)
        return {"skus_quantity_update_response": {"item": {
            "num_iid": int(item), "modified": ts(self.world.clock.now_int())}}}

    def api_taobao_top_auth_token_create(self, call: Call, entry: dict[str, Any]) -> Any:
        """The OAuth code exchange; ``token_result`` is a JSON text, ``expire_time`` in ms."""
        token = self.take_code(str(call.params.get("code", "")))
        expires = (self.world.clock.now_int() + 86400) * 1000
        result = {"access_token": token, "refresh_token": self.creds.refresh_token,
                  "expire_time": expires, "refresh_token_valid_time": expires + 86400 * 29000,
                  "taobao_user_nick": "模拟旗舰店", "taobao_user_id": "2200000000001"}
        return {"top_auth_token_create_response": {"token_result": json.dumps(result)}}

    def api_taobao_logistics_offline_send(self, call: Call, entry: dict[str, Any]) -> Any:
        """自己联系物流发货: ``tid``, ``out_sid``, ``company_code``; ``is_split=1`` with
        ``sub_tid`` (comma-separated oids) ships those sub-orders only."""
        p = call.params
        for name in ("tid", "out_sid", "company_code"):
            if not str(p.get(name) or "").strip():
                raise Rejection("parameter", f"{name} is required")
        company = str(p["company_code"])
        if company not in TAOBAO_COMPANIES:
            raise Rejection("parameter", f"company_code {company} 不存在")
        lines: dict[str, int | None] | None = None
        if str(p.get("is_split", "0")) == "1":
            subs = [s.strip() for s in str(p.get("sub_tid") or "").split(",") if s.strip()]
            if not subs:
                raise Rejection("ship:P38", "拆单发货必须指定sub_tid")
            lines = dict.fromkeys(subs)
        try:
            ship(self.world, self.platform, str(p["tid"]), company, TAOBAO_COMPANIES[company],
                 str(p["out_sid"]), lines)
        except ShipDenied as denied:
            raise Rejection("ship:" + SHIP_CODES[denied.kind], denied.detail) from None
        return {"logistics_offline_send_response": {"shipping": {"is_success": True}}}

    def api_taobao_top_auth_token_refresh(self, call: Call, entry: dict[str, Any]) -> Any:
        token = self.issue_token(str(call.params.get("refresh_token", "")))
        result = {"access_token": token, "refresh_token": self.creds.refresh_token,
                  "expires_in": 86400, "token_type": "Bearer"}
        return {"top_auth_token_refresh_response": {"token_result": json.dumps(result)}}

    def api_taobao_time_get(self, call: Call, entry: dict[str, Any]) -> Any:
        return {"time_get_response": {"time": ts(self.world.clock.now_int())}}


def _only(trade: dict[str, Any], fields: set[str]) -> dict[str, Any]:
    """TOP returns only the asked-for fields (``tid_str`` comes with ``tid``)."""
    if not fields or fields == {""}:
        return trade
    keep = set(fields) | ({"tid_str"} if "tid" in fields else set())
    return {k: v for k, v in trade.items() if k in keep}
