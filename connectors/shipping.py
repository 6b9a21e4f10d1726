"""Writing a shipment back to its platform (发货回传), and what the platform's answer means.

:func:`ship` maps our carrier code through the carrier table, calls the platform's ship API
through the shop's client (signing, retries and redaction as for every other call) and turns
the answer into one of three things:

* success: the platform took it, or says the order is already shipped (Douyin 60110), or
  refused it but re-reading the order shows it shipped with *our* tracking number (Taobao B04,
  and every refusal of JD and PDD, whose codes are not public) -- so sending the same shipment
  twice changes nothing;
* :class:`ShipRefused` with a ``reason`` (``refunding``, ``cancelled``, ``bad_tracking``,
  ``already_shipped`` with another number, ``not_found``, ``split_unsupported``, ``carrier``,
  ``rejected``): a person has to act, retrying will not help;
* any other :class:`~.http.PlatformError`: transient ones (rate limits, 5xx, Taobao B150/S01,
  Douyin "system busy") are retried by the HTTP client and then surface as retryable.

What each code means is data (``ship_errors.yaml``), like the carrier table.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from ..dsl import yamlfile
from ..errors import RecordError
from ..model import OrderStatus
from .base import PlatformClient, Record
from .carriers import CarrierTable, UnknownCarrier
from .http import Check, RequestRejected, ServerError

log = logging.getLogger("orderhub.connectors")

BUILTIN_CODES = Path(__file__).with_name("ship_errors.yaml")
Outcome = Literal["shipped", "check", "retry", "refunding", "cancelled", "bad_tracking",
                  "not_found", "rejected"]
REASONS = ("refunding", "cancelled", "bad_tracking", "already_shipped", "not_found",
           "split_unsupported", "carrier", "rejected")


class ShipLine(BaseModel):
    """Part of an order in a split shipment: the platform's line (sub-order) id and units."""

    model_config = ConfigDict(extra="ignore")

    line_id: str = Field(min_length=1)
    quantity: int = Field(ge=1)

    @field_validator("line_id", mode="before")
    @classmethod
    def _text(cls, value: Any) -> Any:
        return str(value) if isinstance(value, int) else value


class ShipRequest(BaseModel):
    """One shipment to write back: the ``platform_ship`` outbox payload."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    shop: str | None = Field(None, description="shop name in orderhub.yaml; None: the only "
                                               "shop of the platform")
    platform: Literal["taobao", "jd", "pdd", "douyin"]
    platform_order_no: str = Field(min_length=1)
    carrier: str = Field(min_length=1, description="orderhub's carrier code, e.g. ZTO")
    tracking_no: str = Field(min_length=1)
    lines: list[ShipLine] | None = Field(None, description="None: the whole order")
    shipment_id: str = Field(min_length=1)

    @field_validator("platform_order_no", "shipment_id", mode="before")
    @classmethod
    def _text(cls, value: Any) -> Any:
        return str(value) if isinstance(value, int) else value


class ShipRefused(RequestRejected):
    """The platform will not take this shipment, for ``reason``; retrying will not help."""

    what = "shipment refused"

    def __init__(self, message: str, *, reason: str, **kwargs: Any) -> None:
        if reason not in REASONS:
            raise ValueError(f"unknown ship refusal reason {reason!r}")
        self.reason = reason
        super().__init__(f"{reason}: {message}", **kwargs)


def whole_orders_only(request: ShipRequest, platform: str, api: str) -> None:
    """JD and PDD ship whole orders (their ship APIs take no lines): a request naming lines is
    refused before any call, saying how to send it."""
    if request.lines:
        raise ShipRefused(f"{platform} ships whole orders ({api} has no lines); send lines: null",
                          reason="split_unsupported", api=api)


class AlreadyShipped(RequestRejected):
    """The platform says the order is already shipped (counts as success)."""


class NeedsCheck(RequestRejected):
    """A refusal whose meaning depends on the order's state: re-read it to decide."""


@dataclass(frozen=True)
class ShipFailure:
    """An error answer to a ship call: the codes to look up (most specific first), the
    platform's message, and whether it is a business refusal (rather than a system error)."""

    keys: tuple[str, ...]
    message: str
    business: bool


@dataclass(frozen=True)
class ShipResult:
    """``shipped`` (the platform took it now) or ``already_shipped`` (it had it before)."""

    status: Literal["shipped", "already_shipped"]
    platform: str
    order_no: str
    company: str | int
    detail: str = ""


class ShipCodes(BaseModel):
    """``ship_errors.yaml``: per platform, error code -> outcome."""

    model_config = ConfigDict(extra="forbid")

    taobao: dict[str, Outcome] = Field(default_factory=dict)
    jd: dict[str, Outcome] = Field(default_factory=dict)
    pdd: dict[str, Outcome] = Field(default_factory=dict)
    douyin: dict[str, Outcome] = Field(default_factory=dict)

    @field_validator("taobao", "jd", "pdd", "douyin", mode="before")
    @classmethod
    def _keys(cls, value: Any) -> Any:
        if isinstance(value, dict):
            return {str(k): v for k, v in value.items()}
        return value

    @classmethod
    def load(cls, *paths: Path) -> ShipCodes:
        """The built-in table, then each existing file of ``paths`` over it (code by code)."""
        codes = yamlfile.load_model(cls, BUILTIN_CODES)
        for path in paths:
            if path.is_file():
                extra = yamlfile.load_model(cls, path)
                for platform in ("taobao", "jd", "pdd", "douyin"):
                    getattr(codes, platform).update(getattr(extra, platform))
        return codes

    @classmethod
    def for_workspace(cls, root: Path | None) -> ShipCodes:
        return cls.load(root / "ship_errors.yaml") if root is not None else cls.load()

    def table(self, platform: str) -> dict[str, Outcome]:
        return getattr(self, platform)  # type: ignore[no-any-return]


def precheck(client: PlatformClient, table: dict[str, Outcome]) -> Check:
    """A check run on a ship call's answer before the client's own: it classifies the ship
    errors (so that e.g. Taobao B04, which TOP sends with system code 15, is not retried)."""

    def check(body: Any) -> None:
        failure = client.ship_failure(body)
        if failure is None:
            return
        for key in failure.keys:
            outcome = table.get(key)
            if outcome is not None:
                raise_outcome(outcome, failure.message, key)
        if failure.business:
            raise NeedsCheck(failure.message, code=failure.keys[0] if failure.keys else None)

    return check


def raise_outcome(outcome: Outcome, message: str, code: str) -> None:
    if outcome == "retry":
        raise ServerError(message, code=code)
    if outcome == "shipped":
        raise AlreadyShipped(message, code=code)
    if outcome == "check":
        raise NeedsCheck(message, code=code)
    raise ShipRefused(message, reason=outcome, code=code)


def ship(client: PlatformClient, request: ShipRequest, carriers: CarrierTable,
         codes: ShipCodes) -> ShipResult:
    """Write ``request`` back through ``client``; see the module docstring for the outcomes."""
    if request.platform != client.platform:
        raise ValueError(f"a {request.platform} shipment given to a {client.platform} client")
    try:
        company = carriers.platform_code(request.carrier, client.platform)
    except UnknownCarrier as exc:
        raise ShipRefused(str(exc), reason="carrier", platform=client.platform,
                          shop=client.shop.name) from None
    result = ShipResult("shipped", client.platform, request.platform_order_no, company)
    try:
        client.ship(request, company, precheck(client, codes.table(client.platform)))
    except AlreadyShipped as exc:
        return ShipResult("already_shipped", client.platform, request.platform_order_no,
                          company, exc.detail)
    except ShipRefused as exc:
        raise exc.for_shop(client.shop.name, client.platform) from None
    except RequestRejected as exc:  # NeedsCheck, or a refusal no table knows
        return decide(client, request, company, exc)
    return result


def decide(client: PlatformClient, request: ShipRequest, company: str | int,
           refusal: RequestRejected) -> ShipResult:
    """Re-read the order after a refusal: shipped with our number is success, anything else
    is refused for what the order's state says (or for the platform's own message)."""
    order_no = request.platform_order_no
    record = client.detail(order_no)
    if request.tracking_no in client.tracking_numbers(record):
        return ShipResult("already_shipped", client.platform, order_no, company,
                          refusal.detail)
    status = normalized_status(client, record)
    reason, why = "rejected", refusal.detail
    if status in (OrderStatus.refunding, OrderStatus.refunded):
        reason, why = "refunding", f"the order is {status.value} ({refusal.detail})"
    elif status == OrderStatus.cancelled:
        reason, why = "cancelled", f"the order is cancelled ({refusal.detail})"
    elif status in (OrderStatus.shipped, OrderStatus.completed):
        others = ", ".join(sorted(client.tracking_numbers(record))) or "no number"
        reason, why = "already_shipped", (f"the order already shipped with {others}, not "
                                          f"{request.tracking_no}")
    raise ShipRefused(why, reason=reason, code=refusal.code, shop=client.shop.name,
                      platform=client.platform, api=refusal.api)


def normalized_status(client: PlatformClient, record: Record) -> OrderStatus | None:
    """The order's status as the platform's mapping reads it (refund overlay included)."""
    from .mapping import builtin_mappings

    try:
        order = builtin_mappings()[client.platform].apply(record, shop_id=client.shop.shop_id)
    except RecordError as exc:
        log.warning("re-reading %s %s: %s", client.platform, client.order_no(record), exc)
        return None
    return order.status
