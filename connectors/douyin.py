"""Douyin Shop (抖店): ``order.searchList`` by ``update_time`` + ``order.orderDetail``.

Each method is its own path (``order.searchList`` -> ``/order/searchList``).  System parameters
go in the query, the business parameters in the body as ``param_json`` with keys sorted and no
HTML escaping.  Signature: ``hex(HMAC-SHA256(key=app_secret, app_secret + "app_key" + key +
"method" + method + "param_json" + json + "timestamp" + ts + "v" + "2" + app_secret))``.
Pages count from 0.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from .base import Listing, PlatformClient, Record, epoch
from .http import (
    Check,
    ErrorCodes,
    RequestRejected,
    chain,
)

if TYPE_CHECKING:
    from .shipping import ShipFailure, ShipRequest

LIST_API = "order.searchList"
DETAIL_API = "order.orderDetail"
REFRESH_API = "token.refresh"
SETTLE_API = "order.getSettleBillDetailV3"
SUCCESS = 10000
#: Ship write-back: the whole order (fails on partially shipped orders), or one parcel of some
#: sku orders (``shipped_order_info``; idempotent by ``request_id``).  Refusals come as code
#: 50002 业务处理失败 with ``sub_code`` ``isv.business-failed:<n>`` (fulfilment.md section 3).
SHIP_API = "order.logisticsAdd"
SHIP_PACK_API = "order.logisticsAddSinglePack"
BUSINESS_FAILED = "50002"

#: Douyin answers ``{code, msg, sub_code, sub_msg, data}``; 10000 is success.  Codes from the
#: documented base table (quoted alike by two unrelated SDKs): 40003 covers several causes and
#: its ``sub_code`` tells which (isv.access-token-expired, isv.signature-invalid, ...); 30001 no
#: permission; 30002 IP not in the whitelist; 60000 rate limit.  The 5xxxx server codes are [U];
#: ``extra_rate_limit_codes`` adds more per shop.
ERRORS = {
    "rate_limit": (60000, "调用频率超限", "isv.call-limited"),
    "token": (40003, "access_token已过期", "isv.access-token-expired"),
    "signature": (40003, "签名校验失败", "isv.signature-invalid"),
    "timestamp": (40003, "时间戳无效", "isv.timestamp-invalid"),
    "app_key": (30001, "没有权限", "isv.app-key-invalid"),
    "server": (50000, "服务内部错误", "isp.service-error"),
    "parameter": (40003, "参数错误", "isv.parameter-invalid"),
}
CODES = ErrorCodes(
    rate_limit=frozenset({"60000"}),
    token=frozenset(),
    auth=frozenset({"30001", "30002"}),
    server=frozenset({"50000", "50001", "50002"}),
    by_sub={"isv.access-token-expired": "token", "isv.access-token-no-exist": "token",
            "isv.signature-invalid": "auth", "isv.app-key-invalid": "auth",
            "isv.call-limited": "rate_limit"},
)


def param_json(params: dict[str, Any]) -> str:
    """The body: compact JSON, keys sorted, Chinese kept as is (Go's SetEscapeHTML(false))."""
    return json.dumps(params, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def sign(app_key: str, secret: str, method: str, param: str, timestamp: str,
         v: str = "2") -> str:
    text = (f"{secret}app_key{app_key}method{method}param_json{param}timestamp{timestamp}v{v}"
            f"{secret}")
    return hmac.new(secret.encode(), text.encode(), hashlib.sha256).hexdigest()


def path_of(method: str) -> str:
    return "/" + method.replace(".", "/")


def check(body: Any, extra_rate: set[str] = frozenset()) -> None:  # type: ignore[assignment]
    if not isinstance(body, dict):
        raise RequestRejected(f"unexpected answer {body!r}")
    code = str(body.get("code", ""))
    if code == str(SUCCESS):
        return
    message = " / ".join(str(m) for m in (body.get("msg"), body.get("sub_msg")) if m)
    CODES.raise_for(code, message, sub=str(body.get("sub_code") or ""), extra_rate=extra_rate)


class DouyinClient(PlatformClient):
    platform = "douyin"
    first_page = 0

    def send(self, api: str, params: dict[str, Any], *, precheck: Check | None = None) -> Any:
        body = param_json(params)
        ts = str(int(datetime.now(UTC).timestamp()))
        query = {"app_key": self.shop.app_key, "method": api, "v": "2", "timestamp": ts,
                 "sign_method": "hmac-sha256",
                 "sign": sign(self.shop.app_key, self.secret, api, body, ts)}
        if self.token and api != REFRESH_API:
            query["access_token"] = self.token
        extra = set(self.shop.extra_rate_limit_codes)
        return self.http.request(
            "POST", self.shop.gateway + path_of(api), params=query,
            content=body.encode(), headers={"Content-Type": "application/json"},
            check=chain(precheck, lambda b: check(b, extra)), api=api)

    def refresh(self, refresh_token: str) -> str:
        body = self.send(REFRESH_API, {"grant_type": "refresh_token",
                                       "refresh_token": refresh_token})
        return str(body["data"]["access_token"])

    def list_page(self, start: datetime, end: datetime, page: int, *, probe: bool) -> Listing:
        params = {"update_time_start": epoch(start), "update_time_end": epoch(end),
                  "order_by": "update_time", "order_asc": False, "page": page,
                  "size": self.shop.page_size}
        data = self.call(LIST_API, params).get("data") or {}
        total = data.get("total")
        return Listing(data.get("shop_order_list") or [],
                       int(total) if total is not None else None)

    def detail(self, order_no: str) -> Record:
        data = self.call(DETAIL_API, {"shop_order_id": order_no})["data"]
        return data["shop_order_detail"]  # type: ignore[no-any-return]

    def modified(self, record: Record) -> datetime | None:
        value = record.get("update_time")
        return datetime.fromtimestamp(int(value), UTC) if value else None

    def order_no(self, record: Record) -> str:
        return str(record["order_id"])

    def is_partial(self, record: Record) -> bool:
        return "sku_order_list" not in record

    # -- ship write-back -------------------------------------------------------------------

    def ship(self, request: ShipRequest, company: str | int, precheck: Check) -> Any:
        """``order.logisticsAdd`` for a whole order, ``order.logisticsAddSinglePack`` for a
        parcel of some sku orders (its ``request_id`` is the shipment id: a repeat is a no-op
        on Douyin's side too)."""
        if not request.lines:
            params: dict[str, Any] = {"order_id": request.platform_order_no,
                                      "company_code": str(company),
                                      "logistics_code": request.tracking_no}
            return self.call(SHIP_API, params, precheck=precheck)
        params = {
            "order_id_list": [request.platform_order_no],
            "shipped_order_info": [{"shipped_order_id": line.line_id,
                                    "shipped_num": line.quantity} for line in request.lines],
            "company_code": str(company), "logistics_code": request.tracking_no,
            "request_id": request.shipment_id,
        }
        return self.call(SHIP_PACK_API, params, precheck=precheck)

    def ship_failure(self, body: Any) -> ShipFailure | None:
        from .shipping import ShipFailure

        if not isinstance(body, dict):
            return None
        code = str(body.get("code", ""))
        if code == str(SUCCESS):
            return None
        sub = str(body.get("sub_code") or "")
        message = " / ".join(str(m) for m in (body.get("msg"), body.get("sub_msg")) if m)
        keys = [k for k in (sub, sub.rpartition(":")[2] if ":" in sub else "") if k]
        business = code == BUSINESS_FAILED or sub.startswith("isv.business-failed")
        return ShipFailure(tuple(keys), message, business=business)

    def tracking_numbers(self, record: Record) -> set[str]:
        return {str(p["tracking_no"]) for p in record.get("logistics_info") or []
                if p.get("tracking_no")}

