"""``orderhub kpi``: the article's numbers for a week or a day range, grouped, side by side."""

from __future__ import annotations

import csv
import sys
from typing import Any

import click

from ..cli import App, pass_app
from ..kpi.metrics import DIMENSIONS
from ._output import echo_json, table

LABELS = {
    "pay_to_ship": "付款→发货 pay to ship", "exception_response": "异常响应 exception response",
    "mis_shipment": "错发 mis-shipments", "throughput": "人效 orders/person/day",
    "interceptions": "拦截 interceptions", "routing": "分仓 routing",
    "finance": "对账 finance close",
}


@click.command("kpi")
@click.option("--week", "week_spec", metavar="YYYY-Www", help="An ISO week, e.g. 2026-W48.")
@click.option("--from", "first", metavar="DATE", help="First day (shop time), YYYY-MM-DD.")
@click.option("--to", "last", metavar="DATE", help="Last day, inclusive.")
@click.option("--by", type=click.Choice(DIMENSIONS), help="Group by this as well.")
@click.option("--compare", metavar="PERIOD",
              help="Another period beside it: 2026-W47, or FROM..TO (2026-11-01..2026-11-07).")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table",
              show_default=True, help="table for people; json / csv for scripts (stdout).")
@pass_app
def kpi_command(app: App, week_spec: str | None, first: str | None, last: str | None,
                by: str | None, compare: str | None, fmt: str) -> None:
    """The KPIs for a period in the shops' timezone (default: last full week).

    \b
    Examples:
      orderhub kpi --week 2026-W48
      orderhub kpi --week 2026-W48 --by warehouse --compare 2026-W47
      orderhub kpi --from 2026-11-01 --to 2026-11-30 --by platform --format json
      orderhub kpi --week 2026-W48 --by person --format csv > board.csv

    Definitions of every figure and the JSON keys: docs/kpi.md.
    """
    from ..kpi.report import parse_compare, period_of, report

    tz = app.workspace.config.timezone
    try:
        period = period_of(tz, week_spec=week_spec, first=first, last=last)
        other = parse_compare(compare, tz)
        result = report(app.workspace, period, by=by, compare=other)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    if fmt == "json":
        echo_json(result)
    elif fmt == "csv":
        _csv(result)
    else:
        _tables(result)


def _csv(result: dict[str, Any]) -> None:
    from ..kpi.report import CSV_HEADER, rows

    out = csv.writer(sys.stdout, lineterminator="\n")
    out.writerow(CSV_HEADER)
    out.writerows(["" if v is None else v for v in row] for row in rows(result))


def _tables(result: dict[str, Any]) -> None:
    period = result["period"]
    title = f"{period['label']} ({period['from']} .. {period['to']}, {period['timezone']})"
    other = result.get("compare")
    columns = ["KPI", "figure", period["label"]]
    if other:
        columns += [other["period"]["label"], "change"]
    out = []
    for kpi, figures in result["totals"].items():
        for name, value in figures.items():
            row = [LABELS.get(kpi, kpi), name, value]
            if other:
                row += [other["totals"][kpi][name], other["change"][kpi][name]]
            out.append(row)
    table(title, columns, out)
    if result.get("groups"):
        names = [("pay_to_ship", "orders"), ("pay_to_ship", "median_hours"),
                 ("pay_to_ship", "within_deadline_share"), ("exception_response", "tasks"),
                 ("exception_response", "median_minutes"), ("mis_shipment", "rate"),
                 ("throughput", "orders_per_person_day")]
        table(f"by {result['by']}", [result["by"], *[f"{k}.{f}" for k, f in names]],
              [[g["key"], *[g.get(k, {}).get(f) for k, f in names]] for g in result["groups"]])


COMMANDS = [kpi_command]
