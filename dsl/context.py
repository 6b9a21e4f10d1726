"""What a compiled expression is evaluated against: the order, the clock, history, variables.

History aggregates (``orders_today(receiver.phone)``) never query per order: a batch first asks
each aggregate which window it needs, fetches every phone of the batch in one
``count_orders_by_phone`` call per window, and the context answers from that cache.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from typing import Any, Protocol, runtime_checkable
from zoneinfo import ZoneInfo

from ..model import DEFAULT_TZ


@runtime_checkable
class HistorySource(Protocol):
    """Counts of stored orders per receiver phone, created in [since, until) (None = open).

    Implemented by the store (an indexed query) and by :class:`MemoryHistory` for dry-runs."""

    def count_orders_by_phone(
        self, phones: Sequence[str], since: datetime, until: datetime | None
    ) -> dict[str, int]: ...


class RecordHistory(Protocol):
    """What batched history windows need besides counts: creation times (to count each order's
    own window "before this order" in memory) and the orders (for filtered aggregates)."""

    def order_times_by_phone(self, phones: Sequence[str], since: datetime,
                             until: datetime | None) -> dict[str, list[datetime]]: ...

    def orders_by_phone(self, phones: Sequence[str], since: datetime,
                        until: datetime | None) -> dict[str, list[Any]]: ...


def _get(obj: Any, name: str) -> Any:
    return obj.get(name) if isinstance(obj, dict) else getattr(obj, name, None)


class MemoryHistory:
    """History made of orders held in memory (sample orders of a dry-run, examples of a rule),
    optionally on top of another source (the store).

    Each (platform, platform order no) counts once: a key repeated in memory counts its latest
    version, and an order that is also stored replaces the stored version rather than adding to
    it (one batched lookup, on the first count, asks the base which keys it holds).
    """

    def __init__(self, orders: Iterable[Any] = (), base: HistorySource | None = None) -> None:
        self.base = base
        self._orders: dict[Any, Any] = {}
        self._stored: dict[tuple[str, str], tuple[str | None, datetime]] | None = None
        self._by_phone: dict[str, list[datetime]] | None = None
        for order in orders:
            self.add(order)

    def add(self, order: Any) -> None:
        key = _key(order) or id(order)
        prev = self._orders.get(key)
        if prev is None or not _older(order, prev):
            self._orders[key] = order
        self._stored = self._by_phone = None

    def _times_by_phone(self) -> dict[str, list[datetime]]:
        if self._by_phone is not None:
            return self._by_phone
        by_phone: dict[str, list[datetime]] = {}
        for order in self._orders.values():
            receiver = _get(order, "receiver")
            phone = _get(receiver, "phone") if receiver is not None else None
            created = _get(order, "created_at")
            if phone and created is not None:
                by_phone.setdefault(phone, []).append(created)
        self._by_phone = by_phone
        return by_phone

    def stored_versions(self) -> dict[tuple[str, str], tuple[str | None, datetime]]:
        """(phone, created at) of the base's versions of the orders held here."""
        if self._stored is None:
            lookup = getattr(self.base, "phones_of", None)
            keys = [k for k in self._orders if isinstance(k, tuple)]
            self._stored = lookup(keys) if lookup is not None and keys else {}
        return self._stored

    def _orders_by_phone(self) -> dict[str, list[Any]]:
        by_phone: dict[str, list[Any]] = {}
        for order in self._orders.values():
            receiver = _get(order, "receiver")
            phone = _get(receiver, "phone") if receiver is not None else None
            if phone and _get(order, "created_at") is not None:
                by_phone.setdefault(phone, []).append(order)
        return by_phone

    def order_times_by_phone(self, phones: Sequence[str], since: datetime,
                             until: datetime | None) -> dict[str, list[datetime]]:
        def inside(t: datetime) -> bool:
            return t >= since and (until is None or t < until)

        out: dict[str, list[datetime]] = {p: [] for p in phones if p}
        fetch = getattr(self.base, "order_times_by_phone", None)
        if fetch is not None:
            replaced = Counter(self.stored_versions().values())  # stored versions of ours
            for phone, times in fetch(list(out), since, until).items():
                for t in times:
                    if replaced[(phone, t)] > 0:
                        replaced[(phone, t)] -= 1
                        continue
                    out.setdefault(phone, []).append(t)
        by_phone = self._times_by_phone()
        for phone in out:
            out[phone] += [t for t in by_phone.get(phone, ()) if inside(t)]
        return out

    def orders_by_phone(self, phones: Sequence[str], since: datetime,
                        until: datetime | None) -> dict[str, list[Any]]:
        def inside(order: Any) -> bool:
            t = _get(order, "created_at")
            return t >= since and (until is None or t < until)

        out: dict[str, list[Any]] = {p: [] for p in phones if p}
        fetch = getattr(self.base, "orders_by_phone", None)
        if fetch is not None:
            for phone, found in fetch(list(out), since, until).items():
                out.setdefault(phone, []).extend(o for o in found if _key(o) not in self._orders)
        mine = self._orders_by_phone()
        for phone in out:
            out[phone] += [o for o in mine.get(phone, ()) if inside(o)]
        return out

    def count_orders_by_phone(
        self, phones: Sequence[str], since: datetime, until: datetime | None
    ) -> dict[str, int]:
        def inside(t: datetime) -> bool:
            return t >= since and (until is None or t < until)

        counts: dict[str, int] = {}
        if self.base is not None:
            counts = dict(self.base.count_orders_by_phone(phones, since, until))
            wanted = set(phones)
            for phone, created in self.stored_versions().values():
                if phone in wanted and inside(created):
                    counts[phone] = counts.get(phone, 0) - 1
        by_phone = self._times_by_phone()
        for phone in phones:
            mine = sum(1 for t in by_phone.get(phone, ()) if inside(t))
            counts[phone] = max(counts.get(phone, 0) + mine, 0)
        return counts


def _key(order: Any) -> tuple[str, str] | None:
    platform = _get(order, "platform")
    number = _get(order, "platform_order_no")
    if platform is None or number is None:
        return None
    return (str(getattr(platform, "value", platform)), str(number))


def _older(order: Any, than: Any) -> bool:
    """Whether ``order`` is an older version of ``than`` (by modified time; ties: newer)."""
    a, b = _get(order, "modified_at"), _get(than, "modified_at")
    return a is not None and b is not None and a < b


@dataclass
class EvalContext:
    """Everything besides the order's own fields that an expression may read.

    ``now`` is the injectable clock (defaults to the wall clock at construction).  ``timezone``
    is the shop's; ``today()``, ``date()`` and "orders today" use it.  Contexts made with
    :meth:`for_order` share one history cache, which is how batches stay at one query.
    """

    order: Any = None
    now: datetime | None = None
    history: HistorySource | None = None
    variables: dict[str, Any] = field(default_factory=dict)
    timezone: str | tzinfo = DEFAULT_TZ
    _shared: dict[str, Any] = field(default_factory=lambda: {"counts": {}, "queries": 0},
                                    repr=False)
    #: the workspace's lists (:class:`orderhub.dsl.lists.ListSet`) that list()/lookup() read
    lists: Any = None

    def __post_init__(self) -> None:
        self.tz: tzinfo = (
            ZoneInfo(self.timezone) if isinstance(self.timezone, str) else self.timezone
        )
        if self.now is None:
            self.now = datetime.now(self.tz)
        elif self.now.tzinfo is None:
            self.now = self.now.replace(tzinfo=self.tz)
        if self.lists is None:
            from .lists import EMPTY

            self.lists = EMPTY

    def for_order(self, order: Any) -> EvalContext:
        """The same clock, history, variables and cache, for another order."""
        return EvalContext(order, self.now, self.history, self.variables, self.tz, self._shared,
                           self.lists)

    @property
    def queries(self) -> int:
        """How many history queries this context (and its siblings) made."""
        return int(self._shared["queries"])

    def prefetch(self, since: datetime, until: datetime | None, phones: Iterable[str]) -> None:
        """Fetch the counts of many phones for one window in a single query."""
        cache = self._shared["counts"].setdefault((since, until), {})
        missing = sorted({p for p in phones if p and p not in cache})
        if not missing:
            return
        if self.history is None:
            cache.update(dict.fromkeys(missing, 0))
            return
        self._shared["queries"] += 1
        found = self.history.count_orders_by_phone(missing, since, until)
        for phone in missing:
            cache[phone] = int(found.get(phone, 0))

    # ---- batched history: one query per batch, each order's own window answered in memory
    def prefetch_history(self, kind: str, windows: dict[str, list[tuple[datetime,
                                                                        datetime | None]]]
                         ) -> bool:
        """Fetch ``kind`` ("times" or "orders") for every phone of a batch over the union of
        their windows in one query; False when the source cannot (then counts go per window).

        Each phone's fetch is kept sorted by instant, with the instants as UTC datetimes (see
        :meth:`_window`)."""
        method = "order_times_by_phone" if kind == "times" else "orders_by_phone"
        fetch = getattr(self.history, method, None)
        if self.history is not None and fetch is None:
            return False
        cache = self._shared.setdefault(kind, {})
        if cache:
            todo = {p: w for p, w in windows.items() if p and not _covered(cache.get(p), w)}
        else:
            todo = {p: w for p, w in windows.items() if p}
        if not todo:
            return True
        spans = [span for w in todo.values() for span in w]
        since = min([s for s, _ in spans])
        untils = [u for _, u in spans]
        until = None if None in untils else max(untils)  # type: ignore[type-var]
        found = {} if fetch is None else fetch(sorted(todo), since, until)
        if fetch is not None:
            self._shared["queries"] += 1
        key = _utc if kind == "times" else _created_utc
        for phone in todo:
            items = found.get(phone)
            if not items:
                cache[phone] = (since, until, _NO_ORDERS, _NO_ORDERS)
                continue
            keys = [key(x) for x in items]
            if len(keys) > 1:
                ranks = sorted(range(len(keys)), key=keys.__getitem__)
                items, keys = [items[i] for i in ranks], [keys[i] for i in ranks]
            cache[phone] = (since, until, list(items), keys)
        return True

    def times_with_orders(self, times: dict[str, list[tuple[datetime, datetime | None]]],
                          found: dict[str, list[tuple[datetime, datetime | None]]]) -> bool:
        """Counts and filtered aggregates of one batch from ONE fetch of the orders: when the
        source says its orders answer the creation times too (the store: both are the same
        indexed rows) and every phone counted is one whose orders are fetched anyway, the
        orders fetch covers both sets of windows and the times are read off its orders.
        False (nothing fetched) otherwise: then each kind is fetched on its own."""
        if not getattr(self.history, "times_in_orders", False) or not set(times) <= set(found):
            return False
        merged = {p: spans + times.get(p, []) for p, spans in found.items()}
        if not self.prefetch_history("orders", merged):
            return False
        orders, cache = self._shared["orders"], self._shared.setdefault("times", {})
        for phone in times:
            since, until, _, keys = orders[phone]
            cache[phone] = (since, until, keys, keys)
        return True

    def _window(self, kind: str, phone: str, since: datetime,
                until: datetime | None) -> tuple[list[Any], int, int] | None:
        """The cached fetch of ``phone`` and where ``[since, until)`` lies in it (fetched
        first when the batch's fetch does not cover it); None when the source cannot answer
        ``kind``.  Inside a batch this runs three times or so per order: the cache holds each
        phone's instants as UTC datetimes, and the window's ends are brought to UTC only when
        there is something to place them among (comparing datetimes of two zones asks both
        zones for their offset, every comparison; two UTC datetimes compare as numbers)."""
        entry = self._shared.get(kind, _NOTHING).get(phone)
        if entry is None or since < entry[0] or (
                entry[1] is not None and (until is None or until > entry[1])):
            if not self.prefetch_history(kind, {phone: [(since, until)]}):
                return None
            entry = self._shared[kind][phone]
        keys = entry[3]
        if not keys:
            return entry[2], 0, 0
        if until is None:
            hi = len(keys)
        else:
            last = self._shared.get("utc")  # the windows of one order mostly share their end
            if last is not None and last[0] is until:
                hi = bisect_left(keys, last[1])
            else:
                end = _utc(until)
                self._shared["utc"] = (until, end)
                hi = bisect_left(keys, end)
        return entry[2], bisect_left(keys, _utc(since)), hi

    def earlier_orders(self, phone: str, since: datetime, until: datetime | None) -> list[Any]:
        """The orders of ``phone`` created in ``[since, until)`` (from the batch's fetch)."""
        found = self._window("orders", phone, since, until)
        return [] if found is None else found[0][found[1]:found[2]]

    def count_orders_by_phone(self, phone: str, since: datetime, until: datetime | None) -> int:
        found = self._window("times", phone, since, until)
        if found is not None:
            return found[2] - found[1]
        cache = self._shared["counts"].get((since, until))
        if cache is None or phone not in cache:
            self.prefetch(since, until, [phone])
            cache = self._shared["counts"][(since, until)]
        return cache[phone]  # type: ignore[no-any-return]


_NOTHING: dict[str, Any] = {}
#: the fetch of a phone without orders in the window, shared (lookups slice it: never handed out)
_NO_ORDERS: list[Any] = []


def _utc(t: datetime) -> datetime:
    """The same instant in UTC (as it is when out of UTC's range: still compared exactly)."""
    try:
        return t.astimezone(UTC)
    except OverflowError:
        return t


def _created_utc(order: Any) -> datetime:
    return _utc(_created_of(order))


def _created_of(order: Any) -> datetime:
    """The instant a fetched order is placed by in a batch's windows: a source's records may
    carry it ready as ``history_time`` (the store's, from the indexed column, so that placing
    them needs no read of the stored document)."""
    ready = getattr(order, "history_time", None)
    if ready is not None:
        return ready  # type: ignore[no-any-return]
    return _get(order, "created_at")  # type: ignore[no-any-return]


def _covered(entry: Any, windows: list[tuple[datetime, datetime | None]]) -> bool:
    """Whether a cached (since, until, ...) fetch holds every one of ``windows``."""
    if entry is None:
        return False
    since, until = entry[0], entry[1]
    for s, u in windows:
        if s < since:
            return False
        if until is not None and (u is None or u > until):
            return False
    return True
