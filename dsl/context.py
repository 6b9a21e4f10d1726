"""What a compiled expression is evaluated against: the order, the clock, history, variables.

History aggregates (``orders_today(receiver.phone)``) never query per order: a batch first asks
each aggregate which window it needs, fetches every phone of the batch in one
``count_orders_by_phone`` call per window, and the context answers from that cache.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
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


def _get(obj: Any, name: str) -> Any:
    return obj.get(name) if isinstance(obj, dict) else getattr(obj, name, None)


class MemoryHistory:
    """History made of orders held in memory (sample orders of a dry-run, examples of a rule),
    optionally on top of another source (the store): counts add up."""

    def __init__(self, orders: Iterable[Any] = (), base: HistorySource | None = None) -> None:
        self.base = base
        self._by_phone: dict[str, list[datetime]] = {}
        for order in orders:
            self.add(order)

    def add(self, order: Any) -> None:
        receiver = _get(order, "receiver")
        phone = _get(receiver, "phone") if receiver is not None else None
        created = _get(order, "created_at")
        if phone and created is not None:
            self._by_phone.setdefault(phone, []).append(created)

    def count_orders_by_phone(
        self, phones: Sequence[str], since: datetime, until: datetime | None
    ) -> dict[str, int]:
        counts = dict(self.base.count_orders_by_phone(phones, since, until)) if self.base else {}
        for phone in phones:
            times = self._by_phone.get(phone, ())
            mine = sum(1 for t in times if t >= since and (until is None or t < until))
            counts[phone] = counts.get(phone, 0) + mine
        return counts


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

    def __post_init__(self) -> None:
        self.tz: tzinfo = (
            ZoneInfo(self.timezone) if isinstance(self.timezone, str) else self.timezone
        )
        if self.now is None:
            self.now = datetime.now(self.tz)
        elif self.now.tzinfo is None:
            self.now = self.now.replace(tzinfo=self.tz)

    def for_order(self, order: Any) -> EvalContext:
        """The same clock, history, variables and cache, for another order."""
        return EvalContext(order, self.now, self.history, self.variables, self.tz, self._shared)

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

    def count_orders_by_phone(self, phone: str, since: datetime, until: datetime | None) -> int:
        cache = self._shared["counts"].get((since, until))
        if cache is None or phone not in cache:
            self.prefetch(since, until, [phone])
            cache = self._shared["counts"][(since, until)]
        return cache[phone]
