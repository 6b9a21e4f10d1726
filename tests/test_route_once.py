"""``orderhub flows route`` routes each order once: a stored cursor, and no second routing of
an order that has a decision.  Two runs reserve exactly what one does (SQLite, PostgreSQL)."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import func, select

from orderhub.cli import main
from orderhub.config import Workspace, init_workspace
from orderhub.engine.routing.ledger import stock_ledger
from orderhub.engine.routing.stock import route_decisions


def _workspace(tmp_path: Path, db_url: str) -> Path:
    root = tmp_path / "ws"
    init_workspace(root)
    with (root / "orderhub.yaml").open("a", encoding="utf-8") as f:
        f.write(f"database: {db_url}\n")
    return root


def run(root: Path, *args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(main, ["-w", str(root), *args], catch_exceptions=False)


def _state(root: Path) -> tuple[int, int, int]:
    """(units reserved, reserve ledger rows, routing decisions)."""
    engine = Workspace.load(root).store.engine
    reserved = sum(json.loads(x)["reserved"] for x in
                   run(root, "stock", "list", "--format", "json").stdout.splitlines())
    with engine.connect() as conn:
        rows = conn.execute(select(func.count()).select_from(stock_ledger)
                            .where(stock_ledger.c.kind == "reserve")).scalar()
        decisions = conn.execute(select(func.count()).select_from(route_decisions)).scalar()
    engine.dispose()
    return reserved, int(rows or 0), int(decisions or 0)


def test_two_runs_reserve_exactly_what_one_does(tmp_path: Path, db_url: str) -> None:
    root = _workspace(tmp_path, db_url)
    assert run(root, "stock", "import", str(root / "stock.csv")).exit_code == 0
    assert run(root, "ingest", str(root / "samples" / "orders")).exit_code in (0, 10)
    first = run(root, "flows", "route", "--format", "json")
    assert first.exit_code == 0, first.output
    routed = [json.loads(x) for x in first.stdout.splitlines()]
    once = _state(root)
    assert once[0] > 0 and once[2] == len([r for r in routed if r["route"]["flow"]])
    second = run(root, "flows", "route", "--format", "json")
    assert second.exit_code == 0 and second.stdout == ""
    assert "last event: none new" in second.stderr
    assert _state(root) == once
    # reading the whole log again (--after 0) finds every order routed already
    again = run(root, "flows", "route", "--after", "0")
    assert "order event(s) skipped: routed before, or history" in again.stderr
    assert "0 order(s) routed" in again.stdout
    assert _state(root) == once


def _routed(output: str) -> list[str]:
    """The ids of the orders a flow routed (orders no flow takes are listed without one)."""
    return [d["order_id"] for d in map(json.loads, output.splitlines()) if d["route"]["flow"]]


def test_new_orders_after_a_run_are_the_only_ones_routed(tmp_path: Path, db_url: str) -> None:
    root = _workspace(tmp_path, db_url)
    run(root, "stock", "import", str(root / "stock.csv"))
    orders = sorted((root / "samples" / "orders").iterdir())
    run(root, "ingest", str(orders[0]))
    first = _routed(run(root, "flows", "route", "--format", "json").stdout)
    run(root, "ingest", str(orders[1]))
    second = _routed(run(root, "flows", "route", "--format", "json").stdout)
    assert first and second and not set(first) & set(second)
    reserved, rows, decisions = _state(root)
    assert decisions == len(set(first) | set(second))
