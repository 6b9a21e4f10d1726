"""The product catalog: what platforms do not say about a SKU (cold chain, weight, category,
its EAN-13 ``barcode`` that the warehouse scans to verify a parcel, 验货).

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
            code = products[sku].get("barcode")
            if code is not None and not ean13_ok(code):
                raise RecordError(f"barcode {code!r} of {sku} is not a valid EAN-13 (13 digits, "
                                  f"check digit {_expected(code)})", file=str(path),
                                  record=reader.line_num, unit="row", field="barcode")
        return cls(products)

    def barcodes(self) -> dict[str, str]:
        """EAN-13 barcode -> SKU, for the products that have one."""
        return {str(p["barcode"]): sku for sku, p in self.products.items() if p.get("barcode")}

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

    def unknown(self, orders: Any) -> dict[str, list[str]]:
        """SKUs of the orders' lines that the catalog does not have, each with the orders
        that name it: such a line has no weight, cold chain or other attribute (null, never
        a silent 0), so a rule adding weights should be told.  Empty for an empty catalog."""
        out: dict[str, list[str]] = {}
        if not self.products:
            return out
        for order in orders:
            for item in order.items:
                if item.sku and item.sku not in self.products:
                    seen = out.setdefault(item.sku, [])
                    if order.label not in seen:
                        seen.append(order.label)
        return out

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


def ean13_check_digit(first12: str) -> int:
    """The EAN-13 check digit of 12 digits: weights 1,3,1,3... from the left, mod 10."""
    total = sum(int(c) * (3 if i % 2 else 1) for i, c in enumerate(first12))
    return (10 - total % 10) % 10


def ean13_ok(code: str) -> bool:
    """Whether ``code`` is 13 digits with the right check digit."""
    return (len(code) == 13 and code.isascii() and code.isdigit()
            and ean13_check_digit(code[:12]) == int(code[12]))


def _expected(code: str) -> str:
    if len(code) >= 12 and code[:12].isascii() and code[:12].isdigit():
        return f"should be {ean13_check_digit(code[:12])}"
    return "needs 12 digits before it"
