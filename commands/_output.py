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
from rich.markup import escape
from rich.table import Table
from rich.text import Text

FORMAT_OPTION = click.option(
    "--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True,
    help="table for people; json for scripts (on stdout, messages on stderr).",
)

stderr = Console(stderr=True, highlight=False, soft_wrap=True, emoji=False)


def stdout() -> Console:
    # A fresh console per call: CliRunner swaps sys.stdout between invocations.
    return Console(file=sys.stdout, highlight=False, soft_wrap=False, width=table_width(),
                   emoji=False)


def table_width() -> int | None:
    """The terminal's width on a terminal (None: rich asks it, and COLUMNS wins); 160 when
    the output goes to a file or a pipe, so long cells are not folded for grep."""
    if os.environ.get("COLUMNS") or sys.stdout.isatty():
        return None
    return 160


def note(message: str) -> None:
    """A message on stderr, as plain text: whatever data it quotes (a receiver's name, a file
    name, a reject reason) is shown as typed, never read as rich markup.  Data is never
    markup; for a coloured label use :func:`flag`."""
    stderr.print(message, markup=False)


def flag(label: str, style: str, message: str = "") -> None:
    """``label`` in ``style`` (``"red"``, ``"bold"``), then ``message`` as plain text:
    ``flag("rejected", "red", f"{file}, row 4: ...")``."""
    stderr.print(Text.assemble((label, style), " " if message else "", message))


def plain(value: Any) -> str:
    """Data made safe inside rich markup written by orderhub (``[/]`` shown as typed)."""
    return escape(str(value))


def cell(value: Any) -> Text:
    """A table cell holding data: plain text, whatever brackets it contains.  A
    :class:`~rich.text.Text` passes through, for cells orderhub styles itself."""
    if isinstance(value, Text):
        return value
    return Text("" if value is None else str(value))


def table(title: str | None, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """A table on stdout.  Cells are data, never markup (see :func:`cell`); style a cell by
    passing a :class:`~rich.text.Text` (``Text(value, style="red")``)."""
    out = Table(title=None if title is None else Text(title), title_justify="left",
                header_style="bold")
    for col in columns:
        out.add_column(Text(col), overflow="fold")
    for row in rows:
        out.add_row(*(cell(v) for v in row))
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
