"""``check`` (a dry-run over the whole file) and ``run`` (the import), sharing one path.

Both convert every row (:mod:`.convert`) and compare the orders with the store in chunks:

* not in the store: **new**, imported with the batch id;
* put there by an earlier migration: **unchanged** when identical, else **updated** (it keeps
  the batch that first imported it, so rolling back a later batch never deletes it);
* put there by anything else (a platform pull, ``orderhub ingest``): **kept** as it is and
  reported, because live platform data is better than a legacy copy.
"""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select

from ..connectors.mapping import Mapping
from ..model import Order, OrderStatus
from ..store import OrderStore, Reject, content_hash
from ..store.schema import orders
from . import batches
from .convert import (
    BATCH_PREFIX,
    Converted,
    Converter,
    Duplicate,
    Outcome,
    RowReject,
    batch_id,
)

Progress = Callable[[int, int], None]
#: Rows compared with the store and handed to ``OrderStore.upsert`` at a time: one lookup and
#: one transaction per chunk; about 2,000 is where fewer round trips stop paying.
_CHUNK = 2000


@dataclass
class Report:
    """What a check found, or what a run did (``dry_run`` tells which)."""

    file: str
    mapping: str
    batch: str
    dry_run: bool = True
    rows: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    kept: list[tuple[int, str, str]] = field(default_factory=list)
    duplicates: list[Duplicate] = field(default_factory=list)
    rejects: list[RowReject] = field(default_factory=list)
    statuses: dict[str, tuple[OrderStatus | None, int]] = field(default_factory=dict)
    unknown_statuses: Counter[str] = field(default_factory=Counter)
    rejects_file: str | None = None
    header: tuple[str, ...] = ()
    #: The converted rows, kept by ``check(..., keep=True)`` for ``run(..., checked=report)``.
    converted: list[Outcome] | None = field(default=None, repr=False, compare=False)

    @property
    def rejected(self) -> int:
        return len(self.rejects)

    def counts(self) -> dict[str, int]:
        return {"rows": self.rows, "new": self.new, "updated": self.updated,
                "unchanged": self.unchanged, "kept": len(self.kept),
                "duplicates": len(self.duplicates), "rejected": self.rejected}

    def to_dict(self) -> dict[str, Any]:
        return {
            "file": self.file, "mapping": self.mapping, "batch": self.batch,
            "dry_run": self.dry_run, **self.counts(),
            "rejects": [{"row": r.row, "column": r.column, "order_no": r.order_no,
                         "reason": r.reason} for r in self.rejects],
            "duplicates": [{"row": d.row, "first_row": d.first_row, "order_no": d.order_no}
                           for d in self.duplicates],
            "kept": [{"row": r, "order": label, "source": src} for r, label, src in self.kept],
            "statuses": {k: {"status": v.value if v else None, "rows": n}
                         for k, (v, n) in self.statuses.items()},
            "unknown_statuses": dict(self.unknown_statuses),
            "rejects_file": self.rejects_file,
        }


def check(path: Path, mapping: Mapping, store: OrderStore | None = None, *,
          keep: bool = False) -> Report:
    """Everything ``run`` would do, writing nothing.  ``store`` (optional) is compared against.

    ``keep`` holds the converted rows on the report (a few KB a row), so that
    ``run(..., checked=report)`` imports them without cleaning and mapping the file again:
    check-then-run in one process converts once.
    """
    return _process(Path(path), mapping, store, write=False, keep=keep)


def run(
    store: OrderStore,
    path: Path,
    mapping: Mapping,
    *,
    rejects_path: Path | None = None,
    progress: Progress | None = None,
    checked: Report | None = None,
) -> Report:
    """Import ``path``.  Rejected rows go to ``rejects_path`` (default ``<name>.rejects.csv``
    beside the file) and to the store's rejects table; the batch is recorded for rollback.

    ``checked`` is a report of ``check(..., keep=True)``: when it is of the same batch (same
    file bytes, same mapping) its converted rows are imported as they are; the store is still
    compared afresh, so whatever changed there since the check is taken into account.
    """
    path = Path(path)
    report = _process(path, mapping, store, write=True, progress=progress, checked=checked)
    if report.rejects:
        target = rejects_path or path.with_name(f"{path.stem}.rejects.csv")
        write_rejects(target, report.header, report.rejects)
        report.rejects_file = str(target)
        store.add_rejects([_store_reject(r, report) for r in report.rejects])
    batches.finish(store, report.batch, report.counts())
    return report


def _process(
    path: Path,
    mapping: Mapping,
    store: OrderStore | None,
    *,
    write: bool,
    progress: Progress | None = None,
    keep: bool = False,
    checked: Report | None = None,
) -> Report:
    batch = batch_id(path, mapping)
    report = Report(str(path), mapping.origin, batch, dry_run=not write)
    if write and store is not None:
        batches.begin(store, batch, str(path), mapping.origin)
    conv: Converter | None = None
    outcomes: Iterable[Outcome]
    if checked is not None and checked.batch == batch and checked.converted is not None:
        outcomes = checked.converted
        report.rows, report.header = checked.rows, checked.header
        report.statuses = dict(checked.statuses)
        report.unknown_statuses = Counter(checked.unknown_statuses)
    else:
        conv = Converter(mapping, path)
        items = conv.items()
        report.rows, report.header = conv.rows, conv.header
        outcomes = conv.outcomes(items)
    if keep:
        report.converted = []
    _sort(outcomes, store, batch, report, write, progress)
    if conv is not None:
        table = conv.status_table()
        seen = conv.statuses + conv.unknown_statuses
        report.statuses = {k: (table.get(k), n) for k, n in sorted(seen.items())}
        report.unknown_statuses = conv.unknown_statuses
    return report


def _sort(outcomes: Iterable[Outcome], store: OrderStore | None, batch: str, report: Report,
          write: bool, progress: Progress | None) -> None:
    """File each outcome in the report as it is converted; importable orders are compared with
    the store (and imported when ``write``) a chunk at a time."""
    chunk: list[Converted] = []
    total = report.rows
    for done, out in enumerate(outcomes, 1):
        if report.converted is not None:
            report.converted.append(out)
        if isinstance(out, Converted):
            chunk.append(out)
        elif isinstance(out, Duplicate):
            report.duplicates.append(out)
        else:
            report.rejects.append(out)
        if len(chunk) >= _CHUNK or done == total:
            _flush(store, chunk, batch, report, write)
            chunk = []
            if progress:
                progress(done, total)


def _flush(store: OrderStore | None, chunk: list[Converted], batch: str, report: Report,
           write: bool) -> None:
    if not chunk:
        return
    existing = _existing(store, [c.order for c in chunk]) if store is not None else {}
    pending: list[Order] = []
    for item in chunk:
        order = item.order
        found = existing.get(order.key)
        if found is None:
            report.new += 1
            order.batch = batch
        elif not (found[0] or "").startswith(BATCH_PREFIX):
            report.kept.append((item.row, order.label, found[2] or "?"))
            continue
        else:
            order.batch = found[0]  # an order stays in the batch that first imported it
            if found[1] == content_hash(order):
                report.unchanged += 1
                continue
            report.updated += 1
        pending.append(order)
    if write and pending and store is not None:
        store.upsert(pending, history=f"migrate {batch}")  # history: nothing acts on it


def _existing(store: OrderStore, batch: Iterable[Order]) -> dict[tuple[str, str], tuple[Any, ...]]:
    """(platform, number) -> (batch, content hash, source) of the orders already stored."""
    wanted: dict[str, list[str]] = {}
    for order in batch:
        wanted.setdefault(order.platform.value, []).append(order.platform_order_no)
    out: dict[tuple[str, str], tuple[Any, ...]] = {}
    cols = (orders.c.platform_order_no, orders.c.batch, orders.c.content_hash, orders.c.source)
    with store.engine.connect() as conn:
        for platform, numbers in wanted.items():
            for i in range(0, len(numbers), 500):
                query = select(*cols).where(orders.c.platform == platform,
                                            orders.c.platform_order_no.in_(numbers[i:i + 500]))
                for no, b, digest, source in conn.execute(query):
                    out[(platform, no)] = (b, digest, source)
    return out


def write_rejects(path: Path, header: tuple[str, ...], rejects: list[RowReject]) -> None:
    """The rejected rows as read, plus a ``reason`` column; UTF-8 with BOM so Excel opens it.

    Fix the rows and run the file again: the extra column is ignored by the mapping.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\r\n")
        width = len(header)
        writer.writerow([*header, "reason"])
        for r in rejects:
            cells = ["" if v is None else str(v) for v in r.cells]
            if len(cells) < width:
                cells += [""] * (width - len(cells))
            writer.writerow([*cells, r.describe()])


def _store_reject(r: RowReject, report: Report) -> Reject:
    return Reject(reason=r.reason, source=Path(report.mapping).stem, file=report.file,
                  record=r.row, platform_order_no=r.order_no, field=r.column,
                  batch=report.batch)
