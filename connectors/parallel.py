"""Mapping on the second core: a worker process that reads the same files and maps the records
the ingest asks it for, while the ingest's own process reads, looks up and writes; and, in an
unchanged re-ingest, reads and fingerprints files ahead of the ingest (:class:`Lookahead`).

The ingest (:mod:`.ingest`) decides which records the store already holds (their
fingerprints), reports bad records and writes every batch: everything that decides what is
stored stays in one process and in one order.  It reads every file itself but one the worker
surveyed and found held exactly, record for record.  The worker only does the costly
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
is mapping.  It is only started where it pays: inputs large enough (:data:`MIN_BYTES`; a
batch is mapped there only with :data:`MIN_RECORDS` to map) on a machine with a core to spare
(a second process on a busy machine only adds the cost of reading every file twice and of
sending the orders over).  If it dies, the ingest maps what it was asked for
itself and goes on without it.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any, TypeVar

from ..catalog import Catalog
from ..gcpause import give_back, paused_gc
from ..store import ReadyOrder, Reject, prepare
from . import files
from .files import SourceRecord, is_streamed
from .mapping import Mapping, MappingSpec
from .surveys import Survey, survey

#: Inputs smaller than this (in file bytes; about 2,500 API orders) are mapped in-process:
#: starting a worker costs about half a second of CPU.
MIN_BYTES = 4 * 2**20
#: Fewer records than this to map in a batch are mapped in-process (the worker is started for
#: the first batch that has as many).
MIN_RECORDS = 400
#: At most this many files surveyed ahead for each the ingest reads (:class:`Lookahead`);
#: one more next turn when the ingest waited less than the first share of its turn for the
#: last of them (the worker had time to spare), one fewer when it waited more than the second.
_MOST_AHEAD = 4
_SHORT_WAIT, _LONG_WAIT = 0.1, 0.3
#: ``ORDERHUB_INGEST_WORKERS=0`` keeps every ingest in one process.
ENV = "ORDERHUB_INGEST_WORKERS"

Mapped = ReadyOrder | Reject
_R = TypeVar("_R")


def wanted(paths: Sequence[Path], workers: int | None, *, server_here: bool = False) -> bool:
    """Whether an ingest of ``paths`` should map on a worker: ``workers`` (or the environment's
    :data:`ENV`) says so, or, when neither does, the machine has a core to spare and the input
    is at least :data:`MIN_BYTES`.  The ingest takes one core and a database server on this
    machine (``server_here``: PostgreSQL over loopback) another, as busy as the ingest while
    it writes; a core is spare when the load average leaves one beyond those.  On two cores
    with a local PostgreSQL a worker made a first ingest slower (100,000 orders: 16.6 s
    against 13.2 s in one process): three busy processes took turns on two cores."""
    if workers is None:
        setting = os.environ.get(ENV, "").strip()
        workers = int(setting) if setting.isdigit() else None
    if workers is not None:
        return workers > 0
    spare = (os.cpu_count() or 1) - 1 - server_here
    if spare < 1 or os.getloadavg()[0] > spare:  # no core to spare
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
        if len(positions) < MIN_RECORDS:
            return None
        return self._send(_map, str(path), positions)

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

    def survey(self, path: Path) -> Future[Survey | None] | None:
        """Read and fingerprint ``path`` on the worker (see :class:`Lookahead`); None when
        there is no worker (any more)."""
        return self._send(_survey, str(path))

    def surveyed(self, future: Future[Survey | None]) -> Survey | None:
        """The worker's survey; None if it was cancelled, failed or the worker died (the
        ingest then reads the file itself, which also reports whatever went wrong)."""
        try:
            return future.result()
        except BrokenProcessPool:
            self.close()
            return None
        except Exception:  # noqa: BLE001 - cancelled or failed: the file is read again here
            return None

    def _send(self, fn: Callable[..., _R], *args: Any) -> Future[_R] | None:
        """``fn(*args)`` on the worker, started on first use; None when there is none."""
        if self._pool is None:
            return None
        if self._started is None:
            self._started = self._make()
        try:
            return self._started.submit(fn, *args)
        except (BrokenProcessPool, RuntimeError):
            self.close()
            return None

    def _make(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(max_workers=1, mp_context=_context(),
                                   initializer=_start, initargs=self._args)

    def close(self) -> None:
        self._pool = None
        pool, self._started = self._started, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)


class Lookahead:
    """Which files the worker reads and fingerprints ahead of the ingest (an unchanged
    re-ingest: parsing, serializing and hashing are most of its time, and need no store).

    Files stay in order.  When the ingest starts reading a file itself, the worker surveys
    the next :attr:`ahead` ones; when the ingest reaches such a file it looks the survey's
    fingerprints up (in order, on the store as the files before left it) and, if the store
    holds every record exactly, counts the file unchanged without reading it; else it reads
    the file as usual.  So the two processes take turns over the files; the worker, which
    only reads and hashes, takes more of them while the ingest never waits for it.  Once most
    of a file needed writing (a first ingest) no more files are surveyed: the worker is worth
    more mapping.  A few changed records (or an older version of an order, which changes
    nothing) only send their own file to the ingest."""

    def __init__(self, mapper: Mapper, paths: Sequence[Path]) -> None:
        self._mapper, self._paths = mapper, paths
        self._futures: dict[int, Future[Survey | None]] = {}
        self.on = True
        self._turn = 0.0  # when the ingest began reading its last file itself
        #: files the worker surveys for each the ingest reads itself
        self.ahead = 1

    def reading(self, i: int) -> None:
        """The ingest reads file ``i`` itself: have the worker survey the next ones."""
        self._turn = time.perf_counter()
        if not self.on:
            return
        for nxt in range(i + 1, min(i + 1 + self.ahead, len(self._paths))):
            if nxt in self._futures or is_streamed(self._paths[nxt]):
                return  # a streamed file's keys could fill memory: the ingest reads it
            future = self._mapper.survey(self._paths[nxt])
            if future is None:
                return
            self._futures[nxt] = future

    def take(self, i: int) -> Survey | None:
        """File ``i``'s survey, if the worker made one."""
        future = self._futures.pop(i, None)
        if future is None:
            return None
        if self._futures:
            return self._mapper.surveyed(future)
        # the last of a turn: did the ingest wait for the worker, or the worker for it?
        asked = time.perf_counter()
        survey = self._mapper.surveyed(future)
        waited, turn = time.perf_counter() - asked, asked - self._turn
        if waited < turn * _SHORT_WAIT:
            self.ahead = min(_MOST_AHEAD, self.ahead + 1)
        elif waited > turn * _LONG_WAIT:
            self.ahead = max(1, self.ahead - 1)
        return survey

    def stop(self) -> None:
        """Most of a file needed writing: survey no more (one under way is still used)."""
        self.on = False
        for future in self._futures.values():
            future.cancel()


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
            current = _state["file"] = None  # the file before, freed and given back first
            give_back()
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


def _survey(path: str) -> Survey | None:
    """:func:`.surveys.survey` on the worker, with the ingest's normalizer."""
    return survey(_state["norm"], Path(path))
