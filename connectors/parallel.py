"""Mapping on the second core: a worker process that reads the same files and maps the records
the ingest asks it for, while the ingest's own process reads, looks up and writes.

The ingest (:mod:`.ingest`) still reads every file itself, decides which records the store
already holds (their fingerprints), reports bad records and writes every batch: everything that
decides what is stored stays in one process and in one order.  The worker only does the costly
pure part for a share of the records of each batch: it reads the file too (same reader, same
records in the same order: reading is cheap next to mapping), maps the records at the positions
it is given and sends them back ready to store (:class:`~orderhub.store.ReadyOrder`: the
document, its hash, the stored row and the creation events; plain strings and tuples), or as
rejects.  Mapping is a pure function of the record, the mappings, the catalog, the shop and the
batch, so an order mapped there is the order mapped here: the store ends up the same either way
(``tests/test_ingest_parallel.py`` holds it to the recorded store).

The worker is forked from a single-threaded ingest (the CLI: nothing to import again; it never
touches the database connections it inherits, and leaves by ``os._exit``) and spawned
otherwise (a fresh interpreter).  It ignores Ctrl-C: the ingest stops it, after the batch it
is mapping.  It is only started where it pays: inputs large enough (:data:`MIN_BYTES`, and a
batch with :data:`MIN_RECORDS` to map: an unchanged re-ingest maps nothing) on a machine with
a core to spare (a second process on a busy machine only adds the cost of reading every file
twice and of sending the orders over).  If it dies, the ingest maps what it was asked for
itself and goes on without it.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import signal
import threading
from collections.abc import Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any

from ..catalog import Catalog
from ..gcpause import paused_gc
from ..store import ReadyOrder, Reject, prepare
from .files import SourceRecord
from .mapping import Mapping, MappingSpec

#: Inputs smaller than this (in file bytes; about 2,500 API orders) are mapped in-process:
#: starting a worker costs about half a second of CPU.
MIN_BYTES = 4 * 2**20
#: Fewer records than this to map in a batch are mapped in-process (the worker is started for
#: the first batch that has as many).
MIN_RECORDS = 400
#: ``ORDERHUB_INGEST_WORKERS=0`` keeps every ingest in one process.
ENV = "ORDERHUB_INGEST_WORKERS"

Mapped = ReadyOrder | Reject


def wanted(paths: Sequence[Path], workers: int | None) -> bool:
    """Whether an ingest of ``paths`` should map on a worker: ``workers`` (or the environment's
    :data:`ENV`) says so, or, when neither does, the machine has a core to spare (two or more,
    and a load average below one less than their number) and the input is at least
    :data:`MIN_BYTES`."""
    if workers is None:
        setting = os.environ.get(ENV, "").strip()
        workers = int(setting) if setting.isdigit() else None
    if workers is not None:
        return workers > 0
    cores = os.cpu_count() or 1
    if cores < 2 or os.getloadavg()[0] > cores - 1:  # no core to spare
        return False
    total = 0
    for path in paths:
        try:
            total += path.stat().st_size
        except OSError:
            continue
        if total >= MIN_BYTES:
            return True
    return False


class Mapper:
    """The ingest's side of the worker: submit a batch's share, take its result in order."""

    def __init__(self, mappings: dict[str, Mapping], *, source: str | None, catalog: Catalog,
                 shop_id: str | None, batch: str | None, dialect: str) -> None:
        specs = {name: (m.spec.model_dump_json(), m.origin, m.version)
                 for name, m in mappings.items()}
        self._args = (specs, source, catalog, shop_id, batch, dialect)
        self._started: ProcessPoolExecutor | None = None
        self._pool: bool | None = True  # None once closed or dead
        #: The worker's share of the records each batch maps; adjusted after each batch
        #: towards the split where neither process waits for the other.
        self.share = 0.7

    def submit(self, path: Path, positions: list[tuple[int, str | None]]
               ) -> Future[list[Mapped]] | None:
        """Map the records at ``positions`` (position in the file, fingerprint) on the worker;
        None when there is no worker (any more), or too few records to be worth sending
        (:data:`MIN_RECORDS`: a re-ingest that maps a tenth of the records never starts it)."""
        if self._pool is None or len(positions) < MIN_RECORDS:
            return None
        if self._started is None:
            self._started = self._make()
        try:
            return self._started.submit(_map, str(path), positions)
        except (BrokenProcessPool, RuntimeError):
            self.close()
            return None

    def result(self, future: Future[list[Mapped]]) -> list[Mapped] | None:
        """The worker's answer, or None if it died (the caller maps those records itself)."""
        early = future.done()
        try:
            out = future.result()
        except BrokenProcessPool:
            self.close()
            return None
        # the worker finished first: give it more next time; the ingest waited: give it less
        self.share = min(0.95, self.share + 0.05) if early else max(0.3, self.share - 0.05)
        return out

    def _make(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(max_workers=1, mp_context=_context(),
                                   initializer=_start, initargs=self._args)

    def close(self) -> None:
        self._pool = None
        pool, self._started = self._started, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)


def _context() -> Any:
    """``fork`` where it is safe and cheap: a single-threaded process (the CLI), which has
    everything imported and the mappings compiled; else ``spawn``, a fresh interpreter (a
    thread of the service may hold a lock that a forked child would inherit held)."""
    if threading.active_count() == 1 and "fork" in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("spawn")


# -- the worker process ---------------------------------------------------------------------

_state: dict[str, Any] = {}


def _start(specs: dict[str, tuple[str, str, str]], source: str | None, catalog: Catalog,
           shop_id: str | None, batch: str | None, dialect: str) -> None:
    """Worker initializer: the ingest's normalizer, rebuilt from the checked specs (no YAML
    read); Ctrl-C is the ingest's to handle."""
    from . import files
    from .ingest import Normalizer

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    gc.enable()  # a forked worker starts in the ingest's paused_gc(); _map pauses it again
    files.CHECKED = False  # the ingest checked every record it asks for
    mappings = {}
    for name, (body, origin, version) in specs.items():
        mapping = Mapping(MappingSpec.model_validate_json(body), origin)
        if mapping.version != version:  # would change every fingerprint: refuse to work
            raise RuntimeError(f"mapping {name} reads back as another version")
        mappings[name] = mapping
    _state.clear()
    _state.update(norm=Normalizer(mappings, source=source, catalog=catalog, shop_id=shop_id,
                                  batch=batch), dialect=dialect, file=None)


def _map(path: str, positions: list[tuple[int, str | None]]) -> list[Mapped]:
    """Map the records at ``positions`` (increasing) of ``path``, read as the ingest reads it."""
    norm, dialect = _state["norm"], _state["dialect"]
    current = _state["file"]
    with paused_gc():
        if current is None or current[0] != path or current[2] > positions[0][0]:
            items, _ = norm.open(Path(path))
            current = _state["file"] = [path, items, 0]
        return _map_from(current, path, positions, norm, dialect)


def _map_from(current: list[Any], path: str, positions: list[tuple[int, str | None]],
              norm: Any, dialect: str) -> list[Mapped]:
    out: list[Mapped] = []
    for position, fingerprint in positions:
        item = None
        while current[2] <= position:
            item = next(current[1])
            current[2] += 1
        if not isinstance(item, SourceRecord):  # the ingest only asks for readable records
            raise RuntimeError(f"{path}: record {position} is not where the ingest read it")
        mapped = norm.normalize(item, Path(path), fingerprint=fingerprint)
        out.append(mapped if isinstance(mapped, Reject) else
                   prepare(mapped, dialect, keep=False))
    return out
