"""Rebuilding the evaluation path changed nothing a user sees: decisions, hits, actions and
explanations are those of the engine before the rebuild.

``tests/data/rules/golden_decisions.json.gz`` was written by ``tests/rules_golden_support.py``
(run as a script) from ``main`` at 65d5f24, before the decision path was made lazy and batched
(issue 18 item 2) and compile was split from evaluate (issue 17 item 3).  It holds, for the
bundled examples (API responses, their later snapshots, the back-office export) and 1,000
synthetic orders of the four platforms, judged by the shipped rules, by the shipped rules with
the promo switched on, and by the shipped rules with extra rules covering every explanation
shape: the matcher's hits, every decision of ``evaluate_batch`` (fired rules, their planned
actions with rendered texts and idempotency keys, the explanations, errors) and
``explain_tests`` (what ``--why-not`` reads) of every rule on 40 orders.  Regenerate it only for
a change meant to alter decisions, and say so in the commit.
"""

from __future__ import annotations

import copy
import gzip
import importlib.util
import json
import sys
from pathlib import Path
from typing import Any

import pytest

_spec = importlib.util.spec_from_file_location(
    "rules_golden_support", Path(__file__).with_name("rules_golden_support.py"))
golden = importlib.util.module_from_spec(_spec)  # type: ignore[arg-type]
sys.modules["rules_golden_support"] = golden
_spec.loader.exec_module(golden)  # type: ignore[union-attr]


@pytest.fixture(scope="module")
def expected() -> dict[str, Any]:
    return json.loads(gzip.decompress(golden.GOLDEN.read_bytes()))  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def orders(tmp_path_factory: pytest.TempPathFactory) -> list[Any]:
    return golden.example_orders(tmp_path_factory.mktemp("golden"))  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def actual(orders: list[Any]) -> dict[str, Any]:
    return golden.outcomes(orders)  # type: ignore[no-any-return]


def test_the_same_orders_are_judged(expected: dict[str, Any], orders: list[Any]) -> None:
    assert len(orders) == expected["orders"]
    assert set(expected["rulesets"]) == {"shipped", "promo_on", "extra"}


@pytest.mark.parametrize("name", ["shipped", "promo_on", "extra"])
def test_hits_and_decisions_are_those_of_the_old_engine(
        name: str, expected: dict[str, Any], actual: dict[str, Any]) -> None:
    want, got = expected["rulesets"][name], actual[name]
    assert got["version"] == want["version"]
    assert got["hits"] == want["hits"]
    for i, (w, g) in enumerate(zip(want["decisions"], got["decisions"], strict=True)):
        assert g == w, f"order {i} ({w['platform']}:{w['platform_order_no']})"
    assert sum(len(d["fired"]) for d in got["decisions"]) > 100


@pytest.mark.parametrize("name", ["shipped", "extra"])
def test_explanations_of_misses_are_those_of_the_old_engine(
        name: str, expected: dict[str, Any], actual: dict[str, Any]) -> None:
    assert actual[name]["explain_tests"] == expected["rulesets"][name]["explain_tests"]


def test_a_decision_without_explanations_has_the_same_actions(
        expected: dict[str, Any], orders: list[Any]) -> None:
    """``explain=False`` (the service, ``rules diff``) leaves out the why and nothing else."""
    rs, now = golden.rulesets()["extra"]
    ctx = rs.context(now=now, history=golden.MemoryHistory(orders))
    quiet = [golden.decision_json(d) for d in rs.evaluate_batch(orders, ctx, explain=False)]
    want = copy.deepcopy(expected["rulesets"]["extra"]["decisions"])
    for d in want:
        for f in d["fired"]:
            f["why"] = []
    assert quiet == want


def test_a_decisions_actions_are_its_rules_actions_in_order(orders: list[Any]) -> None:
    rs, now = golden.rulesets()["extra"]
    decisions = rs.evaluate_batch(orders, rs.context(now=now, history=golden.MemoryHistory(
        orders)))
    for d in decisions:
        assert [golden.action_json(a) for a in d.actions] == [
            golden.action_json(a) for f in d.fired for a in f.actions]
