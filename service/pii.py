"""Receivers decrypted for one batch, in memory, just before the rules and flows see it.

:class:`PiiGuard` is the service's side of decryption on demand (``connectors/decrypt.py``):

* :meth:`PiiGuard.reveal` decrypts the batch's orders, a few platform calls per shop; the clear
  receivers live in the returned :class:`BatchPii` and nowhere else.
* :meth:`BatchPii.clear_order` is the order the rules and flows evaluate (clear name, phone and
  address; the stored order keeps the ciphertext and masks the platform delivered).
* :meth:`BatchPii.scrub` takes the clear text out of what the evaluation produced before it is
  written: actions' parameters and keys, outbox payloads, errors.  A person sees masks
  (``138****1234``); a key that held a phone holds a digest of the stored (encrypted) form, so
  "at most once per phone per day" still works.  A shop with ``pii: store`` keeps clear text.
* :meth:`BatchPii.history` counts "orders of this phone" by the stored forms of the phone
  (deterministic ciphertext, Taobao's masked mobile): the purchase limit without clear text in
  the store.
* An order whose decryption hit a quota is *delayed* (tried again later), never dropped.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic import BaseModel

from ..connectors.base import PlatformClient
from ..connectors.decrypt import BatchDecryptor, Revealed, Sealed
from ..connectors.decryptors import decryptor_for
from ..connectors.pii import ClearReceiver, PiiSettings, mask_address, mask_name, mask_phone
from ..connectors.shops import ShopConfig
from ..model import Order
from .evaluator import Evaluation, Message, OrderAction

log = logging.getLogger("orderhub.service.pii")


def _digest(value: str) -> str:
    return "pii-" + hashlib.blake2b(value.encode(), digest_size=8).hexdigest()


@dataclass(slots=True)
class Sealing:
    """One order's clear receiver and what replaces each clear value in what is written."""

    clear: ClearReceiver
    stored_phone: str | None
    keep_clear: bool
    raw: Any = None

    def pairs(self) -> list[tuple[str, str]]:
        c = self.clear
        out = [(c.address, mask_address(c.address)), (c.phone, mask_phone(c.phone)),
               (c.name, mask_name(c.name))]
        return sorted([(a, b) for a, b in out if a and b and a != b], key=lambda p: -len(p[0]))


@dataclass(slots=True)
class BatchPii:
    """The clear receivers of one batch (memory only), and the orders that must wait."""

    sealed: dict[str, Sealing] = field(default_factory=dict)
    delayed: dict[str, str] = field(default_factory=dict)
    delay_seconds: float = 60.0
    calls: int = 0

    def clear_order(self, order: Order) -> Order:
        """``order`` with its clear receiver (for evaluation only; never stored)."""
        s = self.sealed.get(order.id or "")
        if s is None:
            return order
        c = s.clear
        receiver = order.receiver.model_copy(update={
            k: v for k, v in (("name", c.name), ("phone", c.phone), ("address", c.address))
            if v is not None})
        return order.model_copy(update={"receiver": receiver})

    def history(self, base: Any) -> Any:
        forms: dict[str, set[str]] = {}
        for s in self.sealed.values():
            if s.clear.phone and s.stored_phone:
                forms.setdefault(s.clear.phone, set()).add(s.stored_phone)
        return PiiHistory(base, forms) if forms else base

    def scrub(self, order_id: str, evaluation: Evaluation | None) -> Evaluation | None:
        s = self.sealed.get(order_id)
        if evaluation is None or s is None or s.keep_clear:
            return evaluation
        pairs = s.pairs()
        key_pairs = ([(s.clear.phone, _digest(s.stored_phone or mask_phone(s.clear.phone) or ""))]
                     if s.clear.phone else []) + pairs
        evaluation.actions = [OrderAction(a.kind, _swap(a.key, key_pairs), _swap(a.params, pairs))
                              for a in evaluation.actions]
        evaluation.messages = [self._message(m, pairs, key_pairs, s) for m in evaluation.messages]
        evaluation.routes = [_swap_route(r, pairs) for r in evaluation.routes]
        return evaluation

    def _message(self, m: Message, pairs: list[tuple[str, str]],
                 key_pairs: list[tuple[str, str]], s: Sealing) -> Message:
        payload = _swap(m.payload, pairs)
        document = payload.get("document") if m.kind == "wms" else None
        if isinstance(document, dict):
            # the warehouse prints from the platform's ciphertext (print components, 奇门)
            document["receiver_sealed"] = sealed_receiver(s.raw)
        return Message(m.kind, _swap(m.key, key_pairs), payload)

    def scrub_model(self, order_id: str | None, model: Any) -> Any:
        """A result (a dry-run's decision or route) with masks for the clear values."""
        s = self.sealed.get(order_id or "")
        if s is None or s.keep_clear:
            return model
        return _swap(model, s.pairs())

    def scrub_text(self, order_id: str, text: str | None) -> str | None:
        s = self.sealed.get(order_id)
        return text if s is None or s.keep_clear else _swap(text, s.pairs())


class PiiHistory:
    """The store's history, counting a clear phone by the stored forms of it in this batch."""

    def __init__(self, base: Any, forms: dict[str, set[str]]) -> None:
        self.base = base
        self.forms = forms

    def count_orders_by_phone(self, phones: Sequence[str], since: datetime,
                              until: datetime | None = None) -> dict[str, int]:
        asked, found = self._by_forms("count_orders_by_phone", phones, since, until)
        return {p: sum(int(found.get(f, 0)) for f in fs) for p, fs in asked.items()}

    def order_times_by_phone(self, phones: Sequence[str], since: datetime,
                             until: datetime | None = None) -> dict[str, list[datetime]]:
        asked, found = self._by_forms("order_times_by_phone", phones, since, until)
        return {p: sorted(t for f in fs for t in found.get(f, [])) for p, fs in asked.items()}

    def orders_by_phone(self, phones: Sequence[str], since: datetime,
                        until: datetime | None = None) -> dict[str, list[Any]]:
        asked, found = self._by_forms("orders_by_phone", phones, since, until)
        return {p: [o for f in fs for o in found.get(f, [])] for p, fs in asked.items()}

    def _by_forms(self, method: str, phones: Sequence[str], since: datetime,
                  until: datetime | None) -> tuple[dict[str, set[str]], dict[str, Any]]:
        """Ask the store for every stored form of each clear phone; the answer per form."""
        asked = {p: self.forms.get(p, {p}) for p in phones if p}
        forms = sorted({f for fs in asked.values() for f in fs})
        return asked, getattr(self.base, method)(forms, since, until)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.base, name)


def _swap(value: Any, pairs: list[tuple[str, str]]) -> Any:
    if isinstance(value, str):
        for clear, shown in pairs:
            if clear in value:
                value = value.replace(clear, shown)
        return value
    if isinstance(value, dict):
        return {k: _swap(v, pairs) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_swap(v, pairs) for v in value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        try:
            return dataclasses.replace(value, **{f.name: _swap(getattr(value, f.name), pairs)
                                                 for f in dataclasses.fields(value) if f.init})
        except (TypeError, ValueError):
            return value
    if all(hasattr(value, k) for k in ("channel", "payload", "warehouse", "order_id")):
        # a routing flow's OutgoingMessage (its body built lazily from the clear order)
        return type(value)(value.channel, _swap(value.to, pairs), value.warehouse,
                           _swap(value.payload, pairs), value.order_id)
    if isinstance(value, BaseModel):
        return type(value).model_validate(_swap(value.model_dump(), pairs))
    return value


def _swap_route(result: Any, pairs: list[tuple[str, str]]) -> Any:
    """Routing results are recorded too (stock ledger, routing decision): no clear text."""
    return _swap(result, pairs)


def sealed_receiver(raw: Any) -> dict[str, Any]:
    """What the platform delivered for the receiver: enough for its print component."""
    if not isinstance(raw, dict):
        return {}
    keys = ("oaid", "tid", "order_sn", "order_id", "receiver_name", "receiver_phone",
            "receiver_address", "encrypt_post_receiver", "encrypt_post_tel",
            "receiver_name_mask", "receiver_phone_mask", "address_mask", "mask_post_receiver",
            "mask_post_tel")
    out = {k: raw[k] for k in keys if raw.get(k)}
    if isinstance(raw.get("post_addr"), dict) and raw["post_addr"].get("encrypt_detail"):
        out["post_addr.encrypt_detail"] = raw["post_addr"]["encrypt_detail"]
    if isinstance(raw.get("consigneeInfo"), dict):
        c = raw["consigneeInfo"]
        out.update({f"consigneeInfo.{k}": c[k] for k in ("fullname", "mobile", "fullAddress")
                    if c.get(k)})
    return out


class PiiGuard:
    """Per shop decryptors (built on first use) and the shops' ``pii:`` policies."""

    def __init__(self, shops: Sequence[ShopConfig],
                 make_client: Callable[[ShopConfig], PlatformClient] | None = None) -> None:
        self.shops = list(shops)
        self._make = make_client
        self._decryptors: dict[str, BatchDecryptor] = {}

    def shop_of(self, order: Order) -> ShopConfig | None:
        platform = order.platform.value
        mine = [s for s in self.shops if s.platform == platform]
        exact = [s for s in mine if s.shop_id == order.shop_id]
        found = exact or mine
        return found[0] if found else None

    def settings(self, shop: ShopConfig) -> PiiSettings:
        return getattr(shop, "pii", None) or PiiSettings()

    def decryptor(self, shop: ShopConfig) -> BatchDecryptor:
        found = self._decryptors.get(shop.name)
        if found is None:
            if self._make is None:
                from ..connectors.pull import make_client

                client = make_client(shop)
            else:
                client = self._make(shop)
            found = self._decryptors[shop.name] = decryptor_for(client, self.settings(shop))
        return found

    def reveal(self, orders: Sequence[Order]) -> BatchPii:
        """Decrypt the receivers of ``orders`` (grouped by shop); quota-hit orders delayed."""
        out = BatchPii()
        by_shop: dict[str, tuple[ShopConfig, list[Order]]] = {}
        for order in orders:
            shop = self.shop_of(order)
            if shop is not None and self.settings(shop).decrypt and order.id:
                by_shop.setdefault(shop.name, (shop, []))[1].append(order)
        for shop, group in by_shop.values():
            settings = self.settings(shop)
            out.delay_seconds = settings.delay_seconds
            raws = {o.id: o for o in group if isinstance(o.raw, dict)}
            try:
                got = self.decryptor(shop).reveal(
                    [Sealed(i, o.platform_order_no, o.raw) for i, o in raws.items() if i])
            except Exception as exc:  # noqa: BLE001 - the batch goes on with stored forms
                log.warning("shop %s: decryption unavailable (%s)", shop.name,
                            type(exc).__name__, extra={"event": "decrypt_failed"})
                continue
            self._note(out, got, raws, settings)
        return out

    def _note(self, out: BatchPii, got: Revealed, orders: dict[str | None, Order],
              settings: PiiSettings) -> None:
        out.calls += got.calls
        out.delayed.update(got.delayed)
        for key, clear in got.clear.items():
            order = orders[key]
            out.sealed[key] = Sealing(clear, order.receiver.phone, settings.storage == "store",
                                      order.raw)
        for key, why in got.failed.items():
            log.warning("order %s: receiver not decrypted (%s); rules see the stored forms",
                        key, why.split(":")[0], extra={"event": "decrypt_failed"})
