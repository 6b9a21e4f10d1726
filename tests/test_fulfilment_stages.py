"""The stage machine refuses what cannot happen, with a clear message; every change is logged
with who and why."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

_spec = importlib.util.spec_from_file_location(
    "fulfilment_support", Path(__file__).with_name("fulfilment_support.py"))
fs = importlib.util.module_from_spec(_spec)  # type: ignore[arg-type]
_spec.loader.exec_module(fs)  # type: ignore[union-attr]

from orderhub.errors import OrderhubError  # noqa: E402
from orderhub.fulfilment import actions, ship, stages, timeline  # noqa: E402
from orderhub.fulfilment.errors import IllegalTransition  # noqa: E402


@pytest.mark.parametrize(("was", "to"), [("shipped", "routed"), ("cancelled", "released"),
                                         ("delivered", "cancelled"), ("new", "picking")])
def test_impossible_stage_changes_are_refused_naming_what_is_allowed(was: str, to: str) -> None:
    with pytest.raises(IllegalTransition, match=f"cannot move an order from {was} to {to}"):
        stages.check(was, to)
    assert issubclass(IllegalTransition, OrderhubError)


def test_every_stage_can_be_reached_from_new_and_final_stages_stay_final() -> None:
    reached, todo = {"new"}, ["new"]
    while todo:
        for nxt in stages.ALLOWED[todo.pop()]:
            if nxt not in reached:
                reached.add(nxt)
                todo.append(nxt)
    assert reached == set(stages.STAGES)
    assert all(not stages.ALLOWED[s] for s in ("delivered", "cancelled", "historical"))


def test_an_order_moves_through_its_stages_and_the_timeline_says_who(
        tmp_path: Path, db_url: str) -> None:
    ws = fs.workspace(tmp_path / "ws", db_url)
    svc = fs.service(ws)
    ws.store.upsert([fs.order("G1")])
    fs.drain(svc)
    actions.picking(ws, "taobao:G1", "picker")
    ship(ws, "taobao:G1", "SF", "SF1234567890", person="packer")
    with pytest.raises(IllegalTransition, match="from shipped to cancelled"):
        actions.cancel(ws, "taobao:G1", "买家要求取消", "alice")
    moves = [(e.what, e.who) for e in timeline.timeline(ws, "taobao:G1")
             if e.kind == "stage"]
    assert [m[0].split(":")[0] for m in moves] == [
        "new → routed", "routed → released", "released → picking", "picking → shipped"]
    assert moves[0][1] == "flow routing" and moves[2][1] == "person picker"
    assert moves[3][1] == "person packer"
    svc.shutdown()
