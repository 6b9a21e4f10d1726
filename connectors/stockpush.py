"""Setting a listing's stock on the platforms (库存同步), as full quantities, never deltas.

A full set is idempotent: sending the same quantity twice leaves the listing as once, so a
retried outbox message can never oversell.  Each platform's call, batched as it allows:

=========  =================================================  ================================
platform   API                                                batch
=========  =================================================  ================================
taobao     ``taobao.skus.quantity.update`` (``type`` 1 full)  one item, up to 20 SKUs
pdd        ``pdd.goods.quantity.update`` (``update_type`` 1)  one SKU
douyin     ``sku.syncStock`` (``incremental`` false)          one SKU, with ``idempotent_id``
jd         ``jingdong.stock.write.updateSkuStock``            one SKU
=========  =================================================  ================================

Listings come from ``listings.csv`` in the workspace: ``shop,sku,item_id,sku_id`` (our SKU,
the platform's item/goods/product id, the platform's SKU id).
"""

from __future__ import annotations

import csv
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from ..errors import RecordError
from .base import PlatformClient
from .files import decode

TAOBAO_BATCH = 20


@dataclass(frozen=True)
class Listing:
    shop: str
    sku: str
    item_id: str
    sku_id: str


@dataclass(frozen=True)
class StockItem:
    """One listing's quantity to set."""

    sku: str
    item_id: str
    sku_id: str
    quantity: int


def read_listings(path: Path) -> list[Listing]:
    """``listings.csv`` (UTF-8 or GBK); a bad row raises naming the file and row."""
    if not path.exists():
        return []
    text, _ = decode(path.read_bytes())
    found: list[Listing] = []
    for number, row in enumerate(csv.DictReader(text.splitlines()), start=2):
        values = {k: (row.get(k) or "").strip() for k in ("shop", "sku", "item_id", "sku_id")}
        missing = [k for k, v in values.items() if not v]
        if missing:
            raise RecordError(f"{path.name} row {number}: {', '.join(missing)} missing "
                              "(columns: shop,sku,item_id,sku_id)", field=missing[0])
        found.append(Listing(**values))
    return found


def batches(platform: str, items: list[StockItem]) -> Iterator[list[StockItem]]:
    """What one call may carry: Taobao one item's SKUs (20 at most), the others one SKU."""
    if platform != "taobao":
        for item in items:
            yield [item]
        return
    by_item: dict[str, list[StockItem]] = {}
    for item in items:
        by_item.setdefault(item.item_id, []).append(item)
    for group in by_item.values():
        for at in range(0, len(group), TAOBAO_BATCH):
            yield group[at: at + TAOBAO_BATCH]


def set_stock(client: PlatformClient, items: list[StockItem], key: str) -> None:
    """Set these listings' quantities (one call's batch, see :func:`batches`); ``key`` is the
    push's own idempotency key (a retry of the same push repeats it)."""
    platform = client.platform
    if platform == "taobao":
        client.call("taobao.skus.quantity.update", {
            "num_iid": items[0].item_id, "type": 1,
            "skuid_quantities": ";".join(f"{i.sku_id}:{i.quantity}" for i in items)})
        return
    for i in items:
        if platform == "pdd":
            client.call("pdd.goods.quantity.update", {
                "goods_id": i.item_id, "sku_id": i.sku_id, "quantity": i.quantity,
                "update_type": 1})
        elif platform == "douyin":
            client.call("sku.syncStock", {
                "product_id": i.item_id, "sku_id": i.sku_id, "stock_num": i.quantity,
                "incremental": False, "idempotent_id": idempotent_id(key, i)})
        else:
            client.call("jingdong.stock.write.updateSkuStock", {
                "skuId": i.sku_id, "stockNum": i.quantity})


def idempotent_id(key: str, item: StockItem) -> str:
    """Douyin's ``idempotent_id``: one per push and listing, so a retried push is applied once
    while a later push of the same quantity (stock went down and back up) is applied again."""
    text = f"{key}:{item.item_id}:{item.sku_id}"
    return hashlib.blake2b(text.encode(), digest_size=12).hexdigest()
