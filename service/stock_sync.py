"""Stock pushed back to the platforms' listings, the main guard against overselling.

What a shop may sell of a SKU is ``floor((available - safety_stock) * share)``, never below 0,
where *available* is on hand less reserved over every warehouse.  :func:`plan` compares that
with what was last queued for each listing and proposes a push only where it differs;
:func:`enqueue` writes the pushes as ``platform_stock`` outbox messages and remembers the
quantities, in one transaction.  The leader runs both every ``stock_push_seconds``: many stock
changes in between (imports, reservations, shipments, releases) make one push per listing with
the latest figure — the debounce.  Quantities are set in full, so a retried message is harmless.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import Column, Engine, Integer, String, Table, delete, func, insert, select

from ..connectors.http import PlatformError
from ..connectors.pull import make_client
from ..connectors.shops import ShopConfig, StockPushSettings
from ..connectors.stockpush import Listing, StockItem, batches, read_listings, set_stock
from ..engine.routing.stock import stock_table
from ..store.schema import UTCDateTime, metadata
from .channels import DeliveryError
from .schema import outbox

KIND = "platform_stock"

stock_pushes = Table(
    "stock_pushes",
    metadata,
    Column("shop", String(128), primary_key=True),
    Column("sku", String(64), primary_key=True),
    Column("quantity", Integer, nullable=False),
    Column("queued_at", UTCDateTime, nullable=False),
)


@dataclass(frozen=True)
class Push:
    """One outbox message: a batch of one shop's listings with their new quantities."""

    shop: str
    platform: str
    items: tuple[StockItem, ...]


def offered(available: int, settings: StockPushSettings) -> int:
    """What a shop may sell: the part ``share`` of what is available above the safety stock."""
    return math.floor(max(0, available - settings.safety_stock) * settings.share)


def available_by_sku(engine: Engine) -> dict[str, int]:
    query = (select(stock_table.c.sku, func.sum(stock_table.c.on_hand - stock_table.c.reserved))
             .group_by(stock_table.c.sku))
    with engine.connect() as conn:
        return {sku: int(n or 0) for sku, n in conn.execute(query)}


def plan(engine: Engine, shops: Sequence[ShopConfig], listings: Sequence[Listing]) -> list[Push]:
    """The pushes that would bring each enabled shop's listings to what it may sell."""
    available = available_by_sku(engine)
    with engine.connect() as conn:
        last = {(r.shop, r.sku): r.quantity for r in conn.execute(select(stock_pushes))}
    out: list[Push] = []
    for shop in shops:
        if not shop.stock_push.enabled:
            continue
        items = [StockItem(x.sku, x.item_id, x.sku_id,
                           offered(available.get(x.sku, 0), shop.stock_push))
                 for x in listings if x.shop == shop.name]
        changed = [i for i in items if last.get((shop.name, i.sku)) != i.quantity]
        out.extend(Push(shop.name, shop.platform, tuple(batch))
                   for batch in batches(shop.platform, changed))
    return out


def enqueue(engine: Engine, pushes: Sequence[Push], *, now: datetime | None = None) -> int:
    """Queue the pushes and remember their quantities (one transaction); returns messages."""
    if not pushes:
        return 0
    at = now or datetime.now(UTC)
    rows: list[dict[str, Any]] = []
    seen: list[dict[str, Any]] = []
    for push in pushes:
        payload = {"shop": push.shop, "platform": push.platform,
                   "items": [asdict(i) for i in push.items]}
        digest = hashlib.blake2b(orjson.dumps([payload, at.isoformat()]),
                                 digest_size=10).hexdigest()
        rows.append({"kind": KIND, "idempotency_key": f"stock:{push.shop}:{digest}",
                     "order_id": None, "payload": payload, "status": "pending", "attempts": 0,
                     "next_attempt_at": at, "created_at": at})
        seen.extend({"shop": push.shop, "sku": i.sku, "quantity": i.quantity, "queued_at": at}
                    for i in push.items)
    with engine.begin() as conn:
        for row in seen:
            conn.execute(delete(stock_pushes).where(stock_pushes.c.shop == row["shop"],
                                                    stock_pushes.c.sku == row["sku"]))
        conn.execute(insert(stock_pushes), seen)
        conn.execute(insert(outbox), rows)
    return len(rows)


LISTINGS_FILE = "listings.csv"


def workspace_listings(workspace: Any) -> list[Listing]:
    return read_listings(workspace.path(LISTINGS_FILE))


def sync_stock(workspace: Any) -> int:
    """The leader's job: queue a push for every listing whose offer changed; returns messages."""
    shops = [s for s in workspace.config.shops if s.stock_push.enabled]
    if not shops:
        return 0
    engine = workspace.store.engine
    return enqueue(engine, plan(engine, shops, workspace_listings(workspace)))


class StockChannel:
    """The outbox channel ``platform_stock``: sets one batch of a shop's listings."""

    def __init__(self, shops: Sequence[ShopConfig]) -> None:
        self.shops = {s.name: s for s in shops}

    def send(self, payload: dict[str, Any], key: str) -> None:
        shop = self.shops.get(str(payload.get("shop")))
        if shop is None:
            raise DeliveryError(f"no shop {payload.get('shop')!r} in orderhub.yaml",
                                retryable=False)
        items = [StockItem(**i) for i in payload["items"]]
        try:
            client = make_client(shop)
        except Exception as exc:  # noqa: BLE001 - a config problem: say it, keep the message
            raise DeliveryError(f"shop {shop.name}: {exc}", retryable=True) from exc
        try:
            set_stock(client, items, key)
        except PlatformError as exc:
            raise DeliveryError(str(exc), retryable=exc.retryable) from exc
        finally:
            client.close()
