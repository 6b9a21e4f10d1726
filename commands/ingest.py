"""``orderhub ingest``: load platform order files and exports into the store."""

from __future__ import annotations

from pathlib import Path

import click
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from ..cli import App, exit_with, pass_app
from ..connectors.files import expand_paths
from ..connectors.ingest import ingest
from ..connectors.mapping import mappings
from ._output import FORMAT_OPTION, stderr
from ._reports import ingest_report


@click.command("ingest")
@click.argument("paths", nargs=-1, required=True,
                type=click.Path(dir_okay=True, path_type=Path))
@click.option("--source", metavar="NAME",
              help="Mapping to use (taobao, jd, pdd, douyin, taobao-export, ...). "
                   "Default: told from the file.")
@click.option("--shop", metavar="SHOP", help="Shop id for records that do not carry one.")
@click.option("--history", is_flag=True,
              help="Past orders: store them, but fire no rule, flow, message or reservation.")
@FORMAT_OPTION
@pass_app
def ingest_command(app: App, paths: tuple[Path, ...], source: str | None, shop: str | None,
                   history: bool, fmt: str) -> None:
    """Load order files into the store, once each.

    PATHS are files or folders of .json (API responses as saved, or arrays of orders), .jsonl,
    .csv (UTF-8, GBK/GB18030; encoding detected) and .xlsx. Re-ingesting an unchanged order does
    nothing; a newer version updates it and records events; a bad record is rejected with its
    file, row and reason while the rest lands.

    With --history the orders are history (last year's export, an old shop's orders):
    stored and visible, but the service never acts on them: no rule, flow, message or
    reservation, even for the ones still "paid".

    Exit code 0 when everything landed, 10 when some records were rejected, 1 when a file
    could not be read at all (binary, empty, not JSON), 2 when a file's source cannot be told
    (the other files are ingested all the same), 4 when a path does not exist.

    \b
    Examples:
      orderhub ingest samples/orders
      orderhub ingest jd-export.csv --source jd-export --shop jd-flagship
      orderhub ingest taobao.json --format json
    """
    files = expand_paths(paths)
    ws = app.workspace
    with Progress(TextColumn("{task.description}", markup=False), BarColumn(),
                  MofNCompleteColumn(), TimeElapsedColumn(), console=stderr,
                  transient=True) as bar:
        task = bar.add_task("ingesting", total=0)
        done = 0

        def on_file(path: Path, count: int) -> None:
            nonlocal done
            done = int(bar.tasks[0].completed)
            bar.update(task, total=(bar.tasks[0].total or 0) + count,
                       description=f"ingesting {path.name}")

        summary = ingest(
            ws.store, files, source=source, shop_id=shop, catalog=ws.catalog,
            mappings=mappings(ws.mapping_dirs), on_file=on_file, keep_going=True,
            progress=lambda n: bar.update(task, completed=done + n),
            history="ingest --history" if history else None,
        )
    ingest_report(summary, fmt)
    if summary.exit_code:
        exit_with(summary.exit_code)


COMMANDS = [ingest_command]
