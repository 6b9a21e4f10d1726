"""Value tables kept in Excel: two columns, old value -> new value (status maps for migrations).

Business people maintain these in a spreadsheet (``已付款 | paid``); the table is read from XLSX
or CSV (any Chinese encoding).  A first row whose second cell is not a valid value is taken as the
header.  Every bad row is reported at once with its row and column.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..dsl import yamlfile
from ..errors import SourceError, SourceErrors, SourceSpan
from ..model import OrderStatus
from .cleaning import halfwidth

_STATUS_VALUES = [s.value for s in OrderStatus]


def read_rows(path: Path) -> Iterator[tuple[int, list[Any]]]:
    """(1-based row number, cells) of the first sheet of an XLSX, or of a CSV file."""
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        from openpyxl import load_workbook

        try:
            book = load_workbook(path, read_only=True, data_only=True)
        except Exception as exc:  # noqa: BLE001 - openpyxl raises many kinds for bad files
            raise SourceErrors([SourceError(f"cannot open workbook: {exc}",
                                            SourceSpan(str(path)))]) from None
        try:
            for number, row in enumerate(book.worksheets[0].iter_rows(values_only=True), 1):
                yield number, list(row)
        finally:
            book.close()
        return
    from .files import decode

    text, _ = decode(path.read_bytes())
    for number, row in enumerate(csv.reader(io.StringIO(text)), 1):
        yield number, list(row)


def _cell(value: Any) -> str:
    return "" if value is None else " ".join(halfwidth(str(value)).split())


def read_status_table(path: Path) -> dict[str, OrderStatus]:
    """Old status text -> normalized status.  Raises :class:`SourceErrors` naming bad rows."""
    if not path.is_file():
        raise SourceErrors([SourceError(f"status table {path} does not exist",
                                        SourceSpan(str(path)))])
    table: dict[str, OrderStatus] = {}
    seen_at: dict[str, int] = {}
    errors: list[SourceError] = []
    for number, row in read_rows(path):
        old = _cell(row[0]) if row else ""
        new = _cell(row[1]).lower() if len(row) > 1 else ""
        if not old and not new:
            continue
        if number == 1 and new not in _STATUS_VALUES:
            continue  # a header row such as "旧状态 | 新状态"
        span = SourceSpan(str(path), number, 2)
        if not old:
            errors.append(SourceError("the old value (column 1) is empty", SourceSpan(
                str(path), number, 1)))
            continue
        if new not in _STATUS_VALUES:
            errors.append(SourceError(
                f"{new or '(empty)'!r} is not a status (for {old!r})", span,
                hint=yamlfile.suggest(new, _STATUS_VALUES)
                or f"use one of: {', '.join(_STATUS_VALUES)}",
            ))
            continue
        if old in table and table[old] != OrderStatus(new):
            errors.append(SourceError(
                f"{old!r} is mapped twice: to {table[old].value} on row {seen_at[old]} "
                f"and to {new} here", span))
            continue
        table[old], seen_at[old] = OrderStatus(new), number
    if errors:
        raise SourceErrors(errors)
    return table
