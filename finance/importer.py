"""Importing settlement files: detect the bill format, map each record, store each line once.

Detection, file reading and decoding are the order ingestion's (:mod:`orderhub.connectors`):
GBK/GB18030/UTF-8 with or without BOM, ``#`` comment lines around Alipay tables, XLSX, JSON
API responses as saved.  A bad record becomes a reject naming file, row and field; the rest of
the file goes on.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..connectors.files import SourceRecord, UnreadableFile, read_records
from ..connectors.ingest import Normalizer, SourceUnknown, raw_text
from ..errors import RecordError
from ..store import OrderStore, Reject
from .mapping import SettlementMapping, record_key, settlement_mappings
from .model import SettlementLine
from .store import SettlementStore

SETTLEMENT_SUFFIXES = (".csv", ".txt", ".tsv", ".xlsx", ".json", ".jsonl", ".ndjson")


@dataclass
class ImportSummary:
    """What an import did.  ``duplicate`` lines were already stored (a re-import)."""

    files: int = 0
    records: int = 0
    lines: int = 0
    new: int = 0
    duplicate: int = 0
    skipped: int = 0
    rejected: int = 0
    rejects: list[Reject] = field(default_factory=list)
    by_source: dict[str, int] = field(default_factory=dict)
    #: Files not one record of which could be read, and files whose format could not be told
    #: (path -> why); both are also among ``rejects``.
    unreadable: dict[str, str] = field(default_factory=dict)
    unknown: dict[str, str] = field(default_factory=dict)

    @property
    def exit_code(self) -> int:
        """As ``orderhub ingest``: 2 format unknown, 1 unreadable file, 10 rejects, else 0."""
        if self.unknown:
            return 2
        if self.unreadable:
            return 1
        return 10 if self.rejected else 0

    def counts(self) -> dict[str, Any]:
        return {"files": self.files, "records": self.records, "lines": self.lines,
                "new": self.new, "duplicate": self.duplicate, "skipped": self.skipped,
                "rejected": self.rejected, "by_source": self.by_source}


def read_settlements(
    paths: Iterable[Path | str],
    *,
    source: str | None = None,
    shop: str | None = None,
    mappings: dict[str, SettlementMapping] | None = None,
) -> tuple[list[SettlementLine], list[Reject], ImportSummary]:
    """Map files to settlement lines without storing them (dry-runs and tests)."""
    maps = mappings if mappings is not None else settlement_mappings()
    if source is not None and source not in maps:
        raise SourceUnknown(f"unknown settlement source {source!r}; known: "
                            f"{', '.join(sorted(maps))}")
    # The order ingestion's detection works on anything with matches_columns/matches_record.
    detector = Normalizer(maps, source=source)  # type: ignore[arg-type]
    summary = ImportSummary()
    lines: list[SettlementLine] = []
    for path in map(Path, paths):
        summary.files += 1
        items = list(read_records(path, maps))  # type: ignore[arg-type]
        try:
            chosen = maps[source] if source else detector.detect(items, path)
        except SourceUnknown as exc:  # this file is rejected, the others go on
            reason = str(exc).removeprefix(f"{path}: ")
            summary.unknown[str(path)] = reason
            summary.rejects.append(Reject(reason=reason, file=str(path)))
            continue
        seen: Counter[str] = Counter()
        for item in items:
            if isinstance(item, UnreadableFile):
                summary.unreadable[str(path)] = item.reason
            if isinstance(item, RecordError):
                summary.rejects.append(_reject(item, None, path, None))
                continue
            summary.records += 1
            mapping: Any = item.mapping or chosen
            if mapping is None:
                summary.rejects.append(_reject(
                    RecordError("cannot tell which settlement format this record is"),
                    None, path, item))
                continue
            got = _map(mapping, item, path, shop, seen)
            if isinstance(got, Reject):
                summary.rejects.append(got)
            elif not got:
                summary.skipped += 1
            else:
                lines.extend(got)
                summary.by_source[mapping.name] = summary.by_source.get(mapping.name, 0) + 1
    summary.lines = len(lines)
    summary.rejected = len(summary.rejects)
    return lines, summary.rejects, summary


def import_settlements(
    store: OrderStore,
    paths: Iterable[Path | str],
    *,
    source: str | None = None,
    shop: str | None = None,
    mappings: dict[str, SettlementMapping] | None = None,
) -> ImportSummary:
    """Import settlement files into ``store``'s database; each line lands at most once."""
    lines, rejects, summary = read_settlements(paths, source=source, shop=shop,
                                               mappings=mappings)
    summary.new = SettlementStore.of(store).add(lines)
    summary.duplicate = len(lines) - summary.new
    store.add_rejects(rejects)
    return summary


def _map(
    mapping: SettlementMapping, item: SourceRecord, path: Path, shop: str | None,
    seen: Counter[str],
) -> list[SettlementLine] | Reject:
    record = _plain(item.record)
    occurrence = 0
    if mapping.spec.line_id is None:  # ids are hashes: count identical lines in this file
        key = record_key(record)
        occurrence = seen[key]
        seen[key] += 1
    try:
        lines = mapping.lines(record, shop=shop, occurrence=occurrence)
    except RecordError as err:
        err.file, err.record, err.unit = str(path), item.number, item.unit
        return _reject(err, mapping.name, path, item)
    for line in lines:
        line.file = str(path)
    return lines


def _plain(record: dict[str, Any]) -> dict[str, Any]:
    """The record as JSON can store it (XLSX cells may be datetimes or floats)."""
    if all(isinstance(v, str | int | type(None)) for v in record.values()):
        return record
    return json.loads(json.dumps(record, ensure_ascii=False, default=str))


def _reject(err: RecordError, source: str | None, path: Path,
            item: SourceRecord | None) -> Reject:
    record = item.record if item is not None else None
    return Reject(
        reason=err.reason, source=source, file=str(path), record=err.record or (
            item.number if item else None), platform_order_no=err.order_no, field=err.field,
        raw=raw_text(record if record is not None else getattr(err, "raw", None)),
    )
