"""Evaluation reports each order's failures in that order's decision, and nowhere else.

A rule whose condition raises on one order (data not of the declared shape) is left out of that
order's decision with a message; the batch goes on.  The messages travel with the evaluation
itself: the same order object twice in a batch, or a context used for a second batch, never
gives a decision someone else's errors (they used to be collected in the context, keyed by the
order object's ``id()``)."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from orderhub.dsl import dict_record
from orderhub.engine.ruleset import load_rules_text

NOW = datetime(2025, 11, 26, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
SCHEMA = dict_record("Plain", {"order_id": "string", "amount": "number"})
RULES = ('rule big "大额"\n  when amount > 100\n  then flag big\nend\n'
         'rule every "全部"\n  when order_id != ""\n  then flag seen\nend\n')


def test_a_failing_rule_is_reported_in_its_orders_decision_only() -> None:
    rs = load_rules_text(RULES, "t.rules", schema=SCHEMA)
    good, bad = {"order_id": "a", "amount": 200}, {"order_id": "b"}
    decisions = rs.evaluate_batch([good, bad, bad], now=NOW)
    fired = [[f.rule for f in d.fired] for d in decisions]
    assert fired == [["big", "every"], ["every"], ["every"]]
    assert decisions[0].errors == []
    assert decisions[1].errors == decisions[2].errors == ["rule big: KeyError: 'amount'"]


def test_a_context_used_again_starts_with_no_errors() -> None:
    rs = load_rules_text(RULES, "t.rules", schema=SCHEMA)
    ctx = rs.context(now=NOW)
    (first,) = rs.evaluate_batch([{"order_id": "b"}], ctx)
    again = rs.evaluate_batch([{"order_id": "b"}, {"order_id": "a", "amount": 1}], ctx)
    assert len(first.errors) == 1
    assert [len(d.errors) for d in again] == [1, 0]


def test_the_matcher_collects_errors_when_given_a_list_and_raises_otherwise() -> None:
    rs = load_rules_text(RULES, "t.rules", schema=SCHEMA)
    ctx = rs.context(now=NOW)
    match = rs.matcher(NOW)
    errors: list[str] = []
    assert match({"order_id": "b"}, ctx, errors) == ["every"]
    assert errors == ["rule big: KeyError: 'amount'"]
    with pytest.raises(KeyError):
        match({"order_id": "b"}, ctx)
    assert match({"order_id": "a", "amount": 101}, ctx) == ["big", "every"]


def test_why_is_there_when_read_and_copies_carry_it() -> None:
    """The explanation is built on first read (most are never read); a copy made the way
    dry-run masks personal data (``dataclasses.replace`` of each field) holds the lines."""
    rs = load_rules_text(RULES, "t.rules", schema=SCHEMA)
    (decision,) = rs.evaluate_batch([{"order_id": "a", "amount": 200}], now=NOW)
    masked = dataclasses.replace(decision.fired[0], why=[w.replace("200", "***")
                                                         for w in decision.fired[0].why])
    assert decision.fired[0].why == ["amount = 200, needs > 100 → yes"]
    assert masked.why == ["amount = ***, needs > 100 → yes"]
    (quiet,) = rs.evaluate_batch([{"order_id": "a", "amount": 200}], now=NOW, explain=False)
    assert [f.why for f in quiet.fired] == [[], []]
