"""Simulated Pinduoduo open platform: ``/api/router`` (+ a daily bill download)."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import date, datetime, timedelta
from typing import Any

from ..connectors import pdd
from ..connectors.base import BEIJING
from ..synth.fmt import ts
from . import aftersales, signing
from .gateway import Call, Gateway, Rejection, SimRequest, int_param, page_slice
from .shipping import PDD_COMPANIES, ShipDenied, ship
from .waybill_apis import PddWaybillApis

BILL_PATH = "/_sim/pdd/bill/"
BILL_COLUMNS = ["商户订单号", "发生时间", "收入金额（+元）", "支出金额（-元）", "账务类型", "备注",
                "业务描述"]
LIST_WINDOW_SECONDS = 24 * 3600  # pdd.order.list.get: confirm-time window at most 24 h
SERVICE_FEE_RATE = 0.006  # 技术服务费 [U]; the simulator's choice
#: PDD's refusal codes for pdd.logistics.online.send are not public (fulfilment.md section 9):
#: the simulator answers error_code 50051 with these sub codes of its own.
SHIP_ERROR = 50051
SHIP_CODES = {"shipped": "sim.order-shipped", "refunding": "sim.order-refunding",
              "refunded": "sim.order-refunded", "cancelled": "sim.order-cancelled",
              "unpaid": "sim.order-unpaid", "not_found": "sim.order-not-found",
              "bad_tracking": "sim.bad-tracking-number", "unknown_line": "sim.bad-param",
              "too_many": "sim.bad-param"}


class PddGateway(PddWaybillApis, Gateway):
    platform = "pdd"
    routes = (pdd.API_PATH,)
    tokenless = frozenset({pdd.REFRESH_API, pdd.TIME_API, "pdd.pop.auth.token.create"})
    base_url = ""  # set by the server, for bill download links

    def parse(self, req: SimRequest) -> Call:
        params = {**req.query, **req.form}
        api = params.get("type")
        if not api:
            raise Rejection("parameter", "missing type")
        system = {"type", "client_id", "access_token", "timestamp", "data_type", "version",
                  "sign"}
        return Call(api, params, {k: v for k, v in params.items() if k not in system})

    def authenticate(self, call: Call) -> None:
        p = call.params
        if p.get("client_id") != self.creds.app_key:
            raise Rejection("client_id")
        if p.get("sign") != signing.pdd_signature(p, self.creds.secret):
            raise Rejection("signature")
        self.check_fresh(p, ("epoch",))


    def error_body(self, kind: str, detail: str) -> Any:
        if kind.startswith("ship:"):
            return {"error_response": {"error_code": SHIP_ERROR, "error_msg": "业务处理失败",
                                       "sub_code": kind[5:], "sub_msg": detail,
                                       "request_id": uuid.uuid4().hex[:20]}}
        code, msg = pdd.ERRORS.get(kind, pdd.ERRORS["parameter"])
        return {"error_response": {"error_code": code, "error_msg": msg, "sub_code": str(code),
                                   "sub_msg": detail, "request_id": uuid.uuid4().hex[:20]}}

    # -- APIs ------------------------------------------------------------------------------

    def api_pdd_order_number_list_increment_get(self, call: Call, entry: dict[str, Any]) -> Any:
        p = call.params
        start = int_param(p, "start_updated_at")
        end = int_param(p, "end_updated_at")
        entry["window"] = (start, end)
        now = self.world.clock.now_int()
        if end < start or end - start > pdd.MAX_WINDOW.total_seconds():
            raise Rejection("parameter", "start_updated_at与end_updated_at的时间间隔不能超过30分钟")
        if end > now - pdd.MIN_LAG.total_seconds():
            raise Rejection("parameter", "end_updated_at须早于当前时间3分钟")
        page = int_param(p, "page", 1, low=1)
        size = int_param(p, "page_size", 100, low=1, high=100)
        with self.world.lock:
            listed = self.world.modified_between(self.platform, start, end)
            orders = [self.render(o) for o in page_slice(listed, page, size)]
        self.churn(listed)
        return {"order_sn_increment_get_response": {
            "total_count": len(listed), "has_next": page * size < len(listed),
            "order_sn_list": orders}}

    def api_pdd_refund_list_increment_get(self, call: Call, entry: dict[str, Any]) -> Any:
        """After-sales by their updated time, in windows of at most 30 minutes."""
        p = call.params
        start = int_param(p, "start_updated_at")
        end = int_param(p, "end_updated_at")
        entry["window"] = (start, end)
        if end < start or end - start > pdd.MAX_WINDOW.total_seconds():
            raise Rejection("parameter", "start_updated_at与end_updated_at的时间间隔不能超过30分钟")
        page = int_param(p, "page", 1, low=1)
        size = int_param(p, "page_size", 100, low=1, high=100)
        with self.world.lock:
            found = aftersales.requests(self.world, self.platform, start, end)
            shown = [aftersales.pdd(o) for o in page_slice(found, page, size)]
        return {"refund_increment_get_response": {"total_count": len(found),
                                                  "refund_list": shown}}

    def api_pdd_order_list_get(self, call: Call, entry: dict[str, Any]) -> Any:
        """Orders by deal (成交) time: ``start_confirm_at``/``end_confirm_at`` at most 24 h apart;
        the same ``order_status``/``refund_status`` filters as the increment list (5 = all)."""
        p = call.params
        start = int_param(p, "start_confirm_at")
        end = int_param(p, "end_confirm_at")
        entry["window"] = (start, end)
        if end < start or end - start > LIST_WINDOW_SECONDS:
            raise Rejection("parameter", "start_confirm_at与end_confirm_at的时间间隔不能超过24小时")
        int_param(p, "order_status", low=1, high=5)
        int_param(p, "refund_status", low=1, high=5)
        page = int_param(p, "page", 1, low=1)
        size = int_param(p, "page_size", 100, low=1, high=100)
        with self.world.lock:
            dealt = sorted((o for o in self.world.orders[self.platform].values()
                            if o.paid_ts is not None and start <= o.paid_ts <= end),
                           key=lambda o: (o.paid_ts or 0, o.order_no))
            orders = [self.render(o) for o in page_slice(dealt, page, size)]
        return {"order_list_get_response": {"total_count": len(dealt), "order_list": orders}}

    def api_pdd_order_information_get(self, call: Call, entry: dict[str, Any]) -> Any:
        number = str(call.params.get("order_sn", ""))
        with self.world.lock:
            order = self.world.get(self.platform, number)
            if order is None:
                raise Rejection("parameter", f"no order {number}")
            info = self.render(order)
        return {"order_info_get_response": {"order_info": info}}

    def api_pdd_logistics_online_send(self, call: Call, entry: dict[str, Any]) -> Any:
        """订单发货通知: ``order_sn``, ``logistics_id``, ``tracking_number``."""
        p = call.params
        for name in ("order_sn", "logistics_id", "tracking_number"):
            if not str(p.get(name) or "").strip():
                raise Rejection("parameter", f"{name}不能为空")
        company = int_param(p, "logistics_id")
        if company not in PDD_COMPANIES:
            raise Rejection("parameter", f"logistics_id {company} 不存在")
        try:
            ship(self.world, self.platform, str(p["order_sn"]), str(company),
                 PDD_COMPANIES[company], str(p["tracking_number"]))
        except ShipDenied as denied:
            raise Rejection("ship:" + SHIP_CODES[denied.kind], denied.detail) from None
        return {"logistics_online_send_response": {"is_success": True}}

    def api_pdd_time_get(self, call: Call, entry: dict[str, Any]) -> Any:
        return {"time_get_response": {"time": ts(self.world.clock.now_int())}}

    def api_pdd_goods_quantity_update(self, call: Call, entry: dict[str, Any]) -> Any:
        p = call.params
        if str(p.get("update_type", "1")) != "1":
            raise Rejection("parameter", "the simulator takes full quantities (update_type=1)")
        if not p.get("goods_id") or not p.get("sku_id"):
            raise Rejection("parameter", "goods_id and sku_id are required")
        self.set_listing(p["goods_id"], p["sku_id"], p.get("quantity"))
        return {"goods_quantity_update_response": {"is_success": True}}

    def api_pdd_pop_auth_token_create(self, call: Call, entry: dict[str, Any]) -> Any:
        token = self.take_code(str(call.params.get("code", "")))
        return {"pop_auth_token_create_response": {
            "access_token": token, "refresh_token": self.creds.refresh_token, "expires_in": 86400,
            "expires_at": self.world.clock.now_int() + 86400, "owner_id": "102345678",
            "owner_name": "模拟拼多多店"}}

    def api_pdd_pop_auth_token_refresh(self, call: Call, entry: dict[str, Any]) -> Any:
        token = self.issue_token(str(call.params.get("refresh_token", "")))
        return {"pop_auth_token_refresh_response": {
            "access_token": token, "refresh_token": self.creds.refresh_token, "expires_in": 86400,
            "owner_id": "102345678"}}

    def api_pdd_finance_balance_daily_bill_url_get(self, call: Call,
                                                   entry: dict[str, Any]) -> Any:
        day = str(call.params.get("bill_date", ""))
        try:
            date.fromisoformat(day)
        except ValueError:
            raise Rejection("parameter", "bill_date must be yyyy-MM-dd") from None
        return {"finance_balance_daily_bill_url_get_response": {
            "download_url": f"{self.base_url}{BILL_PATH}{day}.csv"}}

    def bill_csv(self, day: str) -> bytes:
        """The day's 货款账单: income per completed order, and its service fee."""
        first = datetime.combine(date.fromisoformat(day), datetime.min.time(), BEIJING)
        lo, hi = int(first.timestamp()), int((first + timedelta(days=1)).timestamp())
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(BILL_COLUMNS)
        with self.world.lock:
            done = [o for o in self.world.orders[self.platform].values()
                    if o.completed_ts is not None and lo <= o.completed_ts < hi]
        for o in sorted(done, key=lambda o: o.completed_ts or 0):
            when = ts(o.completed_ts or 0)
            pay = o.payment_fen
            fee = round(pay * SERVICE_FEE_RATE)
            writer.writerow([o.order_no, when, f"{pay / 100:.2f}", "", "交易收入", "",
                             f"订单{o.order_no}交易收入"])
            writer.writerow([o.order_no, when, "", f"-{fee / 100:.2f}", "技术服务费", "",
                             f"订单{o.order_no}技术服务费"])
        return ("\ufeff" + out.getvalue()).encode("utf-8")
