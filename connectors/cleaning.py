"""Cell cleaning for legacy exports: the ``clean:`` section of a mapping.

Applied to every text cell of a record before the field transforms run, so a mapping's
``from`` paths see ``张三`` rather than ``" 张三 "`` and ``138...`` rather than ``１３８...``.
Only full-width digits, letters and the ideographic space are folded here: Chinese punctuation in
names and addresses (（）、，) is kept as written.  Field transforms such as ``legacy_datetime``
and ``amount`` apply full NFKC to the values they read.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

_SPACES = re.compile(r"\s+")  # Unicode whitespace: also U+3000 and U+00A0
# Cells needing work: a full-width letter or digit, a whitespace run, whitespace other than a
# plain space, or whitespace at either end.  Most cells need none, and one search is cheap.
_WORK = re.compile(r"[\uff10-\uff19\uff21-\uff3a\uff41-\uff5a]|\s\s|[^\S ]|^\s|\s$")
_FULL = re.compile(r"[\uff10-\uff19\uff21-\uff3a\uff41-\uff5a\u3000]")
# U+FF10..FF19 digits, U+FF21..FF3A and U+FF41..FF5A letters, U+3000 ideographic space.
_HALF = {c: c - 0xFEE0 for r in ((0xFF10, 0xFF19), (0xFF21, 0xFF3A), (0xFF41, 0xFF5A))
         for c in range(r[0], r[1] + 1)}
_HALF[0x3000] = 0x20

DEFAULT_BLANKS = ("", "-", "--", "/", "无", "空", "null", "NULL", "None", "N/A", "n/a", "#N/A")


class CleanSpec(BaseModel):
    """How a mapping cleans cells before reading them."""

    model_config = ConfigDict(extra="forbid")

    whitespace: bool = Field(True, description="trim, and collapse runs of spaces to one")
    fullwidth: bool = Field(True, description="full-width digits and letters to half-width")
    blanks: list[str] = Field(
        default_factory=lambda: list(DEFAULT_BLANKS),
        description="cell values that mean 'no value' (so required fields are reported blank)",
    )


def halfwidth(text: str) -> str:
    """``ＡＢＣ１２３`` -> ``ABC123``; other characters unchanged."""
    return text.translate(_HALF)


def cleaner(spec: CleanSpec) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """A function that returns a cleaned copy of a record (keys are cleaned the same way)."""
    blanks = frozenset(spec.blanks)
    whitespace, fullwidth = spec.whitespace, spec.fullwidth

    work, full, spaces, half = _WORK.search, _FULL.search, _SPACES.sub, _HALF

    def cell(value: Any) -> Any:
        if type(value) is not str:
            return value
        if value in blanks:
            return None
        if work(value) is None:
            return value
        if fullwidth and full(value):
            value = value.translate(half)
        if whitespace:
            value = spaces(" ", value).strip()
        return None if value in blanks else value

    def clean(record: dict[str, Any]) -> dict[str, Any]:
        return {key: cell(value) for key, value in record.items()}

    return clean
