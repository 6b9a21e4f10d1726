"""Fuzz: the shipped rule files and flows, mutated, give a positioned error or a rule set (flow)
that handles every sample order without raising; never a traceback.

Kept to a few seconds here (a fixed set of examples); ``python3 bench/fuzz_rules.py`` runs
thousands of random inputs and prints the counts.  The mutations and verdicts are in
``tests/rules_fuzz_support.py``.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rules_fuzz_support import (
    FLOW_FILES,
    OPERATIONS,
    RULE_FILES,
    VOCABULARY,
    judge_flow,
    judge_rules,
    mutate,
)

edits = st.lists(st.tuples(st.integers(0, OPERATIONS - 1), st.integers(0, 10_000),
                           st.integers(0, 40), st.integers(0, len(VOCABULARY) - 1)),
                 min_size=1, max_size=4)
FUZZ = settings(max_examples=25, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow])


def test_the_shipped_files_are_clean():
    assert judge_rules(RULE_FILES).kind == "ok"
    assert all(judge_flow(name, text).kind == "ok" for name, text in FLOW_FILES.items())


@FUZZ
@given(name=st.sampled_from(sorted(RULE_FILES)), changes=edits)
def test_mutated_rule_files_are_a_positioned_error_or_judge_every_order(name, changes):
    verdict = judge_rules({**RULE_FILES, name: mutate(RULE_FILES[name], changes)})
    assert verdict.kind in ("error", "ok"), verdict.detail


@FUZZ
@given(name=st.sampled_from(sorted(FLOW_FILES)), changes=edits)
def test_mutated_flows_are_a_positioned_error_or_route_every_order(name, changes):
    verdict = judge_flow(name, mutate(FLOW_FILES[name], changes))
    assert verdict.kind in ("error", "ok"), verdict.detail


@FUZZ
@given(words=st.lists(st.integers(0, len(VOCABULARY) - 1), min_size=1, max_size=12))
def test_rules_made_of_random_words_are_a_positioned_error_or_judge_every_order(words):
    condition = " ".join(VOCABULARY[w] for w in words)
    verdict = judge_rules({"w.rules": f'rule w "w"\n  when {condition}\n  then flag x\nend\n'})
    assert verdict.kind in ("error", "ok"), verdict.detail
