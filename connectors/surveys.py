"""What a file holds by key: each record's (platform, order number, fingerprint), all an
ingest needs to tell, with one lookup per platform, that the store already holds every record
of the file exactly (an unchanged re-ingest), without reading the file in batches.

Reading and fingerprinting (JSON parse, canonical JSON, hash: ~20 us a record) are most of an
unchanged re-ingest's time, and their result depends only on the file's bytes and on what
shapes a fingerprint (the mappings, catalog, shop and batch; the reading code).  So a survey is
kept (:mod:`orderhub.cachedir`, ``surveys/``) under the hash of exactly those: the next ingest
of the same bytes hashes the file (~1 us a record) and looks the kept keys up.  The store is
still asked about every record; the kept survey only spares reading the file again, and a
file whose bytes changed by one bit has another hash and is read as usual.  The first ingest
keeps the survey of each file it reads whole (:class:`Tally`), a re-ingest each it surveys.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from .. import cachedir
from ..errors import OrderhubError
from ..gcpause import paused_gc
from . import files
from .files import SourceRecord, is_streamed

if TYPE_CHECKING:
    from .ingest import Normalizer

#: Kept surveys not used for this many days are deleted (once a process, when one is kept).
KEEP_DAYS = 30
_pruned: set[Path] = set()


@dataclass
class Survey:
    """One file's records by key, read and fingerprinted ahead of (or instead of) the ingest
    reading it in batches."""

    records: int = 0
    #: platform -> (order numbers, fingerprints), in the file's order
    keys: dict[str, tuple[list[str], list[str]]] = field(default_factory=dict)
    #: mapping name -> records (the summary's ``by_source``)
    sources: dict[str, int] = field(default_factory=dict)

    def add(self, platform: str, number: str, fingerprint: str, source: str) -> None:
        """The file's next record."""
        found = self.keys.get(platform) or self.keys.setdefault(platform, ([], []))
        found[0].append(number)
        found[1].append(fingerprint)
        self.sources[source] = self.sources.get(source, 0) + 1
        self.records += 1

    def dumps(self) -> bytes:
        return orjson.dumps({"records": self.records, "keys": self.keys,
                             "sources": self.sources})

    @classmethod
    def loads(cls, body: bytes) -> Survey | None:
        """The survey :meth:`dumps` wrote; None for anything else (a damaged entry)."""
        try:
            data = orjson.loads(body)
            keys = {str(p): (list(map(str, k[0])), list(map(str, k[1])))
                    for p, k in data["keys"].items()}
            survey = cls(int(data["records"]), keys,
                         {str(n): int(c) for n, c in data["sources"].items()})
        except (ValueError, KeyError, TypeError, IndexError, AttributeError):
            return None
        counted = sum(len(k[0]) for k in keys.values())
        if any(len(k[0]) != len(k[1]) for k in keys.values()) or not \
                survey.records == counted == sum(survey.sources.values()):
            return None
        return survey


def survey(norm: Normalizer, path: Path) -> Survey | None:
    """Every record of ``path`` as (platform, order number, fingerprint), read as the ingest
    reads it, or kept from when these very bytes were read; None where a record has no order
    number or is not readable, or the file holds none (the ingest reads such a file itself and
    reports it).  Records are not checked here: one whose fingerprint the store holds was
    checked when it was stored, and any other sends the file to the ingest, which checks it."""
    if is_streamed(path):
        return read(norm, path)
    kept = Kept(norm, path)
    return kept.load() or kept.survey()


def read(norm: Normalizer, path: Path) -> Survey | None:
    """:func:`survey`, reading the file (nothing kept)."""
    tally = Tally()
    with paused_gc(), files.unchecked():
        try:
            items, _ = norm.open(path)
        except (OrderhubError, OSError):
            return None
        for item in items:
            key = norm.key(item) if isinstance(item, SourceRecord) else None
            if key is None or not isinstance(item, SourceRecord):
                return None
            tally.add(*key, norm.mapping_of(item))
    return tally.survey()


@dataclass
class Tally(Survey):
    """A survey built up record by record as a file is read (in batches, by the ingest)."""

    #: a record without a key was read: there is no survey of this file
    broken: bool = False

    def survey(self) -> Survey | None:
        if self.broken or not self.records:
            return None
        return Survey(self.records, self.keys, self.sources)


class Kept:
    """The kept survey of one file's bytes (see the module): :meth:`load` it, or make it
    (:meth:`survey`) or have the ingest's reading make it (:meth:`keep`)."""

    def __init__(self, norm: Normalizer, path: Path) -> None:
        self._norm, self.path = norm, path
        self.entry: Path | None = None
        #: whether a survey of these bytes is kept
        self.found = False
        folder = cachedir.cache_dir("surveys")
        if folder is None:
            return
        try:
            self._stat = _stamp(path)
            with path.open("rb") as f:
                digest = hashlib.file_digest(f, _salt(norm, path.suffix.lower()).copy)
        except OSError:
            return
        self.entry = folder / f"{digest.hexdigest()}.json"

    def load(self) -> Survey | None:
        body = cachedir.read(self.entry) if self.entry is not None else None
        kept = Survey.loads(body) if body is not None else None
        if kept is not None and self.entry is not None:
            self.found = True
            cachedir.touch(self.entry)
        return kept

    def survey(self) -> Survey | None:
        """Read and fingerprint the file, and keep what came out."""
        made = read(self._norm, self.path)
        self.keep(made)
        return made

    def keep(self, survey: Survey | None) -> None:
        """Keep ``survey``, made from this file, if the file is as it was when hashed (one
        written meanwhile may not be what was read)."""
        if survey is None or self.entry is None or self.found:
            return
        try:
            if _stamp(self.path) != self._stat:
                return
        except OSError:
            return
        folder = self.entry.parent
        if cachedir.keep(self.entry, survey.dumps()):
            self.found = True
            if folder not in _pruned:
                _pruned.add(folder)
                cachedir.prune(folder, KEEP_DAYS)


def _stamp(path: Path) -> tuple[int, int, int]:
    st = os.stat(path)
    return st.st_size, st.st_mtime_ns, st.st_ino


def _salt(norm: Normalizer, suffix: str) -> Any:
    """The hash of everything but the file's bytes that a survey depends on."""
    salt = hashlib.sha256(_code())
    salt.update(f"\0{norm.signature}\0{suffix}\0".encode())
    return salt


@cache
def _code() -> bytes:
    """The source of the code that reads records and fingerprints them: a survey kept by
    another version of it is not found."""
    from .. import record_checks, text

    here = Path(__file__).parent
    sources: Sequence[Path] = [*sorted(here.glob("*.py")), Path(record_checks.__file__),
                               Path(text.__file__)]
    digest = hashlib.sha256()
    for source in sources:
        digest.update(source.read_bytes())
    return digest.digest()
