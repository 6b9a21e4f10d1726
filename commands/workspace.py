"""``orderhub init``: a new workspace."""

from __future__ import annotations

from pathlib import Path

import click

from ..cli import App, pass_app
from ..config import Workspace, init_workspace
from ._output import note


@click.command("init")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--no-samples", is_flag=True, help="Do not copy the sample order files.")
@pass_app
def init_command(app: App, directory: Path, no_samples: bool) -> None:
    """Create a workspace in DIRECTORY: orderhub.yaml, rules/, flows/, catalog.csv, samples/,
    and its database (the only command besides `db upgrade` that creates one).

    Existing files are left alone, so running it again only adds what is missing.

    \b
    Examples:
      orderhub init myshop
      orderhub init myshop --no-samples
      orderhub --db postgresql://orderhub@db.internal/orderhub init myshop
    """
    written = init_workspace(directory, samples=not no_samples)
    ws = Workspace.load(directory, db_url=app.db_url)
    if not ws.database_exists:
        written.append(Path(ws.db_url.split(":///", 1)[-1]))
    ws.store.engine.dispose()
    for path in written:
        note(f"created {path}")
    if not written:
        note(f"{directory} already has everything; nothing written")
    note(f"next: orderhub -w {directory} ingest {directory}/samples/orders")


COMMANDS = [init_command]
