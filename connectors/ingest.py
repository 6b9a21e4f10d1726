"""File ingestion: records -> mapping -> catalog enrichment -> store, in batches.

A bad record never stops the batch: it becomes a :class:`~orderhub.store.Reject` naming the file,
the record or row, the field and the reason, and is kept in the rejects table.  :func:`read_orders`
does the same normalization without a store, for dry-runs.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from contextlib import nullcontext
from dataclasses import dataclass, field
from functools import cached_property
from itertools import chain, islice
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from ..background import OrderedWriter
from ..catalog import Catalog
from ..errors import OrderhubError, RecordError
from ..gcpause import give_back, paused_gc
from ..model import Order
from ..record_checks import canonical, has_undecoded
from ..store import OrderStore, ReadyOrder, Reject, prepare
from .files import SourceRecord, UnreadableFile, file_size, is_streamed, read_records
from .mapping import Mapping
from .mapping import mappings as all_mappings
from .surveys import Kept, Survey, Tally

if TYPE_CHECKING:
    from .parallel import Lookahead, Mapper

Progress = Callable[[int], None]


class SourceUnknown(OrderhubError):
    """No mapping (or more than one) fits a file; the user must say ``--source``."""

    exit_code = 2


#: Exit codes of a file that could not be ingested at all (README: "Exit codes").
EXIT_UNREADABLE = 1
EXIT_SOURCE_UNKNOWN = 2
EXIT_REJECTED = 10


@dataclass
class IngestSummary:
    """Counts of one ingestion.  ``rejected`` records are in ``rejects`` and in the store."""

    new: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    events: int = 0
    files: int = 0
    rejects: list[Reject] = field(default_factory=list)
    by_source: dict[str, int] = field(default_factory=dict)
    #: Files not one record of which could be read (path -> why), also among ``rejects``.
    unreadable: dict[str, str] = field(default_factory=dict)
    #: Files whose source could not be told (path -> why), also among ``rejects``.
    unknown: dict[str, str] = field(default_factory=dict)
    #: Files that hold no records at all (a header-only export).
    empty: list[str] = field(default_factory=list)
    #: Files the second process read and fingerprinted, found held exactly, and this one
    #: therefore never read (see :class:`.parallel.Lookahead`).
    surveyed: int = 0
    #: Files found held exactly from the survey kept when their very bytes were last read
    #: (see :mod:`.surveys`): hashed, not read.
    kept: int = 0

    def counts(self) -> dict[str, int]:
        """The four figures scripts read (``orderhub ingest --format json``)."""
        return {"new": self.new, "updated": self.updated, "unchanged": self.unchanged,
                "rejected": self.rejected}

    @property
    def exit_code(self) -> int:
        """2 when a file's source could not be told, 1 when a file could not be read, 10 when
        records were rejected, else 0 (the README's exit codes)."""
        if self.unknown:
            return EXIT_SOURCE_UNKNOWN
        if self.unreadable:
            return EXIT_UNREADABLE
        return EXIT_REJECTED if self.rejected else 0


class Normalizer:
    """Chooses the mapping for each record and turns records into orders or rejects."""

    def __init__(
        self,
        mappings: dict[str, Mapping] | None = None,
        *,
        source: str | None = None,
        catalog: Catalog | None = None,
        shop_id: str | None = None,
        batch: str | None = None,
    ) -> None:
        self.mappings = mappings if mappings is not None else all_mappings()
        if source is not None and source not in self.mappings:
            raise SourceUnknown(
                f"unknown source {source!r}; known: {', '.join(sorted(self.mappings))}"
            )
        self.forced = self.mappings[source] if source else None
        self.catalog = catalog or Catalog()
        self.shop_id = shop_id
        self.batch = batch
        self._file_mapping: Mapping | None = None
        self._catalog_version = self.catalog.version
        self._salted: dict[str, Any] = {}

    def records(self, path: Path) -> list[SourceRecord | RecordError]:
        """All records of a file, after choosing the file's mapping (see :meth:`detect`).
        A forced ``--source`` that another mapping fits better is refused (:meth:`refit`)."""
        return list(self.open(path)[0])

    def open(self, path: Path) -> tuple[Iterator[SourceRecord | RecordError], int]:
        """The records of a file as they are read, after choosing its mapping from the first
        ones, and how many there are (an estimate for a file streamed record by record)."""
        stream = read_records(path, self.mappings)
        head = list(islice(stream, _DETECT))
        if not any(isinstance(i, SourceRecord) for i in head):
            for item in stream:  # detection needs a record, as when all were in a list
                head.append(item)
                if isinstance(item, SourceRecord):
                    break
        if self.forced is not None:
            self.refit(head, path, self.forced)
        self._file_mapping = self.forced or self.detect(head, path)
        if is_streamed(path):
            return chain(head, stream), _estimate(path, head)
        items = head + list(stream)
        return iter(items), len(items)

    def refit(self, items: list[SourceRecord | RecordError], path: Path, forced: Mapping
              ) -> None:
        """Refuse ``--source`` on a file that says it is another source: an API response
        whose envelope names another mapping, or records that another mapping's keys or
        columns fit while the forced one's do not.  Files no mapping recognizes (a new
        export variant) are what ``--source`` is for, and pass."""
        records = [i for i in items[:50] if isinstance(i, SourceRecord)]
        named = {i.mapping.name for i in records if i.mapping is not None}
        if named and forced.name not in named:
            raise SourceUnknown(
                f"{path}: this file is a {', '.join(sorted(named))} API response; "
                f"--source {forced.name} does not fit it (drop --source)")
        if named or not records:
            return

        def fits(m: Mapping) -> bool:
            return any(m.matches_columns(list(i.header)) if i.header else
                       m.matches_record(i.record) for i in records)
        if fits(forced):
            return
        others = sorted(m.name for m in self.mappings.values() if m is not forced and fits(m))
        if others:
            raise SourceUnknown(
                f"{path}: these records look like {' or '.join(others)}, not "
                f"{forced.name}; drop --source, or pass --source {others[0]}")

    def detect(self, items: list[SourceRecord | RecordError], path: Path) -> Mapping | None:
        """The mapping most of the file's first records fit: one file, one source."""
        votes: dict[str, int] = {}
        for item in items[:50]:
            if not isinstance(item, SourceRecord):
                continue
            if item.mapping is not None:
                return None  # an API envelope names its mapping on every record
            for m in self.mappings.values():
                fits = m.matches_columns(list(item.header)) if item.header \
                    else m.matches_record(item.record)
                if fits:
                    votes[m.name] = votes.get(m.name, 0) + 1
        if not items or not any(isinstance(i, SourceRecord) for i in items):
            return None
        best = sorted(votes.items(), key=lambda kv: -kv[1])
        if not best or (len(best) > 1 and best[0][1] == best[1][1]):
            names = ", ".join(n for n, _ in best) or "none"
            raise SourceUnknown(
                f"{path}: cannot tell which source this file is from (matching mappings: "
                f"{names}); pass --source NAME (known: {', '.join(sorted(self.mappings))})"
            )
        return self.mappings[best[0][0]]

    def normalize(self, item: SourceRecord | RecordError, path: Path, *,
                  fingerprint: str | None = None) -> Order | Reject:
        if isinstance(item, RecordError):
            return _reject(item, None, path, getattr(item, "raw", None))
        mapping = item.mapping or self._file_mapping
        assert mapping is not None
        try:
            order = mapping.apply(item.record, shop_id=self.shop_id)
        except RecordError as err:
            err.file, err.record, err.unit = str(path), item.number, item.unit
            if err.order_no is None:
                err.order_no = _guess_no(item.record)
            return _reject(err, mapping.name, path, item.record)
        if self.batch:
            order.batch = self.batch
        order.fingerprint = fingerprint or self.fingerprint(item, mapping)
        return self.catalog.enrich(order)

    @cached_property
    def signature(self) -> str:
        """Everything but the records that shapes what a file reads as and the fingerprints:
        the mappings (each could be chosen), the forced source, catalog, shop and batch."""
        versions = ",".join(f"{n}={m.version}" for n, m in sorted(self.mappings.items()))
        forced = self.forced.name if self.forced else ""
        return f"{versions}|{forced}|{self._catalog_version}|{self.shop_id or ''}|" \
            f"{self.batch or ''}"

    def mapping_of(self, item: SourceRecord) -> str:
        mapping = item.mapping or self._file_mapping
        return mapping.name if mapping else "?"

    def fingerprint(self, item: SourceRecord, mapping: Mapping | None = None) -> str:
        """Hash of the record and of everything that shapes the order made from it (mapping,
        catalog, shop, batch): equal fingerprints mean an equal order, without mapping it."""
        mapping = mapping or item.mapping or self._file_mapping
        version = mapping.version if mapping else ""
        salted = self._salted.get(version)
        if salted is None:  # the hash of the salt, copied for each record
            salt = f"{version}|{self._catalog_version}|{self.shop_id or ''}|{self.batch or ''}|"
            salted = self._salted[version] = hashlib.blake2b(salt.encode(), digest_size=16)
        body = item.body or canonical(item.record)
        if body is None:  # an integer beyond 64 bits: the standard encoder takes it
            body = json.dumps(item.record, sort_keys=True, default=str).encode()
        digest = salted.copy()
        digest.update(body)
        return digest.hexdigest()

    def key(self, item: SourceRecord) -> tuple[str, str, str] | None:
        """(platform, order number, fingerprint) of a record; None where it has no readable
        order number (mapping it will say why)."""
        mapping = item.mapping or self._file_mapping
        number = mapping.order_no(item.record) if mapping is not None else None
        if mapping is None or not number:
            return None
        return mapping.platform.value, number, self.fingerprint(item, mapping)

    def known(
        self, store: OrderStore, items: list[SourceRecord],
        keys: dict[int, tuple[str, str]] | None = None,
    ) -> tuple[set[int], dict[int, str]]:
        """Indexes of ``items`` whose exact record the store already holds (they are unchanged
        and need no mapping, validation or write; one query per platform), and the
        fingerprints computed on the way, for :meth:`normalize` to reuse.  ``keys``, when
        given, is told each record's (platform, order number)."""
        wanted: dict[str, list[tuple[int, str, str]]] = {}
        for i, item in enumerate(items):
            key = self.key(item)
            if key is not None:
                platform, number, fp = key
                wanted.setdefault(platform, []).append((i, number, fp))
                if keys is not None:
                    keys[i] = (platform, number)
        same: set[int] = set()
        prints: dict[int, str] = {}
        for platform, rows in wanted.items():
            stored = store.fingerprints(platform, [number for _, number, _ in rows])
            same.update(i for i, number, fp in rows if stored.get(number) == fp)
            prints.update((i, fp) for i, _, fp in rows)
        return same, prints


#: How many of a file's first records choose its mapping.
_DETECT = 50


def _estimate(path: Path, head: list[SourceRecord | RecordError]) -> int:
    """Records in a streamed file, from its size and its first records' (progress bars)."""
    sizes = [len(orjson.dumps(i.record, default=str)) for i in head
             if isinstance(i, SourceRecord)]
    return file_size(path) * len(sizes) // max(1, sum(sizes)) if sizes else len(head)


def read_orders(paths: Iterable[Path], **options: Any) -> tuple[list[Order], list[Reject]]:
    """Normalize files without a store (dry-runs): the orders, and the rejects."""
    norm = Normalizer(**options)
    orders: list[Order] = []
    rejects: list[Reject] = []
    for path in paths:
        for item in norm.records(Path(path)):
            out = norm.normalize(item, Path(path))
            (rejects if isinstance(out, Reject) else orders).append(out)  # type: ignore[arg-type]
    return orders, rejects


def ingest(
    store: OrderStore,
    paths: Iterable[Path],
    *,
    batch_size: int = 2000,
    progress: Progress | None = None,
    on_file: Callable[[Path, int], None] | None = None,
    history: str | None = None,
    keep_going: bool = False,
    workers: int | None = None,
    **options: Any,
) -> IngestSummary:
    """Ingest files into ``store``.  ``progress(n)`` is told how many records were handled.

    ``history`` (``orderhub ingest --history``): the orders are stored as history, which
    nothing acts on (no rule, flow, message or reservation; see ``store/history.py``).
    A file whose source cannot be told raises :class:`SourceUnknown`, unless ``keep_going``:
    then it is reported in ``summary.unknown`` (and as a reject) and the other files go on.
    ``workers``: 1 maps part of each batch on a second process, 0 never; by default, inputs
    of a few megabytes or more do on a machine with two cores (see :mod:`.parallel`).  The
    store ends up the same either way.
    """
    from . import parallel

    norm = Normalizer(**options)
    summary = IngestSummary()
    files = [Path(p) for p in paths]
    mapper = None
    if parallel.wanted(files, workers, server_here=server_here(store)):
        mapper = parallel.Mapper(norm.mappings, source=norm.forced.name if norm.forced else None,
                                 catalog=norm.catalog, shop_id=norm.shop_id, batch=norm.batch,
                                 dialect=store.engine.dialect.name)
    ahead = parallel.Lookahead(mapper, files) if mapper is not None else None
    try:
        with _Writer(store, history) as writer:
            unchanged = False  # whether the last file was all unchanged (a re-ingest)
            for i, path in enumerate(files):
                try:
                    unchanged = _ingest_path(store, norm, files, i, summary, batch_size,
                                             progress, on_file, writer, mapper, ahead,
                                             unchanged)
                except SourceUnknown as exc:
                    if not keep_going:
                        raise
                    summary.unknown[str(path)] = str(exc)
                    summary.rejects.append(Reject(reason=str(exc), file=str(path)))
        writer.count(summary)
    finally:
        if mapper is not None:
            mapper.close()
    summary.rejected = len(summary.rejects)
    store.add_rejects(summary.rejects)
    return summary


def server_here(store: OrderStore) -> bool:
    """Whether the store's database server runs on this machine (PostgreSQL over loopback or
    a local socket): it then needs a core of its own while the ingest writes."""
    url = store.engine.url
    host = url.host or str(url.query.get("host") or "")
    return url.get_backend_name() == "postgresql" and (
        host in ("", "localhost", "127.0.0.1", "::1") or host.startswith("/"))


def _ingest_path(store: OrderStore, norm: Normalizer, files: list[Path], i: int,
                 summary: IngestSummary, batch_size: int, progress: Progress | None,
                 on_file: Callable[[Path, int], None] | None, writer: _Writer,
                 mapper: Mapper | None, ahead: Lookahead | None, survey_here: bool) -> bool:
    """The ``i``-th file: counted from a survey where the store holds all of it exactly, else
    read here (and the worker surveys the next ones meanwhile).  The survey is the worker's
    where it made one, else the one kept when these bytes were last read (:mod:`.surveys`);
    else, with ``survey_here`` (the file before was all unchanged: a re-ingest), this process
    surveys the file itself, which costs a fifth less than reading it in batches.  A file
    read in batches leaves its survey kept.  Returns whether the file was all unchanged."""
    path = files[i]
    survey = ahead.take(i) if ahead is not None else None
    worker = survey is not None
    kept = None if worker or is_streamed(path) else Kept(norm, path)
    if kept is not None:
        survey = kept.load()
    if survey is not None and _all_unchanged(store, path, survey, summary, batch_size,
                                             progress, on_file, writer):
        summary.surveyed += worker
        summary.kept += not worker
        return True
    if ahead is not None:
        ahead.reading(i)
    if kept is not None and not kept.found and survey_here:
        survey = kept.survey()
        if survey is not None and _all_unchanged(store, path, survey, summary, batch_size,
                                                 progress, on_file, writer):
            return True
    before, rejected = writer.sent, len(summary.rejects)
    tally = Tally() if kept is not None and not kept.found else None
    # a file read whole keeps its records to the end: no collector pass (which would scan
    # them all) until they are freed
    with nullcontext() if is_streamed(path) else paused_gc():
        read = _ingest_file(store, norm, path, summary, batch_size, progress, on_file, writer,
                            mapper, tally)
    if tally is not None and kept is not None:
        kept.keep(tally.survey())
    give_back()  # the file's records and batches are freed: the next starts from the same
    if ahead is not None and (writer.sent - before) * 2 > read:
        ahead.stop()  # most of it was new or changed: a first ingest, not a re-ingest
    return read > 0 and writer.sent == before and len(summary.rejects) == rejected


def _all_unchanged(store: OrderStore, path: Path, survey: Survey, summary: IngestSummary,
                   batch_size: int, progress: Progress | None,
                   on_file: Callable[[Path, int], None] | None, writer: _Writer) -> bool:
    """Whether the store holds every record of a surveyed file exactly (one lookup
    per platform and 500 numbers, once the files before are stored); if so the file is
    counted unchanged, as reading it here would have counted it (nothing is written, so
    looking all its records up at once is looking each batch up after the one before)."""
    writer.drain()
    for platform, (numbers, prints) in survey.keys.items():
        stored = store.fingerprints(platform, numbers)
        if any(stored.get(n) != fp for n, fp in zip(numbers, prints, strict=True)):
            return False
    if on_file:
        on_file(path, survey.records)
    summary.files += 1
    summary.unchanged += survey.records
    for name, n in survey.sources.items():
        summary.by_source[name] = summary.by_source.get(name, 0) + n
    if progress:
        for done in range(batch_size, survey.records, batch_size):
            progress(done)
        progress(survey.records)
    return True


@dataclass
class _Batch:
    """One batch of a file between its lookup and its write (see :func:`_ingest_file`)."""

    items: list[SourceRecord | RecordError]
    #: positions of the records the store holds exactly: counted unchanged, not mapped
    skip: set[int]
    #: positions of records whose order an earlier batch not yet written also holds: mapped
    #: in case, and looked up again once that batch is written (as if looked up only then)
    again: list[int]
    fingerprints: dict[int, str]
    keys: set[tuple[str, str]]
    remote: list[int] = field(default_factory=list)
    future: Any = None


def _ingest_file(store: OrderStore, norm: Normalizer, path: Path, summary: IngestSummary,
                 batch_size: int, progress: Progress | None,
                 on_file: Callable[[Path, int], None] | None,
                 writer: _Writer, mapper: Mapper | None = None, tally: Tally | None = None
                 ) -> int:
    """One file, in batches: records the store already holds exactly are counted unchanged
    straight away; the rest are normalized and upserted.  Returns how many records it read;
    ``tally`` is told each record's key (the file's survey, to keep).

    With a ``mapper`` (a worker process, :mod:`.parallel`), the next batch is looked up and
    handed to the worker before this one is written, so the worker maps while this process
    writes.  A record of the next batch whose order this batch also holds is mapped anyway
    and looked up again after this batch is written: every record is judged on the store as
    the batches before it left it, as in one process."""
    with paused_gc():  # a file read whole: tens of thousands of records, no cycles
        items, count = norm.open(path)
    if on_file:
        on_file(path, count)
    summary.files += 1
    done = start = 0
    queue: deque[_Batch] = deque()
    ahead = 1 if mapper is not None else 0
    while True:
        with paused_gc():
            chunk = list(islice(items, batch_size))
            if chunk:
                for item in chunk:
                    if isinstance(item, UnreadableFile):
                        summary.unreadable[str(path)] = item.reason
                queue.append(_plan(store, norm, path, chunk, start, queue, writer, mapper,
                                   tally))
                start += len(chunk)
            while queue and (not chunk or len(queue) > ahead):
                batch = queue.popleft()
                _ingest_chunk(store, norm, path, batch, summary, writer, mapper)
                done += len(batch.items)
                if progress:
                    progress(done)
        if not chunk:
            break
    if not done:
        summary.empty.append(str(path))
    return done


def _plan(store: OrderStore, norm: Normalizer, path: Path,
          chunk: list[SourceRecord | RecordError], start: int, queue: deque[_Batch],
          writer: _Writer, mapper: Mapper | None, tally: Tally | None) -> _Batch:
    """Look a batch up, and hand the worker its share of the records to map."""
    readable = [(i, item) for i, item in enumerate(chunk) if isinstance(item, SourceRecord)]
    keys: dict[int, tuple[str, str]] = {}
    unwritten = writer.unwritten()  # before the lookup: a batch stored during it is looked at
    known, prints = norm.known(store, [item for _, item in readable], keys)
    if tally is not None:
        _count(tally, norm, chunk, readable, keys, prints)
    pending: set[tuple[str, str]] = unwritten.union(*(b.keys for b in queue))
    again = sorted(readable[k][0] for k in keys if keys[k] in pending)
    batch = _Batch(chunk, {readable[k][0] for k in known} - set(again), again,
                   {readable[k][0]: fp for k, fp in prints.items()}, set(keys.values()))
    if mapper is not None:
        todo = [i for i, _ in readable if i not in batch.skip]
        batch.remote = todo[:round(len(todo) * mapper.share)]
        batch.future = mapper.submit(path, [(start + i, batch.fingerprints.get(i))
                                            for i in batch.remote])
    return batch


def _count(tally: Tally, norm: Normalizer, chunk: list[SourceRecord | RecordError],
           readable: list[tuple[int, SourceRecord]], keys: dict[int, tuple[str, str]],
           prints: dict[int, str]) -> None:
    """Tell ``tally`` a batch's keys, in order; a record without one breaks the survey."""
    if tally.broken or len(readable) < len(chunk) or len(keys) < len(readable):
        tally.broken = True
        return
    for k, (_, item) in enumerate(readable):
        tally.add(*keys[k], prints[k], norm.mapping_of(item))


def _ingest_chunk(store: OrderStore, norm: Normalizer, path: Path, batch: _Batch,
                  summary: IngestSummary, writer: _Writer, mapper: Mapper | None = None
                  ) -> None:
    """One batch: records the store holds exactly are counted unchanged, the rest stored."""
    chunk, skip = batch.items, batch.skip
    if batch.again:  # their order was in a batch not yet stored: look again once it is
        writer.drain()
        recheck = [chunk[i] for i in batch.again]
        same, _ = norm.known(store, recheck)  # type: ignore[arg-type]
        skip = skip | {batch.again[k] for k in same}
    summary.unchanged += len(skip)
    for i in skip:
        name = norm.mapping_of(chunk[i])  # type: ignore[arg-type]
        summary.by_source[name] = summary.by_source.get(name, 0) + 1
    remote: dict[int, Any] = {}
    if batch.future is not None and mapper is not None:
        done = mapper.result(batch.future)
        if done is not None:
            remote = dict(zip(batch.remote, done, strict=True))
    pending: list[Order | ReadyOrder] = []
    dialect = store.engine.dialect.name
    for i, item in enumerate(chunk):
        if i in skip:
            continue
        out = remote[i] if i in remote else \
            norm.normalize(item, path, fingerprint=batch.fingerprints.get(i))
        if isinstance(out, Reject):
            summary.rejects.append(out)
        else:
            # prepared here, not by the writer: its thread is left only the database's work
            # (Python work on both threads would just take turns holding the GIL); without the
            # Order, which an update reads back from the document: 200,000 orders with the
            # worker peaked at 340 MB with the queued batches' Orders, 298 MB without
            pending.append(out if isinstance(out, ReadyOrder) else
                           prepare(out, dialect, keep=False))
            key = out.source or "?"
            summary.by_source[key] = summary.by_source.get(key, 0) + 1
    if pending:
        writer.submit(pending, batch.keys)


class _Writer(OrderedWriter[tuple[list[Order | ReadyOrder], set[tuple[str, str]]]]):
    """Upserts the ingest's batches on a background thread, in order (see
    :mod:`orderhub.background`): SQLite's inserts and PostgreSQL's round trips overlap with
    reading and mapping the next batch.  It counts what it stored, and knows the keys of the
    batches not stored yet: a record of a later batch whose order one of them holds is looked
    up again once they are (:func:`_plan`)."""

    def __init__(self, store: OrderStore, history: str | None) -> None:
        self.store, self.history = store, history
        self.new = self.updated = self.unchanged = self.events = 0
        #: records handed over so far
        self.sent = 0
        self._unwritten: list[set[tuple[str, str]]] = []
        self._lock = threading.Lock()
        super().__init__("ingest-writer", backlog=1)

    def submit(self, pending: list[Order | ReadyOrder], keys: set[tuple[str, str]]) -> None:
        self.check()
        with self._lock:
            self._unwritten.append(keys)
        self.sent += len(pending)
        self.put((pending, keys))

    def unwritten(self) -> set[tuple[str, str]]:
        """(platform, order number) of every record in a batch not stored yet."""
        with self._lock:
            return set().union(*self._unwritten)

    def write(self, held: Any, batch: tuple[list[Order | ReadyOrder], set[tuple[str, str]]]
              ) -> None:
        pending, keys = batch
        try:
            result = self.store.upsert(pending, history=self.history)
        finally:
            with self._lock:
                self._unwritten.remove(keys)
        self.new += result.new
        self.updated += result.updated
        self.unchanged += result.unchanged + result.stale
        self.events += result.events

    def count(self, summary: IngestSummary) -> None:
        """Add what was stored to ``summary`` (once every batch is)."""
        summary.new += self.new
        summary.updated += self.updated
        summary.unchanged += self.unchanged
        summary.events += self.events


def _reject(err: RecordError, source: str | None, path: Path, record: Any) -> Reject:
    return Reject(
        reason=err.reason,
        source=source,
        file=str(path),
        record=err.record,
        platform_order_no=err.order_no,
        field=err.field,
        raw=raw_text(record),
    )


def raw_text(record: Any) -> str | None:
    """The record as JSON for the rejects table.  Undecodable bytes and NULs are written as
    ``\\u`` escapes (the table is text on every database); absurd nesting is not kept."""
    if record is None:
        return None
    try:
        text = json.dumps(record, ensure_ascii=False, default=str)
    except (RecursionError, ValueError):
        return None
    if "\x00" in text or has_undecoded(text):
        text = json.dumps(record, ensure_ascii=True, default=str)
    return text


def _guess_no(record: dict[str, Any]) -> str | None:
    for key in ("tid_str", "tid", "orderId", "order_sn", "order_id", "订单编号", "订单号",
                "主订单编号"):
        value = record.get(key)
        if value not in (None, ""):
            return str(value).strip('="\'\t ')
    return None
