"""The simulated shops' orders, changing over time.

Orders come from :mod:`orderhub.synth` (realistic, deterministic for a seed) and then live: new
orders arrive, paid orders ship, shipped ones complete, buyers ask for refunds, unpaid orders are
cancelled.  Every change stamps the order's modified time with the simulator's clock, which can
run ahead of the wall clock (:meth:`Clock.advance`) so tests need not wait.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from ..synth import PLATFORMS, LogicalOrder, Plan, generate_orders
from ..synth.carriers import pick_carrier
from ..synth.logical import NO_UNPAID


class Clock:
    """The platforms' clock: wall time plus an offset that tests can push forward."""

    def __init__(self, offset: float = 0.0) -> None:
        self.offset = offset
        self._lock = threading.Lock()

    def now(self) -> float:
        return time.time() + self.offset

    def now_int(self) -> int:
        return int(self.now())

    def advance(self, seconds: float) -> None:
        with self._lock:
            self.offset += seconds


class World:
    """Every platform's orders by order number, with the changes that happen to them."""

    def __init__(self, *, seed: int = 1, orders: int = 200, history_hours: float = 6,
                 clock: Clock | None = None, platforms: Iterable[str] = PLATFORMS) -> None:
        self.clock = clock or Clock()
        self.seed = seed
        self.platforms = tuple(platforms)
        self.rng = random.Random(f"orderhub-simulator:{seed}")
        self.lock = threading.RLock()
        self.orders: dict[str, dict[str, LogicalOrder]] = {p: {} for p in self.platforms}
        self._batches = 0
        self.changes = 0
        #: shipments written back through the ship APIs, by (platform, order no.)
        self.parcels: dict[tuple[str, str], list[Any]] = {}
        now = self.clock.now_int()
        start = datetime.fromtimestamp(now - int(history_hours * 3600), UTC)
        for platform in self.platforms:
            made = generate_orders(orders, seed, start, platform,
                                   span=timedelta(hours=history_hours),
                                   until=datetime.fromtimestamp(now - 1, UTC))
            for o in made:
                if o.created_ts >= now:  # synth may place a same-day burst after `until`
                    continue
                o.modified_ts = min(o.modified_ts, now - 1)
                self.orders[platform][o.order_no] = o

    # -- reading ---------------------------------------------------------------------------

    def count(self, platform: str | None = None) -> int:
        with self.lock:
            return sum(len(self.orders[p]) for p in ([platform] if platform else self.platforms))

    def get(self, platform: str, order_no: str) -> LogicalOrder | None:
        with self.lock:
            return self.orders[platform].get(order_no)

    def modified_between(self, platform: str, start: int, end: int, *,
                         newest_first: bool = True) -> list[LogicalOrder]:
        """Orders the platform's list shows for [start, end] (inclusive), sorted by modified
        time.  JD's and PDD's lists never show unpaid orders."""
        hide_unpaid = platform in NO_UNPAID
        with self.lock:
            found = [o for o in self.orders[platform].values()
                     if start <= o.modified_ts <= end
                     and not (hide_unpaid and o.status == "pending_payment")]
        found.sort(key=lambda o: (o.modified_ts, o.order_no), reverse=newest_first)
        return found

    # -- changing --------------------------------------------------------------------------

    def add(self, platform: str, n: int = 1) -> list[LogicalOrder]:
        """``n`` new orders placed now (paid, or awaiting payment where lists show those)."""
        made: list[LogicalOrder] = []
        now = self.clock.now_int()
        with self.lock:
            for _ in range(n):
                self._batches += 1
                unpaid = platform not in NO_UNPAID and self.rng.random() < 0.15
                plan = Plan("pending_payment" if unpaid else "paid")
                for attempt in range(5):
                    o = generate_orders(1, f"{self.seed}:{self._batches}:{attempt}",
                                        datetime.fromtimestamp(now, UTC), platform,
                                        span=timedelta(seconds=1),
                                        until=datetime.fromtimestamp(now, UTC),
                                        planted=[plan])[0]
                    if o.order_no not in self.orders[platform]:
                        break
                o.created_ts = min(o.created_ts, now)
                o.modified_ts = now
                if o.paid_ts is not None:
                    o.paid_ts = min(o.paid_ts, now)
                self.orders[platform][o.order_no] = o
                made.append(o)
                self.changes += 1
        return made

    def modify(self, platform: str, orders: Iterable[LogicalOrder] | None = None,
               n: int = 1) -> list[LogicalOrder]:
        """Move orders one step along their life (given ones, or ``n`` picked at random)."""
        with self.lock:
            if orders is None:
                pool = list(self.orders[platform].values())
                orders = self.rng.sample(pool, min(n, len(pool)))
            changed = []
            for o in orders:
                self._step(o)
                changed.append(o)
                self.changes += 1
            return changed

    def request_refund(self, platform: str, order_no: str, at: int, *,
                       touched_at: int | None = None) -> LogicalOrder:
        """The buyer asks for a refund at ``at``; with ``touched_at`` the order changes again
        later (so its snapshots' modified time no longer tells when the refund was asked)."""
        with self.lock:
            o = self.orders[platform].get(order_no)
            if o is None:
                raise KeyError(f"no {platform} order {order_no}")
            o.status, o.refund_requested_ts = "refunding", at
            o.modified_ts = max(o.modified_ts, touched_at or at)
            self.changes += 1
            return o

    def tick(self, new: int = 0, changes: int = 0) -> None:
        """``new`` orders and ``changes`` modifications, spread over the platforms."""
        for i in range(new):
            self.add(self.platforms[i % len(self.platforms)])
        for i in range(changes):
            self.modify(self.platforms[i % len(self.platforms)], n=1)

    def _step(self, o: LogicalOrder) -> None:
        now = self.clock.now_int()
        roll = self.rng.random()
        status = o.status
        if status == "pending_payment":
            if roll < 0.7:
                o.status, o.paid_ts = "paid", now
            else:
                o.status, o.closed_ts = "cancelled", now
        elif status == "paid":
            if roll < 0.75:
                self._ship(o, now)
            elif roll < 0.9:
                o.status, o.refund_requested_ts = "refunding", now
            else:
                o.seller_memo = "已核实地址"
        elif status == "shipped":
            if roll < 0.8:
                o.status, o.completed_ts = "completed", now
            else:
                o.status, o.refund_requested_ts = "refunding", now
        elif status == "refunding":
            if roll < 0.85:
                o.status, o.closed_ts = "refunded", now
            else:
                o.status = o.base_status  # the buyer withdrew the request
        else:
            o.seller_memo = "客服已联系"
        o.modified_ts = max(now, o.modified_ts)

    def _ship(self, o: LogicalOrder, now: int) -> None:
        o.status, o.shipped_ts = "shipped", now
        o.carrier = pick_carrier(self.rng, o.platform, o.cold_chain)
        o.tracking_no = o.carrier.tracking_no(self.rng)

    # -- a stream over time ----------------------------------------------------------------

    def run(self, orders_per_minute: float, stop: threading.Event) -> None:
        """Until ``stop``: new orders at the given rate, and half as many changes."""
        carry_new = carry_change = 0.0
        while not stop.wait(1.0):
            carry_new += orders_per_minute / 60
            carry_change += orders_per_minute / 120
            new, carry_new = int(carry_new), carry_new - int(carry_new)
            changes, carry_change = int(carry_change), carry_change - int(carry_change)
            if new or changes:
                self.tick(new, changes)
