"""The product catalog: what platforms do not say about a SKU (cold chain, weight, category).

Loaded from a CSV (``sku`` column plus any attribute columns) and used to enrich line items at
ingestion, so rules and flows can ask ``item.cold_chain`` on orders from any platform.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import RecordError
from .model import Order
from .text import as_bool, decode

_BOOL_COLUMNS = ("cold_chain", "fragile", "oversize")
_NUMBER_COLUMNS = ("weight_kg", "price", "volume_l")


@dataclass
class Catalog:
    """Merchant SKU code -> attributes."""

    products: dict[str, dict[str, Any]] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path) -> Catalog:
        text, _ = decode(path.read_bytes())
        reader = csv.DictReader(io.StringIO(text))
        products: dict[str, dict[str, Any]] = {}
        for row in reader:
            sku = (row.get("sku") or "").strip()
            if not sku:
                raise RecordError("catalog row without a sku", file=str(path),
                                  record=reader.line_num, unit="row")
            products[sku] = {k: _value(k, v) for k, v in row.items() if k and k != "sku"}
        return cls(products)

    @property
    def version(self) -> str:
        """Changes whenever any attribute of any product does (part of record fingerprints)."""
        import hashlib

        import orjson

        body = orjson.dumps(self.products, option=orjson.OPT_SORT_KEYS, default=str)
        return hashlib.blake2b(body, digest_size=8).hexdigest()

    def __len__(self) -> int:
        return len(self.products)

    def attributes(self, sku: str | None) -> dict[str, Any]:
        return self.products.get(sku, {}) if sku else {}

    def enrich(self, order: Order) -> Order:
        """Give each line item its catalog attributes (the item's own attributes win)."""
        for item in order.items:
            found = self.attributes(item.sku)
            if found:
                item.attributes = {**found, **item.attributes}
        return order


def _value(column: str, raw: str | None) -> Any:
    if raw is None or raw.strip() == "":
        return None
    raw = raw.strip()
    if column in _BOOL_COLUMNS:
        return as_bool(raw, None)  # type: ignore[arg-type]
    if column in _NUMBER_COLUMNS:
        return float(raw)
    return raw
