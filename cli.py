"""The ``orderhub`` command: a thin shell over the Python API.

Each area's commands live in ``commands/<area>.py`` and are listed in :data:`COMMANDS`.
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
from typing import Any, NoReturn

import click

from .errors import OrderhubError

#: Every command: name -> (module, attribute, the one-line help `orderhub --help` shows).
#: Modules are imported only when their command runs, so `orderhub status` does not pay for
#: the simulator, the reports and the rule compiler.  tests/test_cli.py keeps this in step with
#: the modules' own ``COMMANDS`` lists.
COMMANDS: dict[str, tuple[str, str, str]] = {
    "init": ("orderhub.commands.workspace", "init_command",
             "Create a workspace: orderhub.yaml, rules/, flows/, catalog, samples."),
    "ingest": ("orderhub.commands.ingest", "ingest_command",
               "Load order files (API responses, exports) into the store, once each."),
    "orders": ("orderhub.commands.orders", "orders_group", "Browse normalized orders."),
    "rejects": ("orderhub.commands.orders", "rejects_command",
                "Records that could not be ingested, with file, record and reason."),
    "db": ("orderhub.commands.db", "db_group", "Database schema (Alembic migrations)."),
    "demo": ("orderhub.commands.demo", "demo_command",
             "Run the whole job on the bundled examples, in ./orderhub-demo."),
    "migrate": ("orderhub.commands.migrate", "migrate_group",
                "Move orders from a legacy system: plan, check, run, rollback."),
    "rules": ("orderhub.commands.rules", "rules_group",
              "Check, list, switch and diff the risk rules (rules/*.rules)."),
    "dry-run": ("orderhub.commands.rules", "dry_run_command",
                "What the rules (and flows) would do to sample orders, and why."),
    "flows": ("orderhub.commands.flows", "flows_group",
              "Routing flows (flows/*.yaml): check, list, route stored orders."),
    "schema": ("orderhub.commands.flows", "schema_group",
               "JSON Schemas of the file formats, for editors and scripts."),
    "simulate": ("orderhub.commands.flows", "simulate_command",
                 "What-if: a batch of orders through the flows, per warehouse."),
    "stock": ("orderhub.commands.flows", "stock_group",
              "Stock per warehouse and merchant SKU, used by routing."),
    "run": ("orderhub.commands.service", "run_command",
            "The service in one process: pulls, rules, flows, outbox, reload."),
    "worker": ("orderhub.commands.service", "worker_command",
               "One worker on a shared PostgreSQL database (start several)."),
    "reload": ("orderhub.commands.service", "reload_command",
               "Ask every running node to reload rules/ and flows/."),
    "status": ("orderhub.commands.service", "status_command",
               "Live versions, last reload, queue lag, outbox backlog."),
    "outbox": ("orderhub.commands.service", "outbox_group",
               "Outgoing messages (WeCom, SMS, WMS, logistics): list and retry."),
    "pull": ("orderhub.commands.pull", "pull_command",
             "Pull orders from the platforms' APIs into the store, once."),
    "simulator": ("orderhub.commands.simulator", "simulator_command",
                  "Serve simulated Taobao/JD/Pinduoduo/Douyin APIs locally."),
    "shops": ("orderhub.commands.shops", "shops_group",
              "Authorize shops on their platforms; their tokens and pulls."),
    "settlements": ("orderhub.commands.finance", "settlements_group",
                    "Platform settlement bills: import them for reconciliation."),
    "reconcile": ("orderhub.commands.finance", "reconcile_command",
                  "Match settlements to orders; write the difference reports."),
    "vouchers": ("orderhub.commands.finance", "vouchers_command",
                 "The month's journal vouchers for Kingdee or Yonyou."),
    "waybills": ("orderhub.commands.waybills", "waybills_group",
                 "E-waybills by wave: take numbers, print labels and pick lists, cancel."),
    "tasks": ("orderhub.commands.fulfilment", "tasks_group",
              "The review queue: list, claim and close tasks (审单 / 异常处理)."),
    "holds": ("orderhub.commands.fulfilment", "holds_group",
              "Orders on hold: list, hold, release (with a reason)."),
    "ship": ("orderhub.commands.fulfilment", "ship_command",
             "Ship an order (or some lines) and write it back to the platform."),
    "web": ("orderhub.commands.web", "web_command",
            "Serve the staff console (orders, rules, flows, finance, service)."),
    "users": ("orderhub.commands.users", "users_group",
              "Staff accounts of the web console: add, list, disable, passwd, role."),
    "kpi": ("orderhub.commands.kpi", "kpi_command",
            "KPIs for a week or days: pay to ship, responses, mis-shipments, per person."),
}

EXIT_REJECTED = 10


def exit_with(code: int) -> NoReturn:
    """End the running command with exit code ``code`` once its report is printed (10: some
    records were rejected).  Errors are raised instead and become their message and code in
    :meth:`OrderhubGroup.invoke`."""
    click.get_current_context().exit(code)


class App:
    """What every command receives: the workspace (loaded on first use) and output settings."""

    def __init__(self, workspace: Path | None, db_url: str | None) -> None:
        self.workspace_dir = workspace
        self.db_url = db_url

    @cached_property
    def workspace(self) -> Any:
        from .config import Workspace

        return Workspace.load(self.workspace_dir, db_url=self.db_url, create=False)

    @property
    def store(self) -> Any:
        return self.workspace.store


pass_app = click.make_pass_decorator(App)


class OrderhubGroup(click.Group):
    """Loads commands on first use (see :data:`COMMANDS`) and turns errors into a readable
    message and their exit code, in one place."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        spec = COMMANDS.get(name)
        if spec is None:
            return None
        module, attr, _ = spec
        return getattr(importlib.import_module(module), attr)  # type: ignore[no-any-return]

    def resolve_command(self, ctx: click.Context, args: list[str]) -> Any:
        """Click's lookup, with its did-you-mean over the lazy table (it only knows
        ``self.commands``, which is empty here)."""
        name = click.utils.make_str(args[0]) if args else ""
        if args and name not in COMMANDS and not name.startswith("-"):
            from difflib import get_close_matches

            close = get_close_matches(name, list(COMMANDS))
            hint = f" Did you mean {close[0]!r}?" if close else ""
            ctx.fail(f"No such command {name!r}.{hint}")
        return super().resolve_command(ctx, args)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        with formatter.section("Commands"):
            formatter.write_dl([(name, spec[2]) for name, spec in sorted(COMMANDS.items())])

    def invoke(self, ctx: click.Context) -> Any:
        from sqlalchemy.exc import DBAPIError

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



if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
