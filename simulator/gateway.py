"""What the four simulated gateways share: credentials, the call pipeline, faults, the log.

A call goes: parse -> check the app key and signature -> check the token -> injected fault ->
the API itself.  Each step answers in the platform's own error shape, so clients meet the same
errors they would meet in production.
"""

from __future__ import annotations

import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, ClassVar

from ..connectors.base import parse_beijing
from ..synth import render
from ..synth.logical import LogicalOrder
from . import signing
from .faults import FaultBox
from .shipping import overlay
from .world import World


@dataclass
class Credentials:
    """One simulated app authorised for one shop."""

    app_key: str
    secret: str
    token: str
    refresh_token: str


def demo_credentials(platform: str) -> Credentials:
    return Credentials(f"sim-{platform}-app", f"sim-{platform}-secret", f"sim-{platform}-token",
                       f"sim-{platform}-refresh")


@dataclass
class SimRequest:
    method: str
    path: str
    query: dict[str, str]
    form: dict[str, str]
    body: bytes


@dataclass
class SimResponse:
    status: int
    body: Any
    content_type: str = "application/json; charset=utf-8"
    error: str | None = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Call:
    """A parsed call: the API name and its parameters (system and business together)."""

    api: str
    params: dict[str, Any]
    business: dict[str, Any] = field(default_factory=dict)
    signed: bool = True


class Rejection(Exception):  # noqa: N818 - an answer, not a bug
    """Raised inside a handler to answer with the platform's error ``kind``."""

    def __init__(self, kind: str, detail: str = "") -> None:
        super().__init__(kind)
        self.kind = kind
        self.detail = detail


class Gateway:
    """Base of the simulated gateways; subclasses give ``routes``, parsing and the APIs."""

    platform: ClassVar[str]
    routes: ClassVar[tuple[str, ...]]
    #: APIs callable without an access token
    tokenless: ClassVar[frozenset[str]] = frozenset()
    #: receivers' encryption and the decrypt APIs (simulator/privacy.py), set by the server
    privacy: Any = None
    decrypt_apis: Any = None

    def __init__(self, world: World, faults: FaultBox, creds: Credentials | None = None) -> None:
        self.world = world
        self.faults = faults
        self.creds = creds or demo_credentials(self.platform)
        self.tokens = {self.creds.token}
        self.codes: set[str] = set()  # OAuth authorization codes not yet exchanged
        #: listings' stock as set by sellers: (item id, platform sku id) -> quantity
        self.listing_stock: dict[tuple[str, str], int] = {}
        self._issued = 0
        self._lock = threading.Lock()

    # -- the pipeline ----------------------------------------------------------------------

    def handle(self, req: SimRequest, entry: dict[str, Any]) -> SimResponse:
        try:
            call = self.parse(req)
        except Rejection as rej:
            return self.reject(rej, entry)
        entry["api"] = call.api
        entry["params"] = {k: v for k, v in call.business.items()}
        try:
            self.authenticate(call)
            if call.api not in self.tokenless:
                if self.faults.token_expiry(self.platform):
                    with self._lock:
                        self.tokens.clear()
                if self.token_of(call) not in self.tokens:
                    raise Rejection("token", "access token expired or invalid")
            fault = self.faults.take(self.platform)
            if fault == "server_error":
                entry["error"] = "http-500"
                return SimResponse(500, b"Internal Server Error", "text/plain", "http-500")
            if fault == "rate_limit":
                raise Rejection("rate_limit")
            if fault == "slow":
                time.sleep(self.faults.faults.slow_seconds)
            handler = getattr(self, "api_" + call.api.replace(".", "_"), None)
            if handler is None and self.decrypt_apis is not None:
                handler = self.decrypt_apis.handler(call.api)
            if handler is None:
                raise Rejection("parameter", f"unknown API {call.api}")
            return SimResponse(200, handler(call, entry))
        except Rejection as rej:
            return self.reject(rej, entry)

    def reject(self, rej: Rejection, entry: dict[str, Any]) -> SimResponse:
        entry["error"] = rej.kind
        return SimResponse(200, self.error_body(rej.kind, rej.detail), error=rej.kind)

    # -- to be given by each platform ------------------------------------------------------

    def parse(self, req: SimRequest) -> Call:
        raise NotImplementedError

    def authenticate(self, call: Call) -> None:
        raise NotImplementedError

    #: the request parameter that carries the shop's access token
    token_param: ClassVar[str] = "access_token"

    def token_of(self, call: Call) -> str | None:
        return call.params.get(self.token_param)

    def error_body(self, kind: str, detail: str) -> Any:
        raise NotImplementedError

    # -- helpers ---------------------------------------------------------------------------

    @staticmethod
    def check_fresh(params: dict[str, Any], formats: tuple[str, ...]) -> None:
        """The request's timestamp inside the platform's window, else a ``timestamp`` answer."""
        try:
            signing.check_fresh(params, formats=formats)
        except signing.StaleTimestamp as exc:
            raise Rejection("timestamp", str(exc)) from None

    def render(self, order: LogicalOrder) -> dict[str, Any]:
        """The order as this platform's order APIs show it, shipments written back included."""
        shown = overlay(self.world, order, render(order))
        return self.privacy.protect(self.platform, shown) if self.privacy else shown

    def issue_token(self, refresh_token: str) -> str:
        """A new access token for a valid refresh token (the old ones stop working)."""
        if refresh_token != self.creds.refresh_token:
            raise Rejection("token", "invalid refresh_token")
        with self._lock:
            self._issued += 1
            token = f"{self.creds.token}-{self._issued}"
            self.tokens = {token}
        return token

    def issue_code(self) -> str:
        """An authorization code, as the platform's OAuth page gives on the seller's consent."""
        code = uuid.uuid4().hex
        with self._lock:
            self.codes.add(code)
        return code

    def take_code(self, code: str) -> str:
        """Exchange a code (good once) for a new access token."""
        with self._lock:
            if code not in self.codes:
                raise Rejection("parameter", "invalid or already used authorization code")
            self.codes.discard(code)
        return self.issue_token(self.creds.refresh_token)

    def set_listing(self, item_id: Any, sku_id: Any, quantity: Any) -> None:
        """A full stock set on one listing; a negative or non-whole quantity is refused."""
        try:
            value = int(quantity)
        except (TypeError, ValueError):
            raise Rejection("parameter", f"quantity must be a whole number, got {quantity!r}") \
                from None
        if value < 0 or str(value) != str(quantity).strip():
            raise Rejection("parameter", f"quantity must be a whole number >= 0, got {quantity!r}")
        with self._lock:
            self.listing_stock[(str(item_id), str(sku_id))] = value

    def churn(self, window: list[Any]) -> None:
        """The configured mid-paging changes: orders of this window change, new ones arrive."""
        f = self.faults.faults
        if not self.faults.applies(self.platform):
            return
        if f.churn and window:
            picked = self.world.rng.sample(window, min(f.churn, len(window)))
            self.world.modify(self.platform, picked)
        if f.churn_new:
            self.world.add(self.platform, f.churn_new)


def page_slice(items: list[Any], page: int, size: int, first: int = 1) -> list[Any]:
    at = (page - first) * size
    return items[at: at + size] if at >= 0 else []


def beijing_epoch(text: Any, name: str) -> int:
    try:
        dt = parse_beijing(str(text))
    except ValueError:
        dt = None
    if dt is None:
        raise Rejection("parameter", f"{name} must be yyyy-MM-dd HH:mm:ss, got {text!r}")
    return int(dt.timestamp())


def int_param(params: dict[str, Any], name: str, default: int | None = None, *,
              low: int | None = None, high: int | None = None) -> int:
    raw = params.get(name, default)
    try:
        value = int(raw)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise Rejection("parameter", f"{name} must be a number, got {raw!r}") from None
    if (low is not None and value < low) or (high is not None and value > high):
        raise Rejection("parameter", f"{name}={value} out of range [{low}, {high}]")
    return value
