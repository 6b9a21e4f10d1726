"""Lists and lookup tables kept outside the rule files: ``lists/*.txt`` and ``lists/*.csv``.

Risk control keeps a phone blacklist, merchandising a SKU -> weight table; both change more
often than the rules and are edited by people who never open a rule file.  Rules read them by
name (``receiver.phone in list("blacklist")``, ``lookup("sku_weights", item.sku, "kg")``); the
checker resolves the name and column when the rules load, so a missing list is an error at the
call, and the lists are hashed into the rule set's version, so each decision says which lists
judged it and a changed CSV is picked up by the same hot reload as a changed rule file.

A ``.txt`` list has one entry a line (blank lines and ``#`` comments skipped).  A ``.csv``
table has a header row; its first column is the key (what ``list(...)`` tests membership of)
and every other column can be looked up.  A column whose every filled cell is a number is a
number column; otherwise text.  Both may be UTF-8 or GBK (as Excel on a Chinese Windows saves).
"""

from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from ..errors import SourceError, SourceErrors, SourceSpan
from .sourcetext import read_source
from .types import ExprType

SUFFIXES = (".txt", ".csv")


@dataclass(eq=False)
class ListTable:
    """One list file: its entries (keys), each entry's line, and the other columns by key."""

    name: str
    path: str
    columns: list[str]
    lines: dict[str, int] = field(default_factory=dict)
    values: dict[str, dict[str, Any]] = field(default_factory=dict)  # column -> key -> value
    types: dict[str, ExprType] = field(default_factory=dict)
    version: str = ""

    def __post_init__(self) -> None:
        self.entries: frozenset[str] = frozenset(self.lines)

    @property
    def key_column(self) -> str:
        return self.columns[0]

    def where(self, entry: str) -> str:
        """``blacklist.csv:3`` for an entry, for explanations (the entry, never the list)."""
        line = self.lines.get(entry)
        return f"{Path(self.path).name}:{line}" if line else Path(self.path).name


@dataclass(eq=False)
class ListSet:
    """The lists of a workspace by name; ``version`` hashes every file's bytes."""

    tables: dict[str, ListTable] = field(default_factory=dict)
    folder: str | None = None

    def __post_init__(self) -> None:
        self.entries = {name: t.entries for name, t in self.tables.items()}
        self.columns = {(name, col): t.values[col] for name, t in self.tables.items()
                        for col in t.columns[1:]}
        digest = hashlib.sha256()
        for name in sorted(self.tables):
            digest.update(f"{name}:{self.tables[name].version}\n".encode())
        self.version: str | None = digest.hexdigest()[:12] if self.tables else None

    def __len__(self) -> int:
        return len(self.tables)

    def get(self, name: str) -> ListTable | None:
        return self.tables.get(name)

    def versions(self) -> dict[str, str]:
        return {name: t.version for name, t in sorted(self.tables.items())}

    def replaced(self, overrides: dict[str, ListTable]) -> ListSet:
        """The same lists with some replaced (an embedded example's own list contents)."""
        return ListSet({**self.tables, **overrides}, self.folder)


EMPTY = ListSet()


def load_lists(folder: str | Path | None) -> ListSet:
    """Every list of ``folder`` (none when it is missing); SourceErrors for bad files, each at
    its file, line and column."""
    if folder is None or not Path(folder).is_dir():
        return ListSet(folder=str(folder) if folder else None)
    errors: list[SourceError] = []
    tables: dict[str, ListTable] = {}
    files = sorted(f for f in Path(folder).iterdir() if f.is_file() and f.suffix in SUFFIXES)
    for f in files:
        if f.stem in tables:
            errors.append(SourceError(f"two lists named '{f.stem}'", SourceSpan(str(f)),
                                      hint=f"also {tables[f.stem].path}; keep one"))
            continue
        try:
            text = read_source(f)[0]
            data = f.read_bytes()
        except SourceError as exc:
            errors.append(exc)
            continue
        except OSError as exc:
            errors.append(SourceError(f"cannot read list: {exc.strerror or exc}",
                                      SourceSpan(str(f))))
            continue
        parse = _parse_txt if f.suffix == ".txt" else _parse_csv
        table = parse(f.stem, str(f), text, errors)
        if table is not None:
            table.version = hashlib.sha256(data).hexdigest()[:12]
            tables[f.stem] = table
    if errors:
        raise SourceErrors(errors)
    return ListSet(tables, str(folder))


def _parse_txt(name: str, path: str, text: str, errors: list[SourceError]) -> ListTable:
    lines: dict[str, int] = {}
    for number, raw in enumerate(text.splitlines(), 1):
        entry = raw.split("#", 1)[0].strip()
        if entry:
            lines.setdefault(entry, number)
    return ListTable(name, path, ["entry"], lines)


def _parse_csv(name: str, path: str, text: str, errors: list[SourceError]) -> ListTable | None:
    rows = list(csv.reader(io.StringIO(text)))
    numbered = [(i, row) for i, row in enumerate(rows, 1)
                if any(c.strip() for c in row) and not row[0].lstrip().startswith("#")]
    if not numbered:
        errors.append(SourceError(f"list '{name}' has no header row", SourceSpan(path, 1, 1),
                                  hint="the first line names the columns, e.g. sku,weight_kg"))
        return None
    header_line, header = numbered[0]
    columns = [c.strip() for c in header]
    for col, title in enumerate(columns, 1):
        if not title or columns.index(title) != col - 1:
            errors.append(SourceError(f"list '{name}': column {col} needs a unique name",
                                      SourceSpan(path, header_line, 1), source=text))
            return None
    lines: dict[str, int] = {}
    cells: dict[str, dict[str, str]] = {c: {} for c in columns[1:]}
    for number, row in numbered[1:]:
        if len(row) > len(columns):
            errors.append(SourceError(
                f"list '{name}': {len(row)} cells, but the header names {len(columns)}",
                SourceSpan(path, number, 1), source=text, hint="quote cells that hold commas"))
            continue
        key = row[0].strip()
        if key in lines:
            errors.append(SourceError(
                f"list '{name}': '{key}' is listed twice", SourceSpan(path, number, 1),
                source=text, hint=f"first at line {lines[key]}; a lookup needs one row per key"))
            continue
        lines[key] = number
        for col, title in enumerate(columns[1:], 1):
            cells[title][key] = row[col].strip() if col < len(row) else ""
    values: dict[str, dict[str, Any]] = {}
    types: dict[str, ExprType] = {}
    for title, by_key in cells.items():
        numbers = {k: _number(v) for k, v in by_key.items() if v}
        if numbers and all(v is not None for v in numbers.values()):
            types[title] = ExprType.NUMBER
            values[title] = {k: numbers.get(k) for k in by_key}
        else:
            types[title] = ExprType.STRING
            values[title] = {k: (v or None) for k, v in by_key.items()}
    return ListTable(name, path, columns, lines, values, types)


def _number(text: str) -> Decimal | int | None:
    try:
        value = Decimal(text.replace(",", ""))
    except InvalidOperation:
        return None
    if not value.is_finite():
        return None
    return int(value) if value == value.to_integral_value() and "." not in text else value


def table_from_rows(name: str, base: ListTable | None, rows: list[Any]) -> ListTable:
    """An example's own contents for a list: text entries, or objects with the table's columns
    (the first column is the key)."""
    columns = list(base.columns) if base is not None else ["entry"]
    lines: dict[str, int] = {}
    values: dict[str, dict[str, Any]] = {c: {} for c in columns[1:]}
    for i, row in enumerate(rows, 1):
        if isinstance(row, dict):
            key = str(row.get(columns[0], ""))
            for col in columns[1:]:
                values[col][key] = row.get(col)
        else:
            key = str(row)
        lines[key] = i
    types = dict(base.types) if base is not None else {}
    return ListTable(name, f"<example list {name}>", columns, lines, values, types,
                     version="example")
