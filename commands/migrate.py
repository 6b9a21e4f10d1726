"""``orderhub migrate``: move orders from a legacy system (plan, check, run, rollback, list)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from ..cli import EXIT_REJECTED, App, exit_with, pass_app
from ._output import FORMAT_OPTION, echo_json, flag, local, note, stderr, table

FILE = click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
MAPPING = click.option("--mapping", "-m", "mapping_path", required=True, metavar="MAPPING.yaml",
                       type=click.Path(exists=True, dir_okay=False, path_type=Path),
                       help="The migration mapping (start one with `orderhub migrate plan`).")
STATUS_MAP = click.option("--status-map", type=click.Path(exists=True, dir_okay=False,
                                                          path_type=Path),
                          metavar="FILE.xlsx",
                          help="Status table: old value | new status (XLSX or CSV); its entries "
                               "win over the mapping's.")


@click.group("migrate")
def migrate_group() -> None:
    """Move orders from a legacy system: clean, map, validate, then import.

    \b
      orderhub migrate plan old.csv --out old.yaml      profile columns, write a starter mapping
      orderhub migrate check old.csv -m old.yaml        dry-run: what would import, what not
      orderhub migrate run old.csv -m old.yaml          import; rejects go to old.rejects.csv
      orderhub migrate list                             batches imported
      orderhub migrate rollback migrate:1a2b3c4d5e6f    remove exactly that batch's orders

    \b
    Examples:
      orderhub migrate plan legacy-orders.csv
      orderhub migrate check legacy-orders.csv -m legacy-orders.mapping.yaml --sample 5
      orderhub migrate run legacy-orders.csv -m legacy-orders.mapping.yaml
      orderhub migrate list
    """


@migrate_group.command("plan")
@FILE
@click.option("--out", "-o", type=click.Path(dir_okay=False, path_type=Path),
              help="Where to write the starter mapping (default: FILE's name + .mapping.yaml "
                   "in the current folder).")
@STATUS_MAP
@click.option("--force", is_flag=True, help="Overwrite the mapping file if it exists.")
@FORMAT_OPTION
def plan_command(file: Path, out: Path | None, status_map: Path | None, force: bool,
                 fmt: str) -> None:
    """Profile every column of FILE and write a starter mapping to complete.

    \b
    Examples:
      orderhub migrate plan legacy-orders.csv
      orderhub migrate plan legacy-orders.csv --status-map status-map.xlsx -o mapping.yaml
    """
    from ..connectors.tables import read_status_table
    from ..migrate.profile import profile_file
    from ..migrate.starter import guess_fields, starter_mapping

    profile = profile_file(file)
    table_map = read_status_table(status_map) if status_map else None
    target = out or Path(f"{file.stem}.mapping.yaml")
    if target.exists() and not force:
        raise click.UsageError(f"{target} exists (an analyst's work?); pass --force or --out")
    target.write_text(starter_mapping(profile, table_map, name=target.stem.removesuffix(
        ".mapping")), encoding="utf-8")
    fields = {col.name: f for f, col in guess_fields(profile).items()}
    status_col = next((c for f, c in guess_fields(profile).items() if f == "platform_status"),
                      None)
    unknown = {v: n for v, n in status_col.values.items() if v not in table_map} \
        if status_col is not None and table_map is not None else {}
    if fmt == "json":
        echo_json({**profile.to_dict(), "fields": fields, "mapping": str(target),
                   "unknown_statuses": unknown})
    else:
        table(f"{file.name}: {profile.rows} rows, encoding {profile.encoding}",
              ["column", "type", "blanks", "distinct", "samples", "written as", "guessed field"],
              [[c.name, f"{c.kind} {c.kind_share:.0%}" if c.filled else "empty", c.blanks,
                c.distinct, " | ".join(c.samples(3)),
                ", ".join(s for s, _ in c.shapes.most_common(3)), fields.get(c.name, "")]
               for c in profile.columns])
        if profile.broken_rows:
            flag("broken rows", "yellow", "(wrong number of cells): "
                 f"{', '.join(map(str, profile.broken_rows))}")
        _unknown_note(unknown)
    note(f"wrote starter mapping {target}: complete it, then "
         f"`orderhub migrate check {file} --mapping {target}`")


@migrate_group.command("check")
@FILE
@MAPPING
@STATUS_MAP
@click.option("--sample", type=click.IntRange(min=1), metavar="N",
              help="Also import the first N good rows into a scratch database and run the "
                   "rules and flows on them.")
@FORMAT_OPTION
@pass_app
def check_command(app: App, file: Path, mapping_path: Path, status_map: Path | None,
                  sample: int | None, fmt: str) -> None:
    """Dry-run FILE through the mapping: writes nothing, reports everything.

    Exit code 0 when every row would import (or is a repeat), 10 when some would be rejected.

    \b
    Examples:
      orderhub migrate check legacy-orders.csv -m mapping.yaml
      orderhub migrate check legacy-orders.csv -m mapping.yaml --sample 5 --format json
    """
    from ..migrate import check, load_migration_mapping
    from ..migrate import sample as run_sample

    mapping = load_migration_mapping(mapping_path, status_map, _roots(app))
    report = check(file, mapping, app.workspace.existing_store)
    sampled = run_sample(file, mapping, sample, app.workspace) if sample else None
    if fmt == "json":
        echo_json({**report.to_dict(), "sample": sampled.to_dict() if sampled else None})
    else:
        _print_report(report, "check (nothing written)")
        if sampled:
            table(f"sample: first {sampled.requested} good rows imported into a scratch database",
                  ["imported", "events", "statuses"],
                  [[sampled.imported, sampled.events,
                    ", ".join(f"{k} {v}" for k, v in sampled.statuses.items())]])
            for line in sampled.engine:
                note(line)
    if report.rejects:
        exit_with(EXIT_REJECTED)


@migrate_group.command("run")
@FILE
@MAPPING
@STATUS_MAP
@click.option("--rejects", "rejects_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Where rejected rows go (default: FILE's name + .rejects.csv beside it).")
@FORMAT_OPTION
@pass_app
def run_command(app: App, file: Path, mapping_path: Path, status_map: Path | None,
                rejects_path: Path | None, fmt: str) -> None:
    """Import FILE.  Running it again imports nothing new; rejected rows go to a rejects file
    (the row plus a reason column) that can be fixed and run the same way.

    Exit code 0 when every row imported, 10 when some were rejected.

    \b
    Examples:
      orderhub migrate run legacy-orders.csv -m mapping.yaml
      orderhub migrate run legacy-orders.csv -m mapping.yaml --status-map status-map.xlsx
    """
    from ..migrate import load_migration_mapping, run

    mapping = load_migration_mapping(mapping_path, status_map, _roots(app))
    store = app.store
    with Progress(TextColumn("{task.description}", markup=False), BarColumn(),
                  MofNCompleteColumn(),
                  TimeElapsedColumn(), console=stderr, transient=True) as bar:
        task = bar.add_task(f"migrating {file.name}", total=None)
        report = run(store, file, mapping, rejects_path=rejects_path,
                     progress=lambda done, total: bar.update(task, completed=done, total=total))
    if fmt == "json":
        echo_json(report.to_dict())
    else:
        _print_report(report, f"run: batch {report.batch}")
        if report.rejects_file:
            note(f"rejected rows written to {report.rejects_file} (fix them and run that file)")
        note(f"undo with: orderhub migrate rollback {report.batch}")
    if report.rejects:
        exit_with(EXIT_REJECTED)


@migrate_group.command("rollback")
@click.argument("batch")
@FORMAT_OPTION
@pass_app
def rollback_command(app: App, batch: str, fmt: str) -> None:
    """Remove exactly the orders BATCH imported (with their events and rejects).

    \b
    Examples:
      orderhub migrate list
      orderhub migrate rollback migrate:1a2b3c4d5e6f
    """
    from ..migrate import rollback

    removed = rollback(app.store, batch)
    if fmt == "json":
        echo_json({"batch": batch, **removed})
    else:
        note(f"rolled back {batch}: {removed['orders']} orders, {removed['events']} events, "
             f"{removed['rejects']} rejects removed")


@migrate_group.command("list")
@FORMAT_OPTION
@pass_app
def list_command(app: App, fmt: str) -> None:
    """Migration batches: file, mapping, when, state, and the orders each still holds.

    \b
    Examples:
      orderhub migrate list
      orderhub migrate list --format json
    """
    from ..migrate import list_batches

    rows = list_batches(app.store)
    if fmt == "json":
        echo_json([{"id": b.id, "file": b.file, "mapping": b.mapping, "started": b.started,
                    "finished": b.finished, "state": b.state, "runs": b.runs,
                    "orders": b.orders, "counts": b.counts} for b in rows])
        return
    tz = app.workspace.config.timezone
    table("migration batches", ["batch", "file", "mapping", "started", "state", "runs", "orders",
                                "rejected"],
          [[b.id, b.file, Path(b.mapping).name, local(b.started, tz), b.state, b.runs, b.orders,
            b.counts.get("rejected", "")] for b in rows])


def _print_report(report: Any, title: str) -> None:
    c = report.counts()
    verb = "would import" if report.dry_run else "imported"
    table(f"{Path(report.file).name} — {title}",
          ["rows", verb, "updated", "already in store", "kept (other source)",
           "repeated rows", "rejected"],
          [[c["rows"], c["new"], c["updated"], c["unchanged"], c["kept"], c["duplicates"],
            c["rejected"]]])
    if report.statuses:
        table("status table", ["old value", "new status", "rows"],
              [[k, v.value if v else "(not mapped)", n] for k, (v, n) in report.statuses.items()])
    if report.rejects:
        table("rejected rows", ["row", "column", "order", "reason"],
              [[r.row, r.column, r.order_no, r.reason] for r in report.rejects])
    _unknown_note(dict(report.unknown_statuses))
    if report.duplicates:
        table("repeated rows (same order, same content: imported once)",
              ["row", "same as row", "order"],
              [[d.row, d.first_row, d.order_no] for d in report.duplicates])
    if report.kept:
        table("already in the store from another source (left as they are)",
              ["row", "order", "source"], report.kept[:50])


def _roots(app: App) -> list[Path]:
    """Where files a mapping names may lie besides its own folder: the workspace."""
    return [Path(app.workspace_dir or ".")]


def _unknown_note(unknown: dict[str, int]) -> None:
    if unknown:
        listed = ", ".join(f"{v!r} ({n} rows)" for v, n in
                           sorted(unknown.items(), key=lambda kv: -kv[1]))
        flag("unknown status values", "red", f"(add them to the status table): {listed}")


COMMANDS = [migrate_group]
