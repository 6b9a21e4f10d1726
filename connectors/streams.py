"""Reading JSON and JSON Lines files record by record, for files too large to read whole.

A JSON Lines file is read a line at a time; a JSON file (one array of records, or a platform's
API response holding one) is parsed incrementally with ijson's C parser, one record at a time.
Memory stays flat in the number of records.  The records are those :func:`.files.read_records`
reads from the whole file; what this cannot read the same way (UTF-16, bytes that are not
UTF-8, surrogate escapes, an envelope that is not found early) returns None, and the file is
read whole instead.  One difference is inherent: a JSON file that turns out to be broken after
some records yields those records before it is reported unreadable (reading it whole would
report it unreadable with no record, after holding all of it in memory).
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from ..errors import RecordError
from .files import (
    _DIGITS,
    SourceRecord,
    UnreadableFile,
    _binary,
    check_record,
    jsonl_records,
)
from .mapping import Mapping

_CHUNK = 1 << 20
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")


def streamed(path: Path, suffix: str, mappings: dict[str, Mapping]
             ) -> Iterator[SourceRecord | RecordError] | None:
    """The records of a large JSON or JSON Lines file, read as they come, or None when the
    file must be read whole."""
    try:
        with path.open("rb") as f:
            head = f.read(65536)
    except OSError:
        return None
    if not head.strip() or head.startswith((b"\xff\xfe", b"\xfe\xff")) or _binary(head):
        return None
    if suffix != ".json":
        return _lines(path, mappings)
    found = _survey(path)
    if found is None:
        return None
    scan, big = found
    where = _records_at(path, mappings, big)
    if where is None:
        return None
    return _json_records(path, where, scan, big)


def _lines(path: Path, mappings: dict[str, Mapping]) -> Iterator[SourceRecord | RecordError]:
    with path.open("rb") as f:
        _skip_bom(f)
        yield from jsonl_records(path, f, mappings)


def _skip_bom(f: IO[bytes]) -> None:
    if f.read(3) != b"\xef\xbb\xbf":
        f.seek(0)


def _survey(path: Path) -> tuple[bool, bool] | None:
    """One pass over the file in 1 MB chunks, at C speed: whether it may hold a NUL (its
    records are then walked) or an integer beyond 64 bits (the C parser refuses those; the
    exact Python one reads them).  None when the file is not plain UTF-8 or holds surrogate
    escapes (reading it whole keeps those records apart exactly)."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    scan = big = False
    tail = b""
    with path.open("rb") as f:
        while chunk := f.read(_CHUNK):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError:
                return None
            window = tail + chunk
            if b"\\u" in window and _SURROGATE_ESCAPE.search(window):
                return None
            scan = scan or b"\x00" in window or b"\\u0000" in window
            big = big or _beyond_int64(window)
            tail = window[-24:]
    return scan, big


_INT64 = range(-(2**63), 2**63)
_RUN = b"0" * 19


def _beyond_int64(data: bytes) -> bool:
    """Whether ``data`` may hold a number outside 64-bit signed integers (ijson's C parser
    stops on those): 20 digits in a row, or a 19-digit one from 9.2e18 up (it starts with 9),
    found by C-speed searches of the digits, one Python step per 19-digit number."""
    digits = data.translate(_DIGITS)
    if b"0" * 20 in digits:
        return True
    at = digits.find(_RUN)
    while at != -1:
        if data[at] == 0x39:  # "9"
            start = at - 1 if at and data[at - 1] == 0x2D else at  # "-"
            if int(data[start:at + 19]) not in _INT64:
                return True
        at = digits.find(_RUN, at + 19)
    return False


def _records_at(path: Path, mappings: dict[str, Mapping], big: bool
                ) -> tuple[str, Mapping | None] | None:
    """The ijson prefix of the records and the mapping its envelope names: ``item`` for a
    top-level array, an envelope's path for an API response (its first array or object in
    the file, as :func:`.files.unwrap` finds it).  None for anything else."""
    wanted: dict[str, Mapping] = {}
    for mapping in mappings.values():
        for envelope in mapping.spec.envelopes:
            if not any(part.isdigit() or part == "*" for part in envelope.split(".")):
                wanted.setdefault(envelope, mapping)
    with path.open("rb") as f:
        _skip_bom(f)
        try:
            for n, (prefix, event, _) in enumerate(_backend(big).parse(f)):
                if n == 0 and event == "start_array":
                    return "item", None
                if n == 0 and event != "start_map" or n > 10_000:
                    return None
                if event == "start_array" and prefix in wanted:
                    return f"{prefix}.item", wanted[prefix]
        except Exception:  # noqa: BLE001 - any parse error: the whole-file reader says which
            return None
    return None


def _json_records(path: Path, where: tuple[str, Mapping | None], scan: bool, big: bool
                  ) -> Iterator[SourceRecord | RecordError]:
    prefix, mapping = where
    number = 0
    with path.open("rb") as f:
        try:
            for record in _items(f, prefix, big):
                number += 1
                yield check_record(SourceRecord(record, number, "record", mapping), path,
                                   scan, nested=True)
        except Exception as exc:  # noqa: BLE001 - ijson raises several kinds for bad JSON
            yield UnreadableFile(f"not valid JSON after record {number}: {exc}",
                                 file=str(path))


def _items(f: IO[bytes], prefix: str, big: bool) -> Iterator[Any]:
    _skip_bom(f)
    return _backend(big).items(f, prefix, use_float=True)  # type: ignore[no-any-return]


def _backend(big: bool) -> Any:
    """ijson's C parser, or its exact Python one for integers beyond 64 bits."""
    import ijson

    if big:
        from ijson.backends import python

        return python
    return ijson
