"""Text plumbing every reader shares: bytes from Chinese files, blank cells, yes/no cells.

It sits below the connectors and the catalog (both read files with it), so neither has to import
the other for it.  :mod:`orderhub.connectors.files` and :mod:`orderhub.connectors.transforms`
re-export what they always offered.
"""

from __future__ import annotations

from datetime import tzinfo
from typing import Any

CSV_ENCODINGS = ("utf-8", "gb18030")
#: cell texts that mean "no value" in platform exports
EMPTY = ("", "null", "None", "NULL", "-")


def decode(data: bytes) -> tuple[str, str]:
    """Text and the encoding used: a BOM wins, then strict UTF-8, then GB18030 (GBK's superset).

    GB18030 decodes almost any byte string, so it goes last; trying GBK first would mis-read
    some UTF-8 files as mojibake.
    """
    for bom, name in ((b"\xef\xbb\xbf", "utf-8-sig"), (b"\xff\xfe", "utf-16"),
                      (b"\xfe\xff", "utf-16")):
        if data.startswith(bom):
            return data.decode(name), name
    for name in CSV_ENCODINGS:
        try:
            return data.decode(name), name
        except UnicodeDecodeError:
            continue
    return data.decode("gb18030", errors="replace"), "gb18030 (with replacements)"


def blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and value.strip() in EMPTY)


def as_bool(value: Any, tz: tzinfo) -> bool | None:
    if blank(value):
        return None
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "y", "是", "t"):
        return True
    if text in ("0", "false", "no", "n", "否", "f"):
        return False
    raise ValueError(f"not a yes/no value: {str(value)[:40]!r}")
