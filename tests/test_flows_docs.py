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


#: ```csv lists/NAME.csv blocks: the lists the flow blocks read
LIST_FILES = re.findall(r"```(?:csv|txt) (lists/[^\s`]+)\n(.*?)```",
                        DOC.read_text(encoding="utf-8"), re.S)


@pytest.fixture(scope="module")
def docs_flows(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    root = tmp_path_factory.mktemp("docflows")
    folder = root / "flows"
    folder.mkdir()
    for name, text in LIST_FILES:  # lists/ beside flows/, as in a workspace
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    for i, block in enumerate(FLOW_BLOCKS):
        (folder / f"example{i}.yaml").write_text(block, encoding="utf-8")
    return load_flows(folder)  # every example, loaded together (the sub-flow one is called)


def test_carrier_table_example_picks_by_region_and_weight(docs_flows) -> None:  # type: ignore[no-untyped-def]
    flow = docs_flows["carrier_by_weight"]
    state = RoutingState(StockLevels.from_mapping(full_stock()))
    carriers = {}
    for name, o in {"towel to 广州": order("广东省", "广州市", ("TOWEL", 2)),
                    "towels to 北京": order("北京市", "北京市", ("TOWEL", 3)),
                    "ten towels": order("广东省", "广州市", ("TOWEL", 10)),
                    "a fridge": order("广东省", "广州市", ("FRIDGE-1", 1))}.items():
        r = Router(docs_flows, state, now=NOW).run(flow, o)
        carriers[name] = r.as_json(trace=True)
    picked = {k: next(s for s in v["trace"]["steps"] if s["node"] == "carrier")["why"]
              for k, v in carriers.items()}
    assert "'ZTO'" in picked["towel to 广州"] and "'YTO'" in picked["towels to 北京"]
    assert "'SF'" in picked["ten towels"] and "'DEPPON'" in picked["a fridge"]
    assert "30公斤以上走德邦大件" in carriers["a fridge"]["reasons"]


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


#: ```yaml example blocks: an order routed through a worked example, and what it must give
EXAMPLES = re.findall(r"```yaml example\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)


def _merge(base: dict, over: dict) -> dict:  # type: ignore[type-arg]
    out = dict(base)
    for key, value in over.items():
        out[key] = _merge(base[key], value) if isinstance(value, dict) and isinstance(
            base.get(key), dict) else value
    return out


def _flows_for(example: dict, docs_flows, tmp_path: Path):  # type: ignore[no-untyped-def,type-arg]
    """The doc's flows, on the example warehouse set as the example changes it."""
    changes = example.get("warehouses")
    if not changes:
        return docs_flows
    from orderhub.engine.routing.warehouses import default_warehouses

    warehouses = [w.model_copy(update=changes.get(w.code, {})) for w in default_warehouses()]
    folder = tmp_path / "flows"
    folder.mkdir()
    for name, text in LIST_FILES:  # lists/ beside flows/, as in the fixture
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text, encoding="utf-8")
    for i, block in enumerate(FLOW_BLOCKS):
        (folder / f"example{i}.yaml").write_text(block, encoding="utf-8")
    return load_flows(folder, warehouses=warehouses)


def test_the_guide_has_routed_examples() -> None:
    assert len(EXAMPLES) >= 8


@pytest.mark.parametrize("index", range(len(EXAMPLES)))
def test_worked_example(docs_flows, index: int, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    example = YAML(typ="safe").load(EXAMPLES[index])
    flows = _flows_for(example, docs_flows, tmp_path)
    base = order("广东省", "广州市")
    given = _merge(base.model_dump(mode="json"), example.get("order", {}))
    sample = type(base).model_validate(given)
    state = RoutingState(StockLevels.from_mapping(full_stock()))
    result = Router(flows, state, now=NOW).run(flows[example["flow"]], sample)
    assert result.error is None, result.error
    tags = list(sample.tags)
    for a in result.actions:
        if a.kind == "set" and a.params["field"] == "tags" and a.params["value"] not in tags:
            tags.append(a.params["value"])
    got = {"warehouse": result.warehouse, "carrier": result.carrier, "tags": tags,
           "path": result.path}
    for key, want in example["expect"].items():
        assert got[key] == want, (key, result.reasons)
