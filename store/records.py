"""Stored orders as history rules read them, built straight from the stored JSON.

A batch of rules with ``earlier_orders(...)`` reads about one earlier order per judged order,
and a filter reads a handful of its fields (``o.platform``, ``o.payment``, ``i.sku``,
``i.quantity``...).  Validating each stored document into a full pydantic :class:`Order` cost
several times the rest of the evaluation, so the store hands out :class:`HistoryOrder` records
instead: the document parsed once with orjson, and each field converted on its first read into
exactly the value the :class:`Order` would hold (the same enum, ``Decimal``, aware datetime with
pydantic's ``TzInfo``, model default for a missing key).  Any other field, property or an
unexpected value falls back to the full :class:`Order`, validated once per record on that
first read, so what a rule sees never depends on which fields are fast.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Any

import orjson
from pydantic_core import TzInfo

from ..model import MAX_QUANTITY, MAX_YUAN, LineItem, Order, OrderStatus, Platform

_FULL = object()  # a converter's answer: "ask the full Order"
_ZONES: dict[int, TzInfo] = {}


def _time(value: Any) -> Any:
    """An ISO text as pydantic reads it: the same instant and a ``TzInfo`` of its offset."""
    if type(value) is not str:
        return _FULL
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return _FULL
    offset = parsed.utcoffset()
    if offset is None or offset.microseconds:
        return _FULL  # naive (the model refuses it) or an odd offset: the model's to read
    seconds = offset.days * 86400 + offset.seconds
    zone = _ZONES.get(seconds)
    if zone is None:
        zone = _ZONES[seconds] = TzInfo(seconds)
    return parsed.replace(tzinfo=zone)


def _money(value: Any) -> Any:
    """A ``Money`` amount (0 to MAX_YUAN) from its text; anything else is the model's to say."""
    if type(value) is not str:
        return _FULL
    try:
        amount = Decimal(value)
        return amount if 0 <= amount <= MAX_YUAN else _FULL
    except ArithmeticError:
        return _FULL


def _text(value: Any) -> Any:
    return value if type(value) is str else _FULL


def _text64(value: Any) -> Any:
    return value if type(value) is str and 0 < len(value) <= 64 else _FULL


def _enum(kind: type[Platform] | type[OrderStatus]) -> Callable[[Any], Any]:
    def convert(value: Any) -> Any:
        try:
            return kind(value) if type(value) is str else _FULL
        except ValueError:
            return _FULL
    return convert


def _quantity(value: Any) -> Any:
    return value if type(value) is int and 0 <= value <= MAX_QUANTITY else _FULL


def _maybe_text(value: Any) -> Any:
    return value if value is None or type(value) is str else _FULL


def _default(model: type[Order] | type[LineItem], name: str) -> Any:
    """The model's default for a field the document leaves out (_FULL: it has none)."""
    info = model.model_fields[name]
    if info.default_factory is not None:
        return info.default_factory()  # type: ignore[call-arg]
    return _FULL if info.is_required() else info.default


class _Stored:
    """What a record and its lines share: the document's text and, once read, the full order
    (the lines point here rather than at their order, so nothing makes a reference cycle and
    records are freed as soon as a batch drops them, without the cyclic collector)."""

    __slots__ = ("id", "json", "order")

    def __init__(self, order_id: str | None, json: str | bytes) -> None:
        self.id = order_id
        self.json = json
        self.order: Order | None = None

    def full(self) -> Order:
        if self.order is None:
            order = Order.model_validate_json(self.json)
            order.id = self.id
            self.order = order
        return self.order


class HistoryLine:
    """One line of a :class:`HistoryOrder`: ``sku``, ``quantity`` and ``title`` read from the
    document, anything else from the full order's :class:`LineItem`."""

    __slots__ = ("_doc", "_stored", "_index", "sku", "quantity", "title")
    _FIELDS: dict[str, Callable[[Any], Any]] = {
        "sku": _maybe_text, "quantity": _quantity, "title": _text}

    def __init__(self, stored: _Stored, index: int, doc: dict[str, Any]) -> None:
        self._stored = stored
        self._index = index
        self._doc = doc

    def __getattr__(self, name: str) -> Any:  # only for a field not read yet
        if name.startswith("_"):
            raise AttributeError(name)
        convert = self._FIELDS.get(name)
        if convert is None:
            return getattr(self._stored.full().items[self._index], name)
        value = convert(self._doc[name]) if name in self._doc else _default(LineItem, name)
        if value is _FULL:
            value = getattr(self._stored.full().items[self._index], name)
        setattr(self, name, value)
        return value

    def __repr__(self) -> str:
        return f"HistoryLine({self._doc!r})"


class HistoryOrder:
    """A stored order for history aggregates (see the module docstring)."""

    __slots__ = ("_json", "_shared", "_parsed", "id", "history_time", "platform", "status",
                 "created_at", "platform_order_no", "shop_id", "payment", "goods_total",
                 "discount", "post_fee", "items")
    _FIELDS: dict[str, Callable[[Any], Any]] = {
        "platform": _enum(Platform), "status": _enum(OrderStatus), "created_at": _time,
        "platform_order_no": _text64, "shop_id": _text64, "payment": _money,
        "goods_total": _money, "discount": _money, "post_fee": _money}

    def __init__(self, order_id: str | None, doc: str | bytes,
                 created_utc: datetime | None = None, platform: Any = None) -> None:
        # a batch makes one per earlier order and reads few of them past their time and
        # platform: what the lines share (:class:`_Stored`) is made when first needed
        self.id = order_id
        self._json = doc
        self._shared: _Stored | None = None
        self._parsed: dict[str, Any] | None = None
        #: the instant a batch sorts and windows earlier orders by: the row's indexed
        #: ``created_at`` (an aware UTC datetime, as the store's column type reads it)
        self.history_time = created_utc if created_utc is not None else self.created_at
        if platform is not None:
            value = _PLATFORMS.get(platform) if type(platform) is str else None
            if value is not None:
                self.platform = value

    @property
    def _stored(self) -> _Stored:
        shared = self._shared
        if shared is None:
            shared = self._shared = _Stored(self.id, self._json)
        return shared

    @property
    def _doc(self) -> dict[str, Any]:
        """The stored document, parsed on the first read of a field that needs it (most
        earlier orders of a batch are only placed in time and told apart by platform, which
        the row's own columns answer)."""
        parsed = self._parsed
        if parsed is None:
            loaded = orjson.loads(self._json)
            if type(loaded) is not dict:
                self.full()  # not an order: the model says why
            parsed = self._parsed = loaded
        return parsed

    def full(self) -> Order:
        """The stored document validated as the :class:`Order` it is (once), as the store
        reads an order."""
        return self._stored.full()

    def __getattr__(self, name: str) -> Any:  # only for a field not read yet
        if name.startswith("_") or name == "history_time":
            raise AttributeError(name)
        doc = self._doc
        if name == "items":
            lines = doc.get("items", _FULL)
            if lines is _FULL:
                value: Any = []
            elif type(lines) is list and all(type(d) is dict for d in lines):
                value = [HistoryLine(self._stored, k, d) for k, d in enumerate(lines)]
            else:
                value = self.full().items
        else:
            convert = self._FIELDS.get(name)
            if convert is None:
                return getattr(self.full(), name)
            value = convert(doc[name]) if name in doc else _default(Order, name)
            if value is _FULL:
                value = getattr(self.full(), name)
        setattr(self, name, value)
        return value

    def __repr__(self) -> str:
        return f"HistoryOrder({self.id!r}, {self._doc.get('platform')}:" \
               f"{self._doc.get('platform_order_no')})"


#: the platform column's values (a dict lookup: the row's platform is read for every record)
_PLATFORMS = {p.value: p for p in Platform}

