"""What every waybill provider shares: the parcel asked for, the answer, batching, errors.

A provider turns parcels into numbers on one platform's e-waybill system.  Calls go through the
shop's connector client (its signing, token refresh and the shared HTTP client's retries and
backoff), so a timeout is retried with the *same* request: the parcel's ``key`` (Cainiao/PDD
``package_info.id``, Douyin ``pack_id``, JD ``vendorOrderCode``) is what the platform uses to
answer a repeated request with the number it already gave, not a second one.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

from ...connectors.base import PlatformClient
from ...connectors.http import PlatformError, RequestRejected
from ...model import Order, Receiver
from ..config import Account, Sender


@dataclass
class Parcel:
    """One package of one order to take a number for."""

    key: str
    order: Order
    package: str = "1"

    @property
    def items(self) -> list[dict[str, Any]]:
        return [{"name": (i.title or i.sku or "商品")[:60], "count": max(1, i.quantity)}
                for i in self.order.items] or [{"name": "商品", "count": 1}]

    @property
    def weight_g(self) -> int | None:
        grams = sum(float(i.attributes.get("weight_kg") or 0) * 1000 * max(1, i.quantity)
                    for i in self.order.items)
        return int(grams) or None


@dataclass
class Taken:
    """A provider's answer for one parcel: a number (with routing text and print data) or the
    platform's reason it gave none."""

    key: str
    waybill_code: str | None = None
    parent_waybill_code: str | None = None
    sort_code: str | None = None
    short_address: str | None = None
    package_center: str | None = None
    print_data: dict[str, Any] | None = None
    error_code: str | None = None
    error: str | None = None
    retryable: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.waybill_code is not None


class Provider(ABC):
    """A platform's e-waybill system for one account.  Thread-safe: batches run in a pool."""

    platform: ClassVar[str]
    #: the component that prints this platform's encrypted data (see :mod:`..component`)
    component: ClassVar[str]
    #: parcels per take call, as the platform allows
    batch_size: ClassVar[int] = 10

    def __init__(self, client: PlatformClient, account: Account, sender: Sender) -> None:
        self.client = client
        self.account = account
        self.sender = sender

    @abstractmethod
    def take(self, parcels: list[Parcel]) -> list[Taken]:
        """Numbers for up to :attr:`batch_size` parcels, one answer per parcel, in order."""

    @abstractmethod
    def cancel(self, waybill_code: str) -> None:
        """Give a number back; raises :class:`PlatformError` with the platform's reason."""

    def fetch_print_data(self, codes: dict[str, str]) -> dict[str, dict[str, Any]]:
        """Print data again for numbers already taken ({waybill code: platform order no}),
        for those whose data did not come with the number; empty where the platform gives it
        only with the number."""
        return {}

    def call(self, api: str, params: dict[str, Any]) -> Any:
        return self.client.call(api, params)


def failed(parcels: list[Parcel], exc: PlatformError) -> list[Taken]:
    return [Taken(p.key, error_code=exc.code, error=str(exc),
                  retryable=exc.retryable) for p in parcels]


def isolate(parcels: list[Parcel], take: Callable[[list[Parcel]], list[Taken]]) -> list[Taken]:
    """Take ``parcels`` in one call; when the platform refuses the whole batch, take them one by
    one, so one bad order (an empty address) is reported with its reason and the rest get
    numbers."""
    try:
        return take(parcels)
    except RequestRejected as exc:
        if len(parcels) == 1:
            return failed(parcels, exc)
    except PlatformError as exc:
        return failed(parcels, exc)
    out: list[Taken] = []
    for p in parcels:
        try:
            out.extend(take([p]))
        except PlatformError as exc:
            out.extend(failed([p], exc))
    return out


def address(r: Receiver) -> dict[str, Any]:
    """Cainiao/PDD ``address{province, city, district, town, detail}``."""
    return {"province": r.province or "", "city": r.city or "", "district": r.district or "",
            "town": r.town or "", "detail": r.address or ""}


def sender_json(s: Sender) -> dict[str, Any]:
    return {"address": {"province": s.province, "city": s.city, "district": s.district or "",
                        "town": s.town or "", "detail": s.address},
            "name": s.name, "mobile": s.mobile or "", "phone": s.phone or ""}


def compact(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def routing_of(data: dict[str, Any]) -> dict[str, str | None]:
    """大头笔 / 集包地 / 三段码 from Cainiao-style *plaintext* print data (``routingInfo``) [U]."""
    info = (data.get("data") or {}).get("routingInfo") or {}
    return {"short_address": (info.get("sortation") or {}).get("name"),
            "package_center": (info.get("consolidation") or {}).get("name"),
            "sort_code": info.get("routeCode")}


def print_data_of(raw: Any) -> dict[str, Any]:
    """Print data as a dict (Cainiao and PDD send it as a JSON string)."""
    if isinstance(raw, dict):
        return raw
    try:
        value = json.loads(raw or "{}")
    except ValueError:
        return {"encryptedData": raw}
    return value if isinstance(value, dict) else {"encryptedData": raw}
