"""``orderhub pull``: a one-off pull of the configured shops' orders (the service's schedule
calls the same :func:`~orderhub.connectors.pull.pull_shop`)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import click
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from ..cli import EXIT_REJECTED, App, exit_with, pass_app
from ..connectors.pull import PullProgress, pull_all
from ..connectors.shops import ShopConfigError
from ..connectors.transforms import zone
from ._output import FORMAT_OPTION, stderr
from ._reports import pull_report

_RELATIVE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd])\s*$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


def parse_since(text: str, tz: str, now: datetime | None = None) -> datetime:
    """``30m``/``2h``/``1d`` ago, or a time (ISO 8601 or ``yyyy-mm-dd HH:MM[:SS]``; without
    an offset it is read in the workspace's timezone)."""
    rel = _RELATIVE.match(text)
    if rel:
        base = now or datetime.now(zone(tz))
        return base - timedelta(**{_UNITS[rel[2]]: float(rel[1])})
    try:
        dt = datetime.fromisoformat(text.strip())
    except ValueError:
        raise click.BadParameter(
            f"{text!r} is not a time: give e.g. 2h, 1d, 2025-11-11 09:30 or an ISO 8601 time",
            param_hint="--since") from None
    return dt if dt.tzinfo else dt.replace(tzinfo=zone(tz))


@click.command("pull")
@click.option("--shop", "shops", multiple=True, metavar="NAME",
              help="Pull only this shop (repeatable). Default: every shop in orderhub.yaml.")
@click.option("--since", metavar="TIME",
              help="Read orders modified since TIME instead of the stored cursor "
                   "(2h, 1d, 2025-11-11 09:30).")
@FORMAT_OPTION
@pass_app
def pull_command(app: App, shops: tuple[str, ...], since: str | None, fmt: str) -> None:
    """Pull orders from the platforms into the store, once.

    Each shop is read from its cursor (where the last pull got to, minus a small overlap) up to
    now, in the windows its platform allows; orders are normalized and stored, and the cursor
    moves only after they are committed. Secrets come from the environment variables the shop's
    config names.

    Exit code 0 when every shop was pulled, 1 when a shop failed (the others are still
    pulled), 10 when some records were rejected.

    \b
    Examples:
      orderhub pull
      orderhub pull --shop tmall-flagship --since 2h
      orderhub pull --format json
    """
    ws = app.workspace
    if not ws.config.shops:
        raise ShopConfigError(
            f"no shops configured in {ws.root / 'orderhub.yaml'}: add a `shops:` list (see "
            "`orderhub simulator --help` for a local one to try)")
    start = parse_since(since, ws.config.timezone) if since else None
    with Progress(TextColumn("{task.description:<24}", markup=False), BarColumn(),
                  TextColumn("{task.fields[orders]} orders"), TimeElapsedColumn(),
                  console=stderr, transient=True) as bar:
        tasks: dict[str, TaskID] = {}

        def progress(p: PullProgress) -> None:
            if p.shop not in tasks:
                tasks[p.shop] = bar.add_task(p.shop, total=1.0, orders=0)
            bar.update(tasks[p.shop], completed=p.fraction, orders=p.orders)

        summaries = pull_all(ws, list(shops) or None, start, progress=progress)
    pull_report(summaries, fmt, ws.config.timezone)
    if any(s.error for s in summaries):
        exit_with(1)
    if any(s.rejected for s in summaries):
        exit_with(EXIT_REJECTED)


COMMANDS = [pull_command]
