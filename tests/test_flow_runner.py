"""The flow loop's two failures, as an analyst reads them: a node that raises is named with its
flow, and a flow that never reaches an end stops at the step budget naming the node it was on,
for a top-level flow and for a sub-flow (whose path entries carry the flow's name)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from orderhub.engine.routing.flowset import MAX_STEPS, CompiledFlow
from orderhub.engine.routing.runtime import FlowRuntimeError


def _flow(steps: dict[str, Any], start: str) -> CompiledFlow:
    return CompiledFlow(name="cold", path="cold.yaml", version="v1", start=start, event=None,
                        when=None, description=None, steps=steps)


def _state(depth: int) -> Any:
    return SimpleNamespace(result=SimpleNamespace(path=[]), depth=depth)


@pytest.mark.parametrize(("depth", "prefix"), [(0, ""), (1, "cold/")])
def test_a_failing_node_is_named_with_its_flow(depth: int, prefix: str) -> None:
    rs = _state(depth)
    flow = _flow({"stock": lambda rs: "assign", "assign": lambda rs: 1 / 0}, "stock")
    with pytest.raises(FlowRuntimeError) as caught:
        flow.run(rs)
    assert "flow 'cold', node 'assign'" in str(caught.value)
    assert "ZeroDivisionError" in str(caught.value)
    assert rs.result.path == [prefix + "stock", prefix + "assign"]


@pytest.mark.parametrize(("depth", "prefix"), [(0, ""), (1, "cold/")])
def test_a_flow_without_an_end_stops_at_the_step_budget(depth: int, prefix: str) -> None:
    rs = _state(depth)
    flow = _flow({"wait": lambda rs: "again", "again": lambda rs: "wait"}, "wait")
    with pytest.raises(FlowRuntimeError, match=f"more than {MAX_STEPS} steps"):
        flow.run(rs)
    assert len(rs.result.path) == MAX_STEPS + 1
    assert set(rs.result.path) == {prefix + "wait", prefix + "again"}
