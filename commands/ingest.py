"""``orderhub ingest``: load platform order files and exports into the store."""

from __future__ import annotations

from pathlib import Path

import click
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from ..cli import EXIT_REJECTED, App, pass_app
from ..connectors.ingest import IngestSummary, ingest
from ..connectors.mapping import mappings
from ._output import FORMAT_OPTION, echo_json, note, stderr, table


@click.command("ingest")
@click.argument("paths", nargs=-1, required=True,
                type=click.Path(exists=True, dir_okay=True, path_type=Path))
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

    Exit code 0 when everything landed, 10 when some records were rejected.

    \b
    Examples:
      orderhub ingest samples/orders
      orderhub ingest jd-export.csv --source jd-export --shop jd-flagship
      orderhub ingest taobao.json --format json
    """
    ws = app.workspace
    files = _expand(paths)
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=stderr, transient=True) as bar:
        task = bar.add_task("ingesting", total=0)
        done = 0

        def on_file(path: Path, count: int) -> None:
            nonlocal done
            done = int(bar.tasks[0].completed)
            bar.update(task, total=(bar.tasks[0].total or 0) + count,
                       description=f"ingesting {path.name}")

        summary = ingest(
            ws.store, files, source=source, shop_id=shop, catalog=ws.catalog,
            mappings=mappings(ws.mapping_dirs), on_file=on_file,
            progress=lambda n: bar.update(task, completed=done + n),
            history="ingest --history" if history else None,
        )
    _report(summary, fmt)
    if summary.rejected:
        raise SystemExit(EXIT_REJECTED)


def _expand(paths: tuple[Path, ...]) -> list[Path]:
    out: list[Path] = []
    for path in paths:
        if path.is_dir():
            out.extend(sorted(p for p in path.rglob("*")
                              if p.suffix.lower() in (".json", ".jsonl", ".ndjson", ".csv",
                                                      ".xlsx")))
        else:
            out.append(path)
    return out


def _report(summary: IngestSummary, fmt: str) -> None:
    for r in summary.rejects:
        unit = "row" if (r.file or "").endswith((".csv", ".xlsx")) else "record"
        where = f"{r.file}, {unit} {r.record}" if r.record is not None else r.file
        what = f" order {r.platform_order_no}" if r.platform_order_no else ""
        field = f" field {r.field}:" if r.field else ""
        note(f"[red]rejected[/red] {where}:{what}{field} {r.reason}")
    if fmt == "json":
        echo_json(summary.counts())
        return
    c = summary.counts()
    table(f"ingested {summary.files} file(s)", ["new", "updated", "unchanged", "rejected"],
          [[c["new"], c["updated"], c["unchanged"], c["rejected"]]])


COMMANDS = [ingest_command]
