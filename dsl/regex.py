"""Patterns for ``matches``: RE2, which runs in time linear in the text, whatever the pattern.

Python's ``re`` backtracks: ``receiver.address matches "^(a+)+$"`` doubles its time with every
character of the address.  RE2 (google-re2) has no such blow-up, at the price of refusing the
few constructs that need backtracking: backreferences (``\\1``) and lookarounds (``(?=``,
``(?!``, ``(?<=``, ``(?<!``).  The checker calls :func:`pattern_error` so a refused pattern is a
positioned error when rules are checked, never a surprise at run time.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import re2  # type: ignore[import-untyped]

#: Memory RE2 may use for one compiled pattern (its default is 8 MiB).
MAX_MEMORY = 8 << 20
#: Longest pattern accepted, in characters.
MAX_PATTERN = 2_000

_HINT = ("patterns use RE2 syntax (docs/rules.md, 'Patterns'): no backreferences like \\1 and "
         "no lookarounds like (?=...) or (?<!...); repetition counts go up to {1000}")


def _options() -> Any:
    options = re2.Options()
    options.log_errors = False  # errors are reported by the checker, not printed by RE2
    options.max_mem = MAX_MEMORY
    return options


@lru_cache(maxsize=1024)
def compile_pattern(pattern: str) -> Any:
    """The compiled RE2 pattern (``.search(text)`` like ``re``); raises ``re2.error``."""
    if len(pattern) > MAX_PATTERN:
        raise re2.error(f"pattern longer than {MAX_PATTERN} characters")
    return re2.compile(pattern, _options())


def pattern_error(pattern: str) -> tuple[str, str] | None:
    """(message, hint) when RE2 refuses ``pattern``, else None."""
    try:
        compile_pattern(pattern)
    except re2.error as exc:
        reason = exc.args[0] if exc.args else exc
        if isinstance(reason, bytes):
            reason = reason.decode("utf-8", "replace")
        return f"bad pattern: {reason}", _HINT
    return None
