"""Taobao/Tmall (TOP): ``taobao.trades.sold.increment.get`` + ``taobao.trade.fullinfo.get``.

Signing: sort every parameter by name, concatenate ``name + value``; ``md5`` signs
``MD5(secret + concat + secret)``, ``hmac`` signs ``HMAC-MD5(secret, concat)``; uppercase hex.
The increment list allows a window of at most one day (TOP advises 30 minutes), lists newest
first and returns partial trades, so each trade is then read in full.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from .base import Listing, PlatformClient, Record, beijing, parse_beijing
from .http import (
    AuthError,
    Check,
    RateLimited,
    RequestRejected,
    ServerError,
    TokenExpired,
    WindowError,
    chain,
)

if TYPE_CHECKING:
    from .shipping import ShipFailure, ShipRequest

API_PATH = "/router/rest"
LIST_API = "taobao.trades.sold.increment.get"
DETAIL_API = "taobao.trade.fullinfo.get"
REFRESH_API = "taobao.top.auth.token.refresh"
#: Ship write-back for self-contracted carriers (自己联系物流); ``is_split`` + ``sub_tid`` ship
#: some lines of a trade.  Its errors come as ``isv.logistics-offline-service-error:<code>``.
SHIP_API = "taobao.logistics.offline.send"
SHIP_ERROR_PREFIXES = ("isv.logistics-offline-service-error:",
                       "isv.logistics-online-service-error:")
MAX_WINDOW_SECONDS = 24 * 3600

#: TOP error answers: (code, msg, sub_code).  Codes are TOP's documented system errors.
ERRORS = {
    "rate_limit": (7, "App Call Limited", "accesscontrol.limited-by-app-access-count"),
    "signature": (25, "Invalid signature", None),
    "token": (27, "Invalid session", "invalid-sessionkey"),
    "app_key": (29, "Invalid app Key", None),
    "timestamp": (31, "Invalid Timestamp", None),
    "server": (15, "Remote service error", "isp.remote-service-error"),
    "parameter": (41, "Invalid arguments", "isv.invalid-parameter"),
}
RATE_LIMIT_CODES = {"7"}
TOKEN_CODES = {"26", "27"}
AUTH_CODES = {"11", "12", "25", "28", "29"}

#: Every trade field the ``taobao`` mapping reads.
TRADE_FIELDS = (
    "tid,tid_str,status,type,seller_nick,buyer_nick,buyer_open_uid,created,pay_time,modified,"
    "consign_time,end_time,receiver_name,receiver_mobile,receiver_phone,receiver_state,"
    "receiver_city,receiver_district,receiver_town,receiver_address,receiver_zip,total_fee,"
    "discount_fee,adjust_fee,post_fee,payment,received_payment,buyer_message,seller_memo,num,"
    "orders,oaid"
)
LIST_FIELDS_FOR_DETAIL = "tid,tid_str,modified,status"


def sign(params: dict[str, Any], secret: str, method: str = "md5") -> str:
    """TOP's request signature over ``params`` (everything but ``sign`` itself)."""
    concat = "".join(f"{k}{v}" for k, v in sorted(params.items()) if k != "sign")
    if method == "md5":
        return hashlib.md5((secret + concat + secret).encode()).hexdigest().upper()
    digest = hashlib.md5 if method == "hmac" else hashlib.sha256
    return hmac.new(secret.encode(), concat.encode(), digest).hexdigest().upper()


def check(body: Any) -> None:
    """Raise for a TOP ``error_response``."""
    err = body.get("error_response") if isinstance(body, dict) else None
    if err is None:
        return
    code = str(err.get("code", ""))
    sub = str(err.get("sub_code") or "")
    message = " / ".join(str(m) for m in (err.get("msg"), err.get("sub_msg")) if m)
    if code in RATE_LIMIT_CODES or "limited" in sub:
        raise RateLimited(message, code=code)
    if code in TOKEN_CODES or sub == "invalid-sessionkey":
        raise TokenExpired(message, code=code)
    if code in AUTH_CODES:
        raise AuthError(message, code=code)
    if sub.startswith("isp.") or code in ("15", "520"):
        raise ServerError(message, code=code)
    raise RequestRejected(message, code=code)


class TaobaoClient(PlatformClient):
    platform = "taobao"

    def send(self, api: str, params: dict[str, Any], *, precheck: Check | None = None) -> Any:
        system = {"method": api, "app_key": self.shop.app_key, "timestamp": beijing(_now()),
                  "format": "json", "v": "2.0", "sign_method": self.shop.sign_method}
        if self.token and api != REFRESH_API:
            system["session"] = self.token
        body = {**system, **{k: str(v) for k, v in params.items()}}
        body["sign"] = sign(body, self.secret, self.shop.sign_method)
        extra = set(self.shop.extra_rate_limit_codes)

        def checked(answer: Any) -> None:
            err = answer.get("error_response") if isinstance(answer, dict) else None
            if err and str(err.get("code")) in extra:
                raise RateLimited(str(err.get("msg")), code=str(err.get("code")))
            check(answer)

        return self.http.request("POST", self.shop.gateway + API_PATH, data=body,
                                 check=chain(precheck, checked), api=api)

    def refresh(self, refresh_token: str) -> str:
        body = self.send(REFRESH_API, {"refresh_token": refresh_token})
        result = body["top_auth_token_refresh_response"]["token_result"]
        if isinstance(result, str):
            result = json.loads(result)
        return str(result["access_token"])

    def check_window(self, start: datetime, end: datetime) -> None:
        if end < start or (end - start).total_seconds() > MAX_WINDOW_SECONDS:
            raise WindowError(f"window {beijing(start)} .. {beijing(end)} is longer than the "
                              "one day TOP allows", shop=self.shop.name, platform=self.platform)

    def list_page(self, start: datetime, end: datetime, page: int, *, probe: bool) -> Listing:
        params = {
            "fields": LIST_FIELDS_FOR_DETAIL if self.shop.detail else TRADE_FIELDS,
            "start_modified": beijing(start), "end_modified": beijing(end),
            "page_no": page, "page_size": self.shop.page_size,
            "use_has_next": "false" if probe else "true",
        }
        answer = self.call(LIST_API, params)["trades_sold_increment_get_response"]
        trades = (answer.get("trades") or {}).get("trade") or []
        total = answer.get("total_results")
        return Listing(trades, int(total) if total is not None else None)

    def detail(self, order_no: str) -> Record:
        answer = self.call(DETAIL_API, {"tid": order_no, "fields": TRADE_FIELDS})
        return answer["trade_fullinfo_get_response"]["trade"]  # type: ignore[no-any-return]

    def modified(self, record: Record) -> datetime | None:
        return parse_beijing(record.get("modified"))

    def order_no(self, record: Record) -> str:
        return str(record.get("tid_str") or record["tid"])

    def is_partial(self, record: Record) -> bool:
        return "orders" not in record

    # -- ship write-back -------------------------------------------------------------------

    def ship(self, request: ShipRequest, company: str | int, precheck: Check) -> Any:
        """``taobao.logistics.offline.send``; a split shipment names its lines' ``sub_tid``
        (TOP ships whole sub-orders: the quantity is not sent)."""
        params: dict[str, Any] = {"tid": request.platform_order_no,
                                  "out_sid": request.tracking_no, "company_code": company}
        if request.lines:
            self._whole_sub_orders(request)
            params["is_split"] = 1
            params["sub_tid"] = ",".join(line.line_id for line in request.lines)
        answer = self.call(SHIP_API, params, precheck=precheck)
        shipping = (answer.get("logistics_offline_send_response") or {}).get("shipping") or {}
        if shipping.get("is_success") is False:
            raise RequestRejected("is_success=false", api=SHIP_API)
        return answer

    def _whole_sub_orders(self, request: ShipRequest) -> None:
        """offline.send ships whole sub-orders: refuse part of a sub-order's units rather than
        tell Taobao more left than did (one extra read per split shipment)."""
        from .shipping import ShipRefused

        lines = (self.detail(request.platform_order_no).get("orders") or {}).get("order") or []
        units = {str(x.get("oid_str") or x.get("oid")): int(x.get("num") or 1) for x in lines}
        for line in request.lines or []:
            num = units.get(line.line_id)
            if num is not None and line.quantity < num:
                raise ShipRefused(
                    f"sub-order {line.line_id} has {num} units and {line.quantity} shipped now; "
                    f"{SHIP_API} ships whole sub-orders only", reason="split_unsupported",
                    api=SHIP_API)

    def ship_failure(self, body: Any) -> ShipFailure | None:
        from .shipping import ShipFailure

        err = body.get("error_response") if isinstance(body, dict) else None
        if err is None:
            return None
        sub = str(err.get("sub_code") or "")
        message = " / ".join(str(m) for m in (err.get("msg"), err.get("sub_msg")) if m)
        keys = [sub] if sub else []
        for prefix in SHIP_ERROR_PREFIXES:
            if sub.startswith(prefix):
                keys.append(sub[len(prefix):])
        return ShipFailure(tuple(keys), message, business=sub.startswith("isv."))

    def tracking_numbers(self, record: Record) -> set[str]:
        lines = (record.get("orders") or {}).get("order") or []
        return {str(line["invoice_no"]) for line in lines if line.get("invoice_no")}


def _now() -> datetime:
    return datetime.now(UTC)
