"""The error tree.  Every error a user can fix says where: file, line and column, or record.

Positions are 1-based everywhere in this module (what an editor shows); callers convert from
ruamel's 0-based marks at the boundary.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True, slots=True)
class SourceSpan:
    """Where something came from: a file (or ``<string>``), a 1-based line and column."""

    filename: str
    line: int | None = None
    column: int | None = None
    end_line: int | None = None
    end_column: int | None = None

    def __str__(self) -> str:
        parts = [self.filename]
        if self.line is not None:
            parts.append(str(self.line))
            if self.column is not None:
                parts.append(str(self.column))
        return ":".join(parts)

    def shifted(self, line: int, column: int) -> SourceSpan:
        """This span, seen from inside a text that starts at ``line``:``column`` of the file.

        Used for expressions embedded in a YAML value: the expression's own position plus the
        value's position gives the position in the file.
        """
        if self.line is None:
            return SourceSpan(self.filename, line, column)
        new_col = self.column
        if self.line == 1 and self.column is not None:
            new_col = column + self.column - 1
        return SourceSpan(self.filename, line + self.line - 1, new_col)


class OrderhubError(Exception):
    """Base of every error orderhub raises on purpose."""

    exit_code = 1


class SourceError(OrderhubError):
    """A mistake in something a person wrote, with its position, the line and a caret."""

    def __init__(
        self,
        message: str,
        span: SourceSpan | None = None,
        *,
        source: str | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.span = span
        self.source = source
        self.hint = hint

    def excerpt(self) -> str:
        """The offending line with a caret under the column, or '' when unknown."""
        if self.span is None or self.span.line is None:
            return ""
        text = self.source
        if text is None:
            try:
                text = Path(self.span.filename).read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                return ""
        lines = text.splitlines()
        if not 0 < self.span.line <= len(lines):
            return ""
        line = lines[self.span.line - 1]
        col = max((self.span.column or 1) - 1, 0)
        # East Asian wide characters take two cells in a terminal; pad the caret to match.
        pad = "".join("  " if _wide(ch) else ("\t" if ch == "\t" else " ") for ch in line[:col])
        return f"    {line}\n    {pad}^"

    def render(self) -> str:
        where = f"{self.span}: " if self.span else ""
        out = f"{where}error: {self.message}"
        excerpt = self.excerpt()
        if excerpt:
            out += "\n" + excerpt
        if self.hint:
            out += f"\n    hint: {self.hint}"
        return out

    def __str__(self) -> str:
        return self.render()

    def as_json(self, severity: str = "error") -> dict[str, Any]:
        """The error for ``--format json``: file, line, column, message, hint."""
        span = self.span
        return {"severity": severity, "file": span.filename if span else None,
                "line": span.line if span else None, "column": span.column if span else None,
                "message": self.message, "hint": self.hint}


class SourceErrors(OrderhubError):
    """Several source errors, reported together (all mistakes of all files in one run)."""

    def __init__(self, errors: list[SourceError]) -> None:
        self.errors = errors
        super().__init__(f"{len(errors)} error(s)")

    def render(self) -> str:
        return "\n".join(e.render() for e in self.errors)

    def __str__(self) -> str:
        return self.render()


class RecordError(OrderhubError):
    """A bad input record: which file, which record or row, which field, and why."""

    def __init__(
        self,
        reason: str,
        *,
        file: str | None = None,
        record: int | None = None,
        field: str | None = None,
        order_no: str | None = None,
        unit: str = "record",
        cells: list[Any] | None = None,
    ) -> None:
        self.reason = reason
        self.cells = cells  # the row as read, when it could not be made a record (rejects files)
        self.unit = unit
        self.file = file
        self.record = record
        self.field = field
        self.order_no = order_no
        super().__init__(self.render())

    def render(self) -> str:
        where = []
        if self.file:
            where.append(self.file)
        if self.record is not None:
            where.append(f"{self.unit} {self.record}")
        if self.order_no:
            where.append(f"order {self.order_no}")
        if self.field:
            where.append(f"field {self.field}")
        return f"{', '.join(where)}: {self.reason}" if where else self.reason


class ConfigError(SourceError):
    """The workspace configuration is wrong."""


class StoreError(OrderhubError):
    """The database cannot be reached or used."""

    exit_code = 3


class NotFound(OrderhubError):
    """A thing asked for by ID does not exist."""

    exit_code = 4


def _wide(ch: str) -> bool:
    import unicodedata

    return unicodedata.east_asian_width(ch) in ("W", "F")


__all__ = [
    "ConfigError",
    "NotFound",
    "OrderhubError",
    "RecordError",
    "SourceError",
    "SourceErrors",
    "SourceSpan",
    "StoreError",
]
