"""Terminal output shared by the commands: rich tables on stdout, messages on stderr, JSON."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterable, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

import click
from rich.console import Console
from rich.table import Table

FORMAT_OPTION = click.option(
    "--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True,
    help="table for people; json for scripts (on stdout, messages on stderr).",
)

stderr = Console(stderr=True, highlight=False, soft_wrap=True)


def stdout() -> Console:
    # A fresh console per call: CliRunner swaps sys.stdout between invocations.
    return Console(file=sys.stdout, highlight=False, soft_wrap=False, width=table_width())


def table_width() -> int | None:
    """The terminal's width on a terminal (None: rich asks it, and COLUMNS wins); 160 when
    the output goes to a file or a pipe, so long cells are not folded for grep."""
    if os.environ.get("COLUMNS") or sys.stdout.isatty():
        return None
    return 160


def note(message: str) -> None:
    stderr.print(message)


def table(title: str | None, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    out = Table(title=title, title_justify="left", header_style="bold")
    for col in columns:
        out.add_column(col, overflow="fold")
    for row in rows:
        out.add_row(*("" if v is None else str(v) for v in row))
    stdout().print(out)


def shown(count: int, total: int, noun: str, limit: int) -> str:
    """A listing's title that never passes a cut-off list as the whole: ``62 order(s)``, or
    ``showing 50 of 62 order(s); --limit 62 shows all``."""
    if count >= total:
        return f"{count} {noun}"
    return f"showing {count} of {total} {noun}; --limit {total} shows all"


def to_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=_default)


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json")
    raise TypeError(f"not JSON serializable: {type(value).__name__}")


def echo_json(value: Any) -> None:
    click.echo(to_json(value))


def local(dt: datetime | None, tz: str) -> str:
    """A time as the shop sees it: ``2025-11-11 09:30:05``."""
    if dt is None:
        return ""
    from ..connectors.transforms import zone

    return dt.astimezone(zone(tz)).strftime("%Y-%m-%d %H:%M:%S")
