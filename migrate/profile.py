"""Profiling a legacy file: what each column holds, so an analyst can write the mapping.

For every column: a type guess (the most common kind of its non-blank cells), blanks, the
number of distinct values, sample values, the value shapes (``9999/9/9 9:99``: how dates are
written) and, when there are few, every value with its count (the status column's synonyms).
Cells are cleaned first, as the mapping's ``clean:`` section will clean them.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..connectors.cleaning import CleanSpec, cleaner
from ..connectors.files import SourceRecord, decode, read_records
from ..connectors.transforms import as_amount, as_clean_phone, as_legacy_datetime, zone

_TZ = zone("Asia/Shanghai")
_DIGITS = re.compile(r"\d+")
_DATEISH = re.compile(r"^\d{4}\s*[-/.年]|^(19|20)\d{6}(\d{4}(\d{2})?)?$|^\d{5}\.\d+$")
_MONEYISH = re.compile(r"[￥¥元]|RMB|CNY|^-?[\d,]+\.\d{1,2}$")
_INTEGER = re.compile(r"^-?\d{1,6}$")
_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_\-]{5,}$")
MAX_VALUES = 40


@dataclass
class ColumnProfile:
    name: str
    kinds: Counter[str] = field(default_factory=Counter)
    blanks: int = 0
    values: Counter[str] = field(default_factory=Counter)
    shapes: Counter[str] = field(default_factory=Counter)

    @property
    def filled(self) -> int:
        return sum(self.kinds.values())

    @property
    def kind(self) -> str:
        """The most common kind of the non-blank cells: datetime, phone, amount, integer, code,
        text, or ``empty``."""
        return self.kinds.most_common(1)[0][0] if self.kinds else "empty"

    @property
    def kind_share(self) -> float:
        return self.kinds[self.kind] / self.filled if self.filled else 0.0

    @property
    def distinct(self) -> int:
        return len(self.values)

    def samples(self, n: int = 3) -> list[str]:
        return [v for v, _ in self.values.most_common(n)] if self.distinct <= MAX_VALUES \
            else list(self.values)[:n]

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "type": self.kind, "type_share": round(self.kind_share, 3),
                "blanks": self.blanks, "distinct": self.distinct, "samples": self.samples(),
                "shapes": dict(self.shapes.most_common(5))}


@dataclass
class FileProfile:
    file: str
    encoding: str
    rows: int
    broken_rows: list[int]
    columns: list[ColumnProfile]

    def column(self, name: str) -> ColumnProfile:
        return next(c for c in self.columns if c.name == name)

    def to_dict(self) -> dict[str, Any]:
        return {"file": self.file, "encoding": self.encoding, "rows": self.rows,
                "broken_rows": self.broken_rows, "columns": [c.to_dict() for c in self.columns]}


def kind_of(text: str) -> str:
    """What a cleaned cell looks like."""
    if _DATEISH.search(text):
        try:
            as_legacy_datetime(text, _TZ)
            return "datetime"
        except ValueError:
            pass
    digits = sum(ch.isdigit() for ch in text)
    if digits >= 7 and len(text) <= 20:
        try:
            as_clean_phone(text, _TZ)
            return "phone"
        except ValueError:
            pass
    if _MONEYISH.search(text):
        try:
            as_amount(text, _TZ)
            return "amount"
        except ValueError:
            pass
    if _INTEGER.match(text):
        return "integer"
    if _CODE.match(text):
        return "code"
    return "text"


def shape(text: str) -> str:
    """``2025/3/1 9:05`` -> ``9999/9/9 9:99``; Excel serials are named as such."""
    if re.match(r"^\d{5}\.\d+$", text):
        return "Excel serial number"
    return _DIGITS.sub(lambda m: "9" * len(m.group()), text)


def profile_file(path: Path) -> FileProfile:
    """Profile every column of a CSV or XLSX legacy export."""
    path = Path(path)
    encoding = decode(path.read_bytes())[1] if path.suffix.lower() != ".xlsx" else "xlsx"
    clean = cleaner(CleanSpec())
    columns: dict[str, ColumnProfile] = {}
    rows, broken = 0, []
    for item in read_records(path, {}):
        if not isinstance(item, SourceRecord):
            if item.record is None:
                raise item
            broken.append(item.record)
            rows += 1
            continue
        rows += 1
        if not columns:
            columns = {h: ColumnProfile(h) for h in item.header if h}
        for name, value in clean(item.record).items():
            col = columns.get(name)
            if col is None:
                continue
            if value is None:
                col.blanks += 1
                continue
            text = str(value)
            kind = kind_of(text)
            col.kinds[kind] += 1
            col.values[text] += 1
            if kind in ("datetime", "phone", "amount"):
                col.shapes[shape(text)] += 1
    return FileProfile(str(path), encoding, rows, broken, list(columns.values()))
