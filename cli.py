"""The ``orderhub`` command: a thin shell over the Python API.

Each area's commands live in ``commands/<area>.py`` and are listed in :data:`COMMAND_MODULES`.
Errors are turned into messages and exit codes here, in one place:

====  =========================================================
code  meaning
====  =========================================================
0     success
1     an error in what was asked (a rule, a flow, a file)
2     usage error, or a file whose source cannot be told
3     the database cannot be reached
4     the order (or other thing) asked for does not exist
10    ``ingest``/``migrate``: finished, but some records were rejected
====  =========================================================
"""

from __future__ import annotations

import importlib
import sys
from functools import cached_property
from pathlib import Path
from typing import Any

import click
from sqlalchemy.exc import DBAPIError

from .errors import OrderhubError

COMMAND_MODULES = (
    "orderhub.commands.workspace",
    "orderhub.commands.ingest",
    "orderhub.commands.orders",
    "orderhub.commands.db",
    "orderhub.commands.demo",
    "orderhub.commands.migrate",
    "orderhub.commands.rules",
    "orderhub.commands.flows",
    "orderhub.commands.service",
    "orderhub.commands.pull",
    "orderhub.commands.simulator",
    "orderhub.commands.finance",
)

EXIT_REJECTED = 10


class App:
    """What every command receives: the workspace (loaded on first use) and output settings."""

    def __init__(self, workspace: Path | None, db_url: str | None) -> None:
        self.workspace_dir = workspace
        self.db_url = db_url

    @cached_property
    def workspace(self) -> Any:
        from .config import Workspace

        return Workspace.load(self.workspace_dir, db_url=self.db_url)

    @property
    def store(self) -> Any:
        return self.workspace.store


pass_app = click.make_pass_decorator(App)


class OrderhubGroup(click.Group):
    """Turns :class:`OrderhubError` into a readable message and its exit code."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except OrderhubError as exc:
            click.echo(exc.render() if hasattr(exc, "render") else str(exc), err=True)
            ctx.exit(exc.exit_code)
        except DBAPIError as exc:  # the database went away or refused: say so, not a traceback
            click.echo(f"database error: {exc.orig or exc}", err=True)
            ctx.exit(3)


@click.group(cls=OrderhubGroup, context_settings={"help_option_names": ["-h", "--help"],
                                                   "max_content_width": 100})
@click.option("--workspace", "-w", type=click.Path(file_okay=False, path_type=Path),
              envvar="ORDERHUB_WORKSPACE", help="Workspace folder (default: current folder).")
@click.option("--db", "db_url", envvar="ORDERHUB_DB", metavar="URL",
              help="Database URL, overriding the workspace's (sqlite:///file.db, postgresql://...).")
@click.version_option(package_name="orderhub")
@click.pass_context
def main(ctx: click.Context, workspace: Path | None, db_url: str | None) -> None:
    """orderhub: one order hub for Taobao/Tmall, JD, Pinduoduo and Douyin shops.

    \b
    Start here:
      orderhub demo                      ingest the bundled examples and show the result
      orderhub init myshop               make a workspace with config, rules, flows, samples
      orderhub -w myshop ingest FILE...  load platform orders or exports
      orderhub -w myshop orders list     see what landed
    """
    ctx.obj = App(workspace, db_url)


for _name in COMMAND_MODULES:
    _module = importlib.import_module(_name)
    for _command in getattr(_module, "COMMANDS", ()):
        main.add_command(_command)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
