"""Pinduoduo (POP): ``pdd.order.number.list.increment.get`` + ``pdd.order.information.get``.

Signing: ``upper(MD5(client_secret + sorted(name + value) + client_secret))`` over every form
parameter.  The increment list takes ``start_updated_at``/``end_updated_at`` in unix seconds,
at most 30 minutes apart, and the end must stay at least 3 minutes behind PDD's clock: such a
window is refused *here*, before anything is sent (:meth:`PddClient.check_window`).  PDD's
clock is read with ``pdd.time.get`` and then followed through each answer's ``Date`` header.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from .base import Listing, PlatformClient, Record, beijing, epoch, parse_beijing
from .http import Check, ErrorCodes, RequestRejected, WindowError, chain

if TYPE_CHECKING:
    from .shipping import ShipFailure, ShipRequest

API_PATH = "/api/router"
LIST_API = "pdd.order.number.list.increment.get"
DETAIL_API = "pdd.order.information.get"
TIME_API = "pdd.time.get"
REFRESH_API = "pdd.pop.auth.token.refresh"
BILL_API = "pdd.finance.balance.daily.bill.url.get"
#: Ship write-back: ``order_sn``, ``logistics_id`` (carrier id), ``tracking_number``.  PDD's
#: refusal codes are not public (see ship_errors.yaml).
SHIP_API = "pdd.logistics.online.send"
MAX_WINDOW = timedelta(minutes=30)
MIN_LAG = timedelta(minutes=3)

#: PDD ``error_response{error_code, error_msg, sub_code, sub_msg}``.  10019 (token expired) and
#: 70031 (rate limited) are PDD's; 20004 for a bad signature is likely but [U], as are the
#: server and timestamp codes (10016 is kept as a signature code too).
ERRORS = {
    "rate_limit": (70031, "调用过于频繁，请调整调用频率"),
    "token": (10019, "access_token已过期"),
    "signature": (20004, "签名错误"),
    "timestamp": (10000, "timestamp已过期或格式错误"),
    "client_id": (10014, "client_id不存在"),
    "server": (50000, "系统内部错误"),
    "parameter": (10000, "参数错误"),
}
CODES = ErrorCodes(
    rate_limit=frozenset({"70031", "70032", "70033"}),
    token=frozenset({"10019"}),
    auth=frozenset({"10014", "10016", "10018", "20004"}),
    server=frozenset({"50000", "50001"}),
)


def sign(params: dict[str, Any], secret: str) -> str:
    concat = "".join(f"{k}{v}" for k, v in sorted(params.items()) if k != "sign")
    return hashlib.md5((secret + concat + secret).encode()).hexdigest().upper()


def check(body: Any, extra_rate: set[str] = frozenset()) -> None:  # type: ignore[assignment]
    err = body.get("error_response") if isinstance(body, dict) else None
    if err is None:
        return
    code = str(err.get("error_code", ""))
    message = " / ".join(str(m) for m in (err.get("error_msg"), err.get("sub_msg")) if m)
    CODES.raise_for(code, message, extra_rate=extra_rate)


class PddClient(PlatformClient):
    platform = "pdd"

    def send(self, api: str, params: dict[str, Any], *, precheck: Check | None = None) -> Any:
        form = {"type": api, "client_id": self.shop.app_key,
                "timestamp": str(int(datetime.now(UTC).timestamp())), "data_type": "JSON",
                "version": "V1"}
        if self.token and api != REFRESH_API:
            form["access_token"] = self.token
        form.update({k: str(v) for k, v in params.items()})
        form["sign"] = sign(form, self.secret)
        extra = set(self.shop.extra_rate_limit_codes)
        return self.http.request("POST", self.shop.gateway + API_PATH, data=form,
                                 check=chain(precheck, lambda b: check(b, extra)), api=api)

    def refresh(self, refresh_token: str) -> str:
        body = self.send(REFRESH_API, {"refresh_token": refresh_token})
        return str(body["pop_auth_token_refresh_response"]["access_token"])

    def server_now(self) -> datetime:
        if self.http.clock_skew is None:
            self.call(TIME_API, {})  # its Date header tells PDD's clock
        return super().server_now()

    def check_window(self, start: datetime, end: datetime) -> None:
        latest = self.server_now() - MIN_LAG
        if end < start or end - start > MAX_WINDOW:
            raise WindowError(f"window {beijing(start)} .. {beijing(end)} is longer than the "
                              "30 minutes PDD allows; not sent",
                              shop=self.shop.name, platform=self.platform, api=LIST_API)
        if end > latest:
            raise WindowError(f"window end {beijing(end)} is less than 3 minutes behind PDD's "
                              f"clock ({beijing(latest + MIN_LAG)}); not sent",
                              shop=self.shop.name, platform=self.platform, api=LIST_API)

    def list_page(self, start: datetime, end: datetime, page: int, *, probe: bool) -> Listing:
        self.check_window(start, end)  # every request, not only the first of a window
        params = {"start_updated_at": epoch(start), "end_updated_at": epoch(end),
                  "order_status": 5, "refund_status": 5, "is_lucky_flag": 0, "page": page,
                  "page_size": self.shop.page_size,
                  "use_has_next": "false" if probe else "true"}
        answer = self.call(LIST_API, params)["order_sn_increment_get_response"]
        total = answer.get("total_count")
        return Listing(answer.get("order_sn_list") or [],
                       int(total) if total is not None else None)

    def detail(self, order_no: str) -> Record:
        answer = self.call(DETAIL_API, {"order_sn": order_no})
        return answer["order_info_get_response"]["order_info"]  # type: ignore[no-any-return]

    def modified(self, record: Record) -> datetime | None:
        return parse_beijing(record.get("updated_at"))

    def order_no(self, record: Record) -> str:
        return str(record["order_sn"])

    def is_partial(self, record: Record) -> bool:
        return "item_list" not in record

    # -- ship write-back -------------------------------------------------------------------

    def ship(self, request: ShipRequest, company: str | int, precheck: Check) -> Any:
        """``pdd.logistics.online.send`` for the whole order (PDD has no line shipments)."""
        from .shipping import whole_orders_only

        whole_orders_only(request, "PDD", SHIP_API)
        params = {"order_sn": request.platform_order_no, "logistics_id": company,
                  "tracking_number": request.tracking_no}
        answer = self.call(SHIP_API, params, precheck=precheck)
        result = answer.get("logistics_online_send_response") or {}
        if result.get("is_success") is False:
            raise RequestRejected("is_success=false", api=SHIP_API)
        return answer

    def ship_failure(self, body: Any) -> ShipFailure | None:
        from .shipping import ShipFailure

        err = body.get("error_response") if isinstance(body, dict) else None
        if err is None:
            return None
        code = str(err.get("error_code", ""))
        sub = str(err.get("sub_code") or "")
        message = " / ".join(str(m) for m in (err.get("error_msg"), err.get("sub_msg")) if m)
        known = CODES.rate_limit | CODES.token | CODES.auth | CODES.server
        keys = tuple(k for k in (sub, code) if k)
        return ShipFailure(keys, message, business=code not in known)

    def tracking_numbers(self, record: Record) -> set[str]:
        number = record.get("tracking_number")
        return {str(number)} if number else set()
