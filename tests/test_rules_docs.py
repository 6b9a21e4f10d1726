"""Every example in docs/rules.md is checked, so the analyst's guide cannot rot."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from orderhub.dsl import ExprType, compile_expression
from orderhub.dsl.lists import ListSet, load_lists
from orderhub.engine.recipients import Recipients
from orderhub.engine.ruleset import load_rules_text

DOC = Path(__file__).resolve().parent.parent / "docs" / "rules.md"
BLOCKS = re.findall(r"```(rules|expression)\n(.*?)```", DOC.read_text("utf-8"), re.S)
#: ```csv lists/NAME.csv blocks: the lists the rule blocks read
LIST_FILES = re.findall(r"```(?:csv|txt) (lists/[^\s`]+)\n(.*?)```", DOC.read_text("utf-8"),
                        re.S)


#: ```yaml orderhub.yaml blocks: the workspace config the rule blocks address (recipients)
CONFIG = re.findall(r"```yaml orderhub.yaml\n(.*?)```", DOC.read_text("utf-8"), re.S)


@pytest.fixture(scope="module")
def doc_recipients() -> Recipients:
    from ruamel.yaml import YAML

    from orderhub.config import WorkspaceConfig

    config = WorkspaceConfig.model_validate(YAML(typ="safe").load("".join(CONFIG)))
    return Recipients(config.recipients)


@pytest.fixture(scope="module")
def doc_lists(tmp_path_factory: pytest.TempPathFactory) -> ListSet:
    root = tmp_path_factory.mktemp("docs")
    for name, text in LIST_FILES:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    return load_lists(root / "lists")


def test_the_guide_has_examples():
    assert sum(kind == "rules" for kind, _ in BLOCKS) >= 4
    assert sum(kind == "expression" for kind, _ in BLOCKS) >= 3


@pytest.mark.parametrize(("kind", "text"), BLOCKS, ids=[f"{k}-{i}" for i, (k, _) in
                                                         enumerate(BLOCKS)])
def test_doc_block(kind, text, doc_lists, doc_recipients):
    if kind == "expression":
        compile_expression(text.strip(), filename=str(DOC), expect=ExprType.BOOL)
    else:
        # runs the embedded examples too
        ruleset = load_rules_text(text, str(DOC), lists=doc_lists, recipients=doc_recipients)
        assert len(ruleset) >= 1


def test_the_guide_defines_the_lists_it_uses(doc_lists):
    assert {"blacklist", "sku_weights"} <= set(doc_lists.tables)
