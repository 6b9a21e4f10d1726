"""Reading order records from files: JSON, JSON Lines, CSV (any Chinese encoding) and XLSX.

Each reader yields :class:`SourceRecord` (the record, its position in the file, and the mapping
named by the envelope, if any).  A record that cannot even be read (a broken JSON line, a CSV row
with the wrong number of cells) is yielded as a :class:`RecordError` so the caller keeps it as a
reject and goes on with the rest of the file.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from ..errors import NotFound, RecordError
from ..record_checks import (
    canonical,
    has_undecoded,
    may_nest_deeper,
    needs_scan,
    record_problem,
    shallow,
)
from ..text import decode as decode  # re-exported: readers of files import it from here
from .mapping import Mapping, dig, split_path


@dataclass(frozen=True, slots=True)
class SourceRecord:
    record: dict[str, Any]
    number: int
    unit: str = "record"
    mapping: Mapping | None = None
    header: tuple[str, ...] = ()
    #: The record's :func:`~orderhub.record_checks.canonical` JSON, where the depth check
    #: made it: the fingerprint hashes the same bytes (one serialization, not two).
    body: bytes | None = None


def read_records(
    path: Path, mappings: dict[str, Mapping]
) -> Iterator[SourceRecord | RecordError]:
    """Every record in ``path``, by file type.  A file that cannot be read at all (missing,
    binary, unsupported, not JSON) yields one :class:`UnreadableFile`.  JSON and JSON Lines
    files over :data:`STREAM_BYTES` are read record by record (see :mod:`.streams`)."""
    suffix = path.suffix.lower()
    if suffix not in _SUFFIXES:
        yield UnreadableFile(f"unsupported file type {suffix or '(none)'}: use .json, .jsonl, "
                             ".csv or .xlsx", file=str(path))
        return
    if is_streamed(path):
        from .streams import streamed

        records = streamed(path, suffix, mappings)
        if records is not None:
            yield from records
            return
    try:
        data = path.read_bytes()
    except OSError as exc:
        yield UnreadableFile(f"cannot read the file: {exc.strerror or exc}", file=str(path))
        return
    if not data.strip():
        yield UnreadableFile("the file is empty (no header, no records)", file=str(path))
        return
    if suffix in (".xlsx", ".xlsm"):
        yield from _read_xlsx(path)
        return
    problem = _binary(data)
    if problem:
        yield UnreadableFile(problem, file=str(path))
        return
    if suffix in _JSON_SUFFIXES:
        fast = _json_from_bytes(path, data, suffix, mappings)
        if fast is not None:
            yield from fast
            return
        text = decode_json(data)
        read = _read_json if suffix == ".json" else _read_jsonl
        yield from _checked(read(path, text, mappings), path, needs_scan(text), nested=True)
    else:
        text = decode_table(data)
        yield from _checked(_read_csv(path, text), path, needs_scan(text), nested=False)


#: Files larger than this are read record by record, so memory stays flat however many
#: records a file holds; smaller ones are read whole, which is faster.
STREAM_BYTES = 64 * 2**20
_JSON_SUFFIXES = (".json", ".jsonl", ".ndjson")


def is_streamed(path: Path) -> bool:
    """Whether ``path`` is read record by record (a JSON or JSON Lines file over
    :data:`STREAM_BYTES`), not whole."""
    return path.suffix.lower() in _JSON_SUFFIXES and file_size(path) > STREAM_BYTES


def file_size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0  # read_bytes below says why


def _json_from_bytes(path: Path, data: bytes, suffix: str, mappings: dict[str, Mapping]
                     ) -> Iterator[SourceRecord | RecordError] | None:
    """The records orjson reads straight from UTF-8 bytes: no decode to text, no scan of the
    text (it cannot hold undecodable bytes or lone surrogates once orjson took it; only a NUL
    escape sends a record through :func:`record_problem`).  None when the text path must read
    the file (UTF-16, integers beyond 64 bits, JSON orjson refuses): same records, slower."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return None
    body = data[3:] if data.startswith(b"\xef\xbb\xbf") else data
    if suffix != ".json":
        return jsonl_records(path, io.BytesIO(body), mappings)
    if may_hold_big_int(body):
        return None
    try:
        doc = orjson.loads(body)
    except orjson.JSONDecodeError:
        return None
    records, mapping = unwrap(doc, mappings)
    scan = b"\x00" in body or b"\\u0000" in body
    return (check_record(SourceRecord(record, i, "record", mapping), path, scan, nested=True)
            for i, record in enumerate(records, 1))


_DIGITS = bytes.maketrans(b"123456789", b"000000000")


def may_hold_big_int(data: bytes) -> bool:
    """Whether ``data`` may hold an integer :data:`_BIG_INT` matches (orjson would read it as
    a float): a C-speed superset of that pattern, so most files skip the regex."""
    digits = data.translate(_DIGITS)
    return b"0" * 20 in digits or b"-" + b"0" * 19 in digits


#: Line breaks of ``str.splitlines`` that ``bytes.splitlines`` does not know (UTF-8).
_TEXT_BREAKS = (b"\x0b", b"\x0c", b"\x1c", b"\x1d", b"\x1e", b"\xc2\x85", b"\xe2\x80\xa8",
                b"\xe2\x80\xa9")


def jsonl_records(path: Path, lines: Iterable[bytes], mappings: dict[str, Mapping]
                  ) -> Iterator[SourceRecord | RecordError]:
    """JSON Lines from UTF-8 byte lines (a file object streams them): each line as
    :func:`_read_jsonl` reads it from the decoded text, numbered alike (a line break only
    text knows splits a line the same way)."""
    lineno = 0
    for physical in lines:
        if any(b in physical for b in _TEXT_BREAKS):
            parts: list[Any] = physical.decode("utf-8", "surrogateescape").splitlines()
        else:
            parts = physical.splitlines() or [b""]
        for line in parts:
            lineno += 1
            yield from _jsonl_line(path, line, lineno, mappings)


def _jsonl_line(path: Path, line: bytes | str, lineno: int, mappings: dict[str, Mapping]
                ) -> Iterator[SourceRecord | RecordError]:
    stripped = line.strip()
    if not stripped:
        return
    doc: Any = None
    scan = True
    if isinstance(line, bytes) and stripped[:1] in (b"{", b"[") \
            and not may_hold_big_int(line):
        try:
            doc = orjson.loads(line)
            scan = b"\x00" in line or b"\\u0000" in line
        except orjson.JSONDecodeError:
            doc = None
    if doc is None:
        text = line.decode("utf-8", "surrogateescape") if isinstance(line, bytes) else line
        if not text.strip():
            return
        try:
            doc = _parse_json(text)
        except (orjson.JSONDecodeError, json.JSONDecodeError) as exc:
            yield RecordError(f"not valid JSON: {exc.msg}", file=str(path), record=lineno,
                              unit="line")
            return
        except RecursionError:
            yield RecordError("not valid JSON: nested too deeply", file=str(path),
                              record=lineno, unit="line")
            return
    records, mapping = unwrap(doc, mappings)
    for record in records:
        yield check_record(SourceRecord(record, lineno, "line", mapping), path, scan,
                           nested=True)


_SUFFIXES = (".json", ".jsonl", ".ndjson", ".csv", ".txt", ".tsv", ".xlsx", ".xlsm")


#: Bytes no UTF-8 or GB18030 text holds, but binary data and UTF-16 do (tab, newlines, form
#: feed and escape excluded).
_CONTROL_BYTES = bytes([*range(0, 9), *range(14, 27), *range(28, 32)])


class UnreadableFile(RecordError):
    """A whole file that cannot be read as records: not one of its records can be kept."""


class BadRecord(RecordError):
    """A record read, but holding a value no store can keep; ``raw`` is the record."""

    def __init__(self, reason: str, raw: Any, **where: Any) -> None:
        super().__init__(reason, **where)
        self.raw = raw


def _binary(data: bytes) -> str | None:
    """Why ``data`` is not a text file, or None.  NUL and other control bytes do not occur in
    UTF-8 or GB18030 text (a stray one is a record's problem); many of them mean binary data
    or UTF-16 saved without its byte-order mark."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return None
    sample = data[:65536]
    controls = len(sample) - len(sample.translate(None, _CONTROL_BYTES))
    if controls > max(8, len(sample) // 200):
        return ("not a text file: binary data, or UTF-16 without a byte-order mark "
                "(save it as UTF-8 or GBK)")
    return None


def _checked(items: Iterator[SourceRecord | RecordError], path: Path, scan: bool, *,
             nested: bool) -> Iterator[SourceRecord | RecordError]:
    """Records whose values the store cannot keep as they are become rejects naming the field:
    bytes that are not text in the file's encoding, NUL characters, absurd nesting.  A record
    is walked only when a C-speed look says it may hold such a value: the file's text
    (``scan``), or for JSON (``nested``) the record's indented form."""
    for item in items:
        yield check_record(item, path, scan, nested=nested)


#: Whether records are checked as they are read.  A mapping worker (:mod:`.parallel`) reads
#: files again only to map the records the ingest, which checked them, asks it for.
CHECKED = True


@contextmanager
def unchecked() -> Iterator[None]:
    """Records read within are not checked (:data:`CHECKED`): a survey of a file whose records
    the store may hold exactly, each of which was checked when it was stored."""
    global CHECKED
    before, CHECKED = CHECKED, False
    try:
        yield
    finally:
        CHECKED = before


def check_record(item: SourceRecord | RecordError, path: Path, scan: bool, *, nested: bool
                 ) -> SourceRecord | RecordError:
    """One record through :func:`_checked`'s test (``scan``: its text may hold a NUL or
    undecodable bytes).  A record that passes the cheap depth test comes back carrying the
    serialization that test used (:attr:`SourceRecord.body`), for its fingerprint."""
    if not CHECKED:
        return item
    if isinstance(item, SourceRecord) and nested and not scan and item.body is None:
        body = canonical(item.record)
        if body is not None and shallow(body):
            # the reader's record, made a moment ago and seen by nobody yet: it takes its
            # serialization in place (a second record of the same fields cost 1.7 us)
            object.__setattr__(item, "body", body)
            return item
    if isinstance(item, SourceRecord) and (scan or (nested and may_nest_deeper(item.record))):
        found = record_problem(item.record)
        if found is not None:
            where, reason = found
            return BadRecord(reason, item.record, file=str(path), record=item.number,
                             unit=item.unit, field=where or None,
                             order_no=_guess_no(item.record))
    return item


def _guess_no(record: Any) -> str | None:
    if not isinstance(record, dict):
        return None
    for key in ("tid_str", "tid", "orderId", "order_sn", "order_id", "订单编号", "订单号",
                "主订单编号"):
        value = record.get(key)
        if isinstance(value, str | int) and not isinstance(value, bool) and value != "":
            return str(value).strip('="\'\t ')[:64]
    return None


def decode_json(data: bytes) -> str:
    """JSON text is UTF-8 (RFC 8259); a BOM is tolerated.  Bytes that are not UTF-8 are kept
    as lone surrogates, so the one record holding them is rejected and the rest stay intact
    (never the whole file re-read in another encoding)."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="surrogateescape")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("utf-8", errors="surrogateescape")


def decode_table(data: bytes) -> str:
    """CSV text: :func:`decode`'s detection (BOM, UTF-8, GB18030), except that a UTF-8 file with
    a few broken lines stays UTF-8 (those rows are rejected) rather than becoming GB18030
    mojibake, and bytes no encoding reads are kept as lone surrogates (their rows rejected)."""
    for bom, name in _BOMS:
        if data.startswith(bom):
            return data.decode(name, errors="surrogateescape")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    lenient = data.decode("utf-8", errors="surrogateescape")
    wide = [line for line in lenient.splitlines() if not line.isascii()]
    broken = sum(1 for line in wide if has_undecoded(line))
    if broken * 10 <= len(wide):
        return lenient
    return data.decode("gb18030", errors="surrogateescape")


#: A JSON integer of 19 digits or more may lie beyond 64 bits, where orjson reads floats
#: (below -9.2e18 or above 1.8e19); Taobao's 19-digit tids are strings beside ``tid``.
_BIG_INT = re.compile(r"[:\[,]\s*(-\d{19}|\d{20})")
_BOMS = ((b"\xef\xbb\xbf", "utf-8-sig"), (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16"))


def _parse_json(text: str) -> Any:
    """orjson for speed; the standard parser where orjson refuses lone surrogates (bytes
    that were not UTF-8, or ``\\ud800`` escapes): the records holding them are rejected
    afterwards, not the whole file."""
    if _BIG_INT.search(text):  # orjson would read it as a float and lose digits
        return json.loads(text)
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        try:
            return json.loads(text)
        except json.JSONDecodeError:
            raise exc from None


def unwrap(doc: Any, mappings: dict[str, Mapping]) -> tuple[list[Any], Mapping | None]:
    """Records inside a saved API response envelope (and the mapping it implies), or as-is."""
    if isinstance(doc, list):
        return doc, None
    if isinstance(doc, dict):
        for mapping in mappings.values():
            for envelope in mapping.spec.envelopes:
                found = dig(doc, split_path(envelope))
                if found is not None:
                    return (found if isinstance(found, list) else [found]), mapping
        return [doc], None
    return [doc], None


def _read_json(path: Path, text: str, mappings: dict[str, Mapping]
               ) -> Iterator[SourceRecord | RecordError]:
    try:
        doc = _parse_json(text)
    except (orjson.JSONDecodeError, json.JSONDecodeError) as exc:
        yield UnreadableFile(f"not valid JSON: {exc.msg} (line {exc.lineno}, column "
                             f"{exc.colno})", file=str(path))
        return
    except RecursionError:
        yield UnreadableFile("not readable JSON: nested too deeply", file=str(path))
        return
    records, mapping = unwrap(doc, mappings)
    for i, record in enumerate(records, 1):
        yield SourceRecord(record, i, "record", mapping)


def _read_jsonl(path: Path, text: str, mappings: dict[str, Mapping]
                ) -> Iterator[SourceRecord | RecordError]:
    for lineno, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            doc = _parse_json(line)
        except (orjson.JSONDecodeError, json.JSONDecodeError) as exc:
            yield RecordError(f"not valid JSON: {exc.msg}", file=str(path), record=lineno,
                              unit="line")
            continue
        except RecursionError:
            yield RecordError("not valid JSON: nested too deeply", file=str(path),
                              record=lineno, unit="line")
            continue
        records, mapping = unwrap(doc, mappings)
        for record in records:
            yield SourceRecord(record, lineno, "line", mapping)


def _read_csv(path: Path, text: str) -> Iterator[SourceRecord | RecordError]:
    if has_undecoded(text) and sum(1 for ch in text if "\ud800" <= ch <= "\udfff") * 50 \
            > len(text):
        yield UnreadableFile("not text in UTF-8, GBK or GB18030: binary data, or another "
                             "encoding (save it as UTF-8 or GBK)", file=str(path))
        return
    lines = text.splitlines(keepends=True)
    # Alipay bills and some exports put '#' comment lines above and below the table.
    start = 0
    while start < len(lines) and lines[start].lstrip().startswith("#"):
        start += 1
    body = "".join(lines[start:])
    dialect: type[csv.Dialect] | csv.Dialect = csv.excel
    sample = body[:4096]
    # Alipay cells end in a tab before the comma ("123\t,"): those tabs are not separators.
    tabs = sample.count("\t") - sample.count("\t,") - sample.count("\t\r") \
        - sample.count("\t\n")
    if tabs > sample.count(","):
        dialect = csv.excel_tab
    reader = csv.reader(io.StringIO(body), dialect)
    header: list[str] | None = None
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:  # a cell over csv's field size limit, mostly
            yield RecordError(f"row cannot be read: {exc}", file=str(path),
                              record=start + reader.line_num, unit="row")
            continue
        rowno = start + reader.line_num
        if header is None:
            header = [_clean_header(h) for h in row]
            continue
        if not any(cell.strip() for cell in row) or row[0].lstrip().startswith("#"):
            continue
        if len(row) != len(header):
            yield RecordError(
                f"row has {len(row)} cells, the header has {len(header)}",
                file=str(path), record=rowno, unit="row", order_no=_first(row), cells=row,
            )
            continue
        record = {h: _clean_cell(v) for h, v in zip(header, row, strict=True)}
        yield SourceRecord(record, rowno, "row", None, tuple(header))


def _read_xlsx(path: Path) -> Iterator[SourceRecord | RecordError]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
        formulas = _formula_rows(path)
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many kinds for bad files
        yield UnreadableFile(f"cannot open workbook: {exc}", file=str(path))
        return
    sheet = book.worksheets[0]
    header: list[str] | None = None
    for rowno, row in enumerate(sheet.iter_rows(values_only=True), 1):
        if header is None:
            header = [_clean_header("" if h is None else str(h)) for h in row]
            continue
        if all(v is None or str(v).strip() == "" for v in row):
            if rowno not in formulas:
                continue
        unsaved = [header[col] or f"column {col + 1}" for col in formulas.get(rowno, ())
                   if col < len(row) and row[col] is None and col < len(header)]
        if unsaved:
            yield RecordError(
                "formula cell without a saved value (open the file in Excel or WPS and save "
                "it, so the computed values are stored)", file=str(path), record=rowno,
                unit="row", field=", ".join(unsaved), order_no=_first([str(row[0] or "")]),
                cells=list(row))
            continue
        record = {h: _clean_cell(v) for h, v in zip(header, row, strict=False) if h}
        yield SourceRecord(record, rowno, "row", None, tuple(header))
    book.close()


def _formula_rows(path: Path) -> dict[int, list[int]]:
    """Row -> 0-based columns of the first sheet's formula cells.  Reading with ``data_only``
    gives a formula's saved value, or None when the writer (a script, not Excel) saved none:
    such cells are reported, never read as blank.  Workbooks without formulas cost one scan
    of the sheet's XML."""
    import zipfile

    from openpyxl import load_workbook

    with zipfile.ZipFile(path) as archive:
        if not any(b"<f>" in archive.read(n) or b"<f " in archive.read(n)
                   for n in archive.namelist() if n.startswith("xl/worksheets/sheet")):
            return {}
    book = load_workbook(path, read_only=True, data_only=False)
    try:
        out: dict[int, list[int]] = {}
        for rowno, row in enumerate(book.worksheets[0].iter_rows(values_only=True), 1):
            cols = [i for i, v in enumerate(row) if isinstance(v, str) and v.startswith("=")]
            if cols:
                out[rowno] = cols
        return out
    finally:
        book.close()


def _clean_header(name: str) -> str:
    return name.strip().strip("\ufeff").strip()


def _clean_cell(value: Any) -> Any:
    if isinstance(value, str):
        return value.strip().rstrip("\t")
    return value


def _first(row: list[str]) -> str | None:
    return _clean_cell(row[0]).strip('="')[:64] if row and row[0] else None


#: What a folder given to ``orderhub ingest`` or ``orderhub simulate`` contributes.
ORDER_SUFFIXES = (".json", ".jsonl", ".ndjson", ".csv", ".xlsx")


def expand_paths(paths: Iterable[Path], suffixes: tuple[str, ...] = ORDER_SUFFIXES
                 ) -> list[Path]:
    """The files to read for paths given on a command line: a folder contributes every file
    below it whose suffix is one of ``suffixes`` (sorted), a file is taken as given.  Paths
    that are not there are :class:`NotFound` (exit 4), all named in one message."""
    paths = list(paths)
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        raise NotFound(f"no such file or folder: {', '.join(missing)}")
    out: list[Path] = []
    for path in paths:
        if path.is_dir():
            out.extend(sorted(p for p in path.rglob("*") if p.suffix.lower() in suffixes))
        else:
            out.append(path)
    return out
