"""Every example in docs/flows.md loads, and routes a sample order (the docs cannot rot)."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
from ruamel.yaml import YAML

sys.path.insert(0, str(Path(__file__).parent))
from flows_helpers import NOW, full_stock, order  # noqa: E402

from orderhub.config import WorkspaceConfig  # noqa: E402
from orderhub.engine.routing import Router, RoutingState, StockLevels, load_flows  # noqa: E402

DOC = Path(__file__).resolve().parent.parent / "docs" / "flows.md"
BLOCKS = re.findall(r"```yaml\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)
FLOW_BLOCKS = [b for b in BLOCKS if "\nnodes:" in b]


def test_the_guide_has_worked_examples() -> None:
    assert len(FLOW_BLOCKS) >= 5


@pytest.fixture(scope="module")
def docs_flows(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    folder = tmp_path_factory.mktemp("docflows")
    for i, block in enumerate(FLOW_BLOCKS):
        (folder / f"example{i}.yaml").write_text(block, encoding="utf-8")
    return load_flows(folder)  # every example, loaded together (the sub-flow one is called)


@pytest.mark.parametrize("index", range(len(FLOW_BLOCKS)))
def test_each_example_routes_a_sample_order(docs_flows, index: int) -> None:  # type: ignore[no-untyped-def]
    doc = YAML(typ="safe").load(FLOW_BLOCKS[index])
    flow = docs_flows[doc["name"]]
    if "trigger" not in doc:  # a building block: some other example calls it
        assert any(f"flow: {doc['name']}" in b for b in FLOW_BLOCKS)
        return
    state = RoutingState(StockLevels.from_mapping(full_stock()))
    state.load.pending["GZ"] = 500
    result = Router(docs_flows, state, now=NOW).run(flow, order("广东省", "广州市"))
    assert result.error is None, result.error
    assert result.path and result.path[0] == flow.start
    assert [s.node for s in result.trace.steps] == [p.split("/")[-1] for p in result.path]


def test_balanced_example_diverts_and_tells_the_lead(docs_flows) -> None:  # type: ignore[no-untyped-def]
    state = RoutingState(StockLevels.from_mapping(full_stock()))
    state.load.pending["GZ"] = 500
    r = Router(docs_flows, state, now=NOW).run(docs_flows["balanced"], order())
    assert r.diverted_from == "GZ" and r.warehouse == "WH"
    assert "GZ 已满，转由 **武汉仓** 发货" in r.messages[0].payload["markdown"]["content"]


def test_sub_flow_example_runs_the_called_flow(docs_flows) -> None:  # type: ignore[no-untyped-def]
    state = RoutingState(StockLevels.from_mapping(full_stock()))
    r = Router(docs_flows, state, now=NOW).run(docs_flows["gz_then_handoff"], order())
    assert r.path == ["assign", "handoff", "handoff/wms", "handoff/pick"]
    assert [m.channel for m in r.messages] == ["wms", "pick_list"]


def test_config_examples_are_valid_config() -> None:
    for block in BLOCKS:
        if "\nnodes:" in block:
            continue
        data = YAML(typ="safe").load(block)
        WorkspaceConfig.model_validate(data)
