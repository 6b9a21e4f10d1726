"""``orderhub init``: a new workspace."""

from __future__ import annotations

from pathlib import Path

import click

from ..config import init_workspace
from ._output import note


@click.command("init")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--no-samples", is_flag=True, help="Do not copy the sample order files.")
def init_command(directory: Path, no_samples: bool) -> None:
    """Create a workspace in DIRECTORY: orderhub.yaml, rules/, flows/, catalog.csv, samples/.

    Existing files are left alone, so running it again only adds what is missing.
    """
    written = init_workspace(directory, samples=not no_samples)
    for path in written:
        note(f"created {path}")
    if not written:
        note(f"{directory} already has everything; nothing written")
    note(f"next: orderhub -w {directory} ingest {directory}/samples/orders")


COMMANDS = [init_command]
