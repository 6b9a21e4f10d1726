"""Platform-neutral synthetic orders and the seeded generator that makes them.

`generate_orders` builds `LogicalOrder`s for one platform (order numbers in
that platform's real format, platform sku ids, statuses the platform can
actually show); `render.render` turns each into the native API payload.

Storage is integer fen and unix seconds, because the generator must make
100k orders in a few seconds; the public face is `Decimal` yuan (2 dp) and
aware Asia/Shanghai datetimes through properties (`payment`, `created_at`...),
which can also be assigned.
"""

from __future__ import annotations

import random
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import NamedTuple

from ..gcpause import paused_gc
from .carriers import Carrier, pick_carrier
from .catalog import CATALOG, COLD_CHAIN, PLATFORM_IDS
from .fmt import (
    BEIJING_OFFSET_S,
    SHANGHAI,
    decimal_to_fen,
    fen_to_decimal,
    to_datetime,
    to_epoch,
    yymmdd,
)
from .people import Receiver, below, pick, random_nick, random_receiver

PLATFORMS = ("taobao", "jd", "pdd", "douyin")
STATUSES = ("pending_payment", "paid", "shipped", "completed", "cancelled", "refunding",
            "refunded")
REFUND_STATUSES = ("refunding", "refunded")
# Order lists of JD (pop.order.search) and PDD never show unpaid orders.
NO_UNPAID = frozenset({"jd", "pdd"})
AMBIENT = tuple(p for p in CATALOG if not p.cold_chain)
# (sku, title, unit fen, platform sku id, platform item id, item code, spec, cold chain)
ItemArgs = tuple[str, str, int, str, str, str, tuple[tuple[str, str], ...], bool]
DAY = 86_400
HOUR = 3600


@dataclass(frozen=True, slots=True)
class Shop:
    platform: str
    shop_id: str
    name: str


DEFAULT_SHOPS = {
    "taobao": Shop("taobao", "57301234", "悦家生活旗舰店"),
    "jd": Shop("jd", "10086321", "悦家生活京东旗舰店"),
    "pdd": Shop("pdd", "102345678", "悦家生活百货"),
    "douyin": Shop("douyin", "8123456", "悦家生活抖音小店"),
}

BUYER_MESSAGES = ("请尽快发货，谢谢", "不要放快递柜，送货上门", "送人的，不要放价格单",
                  "周末在家，工作日放门卫", "麻烦多放点冰袋", "到了打电话", "包装结实一点")
SELLER_MEMOS = ("老客户，送湿巾1包", "已核实地址", "赠品：冰袋x2", "优先发货", "客服已联系")


def _money(name: str) -> property:
    """A Decimal-yuan view of the integer-fen field `name`."""
    def get(self: object) -> Decimal:
        return fen_to_decimal(getattr(self, name))

    def set_(self: object, value: Decimal) -> None:
        setattr(self, name, decimal_to_fen(value))
    return property(get, set_)


def _time(name: str) -> property:
    """An aware Asia/Shanghai datetime view of the unix-seconds field `name`."""
    def get(self: object) -> datetime | None:
        return to_datetime(getattr(self, name))

    def set_(self: object, value: datetime | None) -> None:
        setattr(self, name, to_epoch(value))
    return property(get, set_)


@dataclass(slots=True)
class LogicalItem:
    sku: str
    title: str
    qty: int
    unit_fen: int
    platform_sku_id: str
    platform_item_id: str
    item_code: str
    spec: tuple[tuple[str, str], ...]
    cold_chain: bool
    discount_fen: int = 0  # share of the order discount allocated to this line
    line_id: str = ""  # Taobao oid / Douyin sku order id; empty where the platform has none

    @property
    def total_fen(self) -> int:
        return self.unit_fen * self.qty

    @property
    def paid_fen(self) -> int:
        return self.unit_fen * self.qty - self.discount_fen

    unit_price = _money("unit_fen")
    discount = _money("discount_fen")
    total = property(lambda self: fen_to_decimal(self.total_fen))
    paid = property(lambda self: fen_to_decimal(self.paid_fen))


@dataclass(slots=True)
class LogicalOrder:
    platform: str
    order_no: str
    shop: Shop
    status: str
    created_ts: int
    modified_ts: int
    buyer_nick: str
    receiver: Receiver
    items: list[LogicalItem]
    discount_fen: int = 0
    platform_discount_fen: int = 0  # the platform-funded part of discount_fen (PDD/Douyin)
    post_fee_fen: int = 0
    paid_ts: int | None = None
    shipped_ts: int | None = None
    completed_ts: int | None = None
    closed_ts: int | None = None  # cancel time, or refund completion for refunded orders
    refund_requested_ts: int | None = None
    tracking_no: str = ""
    carrier: Carrier | None = None
    buyer_message: str = ""
    seller_memo: str = ""
    tags: tuple[str, ...] = ()

    created_at = _time("created_ts")
    modified_at = _time("modified_ts")
    paid_at = _time("paid_ts")
    shipped_at = _time("shipped_ts")
    completed_at = _time("completed_ts")
    closed_at = _time("closed_ts")
    refund_requested_at = _time("refund_requested_ts")
    discount = _money("discount_fen")
    platform_discount = _money("platform_discount_fen")
    post_fee = _money("post_fee_fen")

    @property
    def goods_fen(self) -> int:
        return sum(i.unit_fen * i.qty for i in self.items)

    @property
    def payment_fen(self) -> int:
        """What the buyer pays: goods total - discount + post fee."""
        return self.goods_fen - self.discount_fen + self.post_fee_fen

    @property
    def goods_total(self) -> Decimal:
        return fen_to_decimal(self.goods_fen)

    @property
    def payment(self) -> Decimal:
        return fen_to_decimal(self.payment_fen)

    @property
    def seller_discount(self) -> Decimal:
        return fen_to_decimal(self.discount_fen - self.platform_discount_fen)

    @property
    def quantity(self) -> int:
        return sum(i.qty for i in self.items)

    @property
    def cold_chain(self) -> bool:
        return any(i.cold_chain for i in self.items)

    @property
    def base_status(self) -> str:
        """The fulfilment status under a refund overlay (what the order status field shows)."""
        if self.status not in REFUND_STATUSES:
            return self.status
        if self.completed_ts is not None:
            return "completed"
        return "shipped" if self.shipped_ts is not None else "paid"


class Plan(NamedTuple):
    """What one generated order must be; `generate_orders(planted=...)` takes these."""

    status: str = "paid"
    refund_after: timedelta | None = None  # refund requested this long after creation
    vague: bool = False
    burst: int = 1  # the same receiver phone places this many orders the same day
    items: int = 0  # number of lines; 0 = random
    cold: bool | None = None  # force (True) / forbid (False) cold-chain goods
    tags: tuple[str, ...] = ()


class _Generator:
    """Holds the random stream and per-run state (used order numbers)."""

    def __init__(self, seed: int | str, platform: str, shop: Shop, start: int,
                 until: int | None) -> None:
        if platform not in PLATFORMS:
            raise ValueError(f"unknown platform {platform!r}; expected one of {PLATFORMS}")
        self.rng = random.Random(f"orderhub-synth:{seed}:{platform}")
        self.platform = platform
        self.shop = shop
        self.start = start
        self.until = until
        self.has_lines = platform in ("taobao", "douyin")
        ids = PLATFORM_IDS[platform]
        # Per product: the LogicalItem constructor arguments that never change (tuples, so
        # picking and comparing them never hashes a Product).
        args = {p.sku: (p.sku, p.title, p.price_fen, ids[p.sku][1], ids[p.sku][0], p.item_code,
                        p.spec, p.cold_chain) for p in CATALOG}
        self.pool_all = tuple(args[p.sku] for p in CATALOG)
        self.pool_ambient = tuple(args[p.sku] for p in AMBIENT)
        self.pool_cold = tuple(args[p.sku] for p in COLD_CHAIN)
        self.used: set[str] = set()

    # -- plans ---------------------------------------------------------------
    def random_plan(self, may_burst: bool) -> Plan:
        r = self.rng.random
        roll = r()
        if roll < 0.06:
            status = "paid" if self.platform in NO_UNPAID else "pending_payment"
        elif roll < 0.63:
            status = "paid"
        elif roll < 0.78:
            status = "shipped"
        elif roll < 0.91:
            status = "completed"
        elif roll < 0.97:
            status = "cancelled"
        elif roll < 0.99:
            status = "refunding"
        else:
            status = "refunded"
        vague = r() < 0.03
        burst = 3 + below(r, 2) if may_burst and r() < 0.004 else 1
        return Plan(status, None, vague, burst)

    def random_refund_after(self) -> int:
        r = self.rng.random
        roll = r()
        if roll < 0.4:
            return 60 + below(r, 530)
        if roll < 0.5:
            return pick(r, (599, 600, 601))
        if roll < 0.7:
            return 900 + below(r, 6 * HOUR)
        return DAY + below(r, 5 * DAY)

    # -- pieces --------------------------------------------------------------
    def order_no(self, created: int) -> str:
        bits = self.rng.getrandbits
        while True:
            if self.platform == "taobao":
                no = str(2 * 10**18 + bits(64) % (3 * 10**18))
            elif self.platform == "jd":
                no = str(300_000_000_000 + bits(40) % 30_000_000_000)
            elif self.platform == "pdd":
                no = f"{yymmdd(created)}-{10**14 + bits(64) % (9 * 10**14)}"
            else:
                no = str(69 * 10**17 + bits(64) % 10**17)
            if no not in self.used:
                self.used.add(no)
                return no

    def line_no(self) -> str:
        """A sub-order id (Taobao oid / Douyin sku order id), 19 digits."""
        if self.platform == "taobao":
            return str(2 * 10**18 + self.rng.getrandbits(64) % (3 * 10**18))
        return str(69 * 10**17 + self.rng.getrandbits(64) % 10**17)

    def products(self, plan: Plan) -> list[ItemArgs]:
        r = self.rng.random
        k = plan.items
        if k <= 0:
            roll = r()
            k = 1 if roll < 0.75 else (2 if roll < 0.93 else 3)
        pool = self.pool_ambient if plan.cold is False else self.pool_all
        picked = [pick(r, self.pool_cold if plan.cold else pool)]
        while len(picked) < k:
            p = pick(r, pool)
            if p not in picked:
                picked.append(p)
        return picked

    def after(self, prev: int, lo: int, hi: int) -> int:
        """prev + a random delay in [lo, hi) seconds, squeezed to stay before `until`."""
        r = self.rng.random
        t = prev + lo + int(r() * (hi - lo))
        until = self.until
        if until is not None and t > until:
            t = prev + max(0, int((until - prev) * (0.2 + 0.6 * r())))
        return t

    # -- the order -----------------------------------------------------------
    def build(self, plan: Plan, created: int, receiver: Receiver, nick: str,
              extra_tags: tuple[str, ...] = ()) -> LogicalOrder:
        status = plan.status
        if status not in STATUSES:
            raise ValueError(f"unknown status {status!r}; expected one of {STATUSES}")
        if status == "pending_payment" and self.platform in NO_UNPAID:
            raise ValueError(f"{self.platform} order lists never show unpaid orders")
        items, goods_fen, cold = self._items(plan)
        discount, platform_part = self._discount(goods_fen)
        _allocate(items, discount, goods_fen)
        order = LogicalOrder(self.platform, self.order_no(created), self.shop, status, created,
                             created, nick, receiver, items, discount, platform_part,
                             self._post_fee(cold, receiver))
        if self.has_lines:
            if len(items) == 1:
                items[0].line_id = order.order_no  # single-line orders reuse the order number
            else:
                for it in items:
                    it.line_id = self.line_no()
        tags = list(extra_tags)
        tags += plan.tags
        self._timeline(order, plan, tags)
        r = self.rng.random
        if order.shipped_ts is not None:
            order.carrier = pick_carrier(self.rng, self.platform, cold)
            order.tracking_no = order.carrier.tracking_no(self.rng)
        if r() < 0.3:
            order.buyer_message = pick(r, BUYER_MESSAGES)
        if r() < 0.15:
            order.seller_memo = pick(r, SELLER_MEMOS)
        if receiver.vague:
            tags.append("vague_address")
        if len(items) > 1:
            tags.append("multi_item")
        if cold:
            tags.append("cold_chain")
        order.tags = tuple(tags)
        return order

    def _items(self, plan: Plan) -> tuple[list[LogicalItem], int, bool]:
        r = self.rng.random
        items = []
        goods_fen = 0
        cold = False
        for args in self.products(plan):
            roll = r()
            qty = 1 if roll < 0.7 else (2 if roll < 0.9 else 3 + below(r, 3))
            sku, title, unit, sku_id, item_id, code, spec, is_cold = args
            items.append(LogicalItem(sku, title, qty, unit, sku_id, item_id, code, spec, is_cold))
            goods_fen += unit * qty
            cold = cold or is_cold
        return items, goods_fen, cold

    def _discount(self, goods_fen: int) -> tuple[int, int]:
        """(total discount, platform-funded part) in fen; platform part only on PDD/Douyin."""
        r = self.rng.random
        if r() < 0.5:
            return 0, 0
        fits = [c for c in (300, 500, 1000, 2000, 3000, 5000) if c * 3 <= goods_fen]
        disc = pick(r, fits) if fits else goods_fen * 5 // 100
        plat = 0
        if self.platform in ("pdd", "douyin") and disc and r() < 0.4:
            plat = min(disc, pick(r, (200, 300, 500)))
        return disc, plat

    def _post_fee(self, cold: bool, receiver: Receiver) -> int:
        r = self.rng.random
        if receiver.area.province_code == "650000":  # Xinjiang: remote-area postage
            return 2000
        if cold:
            return 1500 if r() < 0.6 else 0
        return pick(r, (600, 800, 1000)) if r() < 0.2 else 0

    def _timeline(self, o: LogicalOrder, plan: Plan, tags: list[str]) -> None:
        """Fill paid/shipped/completed/closed/refund times consistent with the status."""
        status, created = o.status, o.created_ts
        if status == "pending_payment":
            return
        if status == "cancelled":
            o.closed_ts = o.modified_ts = self.after(created, 900, DAY)
            return
        if status in REFUND_STATUSES:
            self._refund_timeline(o, plan, tags)
            return
        o.paid_ts = o.modified_ts = self.after(created, 5, 600)
        if status == "paid":
            return
        o.shipped_ts = o.modified_ts = self.after(o.paid_ts, 1800, 36 * HOUR)
        if status == "completed":
            o.completed_ts = o.modified_ts = self.after(o.shipped_ts, 2 * DAY, 7 * DAY)

    def _refund_timeline(self, o: LogicalOrder, plan: Plan, tags: list[str]) -> None:
        """Pay, maybe ship, then request a refund `refund_after` after creation."""
        r = self.rng.random
        created = o.created_ts
        if plan.refund_after is not None:
            secs = int(plan.refund_after.total_seconds())
        else:
            secs = self.random_refund_after()
            if self.until is not None and created + secs > self.until:
                secs = max(60, int((self.until - created) * (0.3 + 0.6 * r())))
        o.paid_ts = created + min(secs - 1, 5 + below(r, max(1, min(115, secs - 25))))
        refund_at = created + secs
        gap = refund_at - o.paid_ts
        if gap > 2 * HOUR:
            o.shipped_ts = o.paid_ts + 1800 + below(r, min(36 * HOUR, gap - 600) - 1800)
        o.refund_requested_ts = o.modified_ts = refund_at
        if o.status == "refunded":
            o.closed_ts = o.modified_ts = self.after(refund_at, 600, 36 * HOUR)
        if secs < 600:
            tags.append("refund_within_10m")
        if secs in (599, 600, 601):
            tags.append(f"refund_boundary_{secs}s")
        if secs >= DAY:
            tags.append("refund_late")


def _allocate(items: list[LogicalItem], discount_fen: int, goods_fen: int) -> None:
    """Split the order discount across lines by line total; the last line takes the rest."""
    if not discount_fen:
        return
    left = discount_fen
    for it in items[:-1]:
        share = discount_fen * it.unit_fen * it.qty // goods_fen
        it.discount_fen = share
        left -= share
    items[-1].discount_fen = left


def _same_day_offsets(created: int, start: int, k: int, rng: random.Random) -> list[int]:
    """k offsets (s) keeping created+offset on the same Beijing calendar day."""
    into_day = (created + BEIJING_OFFSET_S) % DAY
    ahead = min(DAY - 1 - into_day, 6 * HOUR)
    r = rng.random
    if ahead >= 600:
        return sorted(120 + below(r, ahead - 120) for _ in range(k))
    behind = min(into_day, 6 * HOUR, created - start)
    if behind >= 600:
        return sorted(-(120 + below(r, behind - 120)) for _ in range(k))
    return [0] * k


def generate_orders(n: int, seed: int | str, start: datetime, platform: str, *,
                    span: timedelta = timedelta(days=1), until: datetime | None = None,
                    shop: Shop | None = None, planted: Sequence[Plan] = ()) -> list[LogicalOrder]:
    """n orders for `platform`, created over [start, start+span), sorted by creation time.

    Same arguments give identical orders.  `planted` plans are placed at evenly
    spread positions (so small sets still cover every case); the rest follow the
    realistic mix (~57% paid, 15% shipped, 13% completed, 6% cancelled, 6% awaiting
    payment where the platform lists unpaid orders, 3% refunds, 3% vague addresses,
    ~1.5% in same-phone bursts of 3-4 orders a day).  `until` caps every event
    time, as if the snapshot was taken then.
    """
    start_ts = to_epoch(start.replace(microsecond=0))
    until_ts = to_epoch(until)
    assert start_ts is not None
    gen = _Generator(seed, platform, shop or DEFAULT_SHOPS[platform], start_ts, until_ts)
    step = span.total_seconds() / max(n, 1)
    reserve = sum(p.burst - 1 for p in planted) + 4
    usable = max(1, n - reserve)
    planted_at = {(2 * k + 1) * usable // (2 * len(planted)): p for k, p in enumerate(planted)}
    out: list[LogicalOrder] = []
    with paused_gc():
        _fill(out, n, gen, start_ts, step, planted_at, platform)
    out.sort(key=lambda o: o.created_ts)
    return out


def _fill(out: list[LogicalOrder], n: int, gen: _Generator, start_ts: int, step: float,
          planted_at: dict[int, Plan], platform: str) -> None:
    """The generation loop: planted plans at their slots, burst followers, random orders."""
    rng = gen.rng
    r = rng.random
    followers: deque[tuple[int, Receiver, str]] = deque()
    for i in range(n):
        created = start_ts + int((i + r()) * step)
        plan = planted_at.get(i)
        if plan is None and followers:
            created, receiver, nick = followers.popleft()
            plan = gen.random_plan(False)._replace(vague=False)
            out.append(gen.build(plan, created, receiver, nick, ("phone_burst",)))
            continue
        if plan is None:
            plan = gen.random_plan(may_burst=not followers and i < n - 8)
        receiver = random_receiver(rng, plan.vague)
        nick = random_nick(rng, platform)
        extra: tuple[str, ...] = ()
        if plan.burst > 1:
            extra = ("phone_burst",)
            for off in _same_day_offsets(created, start_ts, plan.burst - 1, rng):
                followers.append((created + off, receiver, nick))
        out.append(gen.build(plan, created, receiver, nick, extra))


__all__ = ["DEFAULT_SHOPS", "PLATFORMS", "SHANGHAI", "STATUSES", "LogicalItem", "LogicalOrder",
           "Plan", "Shop", "generate_orders"]
