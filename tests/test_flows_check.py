"""Mistakes in flow files are reported as file:line:col with a caret, all at once; the JSON
Schema accepts the shipped flows and rejects broken ones."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner
from ruamel.yaml import YAML

from orderhub.cli import main
from orderhub.engine.routing import load_flows
from orderhub.errors import SourceErrors

FLOWS = Path(__file__).resolve().parent.parent / "flows"
SHIPPED = (FLOWS / "routing.yaml").read_text(encoding="utf-8")


def write(tmp_path: Path, text: str, name: str = "flow.yaml") -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def errors_of(path: Path) -> list[str]:
    with pytest.raises(SourceErrors) as info:
        load_flows(path)
    return [e.render() for e in info.value.errors]


def test_a_typo_fails_with_file_line_col_caret_and_suggestion(tmp_path: Path) -> None:
    path = write(tmp_path, SHIPPED.replace("    unknown: no_region\n", "    unknwon: no_region\n"))
    (err,) = errors_of(path)
    line = SHIPPED.splitlines().index("    unknown: no_region") + 1
    assert err.startswith(f"{path}:{line}:5: error: unknown key 'unknwon'")
    assert "    unknwon: no_region\n        ^" in err
    assert "did you mean 'unknown'?" in err


def test_every_mistake_of_every_file_in_one_run(tmp_path: Path) -> None:
    write(tmp_path, """\
name: a
trigger: {event: payed}
start: first
nodes:
  first:
    type: decision
    cases:
      - when: recever.province == "广东省"
        goto: nowhere
  gz:
    type: assign
    warehouse: GZZ
""", "a.yaml")
    write(tmp_path, """\
name: b
start: one
nodes:
  one:
    type: decison
  two:
    type: call
    flow: missing_flow
    next: two
""", "b.yaml")
    errs = "\n".join(errors_of(tmp_path))
    for expected in [
        "a.yaml:2:18: error: trigger.event: 'payed' is not one of",
        "a.yaml:5:3: error: decision 'first' has no default branch",
        "a.yaml:8:15: error: unknown name 'recever'",
        "a.yaml:9:9: error: node 'first' goes to 'nowhere', which does not exist",
        "a.yaml:12:5: error: unknown warehouse 'GZZ'",
        "b.yaml:5:11: error: unknown node type 'decison'",
        "b.yaml:6:3: error: flow 'b' has a cycle: two -> two",
        "b.yaml:8:5: error: sub-flow 'missing_flow' does not exist",
    ]:
        assert expected in errs, errs
    assert "did you mean 'receiver'?" in errs and "did you mean 'decision'?" in errs


def test_expression_type_errors_point_into_the_expression(tmp_path: Path) -> None:
    path = write(tmp_path, SHIPPED.replace(
        'when: status == "paid" and (refund is null or refund.status == "closed")',
        'when: status == "paid" and payment > "lots"'))
    (err,) = errors_of(path)
    assert "cannot compare number with text" in err
    assert ":8:30: " in err.splitlines()[0]  # under `payment`


def test_cycle_names_every_node_on_it(tmp_path: Path) -> None:
    path = write(tmp_path, SHIPPED.replace("    kind: pick_list\n",
                                           "    kind: pick_list\n    next: assign\n"))
    (err,) = errors_of(path)
    assert "has a cycle: " in err
    cycle = err.split("has a cycle: ")[1].splitlines()[0]
    assert set(cycle.split(" -> ")) == {"assign", "diverted", "push_to_wms", "pick_list"} or \
        set(cycle.split(" -> ")) == {"assign", "diverted", "tell_lead", "push_to_wms", "pick_list"}


TABLE = """\
name: t
start: table
nodes:
  table:
    type: decision_table
    hit: {hit}
    inputs:
      region: region
      amount: payment
    rows:
{rows}
"""


def table_errors(tmp_path: Path, hit: str, rows: str) -> str:
    path = write(tmp_path, TABLE.format(hit=hit, rows=rows))
    with pytest.raises(SourceErrors) as info:
        load_flows(path)
    return info.value.render()


def test_decision_table_overlaps_are_errors_with_hit_unique(tmp_path: Path) -> None:
    err = table_errors(tmp_path, "unique", """\
      - when: {region: 华南, amount: ">= 100"}
        then: {warehouse: GZ}
      - when: {region: [华南, 华东], amount: "[50..200)"}
        then: {warehouse: SH}
      - when: {}
        then: {warehouse: WH}
""")
    assert "rows 1 and 2 overlap (hit policy unique), e.g. region='华南', amount in [100..200)" \
        in err


def test_decision_table_gaps_are_errors_without_default(tmp_path: Path) -> None:
    err = table_errors(tmp_path, "first", """\
      - when: {region: [华东, 华南, 华北, 华中, 西南, 西北], amount: "< 100"}
        then: {warehouse: GZ}
      - when: {region: "-", amount: ">= 100"}
        then: {warehouse: SH}
""")
    assert "no row matches 1 case(s): region='东北', amount in [0..100)" in err
    assert "a `default:`" in err


WEIGHT_TABLE = """\
name: carriers
start: table
nodes:
  table:
    type: decision_table
    hit: unique
    inputs:
      region: region
      weight: "sum item in items: lookup('sku_weights', item.sku, 'kg') * item.quantity"
    rows:
{rows}
"""


def weight_errors(tmp_path: Path, rows: str, kg: str = "62") -> list[str]:
    (tmp_path / "lists").mkdir(exist_ok=True)
    (tmp_path / "lists" / "sku_weights.csv").write_text(f"sku,kg\nFRIDGE-1,{kg}\nTEA-1,0.5\n",
                                                        encoding="utf-8")
    (tmp_path / "flows").mkdir(exist_ok=True)
    (tmp_path / "flows" / "c.yaml").write_text(WEIGHT_TABLE.format(rows=rows), encoding="utf-8")
    try:
        load_flows(tmp_path / "flows")
    except SourceErrors as exc:
        return [e.message for e in exc.errors]
    return []


def test_a_weight_band_table_is_checked_from_zero_kg(tmp_path: Path) -> None:
    """A weight is never negative (the SKU table's kg are all >= 0, quantities too): bands
    from 0 up leave no gap, and no one is told about -1 kg."""
    rows = """\
      - when: {weight: "[0..1)"}
        then: {carrier: SF}
      - when: {weight: "[1..20)"}
        then: {carrier: ZTO}
      - when: {weight: ">= 20"}
        then: {carrier: DEPPON}
"""
    assert weight_errors(tmp_path, rows) == []
    # a negative number in the table: weights may be below 0, and that is a gap
    assert weight_errors(tmp_path, rows, kg="-1") == ["no row matches 1 case(s): weight < 0"]


def test_every_gap_and_overlap_is_reported_in_one_run(tmp_path: Path) -> None:
    errors = weight_errors(tmp_path, """\
      - when: {region: [华东, 华南], weight: "[0..5)"}
        then: {carrier: SF}
      - when: {region: [华东, 华南, 华北, 华中, 西南, 西北], weight: "[3..30)"}
        then: {carrier: ZTO}
      - when: {region: "-", weight: ">= 25"}
        then: {carrier: DEPPON}
""")
    assert len(errors) == 3
    assert "rows 1 and 2 overlap (hit policy unique), e.g. region='华东', weight in [3..5)" \
        in errors
    assert any(e.startswith("rows 2 and 3 overlap (hit policy unique), e.g. region=")
               and e.endswith("weight in [25..30)") for e in errors)
    (gaps,) = [e for e in errors if e.startswith("no row")]
    assert gaps.startswith("no row matches 5 case(s): ")
    for region in ["华北", "华中", "西南", "西北"]:
        assert f"region={region!r}, weight in [0..3)" in gaps
    assert "region='东北', weight in [0..25)" in gaps


def test_decision_table_hidden_rows_are_errors_with_hit_first(tmp_path: Path) -> None:
    err = table_errors(tmp_path, "first", """\
      - when: {amount: ">= 0"}
        then: {warehouse: GZ}
      - when: {region: 华南, amount: ">= 100"}
        then: {warehouse: SH}
      - when: {}
        then: {warehouse: WH}
""")
    assert "row 2 is never used: row 1 above matches everything it does" in err


def test_shipped_flows_check_clean() -> None:
    flows = load_flows(FLOWS)
    assert list(flows.flows) == ["routing"] and not flows.warnings


def test_flows_check_command(tmp_path: Path) -> None:
    runner = CliRunner()
    ok = runner.invoke(main, ["-w", str(tmp_path), "flows", "check", str(FLOWS)])
    assert ok.exit_code == 0 and ok.output.startswith("ok: 1 flow(s) in 1 file(s): routing")
    bad = write(tmp_path, SHIPPED.replace("type: geofence", "type: geofense"))
    failed = runner.invoke(main, ["-w", str(tmp_path), "flows", "check", str(bad)])
    assert failed.exit_code == 1
    assert "unknown node type 'geofense'" in failed.output
    assert "did you mean 'geofence'?" in failed.output


def _schema() -> dict:  # type: ignore[type-arg]
    out = CliRunner().invoke(main, ["schema", "flows"])
    assert out.exit_code == 0
    return json.loads(out.output)


def test_schema_validates_the_shipped_flows_and_rejects_broken_ones() -> None:
    schema = _schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    doc = YAML(typ="safe").load(SHIPPED)
    assert list(validator.iter_errors(doc)) == []
    broken = YAML(typ="safe").load(SHIPPED)
    broken["nodes"]["stock"]["then_nearst"] = True
    broken["nodes"]["region"]["type"] = "geofense"
    del broken["start"]
    messages = [e.message for e in validator.iter_errors(broken)]
    assert any("'start' is a required property" in m for m in messages)
    assert len(messages) >= 2
