"""Flow templates: every text a flow writes for people is rendered (task titles, reasons,
set values), and an unknown flow variable or order field is refused at check, positioned."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

sys.path.insert(0, str(Path(__file__).parent))
from flows_helpers import NOW, full_stock, order  # noqa: E402

from orderhub.cli import main  # noqa: E402
from orderhub.engine.routing import Router, RoutingState, StockLevels, load_flows  # noqa: E402
from orderhub.errors import SourceErrors  # noqa: E402

ROUTED = """\
name: carriers
trigger: {event: paid}
start: table
nodes:
  table:
    type: decision_table
    hit: first
    inputs: {amount: payment}
    rows:
      - when: {amount: ">= 50"}
        then: {carrier: SF}
    default: {carrier: ZTO}
    next: pick
  pick:
    type: decision
    cases:
      - when: payment > 0
        goto: set
        reason: "金额 {{ order.payment }} → {{ vars.carrier }}"
    default: set
  set:
    type: set
    carrier: "{{ vars.carrier }}"
    attributes: {checked: true}
    next: assign
  assign:
    type: assign
    warehouse: GZ
    next: task
  task:
    type: task
    queue: cs
    title: "carrier={{ vars.carrier }} 仓={{ warehouse.code }}"
    reason: "任务给 {{ order.platform_order_no }}"
"""

BROKEN = """\
name: broken
trigger: {event: paid}
start: task
nodes:
  task:
    type: task
    queue: cs
    title: "carrier={{ vars.carrier }}"
    next: note
  note:
    type: notify
    template: |
      ### {{ order.platform_order_no }}
      > {{ order.recever.name }}
"""


def test_titles_reasons_and_set_values_are_rendered(tmp_path: Path) -> None:
    (tmp_path / "carriers.yaml").write_text(ROUTED, encoding="utf-8")
    flows = load_flows(tmp_path)
    state = RoutingState(StockLevels.from_mapping(full_stock()))
    result = Router(flows, state, now=NOW).run(flows["carriers"], order())
    assert result.error is None, result.error
    assert result.carrier == "SF"
    task = next(a for a in result.actions if a.kind == "task")
    assert task.params["title"] == "carrier=SF 仓=GZ"
    assert "金额 99.00 → SF" in result.reasons
    assert f"任务给 {result.order.split(':')[1]}" in result.reasons
    sets = {a.params["field"]: a.params["value"] for a in result.actions if a.kind == "set"}
    assert sets == {"carrier": "SF", "attributes.checked": True}


def test_unknown_template_names_are_refused_with_their_place(tmp_path: Path) -> None:
    (tmp_path / "broken.yaml").write_text(BROKEN, encoding="utf-8")
    with pytest.raises(SourceErrors) as err:
        load_flows(tmp_path)
    text = str(err.value)
    assert "broken.yaml:8:29: error: template: unknown flow variable 'carrier' of vars" in text
    assert "broken.yaml:14:18: error: template: unknown field 'recever' of order" in text
    assert "did you mean 'receiver'?" in text


def test_flows_check_reports_them(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    (ws / "flows").mkdir(parents=True)
    (ws / "orderhub.yaml").write_text("timezone: Asia/Shanghai\n", encoding="utf-8")
    (ws / "flows" / "broken.yaml").write_text(BROKEN, encoding="utf-8")
    result = CliRunner().invoke(main, ["-w", str(ws), "flows", "check"])
    assert result.exit_code == 1
    assert "broken.yaml:8:29" in result.output and "vars.carrier" in result.output


def test_a_set_node_that_sets_nothing_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "empty.yaml").write_text(
        "name: empty\ntrigger: {event: paid}\nstart: s\nnodes:\n  s:\n    type: set\n",
        encoding="utf-8")
    with pytest.raises(SourceErrors, match="a set node sets nothing"):
        load_flows(tmp_path)
