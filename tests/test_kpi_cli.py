"""``orderhub kpi`` on a seeded workspace: JSON, CSV, a table, the comparison, bad input."""

from __future__ import annotations

import csv
import io
import json
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from orderhub.cli import main
from orderhub.config import Workspace, init_workspace

sys.path.insert(0, str(Path(__file__).parent))
import kpi_support as support  # noqa: E402


@pytest.fixture
def ws(tmp_path: Path, db_url: str) -> Path:
    root = tmp_path / "shop"
    init_workspace(root, samples=False)
    with (root / "orderhub.yaml").open("a", encoding="utf-8") as f:
        f.write(f"\ndatabase: {db_url}\nkpi:\n  ship_deadline_hours: {{jd: 20}}\n")
    workspace = Workspace.load(root)
    support.seed_week(workspace.store.engine)
    workspace.store.engine.dispose()
    return root


def _run(runner: CliRunner, ws: Path, *args: str) -> Any:
    return runner.invoke(main, ["-w", str(ws), "kpi", *args], catch_exceptions=False)


def test_json_has_the_weeks_figures_and_the_comparison(runner: CliRunner, ws: Path) -> None:
    out = _run(runner, ws, "--week", "2026-W48", "--compare", "2026-W47", "--by", "warehouse",
               "--format", "json")
    assert out.exit_code == 0, out.output
    doc = json.loads(out.stdout)
    assert doc["version"] == 1 and doc["by"] == "warehouse"
    # exception response depends on "now" only through unanswered tasks past their SLA
    assert {k: v for k, v in doc["totals"].items()} == support.EXPECTED
    # "-": task T4's order was never routed, so it has no warehouse
    assert [g["key"] for g in doc["groups"]] == ["-", "GZ", "SH"]
    assert doc["compare"]["period"]["label"] == "2026-W47"
    assert doc["compare"]["change"]["pay_to_ship"]["orders"] == 6
    assert doc["compare"]["change"]["exception_response"]["tasks"] == 3


def test_csv_rows_and_a_day_range(runner: CliRunner, ws: Path) -> None:
    out = _run(runner, ws, "--from", "2026-11-24", "--to", "2026-11-24", "--format", "csv")
    assert out.exit_code == 0, out.output
    found = list(csv.DictReader(io.StringIO(out.stdout)))
    total = {(r["kpi"], r["figure"]): r["value"] for r in found if r["scope"] == "total"}
    assert total[("pay_to_ship", "orders")] == "2"
    assert total[("mis_shipment", "caught_at_scan")] == "1"
    assert {r["key"] for r in found if r["scope"] == "day"} == {"2026-11-24"}


def test_table_names_the_period(runner: CliRunner, ws: Path) -> None:
    out = _run(runner, ws, "--week", "2026-W48", "--by", "platform")
    assert out.exit_code == 0, out.output
    assert "2026-W48 (2026-11-23 .. 2026-11-29, Asia/Shanghai)" in out.stdout
    assert "taobao" in out.stdout and "付款→发货" in out.stdout


def test_bad_periods_are_usage_errors(runner: CliRunner, ws: Path) -> None:
    out = _run(runner, ws, "--week", "2026-48")
    assert out.exit_code == 2 and "not a week: '2026-48'" in out.output
    out = _run(runner, ws, "--from", "2026-11-30", "--to", "2026-11-01")
    assert out.exit_code == 2 and "--to 2026-11-01 is before --from 2026-11-30" in out.output
    out = _run(runner, ws, "--week", "2026-W48", "--from", "2026-11-01")
    assert out.exit_code == 2 and "not both" in out.output
