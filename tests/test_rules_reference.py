"""The reference of fields and functions is the checker's own tables (issue 20 item 8): the
docs cannot list a field the checker refuses, nor miss one it accepts, nor lose a meaning."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from orderhub.cli import main
from orderhub.dsl import ExprType, compile_expression
from orderhub.dsl.reference import documented_section, field_rows, function_rows, markdown

DOC = Path(__file__).resolve().parent.parent / "docs" / "rules.md"


def test_docs_carry_the_generated_reference_unchanged():
    section = documented_section(DOC.read_text("utf-8"))
    assert section is not None, "docs/rules.md lost its reference markers"
    assert section == markdown(), (
        "docs/rules.md's reference differs from the checker's tables: paste the output of "
        "`orderhub rules reference` between the markers")


def test_every_field_and_function_has_a_meaning():
    assert [r["field"] for r in field_rows() if not r["meaning"]] == []
    assert [r["function"] for r in function_rows() if not r["meaning"]] == []


def test_every_listed_field_is_one_the_checker_accepts():
    for row in field_rows():
        path = row["field"]
        if path.startswith("items."):
            text = f"any item in items: item.{path[6:]} is not null"
        else:
            text = f"{path} is not null"
        compile_expression(text, expect=ExprType.BOOL)  # raises on an unknown field


def test_goods_total_and_amounts_are_documented_as_never_negative():
    rows = {r["field"]: r for r in field_rows()}
    assert rows["goods_total"]["meaning"] and rows["goods_total"]["minimum"] == "0"
    assert rows["items.quantity"]["minimum"] == "0"
    assert rows["receiver.phone"]["minimum"] is None


def test_rules_reference_command(tmp_path):
    (tmp_path / "orderhub.yaml").write_text("timezone: Asia/Shanghai\n", encoding="utf-8")
    out = CliRunner().invoke(main, ["-w", str(tmp_path), "rules", "reference"])
    assert out.exit_code == 0 and out.output == markdown()
    data = json.loads(CliRunner().invoke(main, ["-w", str(tmp_path), "rules", "reference",
                                                "--format", "json"]).output)
    assert {"orders_today(phone, upto_now=false)", "lookup(name, key, column=null)"} <= \
        {f["function"] for f in data["functions"]}
    assert "matches" in DOC.read_text("utf-8") and "anywhere in the text" in \
        DOC.read_text("utf-8")
