"""Every example in docs/rules.md is checked, so the analyst's guide cannot rot."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from orderhub.dsl import ExprType, compile_expression
from orderhub.engine.rules import load_rules_text

DOC = Path(__file__).resolve().parent.parent / "docs" / "rules.md"
BLOCKS = re.findall(r"```(rules|expression)\n(.*?)```", DOC.read_text("utf-8"), re.S)


def test_the_guide_has_examples():
    assert sum(kind == "rules" for kind, _ in BLOCKS) >= 4
    assert sum(kind == "expression" for kind, _ in BLOCKS) >= 3


@pytest.mark.parametrize(("kind", "text"), BLOCKS, ids=[f"{k}-{i}" for i, (k, _) in
                                                         enumerate(BLOCKS)])
def test_doc_block(kind, text):
    if kind == "expression":
        compile_expression(text.strip(), filename=str(DOC), expect=ExprType.BOOL)
    else:
        ruleset = load_rules_text(text, str(DOC))  # runs the embedded examples too
        assert len(ruleset) >= 1
