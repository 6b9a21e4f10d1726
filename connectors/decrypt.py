"""Decryption on demand: one :class:`BatchDecryptor` per platform, batched, rate-limited.

The service decrypts a batch of orders just before evaluating it (``service/pii.py``) and
forgets the clear text afterwards.  Each platform's API takes a bounded batch (Taobao
``taobao.top.oaid.decrypt`` 20 receivers, PDD ``pdd.open.decrypt.batch`` 100 values, Douyin
``order.batchDecrypt`` 50 values; JD decrypts locally with TDE keys), so a batch of orders
becomes as few calls as the limits allow, spaced by the shop's own ``pii.per_minute``.

A quota error (the platform's rate-limit or decrypt-quota answer, or HTTP 429 after retries)
never drops an order: the orders not decrypted yet come back in :attr:`Revealed.delayed` and the
service tries them again later.  An order whose ciphertext the platform refuses (Taobao
``matched=false``, a Douyin ``err_no``) comes back in :attr:`Revealed.failed`; rules then see
the stored forms and the purchase limit falls back to matching tokens (docs/pii.md).
"""

from __future__ import annotations

import json
import logging
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from .base import PlatformClient, Record
from .http import PlatformError, RateLimited
from .pii import ClearReceiver, PiiSettings

log = logging.getLogger("orderhub.connectors.decrypt")


class DecryptQuota(Exception):  # noqa: N818 - the platform's answer, not our bug
    """The platform refused a decrypt call for quota (not retried in the call: the orders wait)."""

    def __init__(self, platform: str, code: str, detail: str = "") -> None:
        super().__init__(f"{platform} decrypt quota exceeded (code {code}) {detail}".strip())
        self.platform = platform
        self.code = code


@dataclass(frozen=True, slots=True)
class Sealed:
    """One order to decrypt: its key (the internal order id), number and record as delivered."""

    key: str
    order_no: str
    raw: Record


@dataclass(slots=True)
class Revealed:
    """What one :meth:`BatchDecryptor.reveal` got: clear receivers, delayed and failed keys."""

    clear: dict[str, ClearReceiver] = field(default_factory=dict)
    delayed: dict[str, str] = field(default_factory=dict)
    failed: dict[str, str] = field(default_factory=dict)
    calls: int = 0

    def merge(self, other: Revealed) -> None:
        self.clear.update(other.clear)
        self.delayed.update(other.delayed)
        self.failed.update(other.failed)
        self.calls += other.calls


class Limiter:
    """At most ``per_minute`` calls in any minute, spaced evenly (None: no limit of ours)."""

    def __init__(self, per_minute: int | None) -> None:
        self.gap = 60.0 / per_minute if per_minute else 0.0
        self._next = 0.0
        self._lock = threading.Lock()

    def wait(self) -> None:
        if not self.gap:
            return
        with self._lock:
            now = time.monotonic()
            at = max(now, self._next)
            self._next = at + self.gap
        if at > now:
            time.sleep(at - now)


def chunks(items: Sequence[Any], size: int) -> Iterator[list[Any]]:
    for at in range(0, len(items), size):
        yield list(items[at: at + size])


def rate_limit_precheck(platform: str, codes: frozenset[str]) -> Any:
    """A call's precheck raising :class:`DecryptQuota` on the platform's rate-limit codes."""
    def check(body: Any) -> None:
        if not isinstance(body, dict):
            return
        err = body.get("error_response") or {}
        code = str(err.get("error_code") or err.get("code") or "")
        if not err and body.get("code") not in (None, 10000, "10000", 0, "0"):
            code = str(body.get("code"))
        sub = str(err.get("sub_code") or body.get("sub_code") or "")
        if code and (code in codes or "quota" in sub or "limit" in sub):
            raise DecryptQuota(platform, code, sub)
    return check


def as_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


class BatchDecryptor(ABC):
    """Decrypts orders' receivers for one shop through its platform client."""

    platform: str

    def __init__(self, client: PlatformClient, settings: PiiSettings | None = None) -> None:
        self.client = client
        self.settings = settings or PiiSettings()
        self.limiter = Limiter(self.settings.per_minute)

    def reveal(self, orders: Sequence[Sealed]) -> Revealed:
        """Decrypt what ``orders`` carry; orders with nothing encrypted are simply absent."""
        out = Revealed()
        todo = [o for o in orders if self.needs(o.raw)]
        batches = list(self.batches(todo))
        for i, batch in enumerate(batches):
            self.limiter.wait()
            try:
                out.merge(self.call(batch))
            except (DecryptQuota, RateLimited) as exc:
                log.warning("%s shop %s: decrypt quota: %d orders delayed (%s)", self.platform,
                            self.client.shop.name, sum(len(b) for b in batches[i:]),
                            type(exc).__name__)
                for rest in batches[i:]:
                    out.delayed.update({o.key: str(exc) for o in rest})
                break
            except PlatformError as exc:
                out.failed.update({o.key: f"{exc.code}: {exc.detail}" for o in batch})
        return out

    @abstractmethod
    def needs(self, raw: Record) -> bool:
        """Whether the record carries something to decrypt."""

    @abstractmethod
    def batches(self, orders: list[Sealed]) -> Iterator[list[Sealed]]:
        """Orders grouped to fit one call."""

    @abstractmethod
    def call(self, batch: list[Sealed]) -> Revealed:
        """One call (or local step) decrypting ``batch``."""
