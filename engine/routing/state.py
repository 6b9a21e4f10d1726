"""What routing changes as it goes: stock levels (with reservations) and today's load.

Both live in memory for a batch.  The router reads and updates them; the store layer loads them
from the ``stock`` and ``route_decisions`` tables and writes back what changed, in one batch.
A simulation works on a copy, so nothing real changes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field


class StockLevels:
    """On-hand and reserved quantity per (warehouse, merchant SKU)."""

    __slots__ = ("_levels", "changed")

    def __init__(self, rows: Iterable[tuple[str, str, int, int]] = ()) -> None:
        self._levels: dict[tuple[str, str], list[int]] = {}
        self.changed: set[tuple[str, str]] = set()
        for warehouse, sku, on_hand, reserved in rows:
            self._levels[(warehouse, sku)] = [int(on_hand), int(reserved)]

    @classmethod
    def from_mapping(cls, levels: Mapping[tuple[str, str], int]) -> StockLevels:
        """``{(warehouse, sku): on_hand}`` with nothing reserved (tests, examples)."""
        return cls((w, s, n, 0) for (w, s), n in levels.items())

    def copy(self) -> StockLevels:
        new = StockLevels()
        new._levels = {k: list(v) for k, v in self._levels.items()}
        return new

    def available(self, warehouse: str, sku: str) -> int:
        level = self._levels.get((warehouse, sku))
        return level[0] - level[1] if level else 0

    def covers(self, warehouse: str, needs: Mapping[str, int]) -> bool:
        """Whether the warehouse has every quantity in ``needs`` available (the common case;
        :meth:`shortages` says what is missing when not)."""
        levels = self._levels
        for sku, qty in needs.items():
            level = levels.get((warehouse, sku))
            if level is None or level[0] - level[1] < qty:
                return False
        return True

    def shortages(self, warehouse: str, needs: Mapping[str, int]) -> list[tuple[str, int, int]]:
        """(sku, needed, available) for every SKU the warehouse cannot cover in full."""
        levels = self._levels
        out = []
        for sku, qty in needs.items():
            level = levels.get((warehouse, sku))
            have = level[0] - level[1] if level else 0
            if have < qty:
                out.append((sku, qty, have))
        return out

    def reserve(self, warehouse: str, needs: Mapping[str, int]) -> list[tuple[str, str, int]]:
        """Reserve the order's quantities (on_hand stays; shipping consumes it); returns
        them as (warehouse, sku, quantity), as :attr:`RouteResult.reserved` keeps them."""
        levels, changed = self._levels, self.changed
        out = []
        for sku, qty in needs.items():
            key = (warehouse, sku)
            level = levels.get(key)
            if level is None:
                level = levels[key] = [0, 0]
            level[1] += qty
            changed.add(key)
            out.append((warehouse, sku, qty))
        return out

    def rows(self) -> list[tuple[str, str, int, int]]:
        """(warehouse, sku, on_hand, reserved), sorted."""
        return sorted((w, s, v[0], v[1]) for (w, s), v in self._levels.items())

    def changed_rows(self) -> list[tuple[str, str, int, int]]:
        return sorted((w, s, self._levels[(w, s)][0], self._levels[(w, s)][1])
                      for (w, s) in self.changed)

    def take_changed(self) -> list[tuple[str, str, int, int]]:
        """:meth:`changed_rows` as of now, and start counting changes afresh."""
        rows = self.changed_rows()
        self.changed.clear()
        return rows

    def total(self, warehouse: str) -> int:
        return sum(v[0] - v[1] for (w, _), v in self._levels.items() if w == warehouse)

    def __len__(self) -> int:
        return len(self._levels)


@dataclass
class LoadBook:
    """Pending orders per warehouse today, and which warehouses are currently diverting.

    Hysteresis: a warehouse starts diverting when its load reaches the threshold and stops only
    when it falls below ``threshold x (1 - hysteresis)``; diversion targets must be below that
    lower mark too, so a target is not filled up to the brim and flipped at once.
    """

    pending: dict[str, int] = field(default_factory=dict)
    diverting: set[str] = field(default_factory=set)

    def copy(self) -> LoadBook:
        return LoadBook(dict(self.pending), set(self.diverting))

    def add(self, warehouse: str, n: int = 1) -> None:
        self.pending[warehouse] = self.pending.get(warehouse, 0) + n

    def load(self, warehouse: str) -> int:
        return self.pending.get(warehouse, 0)

    def over(self, warehouse: str, threshold: int | None, hysteresis: float) -> bool:
        """Whether ``warehouse`` should divert new orders now (updates the diverting state)."""
        if threshold is None:
            return False
        n = self.pending.get(warehouse, 0)
        if warehouse in self.diverting:
            if n < threshold * (1 - hysteresis):
                self.diverting.discard(warehouse)
                return False
            return True
        if n >= threshold:
            self.diverting.add(warehouse)
            return True
        return False

    def can_take(self, warehouse: str, threshold: int | None, hysteresis: float) -> bool:
        """Whether ``warehouse`` may receive a diverted order (below its lower mark)."""
        if threshold is None:
            return True
        return warehouse not in self.diverting and \
            self.pending.get(warehouse, 0) < threshold * (1 - hysteresis)


@dataclass
class RoutingState:
    """Everything a batch of routings shares and changes."""

    stock: StockLevels = field(default_factory=StockLevels)
    load: LoadBook = field(default_factory=LoadBook)

    def copy(self) -> RoutingState:
        return RoutingState(self.stock.copy(), self.load.copy())
