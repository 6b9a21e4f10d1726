"""Turning a legacy file into orders, row by row: clean, map, validate, spot duplicates.

Nothing here touches a store.  :class:`Converter` yields, for each data row of the file, one of
:class:`Converted` (an order ready to import), :class:`Duplicate` (the same order again, with the
same content: skipped) or :class:`RowReject` (why the row cannot be imported, naming its row and
column).  ``check`` and ``run`` are both built on it, so the dry-run sees exactly what the
import will do.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..connectors.files import SourceRecord, read_records
from ..connectors.mapping import Mapping, load_mapping
from ..connectors.tables import read_status_table
from ..errors import RecordError
from ..model import Order, OrderStatus

BATCH_PREFIX = "migrate:"


@dataclass(frozen=True, slots=True)
class RowReject:
    """A row that cannot be imported.  ``cells`` are the row as read, for the rejects file."""

    row: int
    reason: str
    column: str | None = None
    order_no: str | None = None
    cells: tuple[Any, ...] = ()

    def describe(self) -> str:
        where = f"row {self.row}" + (f", column {self.column}" if self.column else "")
        return f"{where}: {self.reason}"


@dataclass(frozen=True, slots=True)
class Duplicate:
    """A row repeating an earlier row's order with the same content (after cleaning)."""

    row: int
    first_row: int
    order_no: str


@dataclass(frozen=True, slots=True)
class Converted:
    row: int
    order: Order
    digest: str


Outcome = Converted | Duplicate | RowReject


def load_migration_mapping(path: Path, status_map: Path | None = None,
                           roots: Sequence[Path] = ()) -> Mapping:
    """A mapping file, with the status table of ``status_map`` (XLSX/CSV) laid over its own.
    Files the mapping names must lie beside it or inside ``roots`` (the workspace)."""
    mapping = load_mapping(Path(path), roots)
    if status_map is None:
        return mapping
    table = read_status_table(Path(status_map))
    status = mapping.spec.status.model_copy(update={"map": {**mapping.spec.status.map, **table}})
    return Mapping(mapping.spec.model_copy(update={"status": status}), mapping.origin)


def digest(order: Order) -> str:
    """What an order says, without where it came from: two rows that clean and map to the same
    order have the same digest however their cells were written."""
    body = order.model_dump_json(exclude={"id", "raw", "batch", "source"})
    return hashlib.blake2b(body.encode(), digest_size=16).hexdigest()


def batch_id(path: Path, mapping: Mapping) -> str:
    """``migrate:<hash>`` of the file's bytes and the mapping as loaded (status table included),
    so running the same file with the same mapping again is the same batch."""
    digest = hashlib.blake2b(digest_size=6)
    digest.update(Path(path).read_bytes())
    digest.update(mapping.spec.model_dump_json().encode())
    return BATCH_PREFIX + digest.hexdigest()


@dataclass
class Converter:
    """Reads ``path`` with ``mapping``; iterate :meth:`outcomes` once."""

    mapping: Mapping
    path: Path
    header: tuple[str, ...] = ()
    rows: int = 0
    statuses: Counter[str] = field(default_factory=Counter)
    unknown_statuses: Counter[str] = field(default_factory=Counter)

    def __post_init__(self) -> None:
        self.path = Path(self.path)
        status = self.mapping.spec.status
        self._status_col = status.from_
        self._table = {str(k).strip(): v for k, v in status.map.items()}
        self._clean = self.mapping._clean
        self._status_texts: dict[str, str] = {}

    def items(self) -> list[SourceRecord | RecordError]:
        """Every record of the file (read once; the count drives the progress bar)."""
        items = list(read_records(self.path, {}))
        for item in items:
            if isinstance(item, SourceRecord):
                self.header = item.header
                break
        self.rows = len(items)
        return items

    def outcomes(self, items: list[SourceRecord | RecordError] | None = None) -> Iterator[Outcome]:
        seen: dict[tuple[str, str], tuple[int, str]] = {}
        for item in self.items() if items is None else items:
            if isinstance(item, RecordError):
                if item.record is None:  # the whole file is unreadable
                    raise item
                raw = getattr(item, "raw", None)  # a row read, holding a value none can keep
                cells = tuple(raw.values()) if isinstance(raw, dict) else tuple(item.cells or ())
                yield RowReject(item.record, item.reason, item.field, item.order_no, cells)
                continue
            out: Converted | RowReject | Duplicate = self._convert(item)
            if isinstance(out, Converted):
                key = out.order.key
                first = seen.get(key)
                if first is None:
                    seen[key] = (out.row, out.digest)
                elif first[1] == out.digest:
                    out = Duplicate(out.row, first[0], out.order.platform_order_no)
                else:
                    out = RowReject(
                        out.row,
                        f"order {out.order.platform_order_no} is also on row {first[0]} with "
                        "different values; keep the right one",
                        self.mapping.spec.order["platform_order_no"].from_[0]
                        if "platform_order_no" in self.mapping.spec.order else None,
                        out.order.platform_order_no, _cells(item),
                    )
            yield out

    def _convert(self, item: SourceRecord) -> Converted | RowReject:
        status_raw = self._status_value(item.record)
        try:
            order = self.mapping.apply(item.record)
        except RecordError as err:
            reason, column = err.reason, err.field
            if column == self._status_col and reason.startswith("unknown status"):
                if status_raw is None:
                    reason = f"blank required field {column}"
                else:
                    self.unknown_statuses[status_raw] += 1
                    known = self._table.get(status_raw, False) is None
                    reason = (f"status {status_raw!r} is listed but not yet mapped" if known
                              else f"status {status_raw!r} is not in the status table")
            elif reason.startswith("missing required"):
                reason = f"blank required field {column} ({reason.split()[2]})"
            order_no = err.order_no or self._order_no(item.record)
            return RowReject(item.number, reason, column, order_no, _cells(item))
        if status_raw is not None:
            self.statuses[status_raw] += 1
        return Converted(item.number, order, digest(order))

    def _order_no(self, record: dict[str, Any]) -> str | None:
        spec = self.mapping.spec.order.get("platform_order_no")
        for column in spec.from_ if spec else ():
            value = record.get(column)
            if value not in (None, ""):
                return str(value).strip()
        return None

    def _status_value(self, record: dict[str, Any]) -> str | None:
        """The status cell as the status table sees it (cleaned, trimmed).  A file holds a
        handful of distinct status texts, so each is cleaned once."""
        if self._status_col is None:
            return None
        value = record.get(self._status_col)
        if type(value) is str:
            text = self._status_texts.get(value)
            if text is None:
                text = self._status_texts[value] = self._status_text(value) or ""
            return text or None
        return self._status_text(value)

    def _status_text(self, value: Any) -> str | None:
        if self._clean is not None:
            value = self._clean({"v": value})["v"]
        text = None if value is None else str(value).strip()
        return text or None

    def status_table(self) -> dict[str, OrderStatus | None]:
        return dict(self._table)


def _cells(item: SourceRecord) -> tuple[Any, ...]:
    return tuple(item.record.get(h) for h in item.header) if item.header \
        else tuple(item.record.values())
