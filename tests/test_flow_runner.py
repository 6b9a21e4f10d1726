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


def test_trace_steps_leave_out_trailing_nones_and_read_back_the_same() -> None:
    """A step with nothing but its why is stored as three values (most steps); one with
    values, warehouses considered or a sub-flow keeps what it has; read back, each is the
    same step."""
    from orderhub.engine.routing import jsontext
    from orderhub.engine.routing.runtime import RunState
    from orderhub.engine.routing.trace import Trace

    trace = Trace("cold", "v1")
    rs = RunState(SimpleNamespace(), SimpleNamespace(variables={}), None, None,  # type: ignore[arg-type]
                  None, trace)  # type: ignore[arg-type]
    rs.step("cold", "decision", "case 1 is true → stock")
    rs.step("stock", "inventory", "SH has stock", None, [("SH", True, "in stock")])
    rs.step("assign", "assign", "assigned to SH", {"load": 3})
    rs.flow = "sub"
    rs.step("inner", "decision", ("{} is {}", "a", "b"))
    assert [len(t) for t in trace.raw] == [3, 6, 4, 6]
    back = Trace.from_json(jsontext.loads(jsontext.dumps(trace.compact())))
    assert back.as_json() == trace.as_json()
    assert [s.values for s in back.steps] == [None, None, {"load": 3}, None]
    assert back.steps[3].flow == "sub" and back.steps[3].why == "a is b"
