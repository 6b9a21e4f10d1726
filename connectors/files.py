"""Reading order records from files: JSON, JSON Lines, CSV (any Chinese encoding) and XLSX.

Each reader yields :class:`SourceRecord` (the record, its position in the file, and the mapping
named by the envelope, if any).  A record that cannot even be read (a broken JSON line, a CSV row
with the wrong number of cells) is yielded as a :class:`RecordError` so the caller keeps it as a
reject and goes on with the rest of the file.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from ..errors import RecordError
from ..text import decode
from .mapping import Mapping, dig, split_path


@dataclass(frozen=True, slots=True)
class SourceRecord:
    record: dict[str, Any]
    number: int
    unit: str = "record"
    mapping: Mapping | None = None
    header: tuple[str, ...] = ()


def read_records(
    path: Path, mappings: dict[str, Mapping]
) -> Iterator[SourceRecord | RecordError]:
    """Every record in ``path``, by file type."""
    suffix = path.suffix.lower()
    if suffix in (".jsonl", ".ndjson"):
        yield from _read_jsonl(path, mappings)
    elif suffix == ".json":
        yield from _read_json(path, mappings)
    elif suffix in (".csv", ".txt", ".tsv"):
        yield from _read_csv(path)
    elif suffix in (".xlsx", ".xlsm"):
        yield from _read_xlsx(path)
    else:
        yield RecordError(f"unsupported file type {suffix or '(none)'}: use .json, .jsonl, "
                          ".csv or .xlsx", file=str(path))


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


def _read_json(path: Path, mappings: dict[str, Mapping]) -> Iterator[SourceRecord | RecordError]:
    text, _ = decode(path.read_bytes())
    try:
        doc = orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        yield RecordError(f"not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})",
                          file=str(path))
        return
    records, mapping = unwrap(doc, mappings)
    for i, record in enumerate(records, 1):
        yield SourceRecord(record, i, "record", mapping)


def _read_jsonl(path: Path, mappings: dict[str, Mapping]) -> Iterator[SourceRecord | RecordError]:
    text, _ = decode(path.read_bytes())
    for lineno, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            doc = orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            yield RecordError(f"not valid JSON: {exc.msg}", file=str(path), record=lineno,
                              unit="line")
            continue
        records, mapping = unwrap(doc, mappings)
        for record in records:
            yield SourceRecord(record, lineno, "line", mapping)


def _read_csv(path: Path) -> Iterator[SourceRecord | RecordError]:
    text, _ = decode(path.read_bytes())
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
    for row in reader:
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
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many kinds for bad files
        yield RecordError(f"cannot open workbook: {exc}", file=str(path))
        return
    sheet = book.worksheets[0]
    header: list[str] | None = None
    for rowno, row in enumerate(sheet.iter_rows(values_only=True), 1):
        if header is None:
            header = [_clean_header("" if h is None else str(h)) for h in row]
            continue
        if all(v is None or str(v).strip() == "" for v in row):
            continue
        record = {h: _clean_cell(v) for h, v in zip(header, row, strict=False) if h}
        yield SourceRecord(record, rowno, "row", None, tuple(header))
    book.close()


def _clean_header(name: str) -> str:
    return name.strip().strip("\ufeff").strip()


def _clean_cell(value: Any) -> Any:
    if isinstance(value, str):
        return value.strip().rstrip("\t")
    return value


def _first(row: list[str]) -> str | None:
    return _clean_cell(row[0]).strip('="') if row and row[0] else None
